"""Judging a response off the event loop when it is costly.

The embedded agent runs probes in the server's event loop, so a probe that parses a 1 MiB JSON
body, walks it with `$..id` or runs a regex over it there holds up every request the server is
answering. Small responses with cheap regexes, nearly all of them, are judged on the loop: a
thread hop would cost more than the work. The rest go to a few worker threads of their own, so
they never queue behind the DNS lookups of the loop's default executor. RE2 and most of the
JSONPath walk let go of the interpreter lock; what still holds it (a `json.loads` or `json.dumps`
of the whole body) is one call of some tens of milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from vantage.probes.regex import INLINE_WORK, MAX_WORK, NeedsWorker

T = TypeVar("T")

# Past this many characters of response, parsing and walking it leaves the loop (json.loads of
# 64 KiB is about 2 ms; of 1 MiB about 30).
INLINE_TEXT_CHARS = 64 * 1024
WORKERS = 2

_workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="vantage-judge")


async def judged(work: Callable[[int], T], *, text_chars: int) -> T:
    """`work(regex_budget)`, on the loop when the response is small and its regexes cheap (it
    raises `NeedsWorker` otherwise), else in a worker thread with the full regex budget."""
    if text_chars <= INLINE_TEXT_CHARS:
        try:
            return work(INLINE_WORK)
        except NeedsWorker:
            pass
    return await asyncio.get_running_loop().run_in_executor(_workers, work, MAX_WORK)
