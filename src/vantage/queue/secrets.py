"""A job's secrets at rest: client-certificate keys and passphrases, and its location's proxy URL
(which may carry a user and password), stay sealed (vantage.sealing) in the config stored in the
jobs table, as they are in their own tables; they are opened only in the lease answer that hands
the job to the agent that runs it (pure).

Secret environment variables are another matter: they are substituted into the URL, headers and
body when the run starts, so they are in the config as the request will send them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import structlog

from vantage.probes.http.client_certs import JOB_KEY
from vantage.probes.http.probe import PROXY_KEY
from vantage.sealing import Open, SealError

log = structlog.get_logger(__name__)

# What a proxy URL that cannot be opened becomes: the probe refuses it as an invalid proxy URL,
# so the run fails instead of going to its target without the proxy.
UNOPENED_PROXY = "unopened:"
_MARKERS = (f'"{JOB_KEY}"', f'"{PROXY_KEY}"')


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
