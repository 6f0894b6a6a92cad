"""A check as its group makes it (pure): Checkly's "apply group settings".

What the group decides for its checks:
- `locations` and `privateLocations`, when the group has any (else the check's own);
- `retryStrategy`: the group's, unless it is "FALLBACK" (then the check's own);
- `runParallel`: the group's;
- `activated`: a check runs only when both it and its group are activated;
- `muted`: a muted group mutes its checks;
- `apiCheckDefaults` (API checks): `url` is the base URL that `{{GROUP_BASE_URL}}` stands for and
  that request URLs starting with `/` are relative to; the group's `headers` and `queryParameters`
  are added (the check's own win on the same key); the group's `assertions` are appended; the
  group's `basicAuth` is used when the check has none.
Alerting reads the group too (`vantage.alerting`): its `alertChannelSubscriptions` replace its
checks' own, and `useGlobalAlertSettings: false` forces its `alertSettings` on them.
Everything else of the group is stored and returned but does not change its checks (yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

GROUP_BASE_URL = "{{GROUP_BASE_URL}}"
FALLBACK = "FALLBACK"


def is_runnable(config: Mapping[str, Any], group: Mapping[str, Any] | None) -> bool:
    """Whether a check may be triggered or scheduled: it and its group are activated."""
    return bool(config.get("activated", True)) and (
        group is None or bool(group.get("activated", True))
    )


def matching_tags(tags: Iterable[str], group: Mapping[str, Any] | None) -> list[str]:
    """The tags a trigger's `matchTags` sees: the check's own and its group's."""
    own = list(tags)
    extra = [] if group is None else [t for t in group.get("tags") or () if t not in own]
    return [*own, *extra]


def join_base_url(base: str, path: str) -> str:
    """`https://api.test/v1` + `/users` -> `https://api.test/v1/users` (one slash between)."""
    if not base:
        return path
    if not path:
        return base
    if base.endswith("/") and path.startswith("/"):
        return base + path[1:]
    return base + path


def effective_url(url: str, base: str) -> str:
    if not base:
        return url
    if GROUP_BASE_URL in url:
        head, _, rest = url.partition(GROUP_BASE_URL)
        # `{{GROUP_BASE_URL}}` is a whole-URL prefix in practice; elsewhere it is plain text.
        joined = join_base_url(base, rest) if not head else head + base + rest
        return joined.replace(GROUP_BASE_URL, base)
    if url.startswith("/"):
        return join_base_url(base, url)
    return url


def _merge_pairs(
    own: Sequence[Mapping[str, Any]] | None,
    defaults: Sequence[Mapping[str, Any]] | None,
    key: Callable[[str], str],
) -> list[dict[str, Any]]:
    """The group's pairs whose key the check does not set, then the check's own."""
    own_list = [dict(item) for item in own or ()]
    taken = {key(str(item.get("key", ""))) for item in own_list}
    added = [dict(item) for item in defaults or () if key(str(item.get("key", ""))) not in taken]
    return [*added, *own_list]


def _has_basic_auth(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value.get("username") or value.get("password"))


def _apply_api_defaults(request: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(request)
    out["url"] = effective_url(str(request.get("url") or ""), str(defaults.get("url") or ""))
    out["headers"] = _merge_pairs(request.get("headers"), defaults.get("headers"), str.lower)
    out["queryParameters"] = _merge_pairs(
        request.get("queryParameters"), defaults.get("queryParameters"), str
    )
    out["assertions"] = [
        *(dict(a) for a in request.get("assertions") or ()),
        *(dict(a) for a in defaults.get("assertions") or ()),
    ]
    group_auth = defaults.get("basicAuth")
    if not _has_basic_auth(request.get("basicAuth")) and _has_basic_auth(group_auth):
        assert isinstance(group_auth, Mapping)
        out["basicAuth"] = {
            "username": str(group_auth.get("username") or ""),
            "password": str(group_auth.get("password") or ""),
        }
    return out


def effective_config(
    check_type: str, config: Mapping[str, Any], group: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The check's config with its group's settings applied; a copy of it when it has no group."""
    out = dict(config)
    if group is None:
        return out
    group_locations = list(group.get("locations") or ())
    group_private = list(group.get("privateLocations") or ())
    if group_locations or group_private:
        out["locations"] = group_locations
        out["privateLocations"] = group_private or None
    group_retry = group.get("retryStrategy", FALLBACK)
    if group_retry != FALLBACK:
        out["retryStrategy"] = dict(group_retry) if isinstance(group_retry, Mapping) else None
    # A v2 group's null leaves the check's own setting (vantage.groups.schemas.CheckGroupV2).
    if group.get("runParallel", False) is not None:
        out["runParallel"] = bool(group.get("runParallel", False))
    out["activated"] = is_runnable(config, group)
    out["muted"] = bool(config.get("muted")) or bool(group.get("muted"))
    defaults = group.get("apiCheckDefaults")
    if check_type == "API" and isinstance(defaults, Mapping):
        out["request"] = _apply_api_defaults(config.get("request") or {}, defaults)
    return out
