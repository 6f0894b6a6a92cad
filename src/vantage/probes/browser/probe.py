"""BROWSER and MULTI_STEP checks: a Checkly Playwright Test script, run unchanged by
`@playwright/test` on the node of the `playwright` wheel against Debian's Chromium, in an
isolated subprocess (sandbox.py), one run directory per run (workspace.py), judged from the JSON
report (report.py).

Where things are (scripts/install-browser.sh installs them): Chromium at `VANTAGE_CHROMIUM` or
`chromium` on PATH; `@playwright/test` under `VANTAGE_BROWSER_RUNTIME` (default
`./.browser-runtime`). Scripts run as `VANTAGE_RUNNER_USER` (default `nobody` when the agent
runs as root; otherwise as the agent's own user, and the agent says scripts are trusted).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pwd
import shutil
import stat
import sys
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from vantage.probes.browser import pyrunner
from vantage.probes.browser.paths import replacements, without_paths
from vantage.probes.browser.report import summarize
from vantage.probes.browser.sandbox import (
    Limits,
    Outcome,
    RunAs,
    Tree,
    run_isolated,
    switch_user,
)
from vantage.probes.browser.workspace import (
    CHROMIUM_ARGS,
    WorkspaceError,
    is_python,
    lay_out,
    lay_out_python,
)
from vantage.probes.result import ProbeResult

log = structlog.get_logger("vantage.browser")

SCRIPT_TYPES = frozenset({"BROWSER", "MULTI_STEP"})
# Checkly's fixed limit per browser run (docs `browser-checks/timeouts.mdx`).
SCRIPT_RUN_SECONDS = 240.0
MiB = 1024 * 1024
TREE_RSS_BYTES = 2560 * MiB
DATA_BYTES = 1536 * MiB
MAX_LOG_BYTES = 255 * 1024
MAX_REPORT_BYTES = 16 * MiB
# Screenshots and traces travel inline in the result as data: URLs until Vantage stores assets.
MAX_ASSET_BYTES = 512 * 1024
MAX_ASSETS_BYTES = 1024 * 1024
RUNTIME_VERSION = "2026.04"
MASK = "*****"
# What a script's environment starts from; nothing else of the agent's is passed on.
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TZ": "UTC",
    "FORCE_COLOR": "0",
    "CI": "1",
    "PW_TEST_HTML_REPORT_OPEN": "never",
}
_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


class RuntimeMissing(RuntimeError):
    """What a script run needs is not installed on this agent."""


@dataclass(frozen=True, slots=True)
class BrowserRuntime:
    node: str
    cli: str
    node_path: str
    chromium: str
    # Debian's ffmpeg, which Playwright records videos with; "" when there is none.
    ffmpeg: str = ""

    @classmethod
    def discover(cls, env: Mapping[str, str] = os.environ) -> BrowserRuntime:
        try:
            import playwright
        except ImportError:
            raise RuntimeMissing(
                "playwright is not installed (pip install 'vantage[browser]')"
            ) from None
        node = Path(playwright.__file__).parent / "driver" / "node"
        chromium = env.get("VANTAGE_CHROMIUM") or shutil.which("chromium") or ""
        modules = Path(env.get("VANTAGE_BROWSER_RUNTIME") or ".browser-runtime") / "node_modules"
        cli = modules / "@playwright" / "test" / "cli.js"
        if not chromium or not os.access(chromium, os.X_OK):
            raise RuntimeMissing("Chromium is not installed (scripts/install-browser.sh)")
        if not cli.is_file():
            raise RuntimeMissing(
                f"@playwright/test is not installed in {modules.parent} "
                "(scripts/install-browser.sh; VANTAGE_BROWSER_RUNTIME names the directory)"
            )
        ffmpeg = env.get("VANTAGE_FFMPEG") or shutil.which("ffmpeg") or ""
        return cls(
            str(node),
            str(cli.resolve()),
            str(modules.resolve()),
            chromium,
            ffmpeg if ffmpeg and os.access(ffmpeg, os.X_OK) else "",
        )


def runner_identity(env: Mapping[str, str] = os.environ) -> RunAs | None:
    """The uid and gid scripts run as; None when the agent cannot switch (not root)."""
    name = env.get("VANTAGE_RUNNER_USER") or ("nobody" if os.geteuid() == 0 else "")
    if not name or os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(name)
    return RunAs(entry.pw_uid, entry.pw_gid)


def _reachable(path: str) -> bool:
    """Whether any user may run `path`: every directory on its real path searchable by others."""
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & stat.S_IXOTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)
    except OSError:
        return False


def runner_python(run_as: RunAs | None, env: Mapping[str, str] = os.environ) -> str | None:
    """The interpreter of Python scripts: this one, unless the runner user may not run it (a
    Python under root's home); then the system's of the same version."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [env.get("VANTAGE_RUNNER_PYTHON") or "", sys.executable, f"/usr/bin/{version}"]
    for candidate in candidates:
        if candidate and (run_as is None or _reachable(candidate)):
            return candidate
    return None


def _playwright_site() -> str:
    import playwright

    return str(Path(playwright.__file__).parents[1])


def browser_pool_size() -> int:
    """Browser runs at once: one per core, and about 1.5 GiB each (browser.md §6)."""
    cpus = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 1
    return max(1, min(cpus, int((memory / (1024 * MiB) - 1) // 1.5)))


def _pool() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None:
        pool = _POOLS[loop] = asyncio.Semaphore(browser_pool_size())
    return pool


@dataclass(frozen=True, slots=True)
class ScriptOptions:
    timeout_seconds: float = SCRIPT_RUN_SECONDS
    tree_rss_bytes: int = TREE_RSS_BYTES
    data_bytes: int = DATA_BYTES
    # Unset: discovered from the environment (`BrowserRuntime.discover`, `runner_identity`).
    runtime: BrowserRuntime | None = None
    run_as: RunAs | None = None
    isolate_user: bool = True
    # A warm browser's endpoint (`WarmBrowser`): runs connect to it instead of launching one.
    ws_endpoint: str | None = None
    # Node's on-disk compile cache, shared by runs (trusted mode with the warm browser: a run
    # could write into what the next one loads). Saves about 0.3 CPU-s per run.
    compile_cache: str | None = None
    # The agent's egress proxy (egress.py): None connects directly (a policy that denies nothing).
    proxy: str | None = None
    # Playwright's video mode for BROWSER runs: "off", "on" or "retain-on-failure" (as Checkly
    # keeps a scheduled run's video); None: VANTAGE_BROWSER_VIDEO, or "off". Encoding costs CPU.
    video: str | None = None


async def run_script_check(
    check: dict[str, Any], options: ScriptOptions, pool: asyncio.Semaphore | None = None
) -> ProbeResult:
    """Run one BROWSER or MULTI_STEP check; script runs wait for a slot of their own pool (the
    agent's browser capacity; unset, `browser_pool_size()` per event loop), so that protocol
    checks never queue behind them."""
    async with pool or _pool():
        return await _run(check, options)


async def _run(check: dict[str, Any], options: ScriptOptions) -> ProbeResult:
    check_type = str(check.get("checkType"))
    started = datetime.now(UTC)
    try:
        runtime = options.runtime or BrowserRuntime.discover()
        run_as = options.run_as
        if run_as is None and options.isolate_user:
            run_as = runner_identity()
    except (RuntimeMissing, KeyError) as exc:
        return _agent_error(check_type, started, str(exc))
    if run_as is None:
        log.warning("script runs as the agent's user: scripts are trusted", check_type=check_type)
    run_dir = Path(tempfile.mkdtemp(prefix="vantage-run-"))
    try:
        python = is_python(check)
        video = _video_mode(check_type, options, runtime)
        try:
            if python:
                layout = lay_out_python(
                    run_dir,
                    check,
                    chromium=runtime.chromium,
                    ws_endpoint=options.ws_endpoint,
                    proxy=options.proxy,
                    video=video,
                )
            else:
                layout = lay_out(
                    run_dir,
                    check,
                    chromium=runtime.chromium,
                    test_timeout_ms=int(options.timeout_seconds * 1000),
                    ws_endpoint=options.ws_endpoint,
                    proxy=options.proxy,
                    video=video,
                )
        except WorkspaceError as exc:
            return _failed(check_type, started, str(exc))
        if video != "off":
            # After the check's files: laid out as root, one at the link's path would be
            # written into the ffmpeg it names.
            _link_ffmpeg(run_dir, runtime)
        if run_as is not None:
            _hand_over(run_dir, run_as)
        env = _environment(check, run_dir, runtime)
        if options.compile_cache:
            env["NODE_COMPILE_CACHE"] = options.compile_cache
        argv = [runtime.node, runtime.cli, "test", "--config", layout.config]
        if python:
            interpreter = runner_python(run_as)
            if interpreter is None:
                return _agent_error(
                    check_type, started, "no Python the runner user may run (VANTAGE_RUNNER_PYTHON)"
                )
            # -I: no PYTHON* variables, no user site-packages, no script directory on sys.path;
            # pyrunner adds the directory this process's playwright is installed in.
            site = str(Path(pyrunner.__file__).parents[3])
            playwright_site = _playwright_site()
            argv = [interpreter, "-I", str(Path(pyrunner.__file__)), layout.config]
            argv += [playwright_site, site]
        limits = Limits(
            wall_seconds=options.timeout_seconds,
            tree_rss_bytes=options.tree_rss_bytes,
            data_bytes=options.data_bytes,
        )
        with tempfile.TemporaryFile() as output:
            outcome = await run_isolated(
                argv, cwd=run_dir, env=env, limits=limits, run_as=run_as, output=output
            )
            output.seek(0)
            job_output = output.read(MAX_LOG_BYTES).decode("utf-8", "replace")
        report = _read_json(run_dir, run_dir / layout.report)
        dirs = _runtime_dirs(runtime)
        return _result(check, started, outcome, report, job_output, run_dir, dirs, options)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


class WarmBrowser:
    """One Chromium kept running for many script runs (`ScriptOptions.ws_endpoint`), as the
    runs' uid, behind a Playwright browser server on loopback. Opt-in: runs share it."""

    def __init__(self, runtime: BrowserRuntime, run_as: RunAs | None) -> None:
        self.runtime = runtime
        self.run_as = run_as
        self.endpoint = ""
        self._process: asyncio.subprocess.Process | None = None
        self._home = Path(tempfile.mkdtemp(prefix="vantage-browser-"))
        (self._home / "node-cache").mkdir()
        self.compile_cache = str(self._home / "node-cache")

    def options(self, **given: Any) -> ScriptOptions:
        """Options for a run on this browser."""
        return ScriptOptions(
            runtime=self.runtime,
            run_as=self.run_as,
            ws_endpoint=self.endpoint,
            compile_cache=self.compile_cache,
            **given,
        )

    async def start(self) -> str:
        from importlib import resources

        if self.run_as is not None:
            # The runs (the same uid) write the compile cache in it.
            _hand_over(self._home, self.run_as)
        server = resources.files("vantage.probes.browser").joinpath("server.js")
        env = {
            **BASE_ENV,
            "HOME": str(self._home),
            "TMPDIR": str(self._home),
            "NODE_PATH": self.runtime.node_path,
            "VANTAGE_CHROMIUM": self.runtime.chromium,
            "VANTAGE_CHROMIUM_ARGS": json.dumps(list(CHROMIUM_ARGS)),
        }
        run_as = self.run_as
        self._process = await asyncio.create_subprocess_exec(
            self.runtime.node,
            str(server),
            cwd=self._home,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=(lambda: switch_user(run_as)) if run_as is not None else None,
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(30):
            line = await self._process.stdout.readline()
        self.endpoint = line.decode().strip()
        if not self.endpoint.startswith("ws://"):
            await self.close()
            raise RuntimeMissing("the warm browser did not start")
        return self.endpoint

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def close(self) -> None:
        if self._process is not None:
            tree = Tree(self._process.pid)
            tree.poll()
            tree.kill()
            await self._process.wait()
            self._process = None
        shutil.rmtree(self._home, ignore_errors=True)


VIDEO_MODES = frozenset({"off", "on", "retain-on-failure"})


def _video_mode(check_type: str, options: ScriptOptions, runtime: BrowserRuntime) -> str:
    """The run's video mode: "off" unless asked for and possible (`_link_ffmpeg`)."""
    mode = options.video or os.environ.get("VANTAGE_BROWSER_VIDEO") or "off"
    if mode not in VIDEO_MODES:
        log.warning("unknown video mode: no video", video=mode)
        return "off"
    if mode == "off" or check_type != "BROWSER":
        return "off"
    if options.ws_endpoint:
        # The warm browser's server would record, and its home has no ffmpeg linked in.
        log.warning("no video with the warm browser", video=mode)
        return "off"
    if not runtime.ffmpeg or _ffmpeg_revision(runtime) is None:
        log.warning("no video: ffmpeg or Playwright's browsers.json not found", video=mode)
        return "off"
    return mode


def _link_ffmpeg(run_dir: Path, runtime: BrowserRuntime) -> None:
    """Playwright records with the ffmpeg of its own download, which it looks for at
    `$PLAYWRIGHT_BROWSERS_PATH/ffmpeg-<revision>/ffmpeg-linux` (the revision its browsers.json
    names): Debian's ffmpeg is linked there, in the run's own browsers directory, in place of
    anything the check's files put there."""
    browsers = run_dir / ".browsers"
    if browsers.is_symlink() or browsers.is_file():
        browsers.unlink()
    elif browsers.exists():
        shutil.rmtree(browsers)
    target = browsers / f"ffmpeg-{_ffmpeg_revision(runtime)}"
    target.mkdir(parents=True)
    (target / "ffmpeg-linux").symlink_to(runtime.ffmpeg)


def _ffmpeg_revision(runtime: BrowserRuntime) -> str | None:
    """The ffmpeg revision that the runs' Playwright wants: the same version serves JS runs
    (@playwright/test's playwright-core) and Python runs (the wheel's driver)."""
    for listing in (
        Path(runtime.node_path) / "playwright-core" / "browsers.json",
        Path(runtime.node).parent / "package" / "browsers.json",
    ):
        try:
            browsers = json.loads(listing.read_text())["browsers"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for browser in browsers:
            if isinstance(browser, dict) and browser.get("name") == "ffmpeg":
                return str(browser.get("revision"))
    return None


def _hand_over(run_dir: Path, run_as: RunAs) -> None:
    """The run directory belongs to the run's uid, and to no one else (0700)."""
    for root, dirs, files in os.walk(run_dir):
        for name in (*dirs, *files):
            # The link itself, never what it names (the ffmpeg that `_link_ffmpeg` links in).
            os.chown(os.path.join(root, name), run_as.uid, run_as.gid, follow_symlinks=False)
    os.chown(run_dir, run_as.uid, run_as.gid)
    os.chmod(run_dir, 0o700)


def _environment(check: dict[str, Any], run_dir: Path, runtime: BrowserRuntime) -> dict[str, str]:
    env = dict(BASE_ENV)
    for key, value in (check.get("scriptVariables") or {}).items():
        if _env_name(key):
            env[key] = str(value).replace("\0", "")
    env.update(
        {
            "HOME": str(run_dir),
            "TMPDIR": str(run_dir),
            "NODE_PATH": runtime.node_path,
            # Keeps Playwright from looking for (or fetching) browsers of its own.
            "PLAYWRIGHT_BROWSERS_PATH": str(run_dir / ".browsers"),
            "CHECK_NAME": str(check.get("name") or ""),
            "CHECK_TYPE": str(check.get("checkType") or ""),
            "RUNTIME_VERSION": str(check.get("runtimeId") or RUNTIME_VERSION),
        }
    )
    return env


def _env_name(key: Any) -> bool:
    return isinstance(key, str) and bool(key) and "=" not in key and "\0" not in key


def _inside(run_dir: Path, path: Path) -> Path | None:
    """`path` when it is a regular file of the run directory; the script wrote these files and
    may have made them links to anything, so links are refused."""
    try:
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(run_dir.resolve()) or real != path.absolute():
            return None
        mode = os.lstat(real).st_mode
    except (OSError, ValueError):
        return None
    return real if stat.S_ISREG(mode) else None


def _read_bytes(run_dir: Path, path: Path, most: int) -> bytes | None:
    real = _inside(run_dir, path)
    if real is None:
        return None
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(most + 1)
    return None if len(data) > most else data


def _read_json(run_dir: Path, path: Path) -> dict[str, Any] | None:
    raw = _read_bytes(run_dir, path, MAX_REPORT_BYTES)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _runtime_dirs(runtime: BrowserRuntime) -> list[str]:
    """Where the agent's Playwright and Node live: named in the stack lines of a failure."""
    return [
        str(Path(runtime.node_path).parent),
        str(Path(runtime.node).parent.parent),
        str(Path(pyrunner.__file__).parents[3]),
    ]


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _result(
    check: dict[str, Any],
    started: datetime,
    outcome: Outcome,
    report: dict[str, Any] | None,
    job_output: str,
    run_dir: Path,
    runtime_dirs: list[str],
    options: ScriptOptions,
) -> ProbeResult:
    check_type = str(check.get("checkType"))
    stopped = datetime.now(UTC)
    seen = summarize(report or {})
    errors: list[str] = list(seen["errors"]) if report is not None else []
    if outcome.killed_for == "timeout":
        errors.insert(0, f"Check timed out after {options.timeout_seconds:g} s")
    elif outcome.killed_for == "memory":
        errors.insert(0, f"Check exceeded the memory limit of {options.tree_rss_bytes // MiB} MiB")
    elif report is None:
        errors.insert(0, f"The script ended without a report (exit code {outcome.exit_code})")
    passed = bool(seen["passed"]) and report is not None and outcome.killed_for is None
    # A test the script marked degraded after soft assertions failed is a failure to the runner.
    degraded = passed and bool(seen["degraded"])
    if passed and outcome.exit_code != 0 and not degraded:
        passed = False
        errors.append(f"The test runner exited with code {outcome.exit_code}")
    at = _ms(stopped)
    job_log = [
        {"time": at, "msg": line, "level": "INFO"} for line in job_output.splitlines() if line
    ]
    job_log.extend(
        {
            "time": line.get("time", at),
            "msg": str(line.get("msg", "")),
            "level": str(line.get("level", "ERROR")),
        }
        for line in seen["console"]
    )
    screenshots, traces, videos = _assets(run_dir, seen["attachments"], job_log, at)
    detail: dict[str, Any] = {
        "errors": errors,
        "startTime": _ms(started),
        "endTime": at,
        "runtimeVersion": str(check.get("runtimeId") or RUNTIME_VERSION),
        "jobLog": job_log,
        "jobAssets": screenshots,
        "playwrightTestTraces": traces,
        "playwrightTestJsonReportFile": None,
        "steps": seen["steps"],
        "degradedReasons": seen["degraded"],
        # Vantage's own: what the run's process tree used (the watchdog's samples).
        "peakMemoryBytes": outcome.peak_tree_rss_bytes,
        "cpuSeconds": round(outcome.cpu_seconds, 3),
    }
    if check_type == "BROWSER":
        detail = {
            "type": "PLAYWRIGHT_PYTHON" if is_python(check) else "PLAYWRIGHT_TEST",
            "traceSummary": seen["traceSummary"],
            "pages": seen["pages"],
            **detail,
            "playwrightTestVideos": videos,
        }
    detail = mask(detail, check.get("maskedValues") or ())
    detail = without_paths(detail, replacements(run_dir, runtime_dirs))
    should_fail = bool(check.get("shouldFail"))
    return ProbeResult(
        check_type=check_type,
        started_at=started,
        stopped_at=stopped,
        response_time_ms=(stopped - started).total_seconds() * 1000,
        has_failures=passed == should_fail,
        is_degraded=degraded and not should_fail,
        over_max_response_time=False,
        detail_key="browserCheckResult" if check_type == "BROWSER" else "multiStepCheckResult",
        detail=detail,
        error=detail["errors"][0] if detail["errors"] else None,
    )


def _assets(
    run_dir: Path, attachments: list[dict[str, str]], job_log: list[dict[str, Any]], at: int
) -> tuple[list[str], list[str], list[str]]:
    found: dict[str, list[str]] = {"image/png": [], "application/zip": [], "video/webm": []}
    budget = MAX_ASSETS_BYTES
    for attachment in attachments:
        kind = attachment["contentType"]
        if kind not in found:
            continue
        data = _read_bytes(run_dir, Path(attachment["path"]), min(MAX_ASSET_BYTES, budget))
        if data is None:
            job_log.append(
                {
                    "time": at,
                    "msg": f"asset {attachment['name']} left out: too large",
                    "level": "WARN",
                }
            )
            continue
        budget -= len(data)
        url = f"data:{kind};base64,{base64.b64encode(data).decode()}"
        found[kind].append(url)
    return found["image/png"], found["application/zip"], found["video/webm"]


def mask(value: Any, secrets: Any) -> Any:
    """`value` with every secret replaced in its strings (not in inline assets)."""
    secrets = sorted((str(s) for s in secrets if s), key=len, reverse=True)
    if not secrets:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            if item.startswith("data:"):
                return item
            for secret in secrets:
                item = item.replace(secret, MASK)
            return item
        if isinstance(item, list):
            return [walk(x) for x in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    return walk(value)


def _agent_error(check_type: str, started: datetime, message: str) -> ProbeResult:
    result = _failed(check_type, started, message)
    result.has_errors = True
    return result


def _failed(check_type: str, started: datetime, message: str) -> ProbeResult:
    now = datetime.now(UTC)
    key = "browserCheckResult" if check_type == "BROWSER" else "multiStepCheckResult"
    return ProbeResult(
        check_type=check_type,
        started_at=started,
        stopped_at=now,
        response_time_ms=(now - started).total_seconds() * 1000,
        has_failures=True,
        is_degraded=False,
        over_max_response_time=False,
        detail_key=key,
        detail={"errors": [message], "startTime": _ms(started), "endTime": _ms(now)},
        error=message,
    )


__all__ = [
    "SCRIPT_RUN_SECONDS",
    "SCRIPT_TYPES",
    "BrowserRuntime",
    "browser_pool_size",
    "runner_identity",
    "runner_python",
    "RuntimeMissing",
    "ScriptOptions",
    "WarmBrowser",
    "mask",
    "run_script_check",
]
