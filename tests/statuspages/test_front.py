"""`PublicFront` answers a cached public page before the web framework, and sends everything it
cannot answer exactly as the framework would on to it: here the framework is an ASGI app that
records what reached it, and the cache is the real one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from vantage.db.engine import Database
from vantage.statuspages import public_cache
from vantage.statuspages.front import PublicFront
from vantage.statuspages.public_cache import Rendered, cached, forget_pages, path_of, remember
from vantage.wakeups import Signals

PAGE = Rendered(b"<h1>Acme status</h1>", "text/html; charset=utf-8", '"e1"')
KEY = ("acme", "html|/status/acme")


class Framework:
    """Stands where FastAPI stands: answers 599 so a test sees the request got through."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b"framework"})


def _scope(
    path: str = "/status/acme",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    state: dict[str, Any] | None = None,
) -> Scope:
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    if state is not None:
        scope["state"] = state
    return scope


async def _call(front: PublicFront, scope: Scope) -> tuple[int, dict[str, str], bytes]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await front(scope, receive, send)
    start, body = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body["body"]


async def _cache(rendered: Rendered, key: tuple[str, str] = KEY, **scope: Any) -> None:
    async def render() -> Rendered | None:
        return rendered

    await cached(key, render)
    remember(path_of(_scope(**scope)), key)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    forget_pages()
    yield
    forget_pages()


@pytest.fixture
def framework() -> Framework:
    return Framework()


async def test_a_cached_page_is_answered_without_the_framework(framework: Framework) -> None:
    await _cache(PAGE)
    status, headers, body = await _call(PublicFront(framework), _scope())
    assert (status, body) == (200, PAGE.body)
    assert headers["etag"] == '"e1"' and headers["cache-control"] == "public, max-age=10"
    assert headers["content-type"] == PAGE.media_type
    assert headers["content-length"] == str(len(PAGE.body))
    assert "default-src 'none'" in headers["content-security-policy"]
    assert framework.reached == []


async def test_a_revalidation_with_the_same_etag_gets_a_304_without_a_body(
    framework: Framework,
) -> None:
    await _cache(PAGE)
    status, headers, body = await _call(
        PublicFront(framework), _scope(headers={"If-None-Match": 'W/"x", "e1"'})
    )
    assert (status, body) == (304, b"") and headers["etag"] == '"e1"'
    assert "content-length" not in headers


async def test_a_head_request_gets_the_headers_and_no_body(framework: Framework) -> None:
    await _cache(PAGE)
    status, headers, body = await _call(PublicFront(framework), _scope(method="HEAD"))
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(PAGE.body))


async def test_what_the_cache_has_not_answered_goes_to_the_framework(
    framework: Framework,
) -> None:
    front = PublicFront(framework)
    await _cache(PAGE)
    assert (await _call(front, _scope("/status/other")))[0] == 599
    assert (await _call(front, _scope(method="POST")))[0] == 599
    # the same path through the page's custom domain links elsewhere: another render
    assert (await _call(front, _scope(state={"status_base": ""})))[0] == 599
    assert framework.reached == ["/status/other", "/status/acme", "/status/acme"]


async def test_a_forgotten_page_goes_to_the_framework(framework: Framework) -> None:
    await _cache(PAGE)
    forget_pages()  # what every write to a page, service or incident does
    assert (await _call(PublicFront(framework), _scope()))[0] == 599


async def test_an_expired_page_goes_to_the_framework_until_a_refresh_is_under_way(
    framework: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:
    front = PublicFront(framework)
    monkeypatch.setattr(public_cache, "TTL_SECONDS", 0.0)
    await _cache(PAGE)  # stored already expired
    assert (await _call(front, _scope()))[0] == 599
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> Rendered | None:
        started.set()
        await release.wait()
        return PAGE

    # the framework's read of an expired page starts one refresh and answers the old copy;
    # while it runs, the front answers that copy too instead of sending every reader through
    assert await cached(KEY, slow) == PAGE
    await started.wait()
    assert (await _call(front, _scope()))[0] == 200
    release.set()
    await asyncio.sleep(0)


async def test_a_private_page_is_served_only_to_a_reader_whose_cookie_proves_a_key(
    framework: Framework,
) -> None:
    private = Rendered(
        b"secret services",
        "text/html",
        '"p1"',
        cookie="vantage_view_1",
        proofs=("good",),
        private=True,
    )
    await _cache(private)
    front = PublicFront(framework)
    for headers in ({}, {"Cookie": "vantage_view_1=bad"}, {"Cookie": "other=good"}):
        status, _, body = await _call(front, _scope(headers=headers))
        assert status == 599 and b"secret" not in body, headers
    status, headers, body = await _call(
        front, _scope(headers={"Cookie": "a=b; vantage_view_1=good"})
    )
    assert (status, body) == (200, b"secret services")
    assert headers["cache-control"] == "private, no-cache"


async def test_a_private_page_without_keys_is_served_to_nobody(framework: Framework) -> None:
    await _cache(Rendered(b"secret", "text/html", '"p2"', cookie="c", proofs=(), private=True))
    status, _, _ = await _call(PublicFront(framework), _scope(headers={"Cookie": "c="}))
    assert status == 599


async def test_a_write_on_one_replica_clears_the_pages_of_the_others(
    framework: Framework,
) -> None:
    signals = Signals()
    told: list[tuple[str, str]] = []
    signals.broadcast = lambda kind, ident: told.append((kind, ident))
    undo = public_cache.install(signals)
    try:
        forget_pages()
        assert told == [(public_cache.PAGES_CHANGED, "")]
        await _cache(PAGE)
        # what the bus does with another replica's notification
        signals.relay(public_cache.PAGES_CHANGED, "", remote=True)
        assert (await _call(PublicFront(framework), _scope()))[0] == 599
        assert len(told) == 1  # a notification received is not sent on again
    finally:
        undo()


async def test_a_render_under_way_during_a_write_is_not_kept(framework: Framework) -> None:
    release = asyncio.Event()

    async def before_the_write() -> Rendered | None:
        await release.wait()
        return PAGE

    reading = asyncio.ensure_future(cached(KEY, before_the_write))
    await asyncio.sleep(0)
    forget_pages()
    release.set()
    assert await reading == PAGE  # its readers get it
    remember(path_of(_scope()), KEY)
    assert (await _call(PublicFront(framework), _scope()))[0] == 599  # nobody else does


async def test_a_write_clears_the_pages_again_once_it_has_committed(
    framework: Framework, database_url: str
) -> None:
    db = Database(database_url)
    try:
        async with db.write() as conn:
            forget_pages(conn)
            # a reader between the forget and the commit renders what is not yet committed
            await _cache(PAGE)
            assert (await _call(PublicFront(framework), _scope()))[0] == 200
        assert (await _call(PublicFront(framework), _scope()))[0] == 599
    finally:
        await db.dispose()
