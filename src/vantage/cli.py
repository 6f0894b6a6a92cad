"""The `vantage` command line: the server, and the operator's account and database chores."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from vantage.config import DEFAULT_DATABASE_URL, Settings
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
    raise AssertionError("unreachable")


@app.command()
def server(
    host: Annotated[str, typer.Option(envvar="VANTAGE_HOST", help="Address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(envvar="VANTAGE_PORT", help="Port to listen on.")] = 8080,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    public_url: Annotated[
        str | None,
        typer.Option(envvar="VANTAGE_PUBLIC_URL", help="Base URL of links in API answers."),
    ] = None,
    no_local_agent: Annotated[
        bool,
        typer.Option(
            "--no-local-agent",
            envvar="VANTAGE_NO_LOCAL_AGENT",
            help="Do not run checks in this process (remote agents run them).",
        ),
    ] = False,
    log_format: Annotated[
        str, typer.Option(envvar="VANTAGE_LOG_FORMAT", help="console or json")
    ] = "console",
) -> None:
    """Run the Vantage server (API, scheduler and, by default, an agent for location `local`)."""
    import uvicorn

    from vantage.app import create_app
    from vantage.db.engine import DatabaseUrlError, async_url
    from vantage.logs import configure

    try:
        async_url(database_url)
    except DatabaseUrlError as exc:
        fail(exc.message)
    settings = Settings(
        host=host,
        port=port,
        database_url=database_url,
        public_url=public_url,
        local_agent=not no_local_agent,
        log_format=log_format,
    )
    configure(log_format)
    typer.echo(f"Vantage listening on http://{host}:{port} (database: {database_url})", err=True)
    typer.echo(
        "Create an account and API key: vantage accounts create NAME "
        f"--database-url {database_url}",
        err=True,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        # The checkly CLI keeps connections alive and waits for them on exit: close idle ones soon.
        timeout_keep_alive=2,
    )


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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
