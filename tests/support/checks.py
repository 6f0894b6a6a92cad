"""Check payloads as a Checkly user would send them."""

from __future__ import annotations

from typing import Any


def api_check(url: str, **fields: Any) -> dict[str, Any]:
    request = {
        "method": "GET",
        "url": url,
        "assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}],
    }
    request.update(fields.pop("request", {}))
    return {"name": fields.pop("name", "API check"), "request": request, **fields}


def url_check(url: str, **fields: Any) -> dict[str, Any]:
    return {"name": fields.pop("name", "URL check"), "request": {"url": url}, **fields}
