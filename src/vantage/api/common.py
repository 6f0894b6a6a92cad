"""Pieces every endpoint module shares: JSON bodies, error declarations, page headers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import URL

from vantage.errors import BadRequest


class ErrorBody(BaseModel):
    statusCode: int
    error: str
    message: str


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the error responses an endpoint can give."""
    return {code: {"model": ErrorBody, "description": "Checkly error body"} for code in codes}


async def json_body(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadRequest('"value" must be of type object', keys=["value"])
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid request payload JSON format", keys=[]) from None


def content_range(start: int, count: int, total: int) -> str:
    """Checkly's `Content-Range: <from>-<to>/<total>` for page lists (the CLI reads the total)."""
    if count == 0:
        return f"*/{total}" if total else "0-0/0"
    return f"{start}-{start + count - 1}/{total}"


def page_links(request: Request, page: int, limit: int, total: int) -> str:
    """Checkly's `Link` header. Built on the public URL, never on the request's `Host` header,
    which the client chooses: a proxy or cache would otherwise hand out links to any host."""
    base_url: str = request.app.state.runtime.settings.base_url
    url = URL(base_url + request.url.path)
    if request.url.query:
        url = url.replace(query=request.url.query)
    last = max(1, -(-total // limit))
    links = []
    if page < last:
        links.append(f'<{url.include_query_params(page=page + 1)}>; rel="next"')
    links.append(f'<{url.include_query_params(page=last)}>; rel="last"')
    return ", ".join(links)
