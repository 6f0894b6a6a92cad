"""Node's error codes and messages for socket failures: the one table every probe words them by.

Checkly's runners are Node processes, so users (and their runbooks) know failures by Node's words:
"connect ECONNREFUSED 127.0.0.1:1", "getaddrinfo ENOTFOUND x.invalid". We keep that vocabulary.
"""

from __future__ import annotations

import errno
import socket

# Node folds "no such name" and "name has no address of that family" into ENOTFOUND; the codes
# that mean "try again later" keep their own names so an operator can tell a flaky resolver apart.
LOOKUP_CODES: dict[int, str] = {
    socket.EAI_NONAME: "ENOTFOUND",
    socket.EAI_NODATA: "ENOTFOUND",
    socket.EAI_ADDRFAMILY: "ENOTFOUND",
    socket.EAI_AGAIN: "EAI_AGAIN",
    socket.EAI_FAIL: "EAI_FAIL",
    socket.EAI_FAMILY: "EAI_FAMILY",
    socket.EAI_MEMORY: "EAI_MEMORY",
    socket.EAI_SERVICE: "EAI_SERVICE",
}


def lookup_code(exc: BaseException) -> str:
    """The code of a failed name lookup; anything that is not a gaierror is ENOTFOUND."""
    if isinstance(exc, socket.gaierror):
        return LOOKUP_CODES.get(exc.errno or 0, "ENOTFOUND")
    return "ENOTFOUND"


def lookup_failure(exc: BaseException, hostname: str) -> str:
    """`getaddrinfo ENOTFOUND x.invalid`."""
    return f"getaddrinfo {lookup_code(exc)} {hostname}"


# asyncio (and uvloop more often) raises some of these without an errno, e.g. from drain().
_CODES_BY_CLASS: tuple[tuple[type[OSError], str], ...] = (
    (ConnectionResetError, "ECONNRESET"),
    (ConnectionRefusedError, "ECONNREFUSED"),
    (ConnectionAbortedError, "ECONNABORTED"),
    (BrokenPipeError, "EPIPE"),
    (TimeoutError, "ETIMEDOUT"),
)


def error_code(exc: OSError, default: str | None = None) -> str:
    """The errno's symbolic name (ECONNRESET), else the one its class implies, else `default`,
    else the class's name."""
    if exc.errno is not None and exc.errno in errno.errorcode:
        return errno.errorcode[exc.errno]
    for cls, code in _CODES_BY_CLASS:
        if isinstance(exc, cls):
            return code
    return default or type(exc).__name__


def socket_failure(
    syscall: str, exc: OSError, address: str | None = None, port: int | None = None
) -> str:
    """`connect ECONNREFUSED 127.0.0.1:1`, `read ECONNRESET`."""
    where = f" {address}:{port}" if address is not None and port is not None else ""
    return f"{syscall} {error_code(exc)}{where}"


def timeout_failure(phase: str, timeout_s: float) -> str:
    """`Timeout awaiting 'connect' for 5000ms`, the wording of Node's `got` client."""
    return f"Timeout awaiting '{phase}' for {round(timeout_s * 1000)}ms"
