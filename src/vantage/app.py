"""The ASGI application: routers, the one error mapping, and the lifespan that owns the database
and the background loops (embedded agent, scheduler, session reaper, retention)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantage.accounts.endpoints import router as accounts_router
from vantage.agent.local import embedded_agent
from vantage.agent.loop import Agent
from vantage.agentapi.endpoints import router as agent_api_router
from vantage.agentapi.schemas import MAX_BODY_BYTES as AGENT_MAX_BODY_BYTES
from vantage.alerting.delivery import Deliverer
from vantage.alerting.delivery_process import DeliveryProcess
from vantage.alerting.endpoints import router as alerting_router
from vantage.alerting.ssl_expiry import SslWatcher
from vantage.analytics.endpoints import router as analytics_router
from vantage.api.body_limit import BodyLimit
from vantage.api.common import storable_query
from vantage.api.docs import install_docs
from vantage.api.openapi import allow_header, document
from vantage.assets.endpoints import router as assets_router
from vantage.bundles.endpoints import MAX_BUNDLE_BYTES
from vantage.bundles.endpoints import router as bundles_router
from vantage.certificates.endpoints import router as certificates_router
from vantage.checks.endpoints import router as checks_router
from vantage.config import LOCAL_LOCATION, Settings
from vantage.dashboards.badge_cache import BADGES
from vantage.dashboards.badge_endpoints import router as badges_router
from vantage.dashboards.endpoints import router as dashboards_router
from vantage.dashboards.incidents import router as dashboard_incidents_router
from vantage.dashboards.public import router as public_dashboards_router
from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.errors import Unauthorized, VantageError, error_body
from vantage.groups.endpoints import router as groups_router
from vantage.heartbeats.endpoints import ping_router
from vantage.heartbeats.endpoints import router as heartbeats_router
from vantage.heartbeats.watcher import HeartbeatWatcher
from vantage.locations import service as locations
from vantage.locations.endpoints import router as locations_router
from vantage.locations.sampling import Sampler
from vantage.metrics import token_matches
from vantage.mqtt.endpoint import PATH as MQTT_PATH
from vantage.mqtt.endpoint import mqtt_endpoint
from vantage.projects.endpoints import router as projects_router
from vantage.resealing import reseal_stored
from vantage.results.endpoints import router as results_router
from vantage.retention.pruner import Pruner
from vantage.runtime import Runtime
from vantage.runtimes.endpoints import router as runtimes_router
from vantage.scheduling.scheduler import Reaper, Scheduler
from vantage.sealing import Sealer
from vantage.sessions.cancelling import router as cancel_router
from vantage.sessions.endpoints import router as sessions_router
from vantage.snippets.endpoints import router as snippets_router
from vantage.staticips.endpoints import router as static_ips_router
from vantage.statuses.endpoints import router as statuses_router
from vantage.statuspages import mail, public_cache
from vantage.statuspages.endpoints import router as status_pages_router
from vantage.statuspages.front import PublicFront
from vantage.statuspages.incidents import router as incidents_router
from vantage.statuspages.mail import Mailer
from vantage.statuspages.public import CustomDomains, own_host
from vantage.statuspages.public import router as public_status_router
from vantage.statuspages.subscriptions import router as subscriptions_router
from vantage.testsessions.channel import ResultChannel
from vantage.testsessions.endpoints import router as test_sessions_router
from vantage.timeutil import utcnow
from vantage.triggers.endpoints import open_router as trigger_urls_router
from vantage.triggers.endpoints import router as triggers_router
from vantage.ui.endpoints import router as ui_router
from vantage.ui.security import UiHeaders
from vantage.users.endpoints import router as members_router
from vantage.validation import bad_request
from vantage.variables.endpoints import router as variables_router

log = structlog.get_logger("vantage")
# How long the server waits, at shutdown, for its background loops to end once cancelled.
LOOP_STOP_SECONDS = 10.0


async def start_runtime(settings: Settings) -> Runtime:
    db = Database(settings.database_url)
    await upgrade(db)
    # The default location exists even when no embedded agent runs it (`--no-local-agent`: the
    # operator runs `vantage agent --location local`), so it is always the operator's: an account
    # can never create it as a private location and receive every check that names no location.
    async with db.write() as conn:
        needed = {settings.default_location} | ({LOCAL_LOCATION} if settings.local_agent else set())
        for slug in sorted(needed):
            name = slug
            if slug == LOCAL_LOCATION:
                name = "Local (embedded agent)" if settings.local_agent else "Local"
            taken_from = await locations.ensure_reserved(conn, slug, name)
            if taken_from is not None:
                log.warning(
                    "reserved location taken back from an account",
                    location=slug,
                    account_id=taken_from,
                    revoked="its agent keys",
                )
        sealed = await reseal_stored(conn, Sealer(settings.secrets_key))
    if sealed:
        log.info("stored secrets sealed", **sealed)
    return Runtime(settings=settings, db=db)


def _background(runtime: Runtime) -> dict[str, Callable[[], Coroutine[Any, Any, None]]]:
    settings = runtime.settings
    loops: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
        "reaper": Reaper(runtime).run_forever,
        "heartbeats": HeartbeatWatcher(runtime).run_forever,
        "retention": Pruner(runtime).run_forever,
        "location-samples": Sampler(runtime).run_forever,
    }
    if settings.scheduler:
        loops["scheduler"] = Scheduler(runtime).run_forever
    if settings.alert_delivery:
        wake = runtime.signals.alerts_queued
        if settings.alert_delivery_process:
            loops["alert-delivery"] = DeliveryProcess(settings, runtime.db, wake=wake).run_forever
        else:
            loops["alert-delivery"] = Deliverer(settings, runtime.db, wake=wake).run_forever
        loops["ssl-expiry"] = SslWatcher(runtime).run_forever
        loops["status-page-mail"] = Mailer(
            settings, runtime.db, wake=runtime.signals.mail_queued
        ).run_forever
    return loops


def _embedded(runtime: Runtime) -> Agent | None:
    settings = runtime.settings
    if not settings.local_agent:
        return None
    return embedded_agent(
        runtime, location=LOCAL_LOCATION, concurrency=settings.local_agent_concurrency
    )


async def _stop_agent(agent: Agent, task: asyncio.Task[int]) -> None:
    """Stop the embedded agent as `vantage agent` stops on SIGTERM: runs in flight get the drain,
    finished results are stored, the rest released to run again at once."""
    agent.stop("server stopping")
    options = agent.options
    try:
        async with asyncio.timeout(options.drain_seconds + options.flush_seconds + 5):
            await task
    except TimeoutError:
        log.warning("embedded agent did not stop in time")
    except Exception:
        log.exception("embedded agent failed")


async def _stop_loops(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the background loops and wait for them, but not forever: a loop that swallowed its
    cancellation must not keep the server from stopping, and the log names it."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, running = await asyncio.wait(tasks, timeout=LOOP_STOP_SECONDS)
    if running:
        log.warning("loops did not stop in time", loops=sorted(t.get_name() for t in running))


def create_app(settings: Settings, *, background: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(settings)
        app.state.runtime = runtime
        tasks: list[asyncio.Task[None]] = []
        agent: tuple[Agent, asyncio.Task[int]] | None = None
        ResultChannel(runtime).install()
        forget_on_replicas = public_cache.install(runtime.signals)
        forget_badges_on_replicas = BADGES.install(runtime.signals)
        stop_mail_wakeups = mail.install(runtime.signals)
        bus = runtime.db.wakeup_bus(runtime.signals)
        await bus.start()
        if bus.shared:
            # Other replicas signal through the bus, best-effort: waiters also re-read.
            runtime.recheck_seconds = settings.recheck_seconds
        if background:
            tasks = [
                asyncio.create_task(run(), name=name) for name, run in _background(runtime).items()
            ]
            embedded = _embedded(runtime)
            if embedded is not None:
                agent = (embedded, asyncio.create_task(embedded.run(), name="local-agent"))

        def stop_work() -> None:
            """The first SIGTERM/SIGINT (vantage.cli), before uvicorn waits for its connections:
            no session is scheduled any more, the embedded agent stops leasing and drains, and
            remote agents' long-polls are answered at once (empty), so they reconnect elsewhere
            and uvicorn need not wait out their 20 s."""
            for task in tasks:
                if task.get_name() == "scheduler":
                    task.cancel()
            if agent is not None:
                agent[0].stop("server stopping")
            runtime.signals.close_long_polls()

        app.state.stop_work = stop_work
        log.info(
            "vantage started",
            database=runtime.db.dialect,
            loops=[t.get_name() for t in tasks] + (["local-agent"] if agent else []),
            public_url=settings.base_url,
            probe_deny=settings.probe_deny if settings.local_agent else None,
            secrets_sealed=runtime.sealer.encrypts,
        )
        if not runtime.sealer.encrypts:
            log.warning(
                "secret values are stored unencrypted: set VANTAGE_SECRETS_KEY to seal them",
            )
        try:
            yield
        finally:
            # A deployment under way is one transaction: let it end rather than stay unfinished.
            await runtime.deploys.drain()
            # No new sessions first; then the agent drains what it holds.
            await _stop_loops(tasks)
            if agent is not None:
                await _stop_agent(*agent)
            runtime.hub.close_all()
            await bus.stop()
            forget_on_replicas()
            forget_badges_on_replicas()
            stop_mail_wakeups()
            await runtime.db.dispose()
            log.info("vantage stopped")

    app = FastAPI(
        title="Vantage",
        summary="Self-hosted synthetic monitoring with a Checkly-compatible API",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(storable_query)],
        # served from the package, not a CDN (vantage.api.docs)
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    for router in (
        accounts_router,
        members_router,
        checks_router,
        runtimes_router,
        static_ips_router,
        analytics_router,
        triggers_router,
        certificates_router,
        variables_router,
        snippets_router,
        heartbeats_router,
        ping_router,
        cancel_router,
        trigger_urls_router,
        groups_router,
        sessions_router,
        test_sessions_router,
        results_router,
        assets_router,
        statuses_router,
        locations_router,
        alerting_router,
        # before the pages' router: `/v1/status-pages/{id}` would take "incidents" for an id
        incidents_router,
        status_pages_router,
        subscriptions_router,
        dashboards_router,
        dashboard_incidents_router,
        badges_router,
        projects_router,
        bundles_router,
        agent_api_router,
        ui_router,
        public_status_router,
        public_dashboards_router,
    ):
        app.include_router(router)
    # The MQTT result channel (`checkly test`/`trigger`): a Starlette route, outside FastAPI's
    # dependencies, which read HTTP requests.
    app.router.add_websocket_route(MQTT_PATH, mqtt_endpoint)
    _install_error_handlers(app)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        prefixes={
            "/agent/": AGENT_MAX_BODY_BYTES,
            "/next/checkly-storage/upload-code-bundle": MAX_BUNDLE_BYTES,
        },
        timeout=settings.body_timeout_seconds,
    )
    app.add_middleware(UiHeaders)  # the web UI's CSP and friends, on UI paths only
    # inside CustomDomains, which maps a page's own domain to its path; a cached public page is
    # answered here without the framework (routing, dependencies, the middleware below)
    app.add_middleware(PublicFront)
    # outside UiHeaders: a status page's custom domain is served from `/status/{url}`, not the UI
    app.add_middleware(
        CustomDomains,
        runtime_of=lambda scope: scope["app"].state.runtime,
        own_host=own_host(settings.base_url),
    )
    app.add_middleware(RequestLog)  # outermost, so a 413 is logged too

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        token = runtime.settings.metrics_token
        # checked before the refresh: an unauthenticated scrape costs no database query
        if token and not token_matches(request.headers.get("authorization", ""), token):
            raise Unauthorized("Missing or wrong metrics token: send Authorization: Bearer <token>")
        async with runtime.db.read() as conn:
            await runtime.metrics.refresh(conn, utcnow())
        exposition = runtime.metrics.exposition(private_locations=bool(token))
        return Response(exposition, media_type=CONTENT_TYPE_LATEST)

    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VantageError)
    async def _vantage_error(_request: Request, exc: VantageError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        source = "payload"
        if errors and errors[0].get("loc") and errors[0]["loc"][0] in ("query", "path", "header"):
            source = {"query": "query", "path": "params", "header": "headers"}[errors[0]["loc"][0]]
        err = bad_request(errors, source=source)
        return JSONResponse(err.body(), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Error"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route whose path matched, not of all.
            headers["Allow"] = allow_header(app, request.url.path) or headers.get("Allow", "")
        return JSONResponse(
            error_body(exc.status_code, message), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return JSONResponse(error_body(500, "An internal server error occurred"), status_code=500)


class RequestLog:
    """One log line per request. A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` would
    hide a client's disconnect from the endpoints, and the agents' long-polls need to see it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - start) * 1000, 1),
            )
