"""How long an idle keep-alive connection stays open, and the header that tells clients so.

The checkly CLI (Node's HTTP agent, keep-alive on since Node 19) keeps an idle socket for 5 s; the
server closes one after `KEEP_ALIVE_SECONDS`. A request the CLI writes on a pooled socket just as
the server closes it fails with "socket hang up" (seen on a `checkly deploy`, whose project
parsing leaves about that long between two requests). Node's agent reads `Keep-Alive: timeout=N`
on a response and drops the socket itself a second before N, so it never writes on one the server
is closing. The server's timeout stays short: a CLI that is done exits without waiting on idle
sockets.
"""

from __future__ import annotations

KEEP_ALIVE_SECONDS = 2


def keep_alive_hint() -> tuple[str, str]:
    """The `Keep-Alive` response header announcing the idle timeout."""
    return ("keep-alive", f"timeout={KEEP_ALIVE_SECONDS}")
