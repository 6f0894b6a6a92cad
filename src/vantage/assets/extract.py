"""Assets out of a result's detail (pure).

An agent sends a script run's screenshots, traces and videos inline, as `data:` URLs in the
fields Checkly keeps asset links in (`jobAssets`, `playwrightTestTraces`, `playwrightTestVideos`):
the agent protocol then needs no second upload, and a result in the agent's outbox is whole.
At intake each one becomes a stored asset, and the field holds the asset's path instead; a
result read from the API gets them as absolute URLs (`absolute`), as Checkly's are and as the
asset manifest's are, with the server's base URL of the moment, so a changed
`VANTAGE_PUBLIC_URL` changes old results' links too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The result fields that carry asset links, and Checkly's asset type of each.
ASSET_FIELDS = {
    "jobAssets": "screenshot",
    "playwrightTestTraces": "trace",
    "playwrightTestVideos": "video",
}
SCRIPT_DETAILS = frozenset({"browserCheckResult", "multiStepCheckResult"})
# What may be stored and served: an asset is downloaded by a browser, so nothing it would render
# as a document (HTML, SVG) is kept.
CONTENT_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/zip": ".zip",
    "video/webm": ".webm",
}
MAX_ASSETS = 20


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    type: str
    content_type: str
    data: bytes


ASSET_PREFIX = "/v1/check-results/"


def asset_path(check_id: str, result_id: str, name: str) -> str:
    """Where an asset is downloaded from, relative to the server's base URL."""
    return f"{ASSET_PREFIX}{check_id}/{result_id}/assets/{name}"


def absolute(detail_key: str | None, detail: Any, base_url: str) -> Any:
    """`detail` with the asset paths of its link fields prefixed with `base_url` (pure); the
    detail itself when it has none. Anything else in those fields is left as it is."""
    if detail_key not in SCRIPT_DETAILS or not isinstance(detail, Mapping):
        return detail
    out: dict[str, Any] | None = None
    for field in ASSET_FIELDS:
        values = detail.get(field)
        if not isinstance(values, list) or not values:
            continue
        if out is None:
            out = dict(detail)
        out[field] = [
            base_url + value if isinstance(value, str) and value.startswith(ASSET_PREFIX) else value
            for value in values
        ]
    return detail if out is None else out


def decode(url: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of a base64 `data:` URL of a type that is kept; None otherwise."""
    head, comma, body = url.partition(",")
    if not comma or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    content_type = head[len("data:") : -len(";base64")].lower()
    if content_type not in CONTENT_TYPES:
        return None
    try:
        return content_type, base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def extract(
    detail_key: str | None, detail: Any, *, check_id: str, result_id: str
) -> tuple[Any, list[Asset]]:
    """`detail` with its inline assets replaced by their URLs, and the assets; the detail itself
    when it has none. An inline value that is not a kept asset is dropped from its field."""
    if detail_key not in SCRIPT_DETAILS or not isinstance(detail, Mapping):
        return detail, []
    if not any(isinstance(detail.get(field), list) and detail[field] for field in ASSET_FIELDS):
        return detail, []
    out = dict(detail)
    assets: list[Asset] = []
    for field, kind in ASSET_FIELDS.items():
        values = detail.get(field)
        if not isinstance(values, list):
            continue
        links: list[str] = []
        for value in values:
            decoded = decode(value) if isinstance(value, str) else None
            if decoded is None or len(assets) >= MAX_ASSETS:
                continue
            content_type, data = decoded
            count = sum(1 for a in assets if a.type == kind) + 1
            name = f"{kind}-{count}{CONTENT_TYPES[content_type]}"
            assets.append(Asset(name, kind, content_type, data))
            links.append(asset_path(check_id, result_id, name))
        out[field] = links
    return out, assets
