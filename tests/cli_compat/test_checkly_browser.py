"""BrowserCheck and MultiStepCheck constructs through the real CLI 9.x: `checkly test` runs them on
Debian's Chromium (`make browser`) and prints the failing step; `checkly deploy` makes them checks.

The project's checks point at `code.entrypoint` files that import a local module, so the CLI sends
the scripts inline and the module as a shared file (`sharedFiles`, named by index).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest

from .conftest import CLI_PREFIX, ChecklyCli, CliResult, VantageServer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("describe_server")]

# A browser run is several seconds of CPU; on a loaded machine the whole `checkly test` needs more
# than the CLI tests' default.
BROWSER_CLI_TIMEOUT = 300.0

PAGE = b"""<!doctype html><html><head><title>Shop</title></head><body>
<h1>Shop</h1><button id="buy" onclick="document.querySelector('#done').hidden=false">Buy</button>
<p id="done" hidden>Thanks</p></body></html>"""

CONFIG = """\
import {{ defineConfig }} from 'checkly'

export default defineConfig({{
  projectName: 'Shop journeys',
  logicalId: '{logical_id}',
  checks: {{
    checkMatch: '**/__checks__/**/*.check.ts',
    locations: ['local'],
    frequency: 10,
    runtimeId: '2025.04',
  }},
}})
"""

CHECKS = """\
import * as path from 'path'
import { BrowserCheck, MultiStepCheck } from 'checkly/constructs'

new BrowserCheck('shop-buys', {
  name: 'Shop buys',
  tags: ['buys'],
  code: { entrypoint: path.join(__dirname, 'buy.spec.ts') },
})

new BrowserCheck('shop-refunds', {
  name: 'Shop refunds',
  tags: ['refunds'],
  code: { entrypoint: path.join(__dirname, 'refund.spec.ts') },
})

new MultiStepCheck('shop-page-api', {
  name: 'Shop page API',
  tags: ['api'],
  code: { entrypoint: path.join(__dirname, 'page.spec.ts') },
})
"""

SHOP_MODULE = "export const SHOP = '{base_url}'\n"

BUY = """\
import { test, expect } from '@playwright/test'
import { SHOP } from './shop'

test('buy a thing', async ({ page }) => {
  await test.step('open the shop', async () => {
    await page.goto(SHOP)
    await expect(page).toHaveTitle('Shop')
  })
  await test.step('buy', async () => {
    await page.click('#buy')
    await expect(page.locator('#done')).toBeVisible()
  })
})
"""

REFUND = """\
import { test, expect } from '@playwright/test'
import { SHOP } from './shop'

test('refund a thing', async ({ page }) => {
  await test.step('open the shop', async () => {
    await page.goto(SHOP)
  })
  await test.step('ask for a refund', async () => {
    await expect(page.locator('#refund')).toBeVisible({ timeout: 1000 })
  })
})
"""

MULTI_STEP = """\
import { test, expect } from '@playwright/test'
import { SHOP } from './shop'

test('the shop page answers', async ({ request }) => {
  await test.step('get the page', async () => {
    const response = await request.get(SHOP)
    expect(response.status()).toBe(200)
  })
})
"""


class _Shop(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def cli(checkly_cli_installed: str, vantage_server: VantageServer, tmp_path: Path) -> ChecklyCli:
    """The CLI in an account of its own, so the checks a deploy makes are the only ones listed."""
    name = f"CLI browser {uuid.uuid4().hex[:6]}"
    proc = subprocess.run(
        [vantage_server.vantage_bin, "accounts", "create", name, "--json"]
        + ["--database-url", vantage_server.database_url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    data = json.loads(proc.stdout)
    return ChecklyCli(
        api_url=vantage_server.base_url,
        account_id=str(data["accountId"]),
        api_key=str(data["apiKey"]),
        home=tmp_path,
        server_log=vantage_server.log_path,
    )


@pytest.fixture
def project(tmp_path: Path, shop: str) -> Path:
    directory = tmp_path / "shop-journeys"
    checks = directory / "__checks__"
    checks.mkdir(parents=True)
    (directory / "package.json").write_text(json.dumps({"name": "shop", "private": True}))
    # `import ... from 'checkly'` in the project resolves to the installed CLI's package.
    (directory / "node_modules").symlink_to(CLI_PREFIX / "node_modules")
    logical_id = f"shop-journeys-{uuid.uuid4().hex[:8]}"
    (directory / "checkly.config.ts").write_text(CONFIG.format(logical_id=logical_id))
    (checks / "shop.check.ts").write_text(CHECKS)
    (checks / "shop.ts").write_text(SHOP_MODULE.format(base_url=shop))
    (checks / "buy.spec.ts").write_text(BUY)
    (checks / "refund.spec.ts").write_text(REFUND)
    (checks / "page.spec.ts").write_text(MULTI_STEP)
    return directory


def run_test(cli: ChecklyCli, project: Path, *args: str) -> CliResult:
    mqtt = cli.api_url.replace("http://", "ws://", 1) + "/mqtt"
    return cli.run("test", *args, cwd=project, timeout=BROWSER_CLI_TIMEOUT, CHECKLY_MQTT_URL=mqtt)


def api_client(cli: ChecklyCli) -> httpx2.Client:
    headers = {
        "Authorization": f"Bearer {cli.api_key}",
        "X-Checkly-Account": cli.account_id,
        "Connection": "close",
    }
    return httpx2.Client(base_url=cli.api_url, headers=headers, timeout=30.0, trust_env=False)


def test_checkly_test_runs_a_passing_browser_check_that_imports_a_local_module(
    cli: ChecklyCli, project: Path
) -> None:
    result = run_test(cli, project, "--tags", "buys")

    assert result.exit_code == 0, result.describe()
    assert re.search(r"✔ Shop buys \(\d+m?s\)", result.output), result.describe()
    assert "1 passed, 1 total" in result.output, result.describe()


def test_checkly_test_of_a_failing_browser_check_shows_the_failing_step(
    cli: ChecklyCli, project: Path
) -> None:
    result = run_test(cli, project, "--tags", "refunds")

    assert result.exit_code == 1, result.describe()
    assert re.search(r"✖ Shop refunds \(\d+m?s\)", result.output), result.describe()
    assert "Failing step: refund a thing › ask for a refund" in result.output, result.describe()
    assert "toBeVisible" in result.output, result.describe()
    assert "1 failed, 1 total" in result.output, result.describe()


def test_checkly_test_runs_a_multi_step_check(cli: ChecklyCli, project: Path) -> None:
    result = run_test(cli, project, "--tags", "api")

    assert result.exit_code == 0, result.describe()
    assert re.search(r"✔ Shop page API \(\d+m?s\)", result.output), result.describe()


def test_checkly_deploy_makes_browser_and_multi_step_checks_with_their_imported_module(
    cli: ChecklyCli, project: Path, shop: str
) -> None:
    result = cli.run("deploy", "--force", cwd=project, timeout=BROWSER_CLI_TIMEOUT)

    assert result.exit_code == 0, result.describe()
    with api_client(cli) as api:
        listed = api.get("/v1/checks", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    checks = {c["name"]: c for c in listed.json()}
    assert {n: c["checkType"] for n, c in checks.items()} == {
        "Shop buys": "BROWSER",
        "Shop refunds": "BROWSER",
        "Shop page API": "MULTI_STEP",
    }
    buys = checks["Shop buys"]
    assert buys["script"] == BUY
    assert buys["scriptPath"] == "__checks__/buy.spec.ts"
    assert buys["dependencies"] == [
        {"path": "__checks__/shop.ts", "content": SHOP_MODULE.format(base_url=shop)}
    ]


def test_a_redeploy_after_editing_only_the_imported_module_updates_the_checks_that_import_it(
    cli: ChecklyCli, project: Path
) -> None:
    first = cli.run("deploy", "--force", cwd=project, timeout=BROWSER_CLI_TIMEOUT)
    assert first.exit_code == 0, first.describe()
    moved = "export const SHOP = 'http://127.0.0.1:9/'\n"
    (project / "__checks__" / "shop.ts").write_text(moved)

    preview = cli.run("deploy", "--preview", cwd=project, timeout=BROWSER_CLI_TIMEOUT)
    second = cli.run("deploy", "--force", cwd=project, timeout=BROWSER_CLI_TIMEOUT)

    assert preview.exit_code == 0, preview.describe()
    assert "BrowserCheck: shop-buys" in preview.output, preview.describe()
    assert second.exit_code == 0, second.describe()
    with api_client(cli) as api:
        checks = {c["name"]: c for c in api.get("/v1/checks", params={"limit": 100}).json()}
    assert len(checks) == 3
    assert checks["Shop buys"]["dependencies"] == [{"path": "__checks__/shop.ts", "content": moved}]
