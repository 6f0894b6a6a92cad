// Runs in every page before its own scripts: buffered observers for what the Web Vitals need.
// window.__vantageVitals() returns TTFB, FCP, LCP, CLS and TBT in ms (CLS unitless).
(() => {
  if (window.__vantageVitals) return;
  const seen = { lcp: null, cls: 0, longTasks: [] };
  const watch = (type, onEntry) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(onEntry))
        .observe({ type, buffered: true });
    } catch (e) { /* an entry type this page cannot observe */ }
  };
  watch('largest-contentful-paint', (e) => { seen.lcp = e.renderTime || e.startTime; });
  watch('layout-shift', (e) => { if (!e.hadRecentInput) seen.cls += e.value; });
  watch('longtask', (e) => { seen.longTasks.push([e.startTime, e.duration]); });
  Object.defineProperty(window, '__vantageVitals', { value: () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const fcp = paint ? paint.startTime : null;
    let tbt = 0;
    // Total Blocking Time counts the long tasks that end after the first contentful paint.
    for (const [start, duration] of seen.longTasks) {
      if (fcp !== null && start + duration > fcp) tbt += Math.max(0, duration - 50);
    }
    return {
      TTFB: nav ? nav.responseStart - nav.startTime : null,
      FCP: fcp,
      LCP: seen.lcp,
      CLS: seen.cls,
      TBT: fcp === null ? null : tbt,
    };
  } });
})();
