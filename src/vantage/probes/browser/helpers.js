// `@checkly/playwright-helpers` as Checkly scripts require it, from the run directory's
// node_modules. `markCheckAsDegraded` annotates the running test; the agent reads the
// annotation from the JSON report (report.py) and reports the run as degraded, not failed, when
// the only errors are those the test had when it was marked (soft assertions).
'use strict';

const { test } = require('@playwright/test');

function markCheckAsDegraded(reason) {
  const info = test.info();
  const mark = { reason: reason === undefined ? '' : String(reason), errors: info.errors.length };
  info.annotations.push({ type: 'vantage-degraded', description: JSON.stringify(mark) });
}

// Milliseconds from the request's start to the end of the response, for a page's response
// (`page.goto`, `page.waitForResponse`); undefined when Playwright has no timing for it.
function getAPIResponseTime(response) {
  try {
    const timing = response.request().timing();
    if (timing && timing.responseEnd >= 0) return timing.responseEnd;
  } catch (e) { /* an APIResponse has no request timing */ }
  return undefined;
}

module.exports = { markCheckAsDegraded, getAPIResponseTime };
