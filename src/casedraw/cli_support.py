"""What every casedraw command shares: consoles, the database option, failing with a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from casedraw.domain.routing import ConfigError
from casedraw.io.tabular import FileFormatError
from casedraw.services.intake import IdempotencyConflict
from casedraw.store.repository import NotInitialised, Store

console = Console(soft_wrap=True)  # piped output stays one line per message
errors_console = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="CASEDRAW_DB", help="Database URL: sqlite:///FILE (default sqlite:///casedraw.db) or postgresql+psycopg://..."),
]
ActorOption = Annotated[str, typer.Option("--as", help="Operator account recorded as the actor of the events.")]

EXIT_ROWS_REJECTED = 1
EXIT_UNUSABLE_INPUT = 2


@contextmanager
def opened(db: str | None) -> Iterator[Store]:
    try:
        store = Store.open(db)
    except ValueError as exc:
        fail(str(exc))
    try:
        yield store
    except (NotInitialised, ConfigError, FileFormatError, IdempotencyConflict) as exc:
        fail(str(exc))
    finally:
        store.close()


def fail(message: str) -> typer.Exit:
    errors_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(EXIT_UNUSABLE_INPUT)


