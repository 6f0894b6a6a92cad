// `@playwright/test` as a Checkly script requires it, from the run directory's node_modules: the
// real module (found through NODE_PATH) with one fixture overridden. The `context` override
// counts console, page and network errors, measures each page's Web Vitals, and attaches what it
// saw to the test as `vantage-browser-result`, which the agent reads from the JSON report.
'use strict';

const fs = require('fs');
const path = require('path');
const real = require('playwright/test');

// Runs in every page before its own scripts (vitals.js, beside this file).
const VITALS = fs.readFileSync(path.join(__dirname, 'vitals.js'), 'utf8');

const MAX_LINES = 50;

const test = real.test.extend({
  context: async ({ context }, use, testInfo) => {
    const summary = { consoleErrors: 0, networkErrors: 0, documentErrors: 0, userScriptErrors: 0 };
    const lines = [];
    const note = (level, msg) => {
      if (lines.length < MAX_LINES) lines.push({ time: Date.now(), level, msg: String(msg) });
    };
    const pages = [];
    const measure = async (page) => {
      try {
        const vitals = await page.evaluate(() => window.__vantageVitals && window.__vantageVitals());
        if (vitals && page.url() !== 'about:blank') pages.push({ url: page.url(), webVitals: vitals });
      } catch (e) { /* a closed or crashed page has nothing left to measure */ }
    };
    const watchPage = (page) => {
      page.on('console', (message) => {
        if (message.type() === 'error') {
          summary.consoleErrors += 1;
          note('ERROR', message.text());
        }
      });
      page.on('pageerror', (error) => {
        summary.documentErrors += 1;
        note('ERROR', error.message);
      });
      page.on('requestfailed', () => { summary.networkErrors += 1; });
      page.on('response', (response) => {
        if (response.status() >= 400) summary.networkErrors += 1;
      });
    };
    await context.addInitScript(VITALS);
    context.pages().forEach(watchPage);
    context.on('page', watchPage);
    await use(context);
    for (const page of context.pages()) await measure(page);
    await testInfo.attach('vantage-browser-result', {
      body: JSON.stringify({ traceSummary: summary, pages, console: lines }),
      contentType: 'application/json',
    });
  },
});

module.exports = { ...real, test, default: test };
