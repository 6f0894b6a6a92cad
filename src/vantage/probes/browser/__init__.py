"""BROWSER and MULTI_STEP checks: Checkly's Playwright Test scripts, run unchanged and isolated
(probe.py runs one; sandbox.py isolates it; workspace.py lays out its files; report.py reads its
result)."""

from vantage.probes.browser.probe import (
    SCRIPT_RUN_SECONDS,
    SCRIPT_TYPES,
    BrowserRuntime,
    RuntimeMissing,
    ScriptOptions,
    WarmBrowser,
    run_script_check,
)

__all__ = [
    "SCRIPT_RUN_SECONDS",
    "SCRIPT_TYPES",
    "BrowserRuntime",
    "RuntimeMissing",
    "ScriptOptions",
    "WarmBrowser",
    "run_script_check",
]
