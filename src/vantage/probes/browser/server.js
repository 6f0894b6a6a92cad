// A warm Chromium that script runs connect to (`connectOptions.wsEndpoint`), each in a new
// context, instead of launching their own: about a third of the CPU per run, but runs share
// one browser, so this is for scripts the operator trusts (reference browser.md §5).
// Prints the endpoint on its first line, then lives until killed.
'use strict';

const { chromium } = require('playwright-core');

chromium
  .launchServer({
    executablePath: process.env.VANTAGE_CHROMIUM,
    args: JSON.parse(process.env.VANTAGE_CHROMIUM_ARGS || '[]'),
    host: '127.0.0.1',
    port: 0,
  })
  .then((server) => {
    process.stdout.write(`${server.wsEndpoint()}\n`);
  })
  .catch((error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
