"""Request bodies the Checkly CLI gzips (`Content-Encoding: gzip`, chunked): decompressed with a
bound, so a small body cannot inflate past what the server will hold."""

from __future__ import annotations

import zlib

from fastapi import Request

from vantage.errors import BadRequest, PayloadTooLarge


async def decoded_body(request: Request, *, limit: int) -> bytes:
    """The body, gunzipped when it says it is gzip; more than `limit` bytes after that is a 413."""
    raw = await request.body()
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BadRequest(
            f'"content-encoding" must be gzip, deflate or identity, not {encoding!r}',
            keys=["content-encoding"],
            source="headers",
        )
    inflater = zlib.decompressobj(15 if encoding == "deflate" else 47)  # 47: gzip, auto-detected
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BadRequest(
            f"The payload is not valid {encoding} data", keys=["content-encoding"], source="headers"
        ) from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"Decompressed payload greater than maximum allowed: {limit}")
    return data
