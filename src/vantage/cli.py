"""The `vantage` command line: the server, and the operator's account and database chores."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from sqlalchemy.exc import DBAPIError

from vantage.config import DEFAULT_DATABASE_URL, AgentSettings, Settings
from vantage.errors import VantageError

T = TypeVar("T")

app = typer.Typer(
    name="vantage",
    help="Self-hosted synthetic monitoring with a Checkly-compatible API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
accounts_app = typer.Typer(help="Accounts.", no_args_is_help=True)
api_keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(api_keys_app, name="api-keys")
app.add_typer(db_app, name="db")
locations_app = typer.Typer(help="Run locations and their agent keys.", no_args_is_help=True)
app.add_typer(locations_app, name="locations")
location_keys_app = typer.Typer(
    help="Agent keys of the operator's locations.", no_args_is_help=True
)
locations_app.add_typer(location_keys_app, name="keys")
users_app = typer.Typer(help="Users of the web UI.", no_args_is_help=True)
app.add_typer(users_app, name="users")

DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="VANTAGE_DATABASE_URL",
        help="sqlite:///path/to/file.db or postgresql://user@host:port/db",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run an async command; domain errors become a one-line message and exit code 1."""
    try:
        return asyncio.run(coro)
    except VantageError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")
    except DBAPIError as exc:
        fail(f"cannot open the database: {str(exc.orig or exc).splitlines()[0]}")
    raise AssertionError("unreachable")


# Settings fields that are no flag of their own: `--no-local-agent` is local_agent's.
NOT_FLAGS = frozenset({"no_local_agent"})


def server(ctx: typer.Context, **options: Any) -> None:
    """Run the Vantage server (API, scheduler and, by default, an agent for location `local`).

    Every option is also a VANTAGE_* environment variable; an option given here wins over it.
    """
    import uvicorn

    from vantage.api.keep_alive import KEEP_ALIVE_SECONDS, keep_alive_hint
    from vantage.api.slow_clients import http_protocol
    from vantage.app import create_app
    from vantage.db.engine import DatabaseUrlError, check_database_url
    from vantage.logs import configure

    # Only what was typed overrides: the rest Settings reads from VANTAGE_* (empty values too) or
    # takes from its own defaults, so there is one default and one parser per setting.
    given = {name: value for name, value in options.items() if _typed(ctx, name)}
    try:
        settings = Settings(**given)
    except ValidationError as exc:
        # a setting the server cannot use: say which, without a traceback
        fail("; ".join(_setting_error(e) for e in exc.errors()))
    try:
        check_database_url(settings.database_url)
    except DatabaseUrlError as exc:
        fail(exc.message)
    configure(settings.log_format)
    # uvicorn re-raises the signal that stopped it once it has shut down cleanly; a handler of our
    # own turns that SIGTERM into exit code 0, as a service manager expects from a clean stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    for line in _welcome(settings):
        typer.echo(line, err=True)
    application = create_app(settings)
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=http_protocol(settings.header_timeout_seconds),
        log_config=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        headers=[keep_alive_hint()],
    )
    _server_class()(config, application).run()


def _server_class() -> type[Any]:
    import uvicorn
    from fastapi import FastAPI

    class Server(uvicorn.Server):
        """uvicorn's server, told about the signals: the first stops the background work at
        once (vantage.app: stop_work), not only after the open connections have closed; a second
        exits at once and quietly."""

        def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
            super().__init__(config)
            self.app = app

        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets)
            # What exists once the app has started (modules, routes, compiled statements) lives
            # as long as the process: out of the collector's sight, a collection walks only what
            # requests create (it took ~5% of the server's CPU under load).
            gc.freeze()

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.should_exit:
                os._exit(128 + sig)
            super().handle_exit(sig, frame)
            stop_work = getattr(self.app.state, "stop_work", None)
            if stop_work is None:
                return  # a signal before the lifespan started: nothing runs yet
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            loop.call_soon_threadsafe(stop_work)

    return Server


def _welcome(settings: Settings) -> list[str]:
    """What the server prints as it starts: where it listens, and the pages to open."""
    listening = f"http://{settings.host}:{settings.port}"
    # An address that listens everywhere is not one a browser can open.
    local = settings.host in ("0.0.0.0", "::", "")
    base = settings.public_url or (f"http://127.0.0.1:{settings.port}" if local else listening)
    base = base.rstrip("/")
    return [
        f"Vantage listening on {listening} (database: {settings.database_url})",
        f"  API docs:  {base}/docs",
        f"  OpenAPI:   {base}/openapi.json",
        f"  Metrics:   {base}/metrics",
        "Create an account and API key: vantage accounts create NAME "
        f"--database-url {settings.database_url}",
    ]


def _typed(ctx: typer.Context, name: str) -> bool:
    # By name: typer carries its own copy of click, whose ParameterSource is not click's.
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _settings_flags(
    command: Callable[..., None],
    model: type[BaseSettings],
    variable: Callable[[str], str],
) -> Callable[..., None]:
    """Give `command` one option per field of `model`: its name, type, default and description,
    and the variable that also sets it in its help. Click reads no variable itself (the model
    does, so there is one default and one parser per setting)."""
    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    ]
    annotations: dict[str, Any] = {"ctx": typer.Context, "return": None}
    for name, field in model.model_fields.items():
        if name in NOT_FLAGS:
            continue
        flag = "--" + name.replace("_", "-")
        if field.annotation is bool:
            flag = f"{flag}/--no-{name.replace('_', '-')}"
        required = field.is_required()
        option = typer.Option(
            flag,
            # Parentheses: typer's rich help would take "[env: …]" for markup and drop it.
            help=f"{field.description or ''} (env: {variable(name)})"
            + (" (required)" if required else ""),
            show_default=not required and field.default is not None,
        )
        annotation: Any = field.annotation | None if required else field.annotation  # type: ignore[operator]
        annotations[name] = Annotated[annotation, option]
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotations[name],
                default=None if required else field.default,
            )
        )
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = annotations
    return command


app.command("server")(_settings_flags(server, Settings, lambda name: f"VANTAGE_{name.upper()}"))


def _setting_error(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message  # a rule over several settings names them itself
    name = "_".join(str(part) for part in error["loc"]).upper()
    return f"VANTAGE_{name}: {message}"


async def _with_db(database_url: str, action: Any) -> Any:
    from vantage.db.engine import Database
    from vantage.db.migrate import upgrade

    db = Database(database_url, pool_size=1)
    try:
        await upgrade(db)
        async with db.write() as conn:
            return await action(conn)
    finally:
        await db.dispose()


@accounts_app.command("create")
def accounts_create(
    name: str, database_url: DatabaseUrl = DEFAULT_DATABASE_URL, as_json: AsJson = False
) -> None:
    """Create an account and its first API key (shown once)."""
    from vantage.accounts.service import create_account

    new = run(_with_db(database_url, lambda conn: create_account(conn, name)))
    if as_json:
        typer.echo(json.dumps({"accountId": new.account.id, "apiKey": new.api_key}))
        return
    typer.echo(f"Account:  {new.account.id} ({new.account.name})")
    typer.echo(f"API key:  {new.api_key}")
    typer.echo("The key is shown only once: store it now.", err=True)


@accounts_app.command("alert-settings")
def accounts_alert_settings(
    account: str,
    set_json: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="Checkly alertSettings as JSON (missing fields take Checkly's defaults); "
            "without it, print the current ones.",
        ),
    ] = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Show or set an account's alert settings, which its checks with
    useGlobalAlertSettings follow (Checkly's API only reads them)."""
    from vantage.alerting import account_settings

    if set_json is None:
        action = _with_db(database_url, lambda conn: account_settings.read(conn, account))
    else:
        try:
            raw = json.loads(set_json)
        except ValueError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="--set") from exc
        action = _with_db(database_url, lambda conn: account_settings.write(conn, account, raw))
    typer.echo(json.dumps(run(action), indent=2))


@users_app.command("create")
def users_create(
    email: str,
    account: Annotated[str, typer.Option("--account", help="The account id.")],
    role: Annotated[
        str, typer.Option("--role", help="admin, read-write or read-only.")
    ] = "read-only",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    as_json: AsJson = False,
) -> None:
    """Create a user who logs in to the web UI (the password is asked for, never a flag)."""
    from vantage.timeutil import utcnow
    from vantage.users.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = run(
        _with_db(
            database_url, lambda conn: create_user(conn, email, account, role, password, utcnow())
        )
    )
    if as_json:
        typer.echo(json.dumps({"id": user.id, "email": user.email, "role": user.role}))
        return
    typer.echo(f"User:  {user.email} ({user.role}) in account {user.account_id}")


@api_keys_app.command("create")
def api_keys_create(
    account: Annotated[str, typer.Option("--account", help="The account id.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    as_json: AsJson = False,
) -> None:
    """Create another API key for an account (shown once)."""
    from vantage.accounts.service import create_api_key

    key = run(_with_db(database_url, lambda conn: create_api_key(conn, account)))
    if as_json:
        typer.echo(json.dumps({"accountId": account, "apiKey": key}))
        return
    typer.echo(f"API key:  {key}")
    typer.echo("The key is shown only once: store it now.", err=True)


@api_keys_app.command("list")
def api_keys_list(
    account: Annotated[str, typer.Option("--account", help="The account id.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    as_json: AsJson = False,
) -> None:
    """List an account's API keys: id, prefix and creation time (never the key)."""
    from vantage.accounts.service import list_api_keys

    keys = run(_with_db(database_url, lambda conn: list_api_keys(conn, account)))
    if as_json:
        typer.echo(json.dumps([key.wire() for key in keys]))
        return
    for key in keys:
        wire = key.wire()
        typer.echo(f"{wire['id']}\t{wire['prefix']}…\t{wire['created_at']}")


@api_keys_app.command("revoke")
def api_keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's id or prefix (or the key itself).")],
    account: Annotated[str, typer.Option("--account", help="The account id.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    as_json: AsJson = False,
) -> None:
    """Revoke one of an account's API keys: it is refused from the next request on. The last key
    may be revoked too; `vantage api-keys create` makes a new one."""
    from vantage.accounts.service import revoke_api_key

    revoked, left = run(_with_db(database_url, lambda conn: revoke_api_key(conn, account, key)))
    if as_json:
        typer.echo(json.dumps({**revoked.wire(), "remainingKeys": left}))
    else:
        typer.echo(f"Revoked API key {revoked.prefix}… ({revoked.id}).")
    if left == 0:
        typer.echo(
            f"The account has no API key left: vantage api-keys create --account {account}",
            err=True,
        )


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Apply database migrations."""
    from vantage.db.engine import Database
    from vantage.db.migrate import current_revision, upgrade

    async def _upgrade() -> str | None:
        db = Database(database_url, pool_size=1)
        try:
            await upgrade(db)
            return await current_revision(db)
        finally:
            await db.dispose()

    revision = run(_upgrade())
    typer.echo(f"database at revision {revision}")


@locations_app.command("create")
def locations_create(
    slug: str,
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 'Office Berlin'.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    as_json: AsJson = False,
) -> None:
    """Create a location offered to every account, and its first agent key (shown once)."""
    from vantage.locations.service import create

    location, key = run(_with_db(database_url, lambda conn: create(conn, slug, name)))
    if as_json:
        typer.echo(json.dumps({"slug": location.slug, "agentKey": key.raw_key}))
        return
    typer.echo(f"Location:   {location.slug} ({location.name})")
    typer.echo(f"Agent key:  {key.raw_key}")
    typer.echo("The key is shown only once: store it now.", err=True)
    typer.echo(
        f"Start an agent: VANTAGE_AGENT_KEY=KEY vantage agent --server URL --location "
        f"{location.slug}",
        err=True,
    )


@locations_app.command("key")
def locations_key(
    slug: str, database_url: DatabaseUrl = DEFAULT_DATABASE_URL, as_json: AsJson = False
) -> None:
    """Create another agent key for a location (shown once)."""
    from vantage.errors import NotFound
    from vantage.locations.keys import NewAgentKey, create_agent_key
    from vantage.locations.service import by_slug

    async def _key(conn: Any) -> NewAgentKey:
        if await by_slug(conn, slug) is None:
            raise NotFound(f"No location {slug!r}: create it with `vantage locations create`.")
        return await create_agent_key(conn, slug)

    key = run(_with_db(database_url, _key))
    if as_json:
        typer.echo(json.dumps({"slug": slug, "agentKey": key.raw_key}))
        return
    typer.echo(f"Agent key:  {key.raw_key}")
    typer.echo("The key is shown only once: store it now.", err=True)


async def _operator_location(conn: Any, slug: str) -> None:
    from vantage.errors import NotFound
    from vantage.locations.service import by_slug

    location = await by_slug(conn, slug)
    # an account's private location is its own to manage, through the API
    if location is None or location.account_id is not None:
        raise NotFound(f"No location {slug!r}: see vantage locations list.")


@location_keys_app.command("list")
def location_keys_list(
    slug: str, database_url: DatabaseUrl = DEFAULT_DATABASE_URL, as_json: AsJson = False
) -> None:
    """List a location's agent keys: id, masked key and creation time."""
    from vantage.locations.keys import keys_of

    async def _list(conn: Any) -> list[dict[str, Any]]:
        await _operator_location(conn, slug)
        return (await keys_of(conn, [slug]))[slug]

    keys = run(_with_db(database_url, _list))
    if as_json:
        typer.echo(json.dumps(keys))
        return
    for key in keys:
        typer.echo(f"{key['id']}\t{key['maskedKey']}\t{key['created_at']}")


@location_keys_app.command("revoke")
def location_keys_revoke(
    slug: str,
    key_id: Annotated[str, typer.Argument(help="The key's id (vantage locations keys list).")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    as_json: AsJson = False,
) -> None:
    """Revoke an agent key: agents presenting it are refused from their next call on."""
    from vantage.errors import NotFound
    from vantage.locations.keys import delete_agent_key

    async def _revoke(conn: Any) -> None:
        await _operator_location(conn, slug)
        if not await delete_agent_key(conn, slug, key_id):
            raise NotFound(f"No agent key {key_id!r} of location {slug!r}.")

    run(_with_db(database_url, _revoke))
    if as_json:
        typer.echo(json.dumps({"slug": slug, "id": key_id}))
        return
    typer.echo(f"Revoked agent key {key_id} of {slug}.")


@locations_app.command("list")
def locations_list(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL, as_json: AsJson = False
) -> None:
    """List the operator's locations (not accounts' private ones): their agents, the last
    heartbeat, and the runs waiting with how late the oldest is (queue lag)."""
    from vantage.locations.service import health, list_all, refs

    async def _list(conn: Any) -> list[dict[str, Any]]:
        found = await list_all(conn)
        known = await refs(conn)
        seen = await health(conn, [known[location["region"]] for location in found])
        return [{**location, **seen[location["region"]]} for location in found]

    found = run(_with_db(database_url, _list))
    if as_json:
        typer.echo(json.dumps(found))
        return
    for location in found:
        typer.echo(_location_line(location))


def _location_line(location: dict[str, Any]) -> str:
    agents = location["agents"]
    alive = sum(1 for agent in agents if agent["alive"])
    last = agents[0]["lastSeen"] if agents else "never"
    if location["region"] == "local" and not agents:
        last = "never (the embedded agent sends none)"
    queue = location["queue"]
    line = (
        f"{location['region']}\t{location['name']}\tagents: {alive} alive\t"
        f"last heartbeat: {last}\twaiting: {queue['waiting']}, running: {queue['running']}, "
        f"lag: {queue['lagSeconds']:g} s"
    )
    if not alive:
        line += "\t" + _no_live_agent_hint(location["region"])
    return line


def _no_live_agent_hint(slug: str) -> str:
    """What the sessions waiting there say (`locationErrors`), and what to start."""
    from vantage.sessions.endpoints import NO_LIVE_AGENT

    start = f"`vantage agent --location {slug}`"
    if slug == "local":
        start = f"`vantage server` (its embedded agent) or {start}"
    return f"hint: no live agent ({NO_LIVE_AGENT}), its runs wait: start {start}"


def agent(ctx: typer.Context, **options: Any) -> None:
    """Run checks for one location, leasing work from a Vantage server over HTTP(S).

    Every option is also an environment variable (shown with it); an option given here wins.
    Pass the agent key in VANTAGE_AGENT_KEY: an option shows in the process list.
    """
    from vantage.agent.outbox import OutboxLocked
    from vantage.agent.remote import run_agent
    from vantage.config import AgentSettings
    from vantage.logs import configure

    given = {name: value for name, value in options.items() if _typed(ctx, name)}
    try:
        settings = AgentSettings(**given)
    except ValidationError as exc:
        fail("; ".join(_agent_setting_error(e) for e in exc.errors()))
    configure(settings.log_format)

    import uvloop

    try:
        # The probes' CPU cost and timing accuracy were measured on uvloop.
        code = uvloop.run(run_agent(settings))
    except OutboxLocked as exc:
        fail(str(exc))
    raise typer.Exit(code)


def _agent_setting_error(error: Any) -> str:
    from vantage.config import AgentSettings

    message = str(error["msg"]).removeprefix("Value error, ")
    if message == "Field required":
        message = "required"
    where = str(error["loc"][0]) if error["loc"] else ""
    for name in AgentSettings.model_fields:
        variable = AgentSettings.variable(name)
        if where in (name, variable):
            return f"--{name.replace('_', '-')} ({variable}): {message}"
    return message


app.command("agent")(_settings_flags(agent, AgentSettings, AgentSettings.variable))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
