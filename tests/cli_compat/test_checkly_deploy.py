"""`checkly deploy` and `checkly destroy` (the real CLI 9.x) against a real `vantage server`.

Each test writes its own Checkly project (`checkly.config.ts`, API, URL, TCP, DNS and heartbeat
constructs, a group with an environment variable, tags, an email alert channel the API check
subscribes to, a private location and a maintenance window) and deploys it into an account of its
own, so the other CLI tests' check counts are not disturbed. Fixtures are in conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.targets.dns_target import DnsTarget, dns_target

from .conftest import (
    CLI_PREFIX,
    Account,
    ChecklyCli,
    CliResult,
    Target,
    VantageServer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("describe_server")]

# A scheduled check first runs within one interval (1 minute) of its creation; a slow machine
# needs more.
FIRST_RUNS_WITHIN = 180.0

CONFIG = """\
import {{ defineConfig }} from 'checkly'

export default defineConfig({{
  projectName: 'Shop monitoring',
  logicalId: '{logical_id}',
  checks: {{
    checkMatch: '**/__checks__/**/*.check.ts',
    locations: ['local'],
    frequency: 1,
    tags: ['shop'],
    runtimeId: '2025.04',
  }},
}})
"""

CHECKS = """\
import {{
  ApiCheck, AssertionBuilder, CheckGroupV2, DnsAssertionBuilder, DnsMonitor, EmailAlertChannel,
  HeartbeatMonitor, MaintenanceWindow, PrivateLocation, TcpMonitor, UrlAssertionBuilder, UrlMonitor,
}} from 'checkly/constructs'

const onCall = new EmailAlertChannel('shop-email', {{ address: 'oncall@shop.test' }})

new PrivateLocation('shop-office', {{ name: 'Shop office', slugName: '{office_slug}' }})

// In the future, so that it holds back none of the runs the tests wait for.
new MaintenanceWindow('shop-maintenance', {{
  name: 'Shop release',
  tags: ['shop'],
  startsAt: new Date('2036-01-01T02:00:00Z'),
  endsAt: new Date('2036-01-01T03:00:00Z'),
}})

const group = new CheckGroupV2('shop-group', {{
  name: 'Shop group',
  tags: ['grouped'],
  environmentVariables: [{{ key: 'GREETING', value: 'hello' }}],
}})

new ApiCheck('shop-api', {{
  name: 'Shop API',
  group,
  tags: ['shop', 'api'],
  alertChannels: [onCall],
  request: {{
    method: 'GET',
    url: '{base_url}/ok',
    assertions: [AssertionBuilder.statusCode().equals(200)],
  }},
}})

{url_monitor}
new TcpMonitor('shop-tcp', {{
  name: '{tcp_name}',
  request: {{ hostname: '127.0.0.1', port: {tcp_port} }},
}})

new DnsMonitor('shop-dns', {{
  name: 'Shop DNS',
  request: {{
    recordType: 'A',
    query: 'www.vantage.test',
    nameServer: '127.0.0.1',
    port: {dns_port},
    assertions: [DnsAssertionBuilder.responseCode().equals('NOERROR')],
  }},
}})

new HeartbeatMonitor('shop-heartbeat', {{
  name: 'Shop heartbeat',
  period: 1,
  periodUnit: 'hours',
  grace: 30,
  graceUnit: 'minutes',
}})
"""

URL_MONITOR = """\
new UrlMonitor('shop-url', {{
  name: 'Shop URL',
  request: {{ url: '{base_url}/ok', assertions: [UrlAssertionBuilder.statusCode().equals(200)] }},
}})
"""

SCHEDULED = ("Shop API", "Shop URL", "Shop TCP", "Shop DNS")
CONSTRUCTS = {
    "ApiCheck": "shop-api",
    "UrlMonitor": "shop-url",
    "TcpMonitor": "shop-tcp",
    "DnsMonitor": "shop-dns",
    "HeartbeatMonitor": "shop-heartbeat",
    "CheckGroupV2": "shop-group",
    "EmailAlertChannel": "shop-email",
    "PrivateLocation": "shop-office",
    "MaintenanceWindow": "shop-maintenance",
}


@pytest.fixture(scope="module")
def name_server() -> Iterator[DnsTarget]:
    """tests/targets/dns_target.py's server, on a loop of its own (these tests are not async)."""
    loop = asyncio.new_event_loop()
    started: list[DnsTarget] = []
    ready = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with dns_target() as server:
            started.append(server)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the DNS target did not start"
    try:
        yield started[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)


@dataclass
class Project:
    """A Checkly project on disk, deployed into an account of its own."""

    directory: Path
    logical_id: str
    target: Target
    dns_port: int
    cli: ChecklyCli
    api: httpx2.Client

    def write(self, *, tcp_name: str = "Shop TCP", url_monitor: bool = True) -> None:
        base_url = self.target.base_url
        tcp_port = int(base_url.rsplit(":", 1)[1])
        checks = self.directory / "__checks__"
        checks.mkdir(exist_ok=True)
        (self.directory / "checkly.config.ts").write_text(CONFIG.format(logical_id=self.logical_id))
        (checks / "shop.check.ts").write_text(
            CHECKS.format(
                base_url=base_url,
                tcp_port=tcp_port,
                tcp_name=tcp_name,
                url_monitor=URL_MONITOR.format(base_url=base_url) if url_monitor else "",
                dns_port=self.dns_port,
                office_slug=f"{self.logical_id}-office",
            )
        )

    def run(self, *args: str) -> CliResult:
        return self.cli.run(*args)

    def checks_listed(self) -> list[dict[str, Any]]:
        response = self.api.get("/v1/checks", params={"limit": 100})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def checks(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.checks_listed()}

    def checks_by_id(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.checks_listed()}

    def listed(self, path: str) -> list[dict[str, Any]]:
        response = self.api.get(path)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def others(self) -> dict[str, list[tuple[Any, str]]]:
        """The project's objects besides checks and groups: (id, what names it) per route."""
        return {
            "alert channels": [
                (c["id"], c["config"]["address"]) for c in self.listed("/v1/alert-channels")
            ],
            "private locations": [
                (p["id"], p["slugName"]) for p in self.listed("/v1/private-locations")
            ],
            "maintenance windows": [
                (w["id"], w["name"]) for w in self.listed("/v1/maintenance-windows")
            ],
        }


def _new_account(server: VantageServer) -> Account:
    name = f"CLI deploy {uuid.uuid4().hex[:6]}"
    proc = subprocess.run(
        [server.vantage_bin, "accounts", "create", name, "--json"]
        + ["--database-url", server.database_url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    data = json.loads(proc.stdout)
    return Account(name=name, account_id=str(data["accountId"]), api_key=str(data["apiKey"]))


@pytest.fixture
def project(
    checkly_cli_installed: str,
    vantage_server: VantageServer,
    target: Target,
    name_server: DnsTarget,
    tmp_path: Path,
) -> Iterator[Project]:
    account = _new_account(vantage_server)
    directory = tmp_path / "shop-monitoring"
    directory.mkdir()
    (directory / "package.json").write_text(
        json.dumps({"name": "shop-monitoring", "version": "1.0.0", "private": True})
    )
    # `import ... from 'checkly'` in the project resolves to the installed CLI's package.
    (directory / "node_modules").symlink_to(CLI_PREFIX / "node_modules")
    cli = ChecklyCli(
        api_url=vantage_server.base_url,
        account_id=account.account_id,
        api_key=account.api_key,
        home=directory,
        server_log=vantage_server.log_path,
    )
    headers = {
        "Authorization": f"Bearer {account.api_key}",
        "X-Checkly-Account": account.account_id,
        # The server drops idle keep-alive connections after 2 s, and a request sent just as it
        # does fails: between the CLI's runs and the polls below, each request has its own.
        "Connection": "close",
    }
    with httpx2.Client(
        base_url=vantage_server.base_url, headers=headers, timeout=30.0, trust_env=False
    ) as api:
        found = Project(
            directory, f"shop-{uuid.uuid4().hex[:8]}", target, name_server.port, cli, api
        )
        found.write()
        yield found


def section(result: CliResult, title: str) -> list[str]:
    """The indented lines under a heading of the deploy preview (`Create:`, `Delete:`, ...)."""
    lines = result.output.splitlines()
    assert title in lines, result.describe()
    found = []
    for line in lines[lines.index(title) + 1 :]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def test_deploy_preview_lists_every_construct_it_will_create(project: Project) -> None:
    result = project.run("deploy", "--preview")

    assert result.exit_code == 0, result.describe()
    created = section(result, "Create:")
    assert sorted(created) == sorted(f"{kind}: {lid}" for kind, lid in CONSTRUCTS.items())
    assert project.checks() == {}


# The first scheduled runs may take FIRST_RUNS_WITHIN, more than the default test timeout.
@pytest.mark.timeout(300)
def test_deploy_force_creates_the_checks_and_they_run_on_schedule(project: Project) -> None:
    result = project.run("deploy", "--force")

    assert result.exit_code == 0, result.describe()
    assert 'Successfully deployed project "Shop monitoring"' in result.output, result.describe()
    checks = project.checks()
    assert set(checks) == {*SCHEDULED, "Shop heartbeat"}
    assert checks["Shop heartbeat"]["heartbeat"]["pingUrl"] in result.output
    api_check = checks["Shop API"]
    assert api_check["tags"] == ["shop", "api"]
    group = project.api.get(f"/v1/check-groups/{api_check['groupId']}").json()
    assert group["name"] == "Shop group"
    assert group["environmentVariables"][0]["key"] == "GREETING"
    others = project.others()
    assert {what: [name for _, name in found] for what, found in others.items()} == {
        "alert channels": ["oncall@shop.test"],
        "private locations": [f"{project.logical_id}-office"],
        "maintenance windows": ["Shop release"],
    }
    [(channel_id, _)] = others["alert channels"]
    assert [s["alertChannelId"] for s in api_check["alertChannelSubscriptions"]] == [channel_id]
    # Each scheduled check runs by itself, with no trigger, and passes.
    ids = {checks[name]["id"]: name for name in SCHEDULED}
    statuses: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + FIRST_RUNS_WITHIN
    while set(statuses) != set(ids) and time.monotonic() < deadline:
        time.sleep(2)
        answer = project.api.get("/v1/check-statuses").json()
        statuses = {s["checkId"]: s for s in answer if s["checkId"] in ids}
    assert set(statuses) == set(ids), f"no run yet of {[ids[i] for i in set(ids) - set(statuses)]}"
    failing = [ids[i] for i, s in statuses.items() if s["hasFailures"] or s["hasErrors"]]
    assert failing == []


def test_a_second_deploy_after_editing_one_construct_changes_exactly_that_check(
    project: Project,
) -> None:
    first = project.run("deploy", "--force")
    assert first.exit_code == 0, first.describe()
    before = project.checks()
    others_before = project.others()
    project.write(tcp_name="Shop TCP (edited)")

    preview = project.run("deploy", "--preview")
    second = project.run("deploy", "--force")

    assert preview.exit_code == 0 and "Create:" not in preview.output, preview.describe()
    assert second.exit_code == 0, second.describe()
    after = project.checks()
    assert {c["id"] for c in after.values()} == {c["id"] for c in before.values()}
    changed = {name for name, check in after.items() if check != before.get(name)}
    assert changed == {"Shop TCP (edited)"}
    assert after["Shop TCP (edited)"]["id"] == before["Shop TCP"]["id"]
    assert after["Shop TCP (edited)"]["updated_at"] is not None
    # the alert channel, private location and maintenance window are the same objects
    assert project.others() == others_before


def made_through_the_api(project: Project, name: str) -> dict[str, Any]:
    made = project.api.post(
        "/v1/checks/api",
        json={
            "name": name,
            "activated": False,
            "locations": ["local"],
            "request": {"method": "GET", "url": project.target.url("/ok")},
        },
    )
    assert made.status_code == 201, made.text
    check: dict[str, Any] = made.json()
    return check


@pytest.mark.timeout(300)
def test_a_construct_removed_from_the_code_is_deleted_and_nothing_else_is(
    project: Project,
) -> None:
    """The URL monitor goes from the code; a check made through the API with its name stays."""
    namesake = made_through_the_api(project, "Shop URL")
    first = project.run("deploy", "--force")
    assert first.exit_code == 0, first.describe()
    before = project.checks_by_id()
    [deployed] = [i for i, c in before.items() if c["name"] == "Shop URL" and i != namesake["id"]]
    project.write(url_monitor=False)

    preview = project.run("deploy", "--preview")
    second = project.run("deploy", "--force")

    assert preview.exit_code == 0, preview.describe()
    assert section(preview, "Delete:") == ["Check: shop-url"], preview.describe()
    assert second.exit_code == 0, second.describe()
    after = project.checks_by_id()
    assert set(after) == set(before) - {deployed}
    # the others, the API's "Shop URL" among them, are the same checks, not written again
    assert after == {i: c for i, c in before.items() if i != deployed}


def test_destroy_force_deletes_everything_the_project_deployed(project: Project) -> None:
    made_by_api = project.api.post(
        "/v1/checks/api",
        json={
            "name": "Made through the API",
            "activated": False,
            "locations": ["local"],
            "request": {"method": "GET", "url": project.target.url("/ok")},
        },
    )
    assert made_by_api.status_code == 201, made_by_api.text
    deployed = project.run("deploy", "--force")
    assert deployed.exit_code == 0, deployed.describe()

    result = project.run("destroy", "--force")

    assert result.exit_code == 0, result.describe()
    assert (
        'All resources associated with project "Shop monitoring" have been successfully deleted.'
        in result.output
    ), result.describe()
    assert list(project.checks()) == ["Made through the API"]
    assert project.api.get("/v1/check-groups").json() == []
    assert project.others() == {
        "alert channels": [],
        "private locations": [],
        "maintenance windows": [],
    }


STATUS = """\
import {{ Dashboard, StatusPage, StatusPageService }} from 'checkly/constructs'

const web = new StatusPageService('shop-web-service', {{ name: 'Web shop' }})

new StatusPage('shop-status', {{
  name: 'Shop status',
  url: '{slug}-status',
  cards: [{{ name: 'Shop', services: [web] }}],
}})

new Dashboard('shop-board', {{
  customUrl: '{slug}-board',
  header: '{header}',
  tags: ['shop'],
}})
"""


# Four CLI runs of a dozen seconds each on a loaded machine.
@pytest.mark.timeout(300)
def test_status_pages_their_services_and_dashboards_deploy_and_destroy(project: Project) -> None:
    status = project.directory / "__checks__" / "status.check.ts"
    status.write_text(STATUS.format(slug=project.logical_id, header="Shop"))

    preview = project.run("deploy", "--preview")
    first = project.run("deploy", "--force")
    status.write_text(STATUS.format(slug=project.logical_id, header="Shop (edited)"))
    second = project.run("deploy", "--force")

    assert preview.exit_code == 0, preview.describe()
    created = section(preview, "Create:")
    for construct in (
        "Dashboard: shop-board",
        "StatusPage: shop-status",
        "StatusPageService: shop-web-service",
    ):
        assert construct in created, preview.describe()
    assert first.exit_code == 0, first.describe()
    assert second.exit_code == 0, second.describe()
    pages = project.api.get("/v1/status-pages").json()["entries"]
    assert [(p["name"], p["url"]) for p in pages] == [
        ("Shop status", f"{project.logical_id}-status")
    ]
    assert [s["name"] for s in pages[0]["cards"][0]["services"]] == ["Web shop"]
    boards = project.api.get("/v1/dashboards").json()
    assert [(b["customUrl"], b["header"]) for b in boards] == [
        (f"{project.logical_id}-board", "Shop (edited)")
    ]

    destroyed = project.run("destroy", "--force")

    assert destroyed.exit_code == 0, destroyed.describe()
    assert project.api.get("/v1/status-pages").json()["entries"] == []
    assert project.api.get("/v1/status-pages/services").json()["entries"] == []
    assert project.api.get("/v1/dashboards").json() == []


STATUS_V3 = """\
import {{ StatusPageV3, StatusPageV3Component }} from 'checkly/constructs'

const page = new StatusPageV3('shop-status-v3', {{ name: 'Shop status', url: '{slug}-v3' }})

new StatusPageV3Component('shop-web-component', {{
  statusPage: page,
  name: 'Web shop',
  displayOrder: 1,
}})
"""


@pytest.mark.timeout(300)
def test_a_status_page_v3_is_refused_in_one_line_and_nothing_is_deployed(
    project: Project,
) -> None:
    status = project.directory / "__checks__" / "status.check.ts"
    status.write_text(STATUS_V3.format(slug=project.logical_id))

    refused = project.run("deploy", "--force")

    assert refused.exit_code == 1, refused.describe()
    assert (
        "StatusPageV3 pages, their components and automation rules are not deployed by Vantage"
        in (refused.flat_output)
    ), refused.describe()
    assert project.checks() == {}
    assert project.api.get("/v1/status-pages").json()["entries"] == []
