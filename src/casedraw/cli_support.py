"""What every casedraw command shares: consoles, the database option, failing with a clear message."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

# The consoles, exit codes and `fail` live with `verify`, the one command that loads alone.
from casedraw.cli_verify import console, errors_console, fail  # noqa: F401 (shared by every command)
from casedraw.domain.routing import ConfigError
from casedraw.io.tabular import FileFormatError, SourceRow, read_rows
from casedraw.services.intake import IdempotencyConflict
from casedraw.services.reports import Report
from casedraw.store.db import DatabaseUnavailable
from casedraw.store.repository import NotInitialised, Store

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="CASEDRAW_DB", help="Database URL: sqlite:///FILE (default sqlite:///casedraw.db) or postgresql+psycopg://..."),
]
ActorOption = Annotated[str, typer.Option("--as", help="Operator account recorded as the actor of the events.")]

EXIT_ROWS_REJECTED = 1
EXIT_DATABASE_UNAVAILABLE = 4  # the database is unreachable or full: nothing half-written, run the command again later


@contextmanager
def opened(db: str | None) -> Iterator[Store]:
    try:
        store = Store.open(db)
    except ValueError as exc:
        fail(str(exc))
    except DatabaseUnavailable as exc:
        database_unavailable(exc)
    try:
        yield store
    except (NotInitialised, ConfigError, FileFormatError, IdempotencyConflict) as exc:
        fail(str(exc))
    except DatabaseUnavailable as exc:
        database_unavailable(exc)
    finally:
        store.close()


def database_unavailable(exc: DatabaseUnavailable) -> typer.Exit:
    """A lost connection or a full disk: say so, and that running the same command again is safe."""
    errors_console.print(f"[bold red]error:[/] {escape(str(exc))} (safe to repeat: documents already registered are "
                         "recognised, a sealed round draws the same way)")
    raise typer.Exit(EXIT_DATABASE_UNAVAILABLE)


def print_outcomes(report: Report, what: str, errors_csv: Path | None, shown: int = 50) -> None:
    counts = report.counts()
    console.print(f"{what}: " + ", ".join(f"{status} {counts[status]:,}" for status in sorted(counts)) if counts else f"{what}: no rows")
    rejected = report.rejected
    if rejected:
        table = Table("row", "field", "reason", title=f"{len(rejected):,} rejected row(s)", title_justify="left")
        for outcome in rejected[:shown]:
            for error in outcome.errors:
                table.add_row(str(outcome.row), error.field, error.reason)
        errors_console.print(table)
        if len(rejected) > shown:
            errors_console.print(f"… and {len(rejected) - shown:,} more rejected rows" + ("" if errors_csv else " (use --errors-csv FILE for all)"))
    if errors_csv:
        with errors_csv.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "field", "reason"])
            writer.writerows([o.row, e.field, e.reason] for o in rejected for e in o.errors)


def read_file_rows(file: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> list[SourceRow]:
    try:
        return read_rows(file, required, optional)
    except FileFormatError as exc:
        fail(str(exc))
