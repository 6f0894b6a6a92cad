"""Schemathesis hooks for tests/test_api_contract.py, loaded by the `schemathesis` process
(`SCHEMATHESIS_HOOKS`), which reads the loopback targets from `CONTRACT_*` variables.

- Every check target a generated request would create is pinned to the loopback targets before
  the request is sent, so the embedded agent never probes a random host. Only values the schema
  accepts are replaced, by values it accepts too, so a negative case stays negative.
- An agent's long-poll waits at most a moment, so the run stays short.
- A 400 for valid-looking data is dropped from the failures only when it names a rule JSON Schema
  cannot state: one field compared with another, a reference to something that must exist, a
  PUT merged with what is stored (its values, or the type of the check it updates), text and
  numbers that cannot be stored (NUL, lone surrogates, unsafe integers, deep nesting), or a regex
  RE2 cannot run.
- A check, group, trigger or agent body accepted with a value of another type is dropped only when
  the value converts without loss (see CONVERTING).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis import Case, HookContext, Response


@dataclass(frozen=True)
class Targets:
    http_url: str
    tcp_port: int
    dns_port: int

    @classmethod
    def from_environ(cls) -> Targets:
        return cls(
            http_url=os.environ["CONTRACT_HTTP_URL"],
            tcp_port=int(os.environ["CONTRACT_TCP_PORT"]),
            dns_port=int(os.environ["CONTRACT_DNS_PORT"]),
        )


LOOPBACK = "127.0.0.1"
# The longest an agent's lease call may wait here, in seconds.
SHORT_WAIT = 0.05

# Messages of the rules the schema cannot state (see the module docstring).
SEMANTIC_RULES = re.compile(
    "|".join(
        [
            r'"degradedResponseTime" must be less than or equal to maxResponseTime',
            r'"frequencyOffset" must be',
            r"no run location .* exists",
            r"must name a check group of this account",
            r"must name a check of this account",
            r"must name an alert channel of this account",
            r"either checkId or groupId",
            r'"from" must be before "to"',
            r"must not be before startsAt",
            r"is required with repeatInterval",
            # A date-time whose offset takes it past the year 9999 (or before 1) in UTC.
            r"must be a moment between the years 1 and 9999 in UTC",
            # The zones the server's tz database knows.
            r"must be an IANA time zone",
            # How many subscriptions a check or group already has.
            r"more than \d+ alert channels",
            r'"checkType" cannot be changed',
            r'"slugName" cannot be changed',
            r'"key" cannot be changed',
            # Heartbeat periods in their units (30 s to 365 days), and PEM material.
            r'"heartbeat\.period" (must be at least|period and grace)',
            r'"heartbeat\.pingToken" is taken',
            r'"(cert|ca|key|passphrase)" (must be|does not|is not the)',
            r'"to" must be at most 6 hours after "from"',
            # A cursor is an opaque token the server issued.
            r'"nextId" is not a valid cursor',
            # Status pages: the services a card or an incident names, the cursor of a list, and
            # a dashboard's CSS (a subset of CSS, not a JSON Schema pattern).
            r"names no service of this account",
            r'"nextId" names no entry',
            r'"customCSS" ',
            # What can be stored and echoed on both databases (vantage.storable): JSON Schema has
            # no "no NUL" or "safe integer" for every string and number of a body.
            r"must not contain a NUL character",
            r"must be valid Unicode text",
            r"must be a safe number",
            r"is nested more than \d+ levels deep",
            # A regex must be one RE2 can run (vantage.probes.regex); the schema's strings cannot
            # say which syntax.
            r"RE2",
            r"Unicode classes",
            # A deploy's construct payload is validated as the object it becomes, whose own body
            # schema documents it; the deploy body can only say "an object" (vantage.projects).
            r"^(check|check-group|alert-channel|private-location|maintenance-window) '.*': ",
            # A `{"ref": logicalId}` must name a construct of the same deploy.
            r"which is not part of this project",
        ]
    )
)


# `PUT /v1/checks/{check_id}` takes the fields of any check type (the document cannot know which
# check an id names); the stored check's type decides these.
TYPE_SPECIFIC = (
    "request",
    "degradedResponseTime",
    "maxResponseTime",
    "frequency",
    # ICMP monitors only.
    "degradedPacketLossThreshold",
    "maxPacketLossThreshold",
)


def _names_only_type_specific_fields(case: Case[Any], body: dict[str, Any]) -> bool:
    if (case.method.upper(), case.operation.path) != ("PUT", "/v1/checks/{check_id}"):
        return False
    keys = body.get("validation", {}).get("keys") or []
    return bool(keys) and all(str(key).startswith(TYPE_SPECIFIC) for key in keys)


def _is_text(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= max_length


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def pin_targets(body: Any, targets: Targets, path: str) -> None:
    """Point a check or group body (of the operation at `path`) at the loopback targets, in
    place."""
    if not isinstance(body, dict):
        return
    defaults = body.get("apiCheckDefaults")
    if isinstance(defaults, dict) and _is_text(defaults.get("url"), 2048):
        defaults["url"] = targets.http_url
    if path.startswith("/v1/checks") and "script" in body and "request" not in body:
        # A browser or multi-step check: the contract server has no browser runtime, so every
        # run errors, and retries would keep its sessions open past the one-second waits.
        body["retryStrategy"] = None
    request = body.get("request")
    if not isinstance(request, dict):
        return
    if _is_text(request.get("url"), 2048):
        request["url"] = targets.http_url
    is_dns = "query" in request or "recordType" in request or "nameServer" in request
    if _is_text(request.get("hostname"), 2048):
        request["hostname"] = LOOPBACK
    if is_dns and (request.get("nameServer") is None or _is_text(request.get("nameServer"), 100)):
        # Without a name server the system's would be asked.
        request["nameServer"] = LOOPBACK
    if _is_port(request.get("port")):
        request["port"] = targets.dns_port if is_dns else targets.tcp_port
    if "hostname" in request and "port" not in request:
        # An ICMP monitor: where the kernel refuses ICMP sockets every run errors, and retries
        # would keep its sessions open past the run's one-second completion waits.
        body["retryStrategy"] = None


def shorten_waits(body: Any) -> None:
    wait = body.get("waitSeconds") if isinstance(body, dict) else None
    if isinstance(wait, int | float) and not isinstance(wait, bool) and 0 <= wait <= 20:
        body["waitSeconds"] = min(wait, SHORT_WAIT)


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    pin_targets(case.body, Targets.from_environ(), case.operation.path)
    shorten_waits(case.body)


# Bodies take what converts without loss (`"5"` or `5.0` for 5, `1` for true), as Checkly's (Joi)
# validation does; the value is stored and echoed converted. JSON Schema cannot say so: its
# `integer` already admits `5.0`.
CONVERTING = re.compile(
    r"^/(v1/checks|v[12]/check-groups|v1/variables|v1/alert-channels|v1/maintenance-windows"
    r"|v[12]/check-sessions/trigger|agent/v1/)"
)


@schemathesis.hook
def filter_failure(context: HookContext, failure: Any, case: Case[Any], response: Response) -> bool:
    """Keep every failure but a 400 for valid-looking data that names a semantic rule, and a
    check or group body accepted with a value of another type that converted."""
    code = getattr(failure, "code", None)
    if code == "ST201" and response.status_code == 413:
        # Refused for its size before it was read: a rejection, whatever else is wrong with it.
        return False
    if code == "ST201" and response.status_code in (200, 201):
        message = str(getattr(failure, "message", ""))
        converted = "Incorrect type" in message or "violates `type`" in message
        return not (converted and CONVERTING.match(case.operation.path))
    if code != "ST202" or response.status_code != 400:
        return True
    try:
        body = response.json()
    except ValueError:
        return True
    if not isinstance(body, dict):
        return True
    semantic = SEMANTIC_RULES.search(str(body.get("message", ""))) is not None
    return not (semantic or _names_only_type_specific_fields(case, body))
