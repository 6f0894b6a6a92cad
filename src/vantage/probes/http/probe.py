"""Run one API or URL check (Checkly JSON as stored) and produce its `ProbeResult`.

`detail` is Checkly's `apiCheckResult`. Nothing secret is ever written into it: the basic-auth
password, URL credentials and the values of sensitive headers and query parameters (see
`masking`) are masked, and echoed copies of them in the response are scrubbed.
"""

from __future__ import annotations

import base64
import ssl
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from vantage.probes.defaults import response_limits
from vantage.probes.http import client_certs
from vantage.probes.http.assertions import (
    URL_CHECK_SOURCES,
    ResponseFacts,
    echo,
    evaluate_assertions,
)
from vantage.probes.http.client import (
    MAX_BODY_BYTES,
    HttpProbe,
    HttpRequestSpec,
    HttpResponse,
    IpFamily,
    RawHttpProbe,
    basic_auth_value,
)
from vantage.probes.http.errors import ProbeError
from vantage.probes.http.timing import HopTimings
from vantage.probes.masking import (
    DEFAULT_SENSITIVE,
    MASK,
    Scrubber,
    SensitiveNames,
    mask_api_detail,
    mask_query,
)
from vantage.probes.offload import judged
from vantage.probes.result import ProbeResult, judge
from vantage.probes.target_policy import ALLOW_ALL, TargetPolicy
from vantage.variables.substitution import MASKED_VALUES, URI_SAFE

MAX_TIMEOUT_S = 45.0
# Where the server puts the run location's `proxyUrl` on a job's config (internal).
PROXY_KEY = "locationProxyUrl"
# Past maxResponseTime the check has failed anyway; the grace lets the response arrive so the
# result shows what came back rather than only a timeout
TIMEOUT_GRACE_S = 2.0
CONTENT_TYPES = {
    "JSON": "application/json",
    "GRAPHQL": "application/json",
    "FORM": "application/x-www-form-urlencoded",
    "RAW": "text/plain",
}
_TEXTUAL_IMAGES = ("image/svg", "image/x-icon")

_default_probe = RawHttpProbe()


def _pairs(items: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items or ():
        if isinstance(item, Mapping) and item.get("key"):
            out.append((str(item["key"]), "" if item.get("value") is None else str(item["value"])))
    return out


def default_timeout_s(max_ms: float) -> float:
    return min(MAX_TIMEOUT_S, max_ms / 1000.0 + TIMEOUT_GRACE_S)


def _split_url_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """`https://user:pw@host/` -> (`https://host/`, (user, pw)), as Node applies them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username or ""), unquote(parts.password or ""))


def build_spec(
    check: Mapping[str, Any],
    secrets: Scrubber,
    ssl_context: ssl.SSLContext | None,
    timeout_s: float,
    policy: TargetPolicy = ALLOW_ALL,
    sensitive: SensitiveNames = DEFAULT_SENSITIVE,
) -> HttpRequestSpec:
    request: Mapping[str, Any] = check.get("request") or {}
    is_url = str(check.get("checkType", "API")).upper() == "URL"
    method = "GET" if is_url else str(request.get("method") or "GET").upper()
    url, url_auth = _split_url_credentials(str(request.get("url") or ""))
    headers = [] if is_url else _pairs(request.get("headers"))
    params = [] if is_url else _pairs(request.get("queryParameters"))
    body_text = "" if is_url else str(request.get("body") or "")
    body_type = str(request.get("bodyType") or "NONE").upper()
    if (
        body_text
        and body_type in CONTENT_TYPES
        and not any(k.lower() == "content-type" for k, _ in headers)
    ):
        headers.append(("Content-Type", CONTENT_TYPES[body_type]))
    auth = url_auth
    basic = None if is_url else request.get("basicAuth")
    if isinstance(basic, Mapping) and (basic.get("username") or basic.get("password")):
        auth = (str(basic.get("username") or ""), str(basic.get("password") or ""))
    if auth is not None:
        secrets.add(auth[1])
        secrets.add(basic_auth_value(*auth).split(" ", 1)[1])
    # The values behind sensitive names, to scrub wherever the response echoes them
    for key, value in headers:
        if key in sensitive:
            secrets.add_header(key, value)
    for key, value in params:
        if key in sensitive:
            secrets.add(value)
    mask_query(url, sensitive, secrets)
    # Secret variables the request was rendered with, as sent and as `{{VAR}}` URI-encodes them.
    for value in check.get(MASKED_VALUES) or ():
        secrets.add(str(value))
        secrets.add(quote(str(value), safe=URI_SAFE))
    proxy_url = str(check.get(PROXY_KEY) or "") or None
    if proxy_url is not None:
        # The proxy's password goes to the proxy only; should anything echo it, it is masked.
        _, proxy_auth = _split_url_credentials(proxy_url)
        if proxy_auth is not None and proxy_auth[1]:
            secrets.add(proxy_auth[1])
            secrets.add(basic_auth_value(*proxy_auth).split(" ", 1)[1])
    ip_family: IpFamily = "IPv6" if request.get("ipFamily") == "IPv6" else "IPv4"
    return HttpRequestSpec(
        url=url,
        method=method,
        headers=headers,
        params=params,
        body=body_text.encode(),
        basic_auth=auth,
        follow_redirects=request.get("followRedirects") is not False,
        timeout_s=timeout_s,
        ip_family=ip_family,
        skip_ssl=bool(request.get("skipSSL")),
        ssl_context=ssl_context,
        client_certificates=client_certs.from_job(check.get(client_certs.JOB_KEY)),
        proxy_url=proxy_url,
        policy=policy,
    )


def _request_detail(spec: HttpRequestSpec) -> dict[str, Any]:
    """The request as sent; `_detail` masks it."""
    headers = dict(spec.headers)
    if spec.basic_auth is not None and not any(k.lower() == "authorization" for k in headers):
        headers["Authorization"] = MASK
    return {
        "method": spec.method,
        "url": spec.url,
        "data": spec.body.decode("utf-8", "replace"),
        "headers": headers,
        "params": dict(spec.params),
    }


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def _decoded_body(resp: HttpResponse) -> bytes:
    encoding = (resp.header("content-encoding") or "").strip().lower()
    if encoding not in ("gzip", "deflate") or resp.truncated:
        return resp.body
    wbits = 47 if encoding == "gzip" else 15  # 47: gzip or zlib header, auto-detected
    try:
        inflater = zlib.decompressobj(wbits)
        # The cap holds after decompression too: a small gzip bomb must not fill memory
        return inflater.decompress(resp.body, MAX_BODY_BYTES)
    except zlib.error:
        return resp.body


def _body(resp: HttpResponse) -> tuple[str, str | None]:
    """Response body as stored: text, or base64 for raster images (Checkly's `bodyEncoding`)."""
    content_type = (resp.header("content-type") or "").lower()
    raw = _decoded_body(resp)
    if content_type.startswith("image/") and not content_type.startswith(_TEXTUAL_IMAGES):
        return base64.b64encode(raw).decode("ascii"), "base64"
    try:
        return raw.decode(_charset(content_type), "replace"), None
    except LookupError:
        return raw.decode("utf-8", "replace"), None


def _timing_fields(timings: HopTimings | None) -> dict[str, Any]:
    if timings is None:
        return {"timings": None, "timingPhases": None}
    return {"timings": timings.node_timings(), "timingPhases": timings.node_phases()}


async def run_api_check(
    check: Mapping[str, Any],
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout_s: float | None = None,
    probe: HttpProbe | None = None,
    policy: TargetPolicy = ALLOW_ALL,
    sensitive: SensitiveNames = DEFAULT_SENSITIVE,
) -> ProbeResult:
    """Run one API/URL check once. Never raises for what happens on the network.

    `policy` is asked about every address the request connects to, redirect hops included.
    """
    check_type = str(check.get("checkType") or "API").upper()
    limits = response_limits(check_type, check)
    degraded_ms, max_ms = limits.degraded_ms, limits.max_ms
    request: Mapping[str, Any] = check.get("request") or {}
    assertions: Sequence[Mapping[str, Any]] = list(request.get("assertions") or ())
    if check_type == "URL":
        assertions = [a for a in assertions if a.get("source") in URL_CHECK_SOURCES]
    secrets = Scrubber()
    started_at = datetime.now(UTC)
    try:
        timeout = timeout_s or default_timeout_s(max_ms)
        spec = build_spec(check, secrets, ssl_context, timeout, policy, sensitive)
    except (TypeError, ValueError) as exc:
        return _failed(check_type, started_at, f"Invalid check configuration: {exc}", assertions)
    try:
        resp = await (probe or _default_probe).request(spec)
    except ProbeError as exc:
        return _errored(
            check, check_type, started_at, spec, exc, assertions, secrets, degraded_ms, max_ms,
            sensitive=sensitive,
        )  # fmt: skip
    stopped_at = datetime.now(UTC)
    response_time_ms = resp.timings.total_s() * 1000.0
    # Assertions see the response as it came; `_detail` masks what is stored, assertions'
    # actual values included.
    headers = resp.header_map()
    body_text, body_encoding = _body(resp)
    facts = ResponseFacts(resp.status, headers, body_text, response_time_ms)
    outcomes = await judged(
        lambda budget: evaluate_assertions(assertions, facts, budget), text_chars=len(body_text)
    )
    response_ok = all(o["passed"] for o in outcomes) if outcomes else resp.status < 400
    verdict = judge(
        response_ok=response_ok,
        network_error=False,
        response_time_ms=response_time_ms,
        degraded_ms=degraded_ms,
        max_ms=max_ms,
        should_fail=bool(check.get("shouldFail")),
    )
    response: dict[str, Any] = {
        "status": resp.status,
        "statusText": resp.reason,
        "body": body_text,
        "headers": headers,
        "href": resp.url,
        "truncated": resp.truncated,
        **_timing_fields(resp.timings),
    }
    if body_encoding is not None:
        response["bodyEncoding"] = body_encoding
    detail = _detail(outcomes, _request_detail(spec), response, None, secrets, sensitive)
    return ProbeResult.judged(
        verdict,
        check_type=check_type,
        started_at=started_at,
        stopped_at=stopped_at,
        response_time_ms=round(response_time_ms, 3),
        detail_key="apiCheckResult",
        detail=detail,
        certificate=resp.certificate,
    )


def _detail(
    assertions: list[dict[str, Any]],
    request: dict[str, Any],
    response: dict[str, Any] | None,
    error: str | None,
    secrets: Scrubber,
    sensitive: SensitiveNames,
) -> dict[str, Any]:
    detail = {
        "assertions": assertions,
        "request": request,
        "response": response,
        "requestError": error,
        "jobLog": None,
        "jobAssets": None,
        "pcapDataUrl": None,
    }
    # Last, after the assertions ran on the real response: a check may assert on a token it is
    # given, but the stored result shows neither it nor an assertion's copy of it.
    return mask_api_detail(detail, sensitive, secrets)


def _unanswered(assertions: Sequence[Mapping[str, Any]], error: str) -> list[dict[str, Any]]:
    return [
        {**echo(a, i), "actual": None, "passed": False, "error": error}
        for i, a in enumerate(assertions)
    ]


def _errored(
    check: Mapping[str, Any],
    check_type: str,
    started_at: datetime,
    spec: HttpRequestSpec,
    exc: ProbeError,
    assertions: Sequence[Mapping[str, Any]],
    secrets: Scrubber,
    degraded_ms: float,
    max_ms: float,
    *,
    sensitive: SensitiveNames,
) -> ProbeResult:
    stopped_at = datetime.now(UTC)
    message = secrets.scrub(str(exc))
    timings = exc.timings
    response_time_ms = (
        timings.total_s() * 1000.0
        if timings is not None
        else (stopped_at - started_at).total_seconds() * 1000.0
    )
    # No response at all: a failure even for shouldFail checks, so judge sees a network error
    verdict = judge(
        response_ok=False,
        network_error=True,
        response_time_ms=response_time_ms,
        degraded_ms=degraded_ms,
        max_ms=max_ms,
        should_fail=bool(check.get("shouldFail")),
    )
    response = {
        "status": None,
        "statusText": None,
        "body": None,
        "headers": {},
        "href": spec.url,
        "truncated": False,
        **_timing_fields(timings),
    }
    detail = _detail(
        _unanswered(assertions, message),
        _request_detail(spec),
        response,
        message,
        secrets,
        sensitive,
    )
    return ProbeResult.judged(
        verdict,
        check_type=check_type,
        started_at=started_at,
        stopped_at=stopped_at,
        response_time_ms=round(response_time_ms, 3),
        detail_key="apiCheckResult",
        detail=detail,
        network_error=exc.network,
        error=message,
        certificate=exc.certificate,
    )


def _failed(
    check_type: str, started_at: datetime, message: str, assertions: Sequence[Mapping[str, Any]]
) -> ProbeResult:
    return ProbeResult(
        check_type=check_type,
        started_at=started_at,
        stopped_at=datetime.now(UTC),
        response_time_ms=0.0,
        has_failures=True,
        is_degraded=False,
        over_max_response_time=False,
        detail_key="apiCheckResult",
        detail=_detail(
            _unanswered(assertions, message), {}, None, message, Scrubber(), DEFAULT_SENSITIVE
        ),
        error=message,
    )
