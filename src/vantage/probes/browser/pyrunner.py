"""The child process of a Python script run (`python -I pyrunner.py job.json`, in the run
directory, as the runner user, inside the sandbox).

The script's top-level `test_*` functions run in order, each given the fixtures its parameters
name: `page`, `context`, `browser` (BROWSER checks: one context, traced, with the Web Vitals
script), `request` (an API request context), `env` (the run's variables), `step(title)` (a
context manager: one step of the result), `log(message)` and `mark_degraded(reason)` (the run
is degraded, not failed, if it passes). It writes `report.json` in the shape
of Playwright's JSON reporter, so the agent reads Python and JavaScript runs the same way
(report.py). Only the standard library and playwright are imported here: the agent's code and
settings stay out of the script's process.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any


class CpuLimit(Exception):
    """The run used up its CPU time (RLIMIT_CPU's soft limit sent SIGXCPU)."""


def _on_sigxcpu(signum: int, frame: FrameType | None) -> None:
    raise CpuLimit("Check exceeded its CPU time limit")


class Steps:
    def __init__(self) -> None:
        self.top: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        record: dict[str, Any] = {"title": str(title), "duration": 0, "steps": []}
        (self._open[-1]["steps"] if self._open else self.top).append(record)
        self._open.append(record)
        started = time.monotonic()
        try:
            yield
        except BaseException as exc:
            record["error"] = {"message": _message(exc)}
            raise
        finally:
            record["duration"] = round((time.monotonic() - started) * 1000)
            self._open.pop()


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _tests(namespace: dict[str, Any]) -> list[tuple[str, Callable[..., Any]]]:
    return [
        (name, value)
        for name, value in namespace.items()
        if name.startswith("test_") and inspect.isfunction(value)
    ]


def main(job_path: str, *sites: str) -> int:
    """`sites`: where playwright (and vantage) are installed, when this interpreter is not the
    agent's own."""
    for site in sites:
        if site not in sys.path:
            sys.path.append(site)
    signal.signal(signal.SIGXCPU, _on_sigxcpu)
    job = json.loads(Path(job_path).read_text())
    run_dir = Path.cwd()
    # The check's own modules (`dependencies`) import from the run directory.
    sys.path.insert(0, str(run_dir))
    report: dict[str, Any] = {"suites": [], "errors": []}
    try:
        return _run(job, run_dir, report)
    finally:
        Path(job["report"]).write_text(json.dumps(report))


def _run(job: dict[str, Any], run_dir: Path, report: dict[str, Any]) -> int:
    source = Path(job["spec"]).read_text()
    namespace: dict[str, Any] = {"__name__": "vantage_check", "__file__": job["spec"]}
    try:
        exec(compile(source, job["spec"], "exec"), namespace)  # noqa: S102 (the check's script)
    except Exception as exc:
        report["errors"].append({"message": _message(exc)})
        return 1
    tests = _tests(namespace)
    specs: list[dict[str, Any]] = []
    report["suites"].append({"title": job["spec"], "specs": specs, "suites": []})
    from playwright.sync_api import sync_playwright

    failed = False
    with sync_playwright() as pw:
        browser = None
        if job["browser"]:
            if job.get("wsEndpoint"):
                browser = pw.chromium.connect(job["wsEndpoint"])
            else:
                browser = pw.chromium.launch(
                    executable_path=job["chromium"], args=job["args"], proxy=job.get("proxy")
                )
        for name, function in tests:
            result = _one(pw, browser, function, job, run_dir)
            failed = failed or result["status"] != "passed"
            specs.append({"title": name, "tests": [{"results": [result]}]})
        if browser is not None:
            browser.close()
    return 1 if failed else 0


def _one(
    pw: Any, browser: Any, function: Callable[..., Any], job: dict[str, Any], run_dir: Path
) -> dict[str, Any]:
    steps = Steps()
    log_lines: list[dict[str, Any]] = []
    summary = {"consoleErrors": 0, "networkErrors": 0, "documentErrors": 0}
    context = page = None
    request = None
    wanted = set(inspect.signature(function).parameters)
    attachments: list[dict[str, Any]] = []
    annotations: list[dict[str, str]] = []
    result: dict[str, Any] = {
        "status": "passed",
        "errors": [],
        "attachments": attachments,
        "annotations": annotations,
    }

    def mark_degraded(reason: str = "") -> None:
        # Read by report.py, as the JS helpers' markCheckAsDegraded annotation is.
        mark = {"reason": str(reason), "errors": len(result["errors"])}
        annotations.append({"type": "vantage-degraded", "description": json.dumps(mark)})

    video = str(job.get("video") or "off")
    started = time.monotonic()
    try:
        if browser is not None and wanted & {"page", "context", "browser"}:
            recording = {} if video == "off" else {"record_video_dir": str(run_dir / "videos")}
            context = browser.new_context(**job.get("use", {}), proxy=job.get("proxy"), **recording)
            context.add_init_script(job["vitals"])
            context.tracing.start(screenshots=True, snapshots=True)
            context.on("page", lambda p: _watch(p, summary, log_lines))
            page = context.new_page()
        if "request" in wanted:
            request = (
                context.request
                if context is not None
                else pw.request.new_context(proxy=job.get("proxy"))
            )
        fixtures = {
            "page": page,
            "context": context,
            "browser": browser,
            "request": request,
            "env": dict(os.environ),
            "step": steps.step,
            "mark_degraded": mark_degraded,
            "log": lambda message: log_lines.append(
                {"time": int(time.time() * 1000), "level": "INFO", "msg": str(message)}
            ),
        }
        function(**{name: fixtures.get(name) for name in wanted})
    except (Exception, CpuLimit) as exc:
        result["status"] = "failed"
        # The script's frames only: the first one is this runner's call into the test.
        frames = traceback.format_tb(exc.__traceback__.tb_next if exc.__traceback__ else None)
        result["errors"].append({"message": _message(exc) + "\n" + "".join(frames[-3:])})
    pages = []
    if context is not None:
        for open_page in context.pages:
            with contextlib.suppress(Exception):
                vitals = open_page.evaluate("() => window.__vantageVitals && __vantageVitals()")
                if vitals and open_page.url != "about:blank":
                    pages.append({"url": open_page.url, "webVitals": vitals})
        if result["status"] != "passed":
            with contextlib.suppress(Exception):
                shot = run_dir / "test-results" / "test-failed-1.png"
                shot.parent.mkdir(exist_ok=True)
                (page or context.pages[0]).screenshot(path=str(shot))
                attachments.append(
                    {"name": "screenshot", "path": str(shot), "contentType": "image/png"}
                )
        trace = run_dir / "test-results" / "trace.zip"
        with contextlib.suppress(Exception):
            if result["status"] != "passed":
                trace.parent.mkdir(exist_ok=True)
                context.tracing.stop(path=str(trace))
                attachments.append(
                    {"name": "trace", "path": str(trace), "contentType": "application/zip"}
                )
            else:
                context.tracing.stop()
        with contextlib.suppress(Exception):
            context.close()
        # Written when the context closed; kept as Playwright Test keeps it.
        keep = video == "on" or (video == "retain-on-failure" and result["status"] != "passed")
        with contextlib.suppress(Exception):
            if keep and page is not None and page.video is not None:
                attachments.append(
                    {"name": "video", "path": str(page.video.path()), "contentType": "video/webm"}
                )
    if request is not None and context is None:
        with contextlib.suppress(Exception):
            request.dispose()
    seen = {"traceSummary": summary, "pages": pages, "console": log_lines}
    attachments.append(
        {
            "name": "vantage-browser-result",
            "contentType": "application/json",
            "body": base64.b64encode(json.dumps(seen).encode()).decode(),
        }
    )
    result["steps"] = steps.top
    result["duration"] = round((time.monotonic() - started) * 1000)
    return result


def _watch(page: Any, summary: dict[str, int], lines: list[dict[str, Any]]) -> None:
    def console(message: Any) -> None:
        if message.type == "error":
            summary["consoleErrors"] += 1
            lines.append({"time": int(time.time() * 1000), "level": "ERROR", "msg": message.text})

    def page_error(error: Any) -> None:
        summary["documentErrors"] += 1

    def failed(_request: Any) -> None:
        summary["networkErrors"] += 1

    def response(answer: Any) -> None:
        if answer.status >= 400:
            summary["networkErrors"] += 1

    page.on("console", console)
    page.on("pageerror", page_error)
    page.on("requestfailed", failed)
    page.on("response", response)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
