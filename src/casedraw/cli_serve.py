"""`casedraw serve`, and the commands that manage who may call it: API tokens and people's accounts."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from casedraw.cli_support import DbOption, console, errors_console, fail, opened
from casedraw.services.access import (
    DEFAULT_RATE,
    AccessRefused,
    Role,
    create_account,
    create_token,
    disable_account,
    list_tokens,
    revoke_token,
    unlock_account,
)
from casedraw.store.db import database_url
from casedraw.store.repository import Store

T = TypeVar("T")

token_app = typer.Typer(no_args_is_help=True, help="API tokens for machine clients (banks, MFOs, the scheduler, monitors).")
account_app = typer.Typer(no_args_is_help=True, help="Accounts for people who log in (the web pages).")
ROLES = ", ".join(Role)


def _granting(db: str | None, action: Callable[[Store], T]) -> T:
    """Run an access change on the store; a refusal exits with its reason."""
    with opened(db) as store:
        try:
            return action(store)
        except AccessRefused as exc:
            fail(str(exc))


def add_serve_commands(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(token_app, name="token")
    app.add_typer(account_app, name="account")


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes sharing the port (each with its own intake writer).")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the web pages (/) and the HTTP API (/api/v1, OpenAPI at /api/v1/openapi.json) with JSON logs on stderr."""
    import uvicorn

    from casedraw.api.app import app_from_environment

    url = database_url(db)
    with opened(url):  # create or migrate the schema once, before any worker starts
        pass
    os.environ["CASEDRAW_DB"], os.environ["CASEDRAW_LOG_LEVEL"] = url, log_level
    console.print(f"casedraw on http://{host}:{port}/ (web pages) and http://{host}:{port}/api/v1 (API); "
                  f"{workers} worker(s), database {url.split('@')[-1]}", highlight=False)
    options = {"host": host, "port": port, "log_level": log_level, "access_log": False, "log_config": None,
               "loop": "uvloop", "http": "httptools", "server_header": False}
    if workers > 1:
        uvicorn.run("casedraw.api.app:app_from_environment", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(app_from_environment(), **options)  # type: ignore[arg-type]


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
    subject: Annotated[str, typer.Option(help="Who the token acts as: the claimant's IIN/BIN, the bailiff's licence, the member's id, ...")],
    label: Annotated[str, typer.Option(help="What the token is for (shown in listings).")] = "",
    rate: Annotated[int, typer.Option(help="Requests per second allowed (bursts of twice that).")] = DEFAULT_RATE,
    days: Annotated[int | None, typer.Option(help="Expire after this many days (default: never).")] = None,
    db: DbOption = None,
) -> None:
    """Create a token and print it once; only its hash is kept."""
    issued = _granting(db, lambda store: create_token(store, role, subject, label, rate=rate, days=days))
    errors_console.print(f"token {issued.id} for {role} {subject}; it is shown only now:")
    print(issued.token)


@token_app.command("revoke")
def token_revoke(ident: Annotated[str, typer.Argument(help="The token's id (the part after cdw_).")], db: DbOption = None) -> None:
    """Revoke a token; servers stop accepting it within 5 seconds."""
    _granting(db, lambda store: revoke_token(store, ident))
    console.print(f"token {ident} revoked")


@token_app.command("list")
def token_list(db: DbOption = None) -> None:
    with opened(db) as store:
        rows = list_tokens(store)
    table = Table("id", "role", "subject", "label", "rate/s", "created", "expires", "revoked", title="API tokens", title_justify="left")
    for row in rows:
        table.add_row(*(str(row[k] or "") for k in ("id", "role", "subject", "label", "rate", "created_at", "expires_at", "revoked_at")))
    console.print(table)


@account_app.command("create")
def account_create(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
    subject: Annotated[str, typer.Option(help="Who the person acts as (licence, member id, IIN/BIN, ...).")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input instead of asking.")] = False,
    db: DbOption = None,
) -> None:
    """Create an account for a person; the password is asked for (or read from stdin) and kept as a scrypt hash."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("password: ")
    _granting(db, lambda store: create_account(store, username, password, role, subject))
    console.print(f"account {username} ({role} {subject}) created")


@account_app.command("unlock")
def account_unlock(username: str, db: DbOption = None) -> None:
    """Lift the lock that wrong passwords put on an account."""
    _granting(db, lambda store: unlock_account(store, username))
    console.print(f"account {username} unlocked")


@account_app.command("disable")
def account_disable(username: str, db: DbOption = None) -> None:
    """Disable an account and end its sessions."""
    _granting(db, lambda store: disable_account(store, username))
    console.print(f"account {username} disabled")
