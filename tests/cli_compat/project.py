"""A Checkly project on disk, as a user keeps it in Git, for `checkly test` and `trigger`.

`checkly.config.ts`, one file of constructs (API, URL, TCP and DNS monitors, a heartbeat, a
group with an environment variable, tags); the CLI resolves `checkly` from the project's
`node_modules`, here a link to the CLI the tests installed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import CLI_PREFIX


def write_project(root: Path, *, http: str, tcp_port: int, dns_port: int, failing: bool) -> Path:
    """The project in `root`; `failing`: the API check asserts a status it will not get."""
    checks = root / "__checks__"
    checks.mkdir(parents=True, exist_ok=True)
    link = root / "node_modules"
    if not link.exists():
        link.symlink_to(CLI_PREFIX / "node_modules", target_is_directory=True)
    (root / "package.json").write_text(json.dumps({"name": "vantage-e2e", "private": True}))
    (root / "checkly.config.ts").write_text(
        """import { defineConfig } from 'checkly'
export default defineConfig({
  projectName: 'Vantage e2e',
  logicalId: 'vantage-e2e',
  checks: {
    frequency: 10,
    locations: ['eu-central-1'],
    runtimeId: '2025.04',
    checkMatch: '**/__checks__/**/*.check.ts',
    tags: ['e2e'],
  },
})
"""
    )
    expected = 418 if failing else 200
    (checks / "all.check.ts").write_text(
        f"""import {{
  ApiCheck, AssertionBuilder, CheckGroupV2, DnsMonitor, DnsAssertionBuilder,
  HeartbeatMonitor, TcpMonitor, UrlAssertionBuilder, UrlMonitor,
}} from 'checkly/constructs'

const group = new CheckGroupV2('e2e-group', {{
  name: 'E2E group',
  tags: ['grouped'],
  environmentVariables: [{{ key: 'TARGET_PATH', value: 'ok' }}],
}})

new ApiCheck('api-check', {{
  name: 'API check',
  group,
  tags: ['api'],
  request: {{
    method: 'GET',
    url: '{http}/{{{{TARGET_PATH}}}}',
    assertions: [AssertionBuilder.statusCode().equals({expected})],
  }},
}})

new UrlMonitor('url-monitor', {{
  name: 'URL monitor',
  tags: ['web'],
  request: {{ url: '{http}/ok', assertions: [UrlAssertionBuilder.statusCode().equals(200)] }},
}})

new TcpMonitor('tcp-monitor', {{
  name: 'TCP monitor',
  tags: ['net'],
  request: {{ hostname: '127.0.0.1', port: {tcp_port} }},
}})

new DnsMonitor('dns-monitor', {{
  name: 'DNS monitor',
  tags: ['net'],
  request: {{
    recordType: 'A',
    query: 'www.vantage.test',
    nameServer: '127.0.0.1',
    port: {dns_port},
    assertions: [DnsAssertionBuilder.responseCode().equals('NOERROR')],
  }},
}})

new HeartbeatMonitor('heartbeat', {{
  name: 'Heartbeat',
  period: 1,
  periodUnit: 'hours',
  grace: 10,
  graceUnit: 'minutes',
}})
"""
    )
    return root
