"""Pieces every endpoint module shares: JSON bodies, error declarations, page headers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import URL

from vantage import storable
from vantage.accounts.auth import authenticates
from vantage.errors import BadRequest


class ErrorBody(BaseModel):
    statusCode: int
    error: str
    message: str


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the error responses an endpoint can give."""
    return {code: {"model": ErrorBody, "description": "Checkly error body"} for code in codes}


# Bounds of a JSON body, checked in one walk after parsing. Checkly's payloads are a few
# hundred values and a few levels deep; these leave room for any real one.
MAX_DEPTH = 32
MAX_VALUES = 10_000


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """JSON as strict as the databases: no NaN or Infinity, no nesting deep enough to exhaust
    the parser's recursion (a 400, not a 500)."""
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        raise BadRequest(
            f"The payload is nested more than {MAX_DEPTH} levels deep", keys=["value"]
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid request payload JSON format", keys=[]) from None


async def json_body(request: Request, *, required: bool = True, checked: bool = True) -> Any:
    """The request's JSON. `checked`: every value must be storable and echoable (no NUL, no lone
    surrogate, safe numbers, bounded depth and size), else a 400 naming the first bad one."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadRequest('"value" must be of type object', keys=["value"])
        return None
    doc = parse_json(raw)
    if checked:
        try:
            storable.check(doc, max_depth=MAX_DEPTH, max_values=MAX_VALUES)
        except storable.Unstorable as exc:
            raise BadRequest(exc.message, keys=[exc.path]) from None
    return doc


async def storable_query(request: Request) -> None:
    """Query values reach SQL filters (`location`, say): a value PostgreSQL cannot take is a
    400 on both databases, not a 500 on one. On a route that takes an API key the 400 waits
    until the key is known good (vantage.accounts.auth raises it): bad credentials are a 401
    whatever the query says."""
    for name, value in request.query_params.multi_items():
        problem = storable.text_problem(value)
        if problem:
            safe = storable.scrub(name)
            error = BadRequest(f'"{safe}" {problem}', keys=[safe], source="query")
            if takes_api_key(request.scope.get("route")):
                request.state.query_problem = error
                return
            raise error


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


def page_headers(request: Request, page: int, limit: int, count: int, total: int) -> dict[str, str]:
    """Both of Checkly's headers of a numbered page: `Content-Range` and `Link`."""
    return {
        "Content-Range": content_range((page - 1) * limit, count, total),
        "Link": page_links(request, page, limit, total),
    }


_AUTHENTICATED: dict[int, bool] = {}


def takes_api_key(route: Any) -> bool:
    """Whether a route's dependencies authenticate an API key (`CurrentAccount`)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return False
    found = _AUTHENTICATED.get(id(route))
    if found is None:
        found = _AUTHENTICATED[id(route)] = authenticates(dependant)
    return found
