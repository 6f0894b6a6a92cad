"""A job's secrets at rest: client-certificate keys and passphrases, its location's proxy URL
(which may carry a user and password), and whatever secret environment variables were rendered
into, stay sealed (vantage.sealing) in the config stored in the jobs table, as they are in their
own tables; they are opened only in the lease answer that hands the job to the agent that runs it
(pure).

A secret variable is substituted into the URL, headers, body or basic auth (or a script's
environment) when the run starts, so once rendered those parts are secrets too: they are sealed
together as one value (`sealedRun`), and the stored config keeps the request as written, `{{VAR}}`
and all, which is what anyone reading the jobs table may see.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import structlog

from vantage.probes.http.client_certs import JOB_KEY
from vantage.probes.http.probe import PROXY_KEY
from vantage.sealing import Open, Seal, SealError
from vantage.variables.substitution import MASKED_VALUES, SCRIPT_TYPES, SCRIPT_VARIABLES

log = structlog.get_logger(__name__)

# What a proxy URL that cannot be opened becomes: the probe refuses it as an invalid proxy URL,
# so the run fails instead of going to its target without the proxy.
UNOPENED_PROXY = "unopened:"
# The rendered parts of a run that used secret variables, sealed as one JSON value.
RUN_KEY = "sealedRun"
_RUN_PARTS = ("request", MASKED_VALUES, SCRIPT_VARIABLES)
# What a request's URL becomes when its sealed run cannot be opened: the probe refuses it, so the
# run fails instead of sending the request with its placeholders unfilled.
UNOPENED_URL = "unopened:"
_MARKERS = (f'"{JOB_KEY}"', f'"{PROXY_KEY}"', f'"{RUN_KEY}"')


def sealed_run(
    written: Mapping[str, Any], rendered: Mapping[str, Any], seal: Seal
) -> dict[str, Any]:
    """`rendered` (a config as one run sends it) as the jobs table stores it. When secret
    variables went into it (it lists `maskedValues`), its request, script environment and masked
    values are sealed together, and the request as `written` (placeholders unfilled) stands in."""
    if not rendered.get(MASKED_VALUES):
        return dict(rendered)
    out = {key: value for key, value in rendered.items() if key not in _RUN_PARTS}
    out.update({key: written[key] for key in _RUN_PARTS if key in written})
    run = {key: rendered[key] for key in _RUN_PARTS if key in rendered}
    out[RUN_KEY] = seal(json.dumps(run, ensure_ascii=False, separators=(",", ":")))
    return out


def has_secrets(config_json: str) -> bool:
    """Whether the stored config may carry sealed values (a substring test: most jobs carry
    none, and their config is handed over as the text it is stored as)."""
    return any(marker in config_json for marker in _MARKERS)


def opened_json(config_json: str, open_: Open) -> str:
    """The stored config as its agent gets it: secrets opened."""
    if not has_secrets(config_json):
        return config_json
    config = json.loads(config_json)
    if not isinstance(config, dict):
        return config_json
    return json.dumps(opened(config, open_), ensure_ascii=False, separators=(",", ":"))


def opened(config: Mapping[str, Any], open_: Open) -> dict[str, Any]:
    """`config` with its certificates' keys and passphrases and its proxy URL opened. A value that
    cannot be opened (the operator changed `secrets_key`) leaves the run without it: the
    certificate is not presented, the proxy URL is refused by the probe."""
    out = dict(config)
    run = out.pop(RUN_KEY, None)
    if isinstance(run, str):
        out.update(_run(run, config, open_))
    certificates = config.get(JOB_KEY)
    if isinstance(certificates, list):
        out[JOB_KEY] = [c for c in (_certificate(c, open_) for c in certificates) if c]
    proxy = config.get(PROXY_KEY)
    if isinstance(proxy, str) and proxy:
        try:
            out[PROXY_KEY] = open_(proxy)
        except SealError as exc:
            log.error("a job's proxy URL cannot be opened", error=str(exc))
            out[PROXY_KEY] = UNOPENED_PROXY
    return out


def _run(sealed: str, config: Mapping[str, Any], open_: Open) -> dict[str, Any]:
    try:
        run = json.loads(open_(sealed))
    except SealError as exc:
        log.error("a job's secret variables cannot be opened", error=str(exc))
        # A script runs with an empty environment (its secrets are what could not be opened).
        failed: dict[str, Any] = (
            {SCRIPT_VARIABLES: {}} if config.get("checkType") in SCRIPT_TYPES else {}
        )
        request = config.get("request")
        if isinstance(request, Mapping):
            failed["request"] = {**request, "url": UNOPENED_URL}
        return failed
    return run if isinstance(run, dict) else {}


def _certificate(item: Any, open_: Open) -> dict[str, Any] | None:
    if not isinstance(item, Mapping):
        return None
    out = dict(item)
    try:
        for name in ("key", "passphrase"):
            if isinstance(item.get(name), str) and item[name]:
                out[name] = open_(item[name])
    except SealError as exc:
        log.error(
            "a client certificate's key cannot be opened", host=item.get("host"), error=str(exc)
        )
        return None
    return out
