"""A reader's viewer key typed into a private page's form (a status page or a dashboard): a
wrong key costs the guesser half a second and shows the form again; the right one sets the
page's cookie, scoped to its path, and goes back to the page."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from vantage.runtime import Runtime
from vantage.statuspages import viewer_keys
from vantage.ui.security import is_secure

GUESS_DELAY_SECONDS = 0.5


async def sign_in(
    request: Request,
    runtime: Runtime,
    *,
    keys: list[dict[str, Any]] | None,
    typed: str,
    page_id: str,
    base: str,
    wrong: Callable[[], Response],
) -> Response:
    # Opening the sealed keys is CPU only and short: a thread is not worth it.
    raw = viewer_keys.matching(keys, typed, runtime.sealer.open)
    if raw is None:
        await asyncio.sleep(GUESS_DELAY_SECONDS)
        return wrong()
    response = RedirectResponse(base or "/", status_code=303)
    response.set_cookie(
        viewer_keys.cookie_name(page_id),
        viewer_keys.proof(raw, page_id),
        max_age=viewer_keys.COOKIE_MAX_AGE,
        httponly=True,
        secure=is_secure(request, runtime.settings.base_url),
        samesite="lax",
        path=base or "/",
    )
    return response
