"""The one exception tree of the API. Each error carries its HTTP status and renders as Checkly's
(Hapi/Boom) error body: `{"statusCode": 404, "error": "Not Found", "message": "..."}`."""

from __future__ import annotations

from typing import Any, ClassVar


class VantageError(Exception):
    status_code: ClassVar[int] = 500
    error: ClassVar[str] = "Internal Server Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "error": self.error, "message": self.message}

    def headers(self) -> dict[str, str]:
        """Response headers the error comes with."""
        return {}


class BadRequest(VantageError):
    status_code = 400
    error = "Bad Request"

    def __init__(self, message: str, *, keys: list[str] | None = None, source: str = "payload"):
        super().__init__(message)
        self.keys = keys or []
        self.source = source

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["validation"] = {"source": self.source, "keys": self.keys}
        return body


class Unauthorized(VantageError):
    status_code = 401
    error = "Unauthorized"

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["attributes"] = {}
        return body


class Forbidden(VantageError):
    status_code = 403
    error = "Forbidden"


class NotFound(VantageError):
    status_code = 404
    error = "Not Found"


class Conflict(VantageError):
    status_code = 409
    error = "Conflict"


class RequestTimeout(VantageError):
    status_code = 408
    error = "Request Time-out"


class PayloadTooLarge(VantageError):
    status_code = 413
    error = "Payload Too Large"


class TooManyRequests(VantageError):
    """Checkly's 429: its body says only "Too Many Requests"; `Retry-After` says when to retry."""

    status_code = 429
    error = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too Many Requests")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


HTTP_ERROR_NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Time-out",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "error": HTTP_ERROR_NAMES.get(status, "Error"),
        "message": message,
    }
