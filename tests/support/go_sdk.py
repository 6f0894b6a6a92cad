"""The JSON bodies Checkly's Go SDK (the library under its Terraform provider) sends, built field by
field from its struct tags the way Go's `encoding/json` writes them: a zero `time.Time` and every
nested struct are always present (even with `omitempty`), a nil slice is `null`, and the payload
wrappers add `checkType`, `doubleCheck` and a `groupId` that is `null` when unset.

`minimal` bodies are what a Terraform block with only the required arguments produces (the
provider fills its schema defaults); `full` ones set every argument the resource has.
"""

from __future__ import annotations

from typing import Any

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def assertion(source: str, comparison: str, target: str, prop: str = "") -> dict[str, Any]:
    # The Go SDK's Assertion carries the editor state of Checkly's web UI.
    return {
        "edit": False,
        "order": 0,
        "arrayIndex": 0,
        "arraySelector": 0,
        "source": source,
        "property": prop,
        "comparison": comparison,
        "target": target,
    }


def alert_settings(full: bool = False) -> dict[str, Any]:
    if not full:
        return {
            "escalationType": "RUN_BASED",
            "runBasedEscalation": {"failedRunThreshold": 1},
            "timeBasedEscalation": {"minutesFailingThreshold": 5},
            "reminders": {"interval": 5},
            "parallelRunFailureThreshold": {"percentage": 10},
            "sslCertificates": {"alertThreshold": 3},
        }
    return {
        "escalationType": "TIME_BASED",
        "runBasedEscalation": {"failedRunThreshold": 2},
        "timeBasedEscalation": {"minutesFailingThreshold": 10},
        "reminders": {"amount": 2, "interval": 10},
        "parallelRunFailureThreshold": {"enabled": True, "percentage": 50},
        "sslCertificates": {"enabled": True, "alertThreshold": 14},
    }


def _check_common(name: str, locations: list[str], full: bool) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Watches the API" if full else None,
        "frequency": 5 if full else 10,
        **({"frequencyOffset": 7} if full else {}),
        "activated": True,
        "muted": full,
        "shouldFail": False,
        "runParallel": full,
        "locations": locations,
        **({"tags": ["prod", "api"]} if full else {}),
        "alertSettings": alert_settings(full),
        "useGlobalAlertSettings": not full,
        "privateLocations": [],
        "runtimeId": None,
        "retryStrategy": (
            {
                "type": "LINEAR",
                "baseBackoffSeconds": 30,
                "maxRetries": 2,
                "maxDurationSeconds": 600,
                "sameRegion": True,
            }
            if full
            else None
        ),
        "triggerIncident": None,
    }


def api_check(url: str, *, full: bool = False, group_id: int | None = None) -> dict[str, Any]:
    """`checkly_check` of type API through `CreateCheck` (`checkPayload`)."""
    request: dict[str, Any] = {
        "method": "POST" if full else "GET",
        "url": url,
        "followRedirects": True,
        "skipSSL": False,
        "body": '{"probe": true}' if full else "",
        **({"bodyType": "JSON"} if full else {}),
        "headers": [{"key": "X-Probe", "value": "1", "locked": False}] if full else None,
        "queryParameters": [{"key": "q", "value": "v", "locked": True}] if full else None,
        "assertions": (
            [
                assertion("STATUS_CODE", "EQUALS", "200"),
                assertion("JSON_BODY", "HAS_KEY", "ok", "$.status"),
            ]
            if full
            else None
        ),
        **({"basicAuth": {"username": "user", "password": "pass"}} if full else {}),
        "ipFamily": "IPv4",
    }
    return {
        "id": "",
        "checkType": "API",
        **_check_common("TF API check", ["us-east-1", "eu-central-1"], full),
        "degradedResponseTime": 15000,
        "maxResponseTime": 30000,
        **(
            {"script": "", "localSetupScript": "setup()", "localTearDownScript": "done()"}
            if full
            else {}
        ),
        "environmentVariables": (
            [{"key": "TOKEN", "value": "abc", "locked": True, "secret": False}] if full else None
        ),
        "sslCheckDomain": "",
        "request": request,
        "heartbeat": {"period": 0, "periodUnit": "", "grace": 0, "graceUnit": "", "pingToken": ""},
        "groupId": group_id,
        **({"groupOrder": 1} if group_id is not None else {}),
        "createdAt": GO_ZERO_TIME,
        "updatedAt": GO_ZERO_TIME,
        "sslCheck": False,
        "doubleCheck": False,
    }


def tcp_monitor(host: str, port: int, *, full: bool = False) -> dict[str, Any]:
    """`checkly_tcp_monitor` through `CreateTCPMonitor` (`tcpMonitorPayload`)."""
    request: dict[str, Any] = {"hostname": host, "port": port}
    if full:
        request["data"] = "PING\n"
        request["assertions"] = [assertion("RESPONSE_TIME", "LESS_THAN", "500")]
        request["ipFamily"] = "IPv4"
    body = {
        **_check_common("TF TCP monitor", ["us-east-1"], full),
        "request": request,
        "created_at": GO_ZERO_TIME,
        "updated_at": GO_ZERO_TIME,
        "checkType": "TCP",
        "doubleCheck": False,
        "groupId": None,
    }
    if full:
        body["degradedResponseTime"] = 4000
        body["maxResponseTime"] = 5000
    return body


def url_monitor(url: str, *, full: bool = False) -> dict[str, Any]:
    """`checkly_url_monitor` through `CreateURLMonitor`: its `urlMonitorPayload` shadows the URL
    request with a full API `Request`, so `body`, `headers` and `queryParameters` are sent."""
    return {
        **_check_common("TF URL monitor", ["us-east-1"], full),
        "request": {
            "method": "GET",
            "url": url,
            "followRedirects": True,
            "skipSSL": full,
            "body": "",
            "headers": None,
            "queryParameters": None,
            "assertions": [assertion("STATUS_CODE", "EQUALS", "200")] if full else None,
            **({"ipFamily": "IPv4"} if full else {}),
        },
        "created_at": GO_ZERO_TIME,
        "updated_at": GO_ZERO_TIME,
        "checkType": "URL",
        "doubleCheck": False,
        "groupId": None,
    }


def dns_monitor(query: str, *, full: bool = False) -> dict[str, Any]:
    """`checkly_dns_monitor` through `CreateDNSMonitor` (`dnsMonitorPayload` drops id and times)."""
    request: dict[str, Any] = {
        "recordType": "A",
        "query": query,
        "assertions": [assertion("RESPONSE_CODE", "EQUALS", "NOERROR")] if full else None,
    }
    if full:
        request.update({"nameServer": "1.1.1.1", "port": 53, "protocol": "TCP"})
    body = _check_common("TF DNS monitor", ["us-east-1"], full)
    body.pop("privateLocations")
    return {
        **body,
        "request": request,
        "checkType": "DNS",
        "doubleCheck": False,
        "shouldFail": False,
        "groupId": None,
    }


def icmp_monitor(host: str, *, full: bool = False) -> dict[str, Any]:
    """`checkly_icmp_monitor` through `CreateICMPMonitor` (`icmpMonitorPayload`)."""
    request: dict[str, Any] = {
        "hostname": host,
        "assertions": [assertion("LATENCY", "LESS_THAN", "500", "avg")] if full else None,
    }
    if full:
        request.update({"ipFamily": "IPv4", "pingCount": 5})
    body = _check_common("TF ICMP monitor", ["us-east-1"], full)
    body.pop("privateLocations")
    if full:
        body.update({"degradedPacketLossThreshold": 10, "maxPacketLossThreshold": 30})
    return {
        **body,
        "request": request,
        "checkType": "ICMP",
        "doubleCheck": False,
        "shouldFail": False,
        "groupId": None,
    }


def group(*, full: bool = False) -> dict[str, Any]:
    """`checkly_check_group` through `CreateGroup` (`groupPayload`)."""
    return {
        "name": "TF group",
        "activated": True,
        "muted": False,
        "runParallel": full,
        "tags": ["prod"] if full else None,
        "locations": ["us-east-1"],
        "concurrency": 3,
        "apiCheckDefaults": {
            "url": "https://api.example.test" if full else "",
            **(
                {
                    "headers": [{"key": "X-Team", "value": "ops", "locked": False}],
                    "queryParameters": [{"key": "v", "value": "2", "locked": False}],
                    "assertions": [assertion("STATUS_CODE", "EQUALS", "200")],
                }
                if full
                else {}
            ),
            "basicAuth": {"username": "user" if full else "", "password": "pass" if full else ""},
        },
        "environmentVariables": (
            [{"key": "REGION", "value": "eu", "locked": False, "secret": False}] if full else None
        ),
        "useGlobalAlertSettings": not full,
        "alertSettings": alert_settings(full),
        **({"localSetupScript": "setup()", "localTearDownScript": "done()"} if full else {}),
        "createdAt": GO_ZERO_TIME,
        "updatedAt": GO_ZERO_TIME,
        "runtimeId": None,
        "privateLocations": [],
        "retryStrategy": (
            {
                "type": "FIXED",
                "baseBackoffSeconds": 60,
                "maxRetries": 1,
                "maxDurationSeconds": 600,
                "sameRegion": True,
            }
            if full
            else "FALLBACK"
        ),
        "doubleCheck": False,
    }


def private_location(slug: str) -> dict[str, Any]:
    """`checkly_private_location` through `CreatePrivateLocation` (the whole struct)."""
    return {
        "id": "",
        "name": f"Office {slug}",
        "slugName": slug,
        "icon": "location",
        "created_at": "",
        "updated_at": "",
    }


def heartbeat_monitor(*, period: int = 1, unit: str = "minutes") -> dict[str, Any]:
    """`checkly_heartbeat_monitor` through `CreateHeartbeatMonitor` (the whole struct)."""
    return {
        "id": "",
        "name": "TF heartbeat",
        "description": None,
        "activated": True,
        "muted": False,
        "alertSettings": alert_settings(),
        "useGlobalAlertSettings": True,
        "heartbeat": {
            "period": period,
            "periodUnit": unit,
            "grace": 30,
            "graceUnit": "seconds",
            "pingToken": "",
        },
        "triggerIncident": None,
        "createdAt": GO_ZERO_TIME,
        "updatedAt": GO_ZERO_TIME,
    }
