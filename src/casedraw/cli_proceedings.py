"""Commands for the life of a document after its draw, and for measuring the reform.

    casedraw proceeding step DOC STEP --as bailiff:PB-00001     one step of a proceeding
    casedraw proceeding upload FILE --as bailiff:PB-00001       a batch of steps from CSV/XLSX/JSONL
    casedraw overdue [--region R] [--day D]                     the chamber's list of missed deadlines
    casedraw history import FILE                                records from before automatic distribution
    casedraw stats [EXPORT_DIR] [--db URL] [--csv F] [--parquet F]   indicators, the same from either source
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from casedraw.analytics.facts import Facts
from casedraw.cli_procedures import ActingOption, acting_as, parse_date, run_refusable
from casedraw.cli_support import EXIT_ROWS_REJECTED, DbOption, console, errors_console, fail, opened, print_outcomes, read_file_rows
from casedraw.domain.history import HISTORY_COLUMNS
from casedraw.ledger.publish import LOG_FILE
from casedraw.services import KZ_TIME
from casedraw.services.history import import_history
from casedraw.services.proceedings import StepOutcome, StepRequest, overdue, record_steps

proceeding_app = typer.Typer(no_args_is_help=True, help="A bailiff's steps after the draw: acknowledge, initiate, recover, suspend, resume, close.")
history_app = typer.Typer(no_args_is_help=True, help="Records from before automatic distribution, for comparison (docs/HISTORY.md).")
STEP_COLUMNS = ("doc", "step")
OPTIONAL_STEP_COLUMNS = ("amount_kzt", "reason", "reference", "note")


def add_proceeding_commands(app: typer.Typer) -> None:
    app.add_typer(proceeding_app, name="proceeding")
    app.add_typer(history_app, name="history")
    app.command("overdue")(overdue_command)
    app.command("stats")(stats)


def _tiyn(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        amount = Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return -1  # refused by the service with the field's name
    return int(amount * 100) if amount == amount.quantize(Decimal("0.01")) else -1


def _report(outcomes: list[StepOutcome]) -> None:
    accepted = [o for o in outcomes if o.error is None]
    console.print(f"steps: accepted {len(accepted):,}, refused {len(outcomes) - len(accepted):,}")
    refused = [o for o in outcomes if o.error is not None]
    if refused:
        table = Table("item", "document", "step", "reason", title=f"{len(refused):,} refused", title_justify="left")
        for o in refused:
            table.add_row(str(o.item), str(o.doc), o.step, o.error)
        errors_console.print(table)
        raise typer.Exit(EXIT_ROWS_REJECTED)


@proceeding_app.command("step")
def proceeding_step(
    doc: int,
    step: Annotated[str, typer.Argument(help="acknowledged, initiated, recovered, suspended, resumed or closed")],
    amount: Annotated[str, typer.Option(help="recovered: the payment in KZT")] = "",
    reason: Annotated[str, typer.Option(help="closed: recovered, returned, impossible, withdrawn or transferred; suspended/resumed: the ground")] = "",
    reference: Annotated[str, typer.Option(help="initiated: the resolution's number")] = "",
    note: Annotated[str, typer.Option(help="closed: a note (kept private)")] = "",
    db: DbOption = None,
    actor: ActingOption = ...,
) -> None:
    """Record one step of a proceeding, as the bailiff who holds it."""
    ctx = acting_as(actor)
    request = StepRequest(doc, step, _tiyn(amount), reason, reference, note)
    _report(run_refusable(db, lambda store: record_steps(store, ctx, [request])))


@proceeding_app.command("upload")
def proceeding_upload(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON Lines with columns: doc, step and optionally amount_kzt, reason, reference, note")],
    db: DbOption = None,
    actor: ActingOption = ...,
) -> None:
    """Record a batch of steps: each row is accepted or refused on its own; refused rows write nothing."""
    ctx = acting_as(actor)
    requests = []
    for number, row in read_file_rows(file, STEP_COLUMNS, OPTIONAL_STEP_COLUMNS):
        if isinstance(row, list):
            fail(f"row {number}: " + "; ".join(str(e) for e in row))
        try:
            doc = int(str(row["doc"]).strip())
        except ValueError:
            fail(f"row {number}: doc: {row['doc']!r} is not a document number")
        requests.append(StepRequest(doc, str(row["step"]).strip(), _tiyn(str(row.get("amount_kzt") or "")),
                                    str(row.get("reason") or ""), str(row.get("reference") or ""), str(row.get("note") or "")))
    _report(run_refusable(db, lambda store: record_steps(store, ctx, requests)))


def overdue_command(
    region: Annotated[str | None, typer.Option(help="Only this region")] = None,
    day: Annotated[str | None, typer.Option(help="As on this day (YYYY-MM-DD; default today in Kazakhstan)")] = None,
    db: DbOption = None,
) -> None:
    """Open proceedings not acknowledged or not initiated in time: what chambers follow up. Exit 1 if any."""
    today = parse_date("--day", day) if day else dt.datetime.now(KZ_TIME).date()
    late = run_refusable(db, lambda store: overdue(store, today, region))
    if not late:
        console.print(f"no missed deadlines on {today}")
        return
    table = Table("region", "bailiff", "document", "missed", "acknowledge by", "initiate by", title=f"missed deadlines on {today}", title_justify="left")
    for o in late:
        table.add_row(o.region, o.licence, str(o.doc), ", ".join(o.missed), str(o.acknowledge_by), str(o.initiate_by))
    console.print(table)
    raise typer.Exit(EXIT_ROWS_REJECTED)


@history_app.command("import")
def history_import(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON Lines with columns: " + ", ".join(HISTORY_COLUMNS))],
    db: DbOption = None,
    actor: ActingOption = "ministry:cli",
    errors_csv: Annotated[Path | None, typer.Option(help="Write every rejected row's errors to this CSV file.")] = None,
) -> None:
    """Import proceedings from before automatic distribution; each good record enters the public log."""
    rows = read_file_rows(file, HISTORY_COLUMNS[:5], HISTORY_COLUMNS[5:])
    ctx = acting_as(actor)
    with opened(db) as store:
        try:
            report = import_history(store, rows, ctx)
        except PermissionError as exc:
            errors_console.print(f"[bold red]refused:[/] {exc}")
            raise typer.Exit(EXIT_ROWS_REJECTED) from None
    print_outcomes(report, "historical records", errors_csv)
    if report.rejected:
        raise typer.Exit(EXIT_ROWS_REJECTED)


def stats(
    export: Annotated[Path | None, typer.Argument(help="An export directory (casedraw export): figures from the public log alone")] = None,
    db: DbOption = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write every indicator to this CSV file")] = None,
    parquet_out: Annotated[Path | None, typer.Option("--parquet", help="… and to this Parquet file")] = None,
    compare_csv: Annotated[Path | None, typer.Option(help="Write the before/after comparison to this CSV file")] = None,
    compare_parquet: Annotated[Path | None, typer.Option(help="… and to this Parquet file")] = None,
    by: Annotated[str, typer.Option(help="Which breakdown to print: all, region, bailiff, claimant_kind or month (files hold every one)")] = "all",
) -> None:
    """Processing times and recovery per region, bailiff, claimant kind and month, before and after the
    switch, with 95 % confidence intervals. The same figures from the database or from an export."""
    from casedraw.analytics import indicators as ind  # pyarrow and the statistics load only for this command
    from casedraw.analytics.from_db import facts_from_db
    from casedraw.analytics.from_log import facts_from_bodies
    from casedraw.analytics.output import COMPARISON_COLUMNS, INDICATOR_COLUMNS, write_csv, write_parquet

    if export is not None:
        log = export / LOG_FILE
        if not log.is_file():
            fail(f"{export}: no {LOG_FILE} here; give an export directory (casedraw export --out DIR)")
        with log.open("rb") as f:
            facts = facts_from_bodies(line.rstrip(b"\n") for line in f)
    else:
        with opened(db) as store:
            facts = facts_from_db(store)
    rows, comparison = ind.compute(facts), ind.compare(facts)
    for path, write, data, columns in ((csv_out, write_csv, rows, INDICATOR_COLUMNS), (parquet_out, write_parquet, rows, INDICATOR_COLUMNS),
                                       (compare_csv, write_csv, comparison, COMPARISON_COLUMNS),
                                       (compare_parquet, write_parquet, comparison, COMPARISON_COLUMNS)):
        if path is not None:
            write(data, columns, path)
    _print_stats(facts, rows, comparison, by)


def _number(value: object, unit: str = "") -> str:
    if value is None or value == "":
        return "–"
    if unit == "proportion" and isinstance(value, float):
        return f"{100 * value:.1f} %"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


# What the printed summary shows (the files hold every indicator): (indicator, column heading, field).
_SHOWN = (
    ("documents", "documents", "n"), ("days_to_initiation", "days to initiation, mean", "mean"),
    ("late_initiation_rate", "initiated late", "mean"), ("days_to_closure", "days to closure, median", "median"),
    ("recovered_share", "recovered at closure, %", "mean"), ("full_recovery_rate", "recovered in full", "mean"),
    ("applications", "para 12 applications", "n"),
)
_COMPARED = ("days_to_initiation", "days_to_closure", "recovered_share", "full_recovery_rate")


def _print_stats(facts: Facts, rows: list[dict[str, object]], comparison: list[dict[str, object]], by: str) -> None:
    console.print(f"as of {facts.as_of}: {len(facts.documents):,} documents, {len(facts.proceedings):,} proceedings, "
                  f"{len(facts.applications):,} applications, {len(facts.history):,} historical records")
    cells = {(r["group"], r["indicator"]): r for r in rows if r["by"] == by and r["period"] == "after"}
    groups = sorted({group for group, _ in cells}, key=str)
    table = Table(by, *(heading for _, heading, _ in _SHOWN), title=f"after automatic distribution, by {by}", title_justify="left")
    for group in groups:
        table.add_row(str(group), *(_number(cells[(group, name)][field], str(cells[(group, name)]["unit"])) if (group, name) in cells else "–"
                                    for name, _, field in _SHOWN))
    console.print(table)
    shown = [c for c in comparison if c["by"] == by and c["indicator"] in _COMPARED]
    if not shown:
        return
    table = Table(by, "indicator", "before", "after", "after − before [95 % CI]", title="before and after automatic distribution",
                  title_justify="left")
    for c in shown:
        unit = str(c["unit"])
        table.add_row(
            str(c["group"]), str(c["indicator"]), _number(c["before_mean"], unit), _number(c["after_mean"], unit),
            f"{_number(c['difference'], unit)} [{_number(c['difference_low'], unit)}, {_number(c['difference_high'], unit)}]"
            + (" *" if c["significant"] else ""),
        )
    console.print(table)
    console.print("* the 95 % confidence interval of the difference excludes 0")
