"""The casedraw command line."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from casedraw import demo as demo_data
from casedraw.cli_procedures import add_procedure_commands
from casedraw.cli_proceedings import add_proceeding_commands, stats
from casedraw.cli_serve import add_serve_commands
from casedraw.cli_support import (
    EXIT_ROWS_REJECTED,
    ActorOption,
    DbOption,
    console,
    errors_console,
    fail,
    opened,
    print_outcomes,
    read_file_rows,
)
from casedraw.cli_verify import verify
from casedraw.domain.model import BAILIFF_COLUMNS, DOCUMENT_COLUMNS, OPTIONAL_BAILIFF_COLUMNS, OPTIONAL_DOCUMENT_COLUMNS
from casedraw.domain.regions import REGIONS
from casedraw.ledger.events import Actor
from casedraw.services import KZ_TIME, Context
from casedraw.services.intake import CHUNK, submit_documents
from casedraw.services.preparing import PreparingProcess
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import RoundResult, run_round
from casedraw.services.setup import initialise

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Fair, unpredictable and verifiable distribution of enforcement documents.")
registry_app = typer.Typer(no_args_is_help=True, help="The register of private bailiffs.")
app.add_typer(registry_app, name="registry")
receipt_app = typer.Typer(no_args_is_help=True, help="Claimants' receipts: proofs of registration and assignment.")
app.add_typer(receipt_app, name="receipt")
add_procedure_commands(app)
add_proceeding_commands(app)
add_serve_commands(app)
def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors_console, transient=True,
    )


@app.command()
def init(db: DbOption = None, actor: ActorOption = "cli") -> None:
    """Create or migrate the database and record the default configuration."""
    with opened(db) as store:
        created = initialise(store, Context(Actor("ministry", actor)))
    console.print("configuration version 1 recorded" if created else "already initialised; nothing changed")


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON Lines with columns: " + ", ".join(BAILIFF_COLUMNS + OPTIONAL_BAILIFF_COLUMNS))],
    db: DbOption = None,
    actor: ActorOption = "cli",
    errors_csv: Annotated[Path | None, typer.Option(help="Write every rejected row's errors to this CSV file.")] = None,
) -> None:
    """Import private bailiffs: new licences are registered, changed rows recorded, identical rows ignored."""
    rows = read_file_rows(file, BAILIFF_COLUMNS, OPTIONAL_BAILIFF_COLUMNS)
    with opened(db) as store:
        report = import_bailiffs(store, rows, Context(Actor("chamber", actor)))
    print_outcomes(report, "bailiffs", errors_csv)
    if report.rejected:
        raise typer.Exit(EXIT_ROWS_REJECTED)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON Lines with columns: " + ", ".join(DOCUMENT_COLUMNS + OPTIONAL_DOCUMENT_COLUMNS))],
    db: DbOption = None,
    actor: ActorOption = "cli",
    idempotency_key: Annotated[str | None, typer.Option(help="Repeat a request safely: the same key returns the first answer.")] = None,
    errors_csv: Annotated[Path | None, typer.Option(help="Write every rejected row's errors to this CSV file.")] = None,
) -> None:
    """Register enforcement documents. Good rows are accepted even when others are rejected; resubmitted documents are recognised."""
    rows = read_file_rows(file, DOCUMENT_COLUMNS, OPTIONAL_DOCUMENT_COLUMNS)
    # A file of more than one chunk is prepared on the second core while this process registers.
    with opened(db) as store, _progress() as progress, PreparingProcess() if len(rows) > CHUNK else nullcontext() as preparer:
        task = progress.add_task(f"submitting {file.name}", total=len(rows))
        report = submit_documents(
            store, rows, Context(Actor("claimant", actor)), idempotency_key=idempotency_key,
            progress=lambda n: progress.advance(task, n), preparer=preparer,
        )
    print_outcomes(report, "documents", errors_csv)
    if report.rejected:
        raise typer.Exit(EXIT_ROWS_REJECTED)


EXIT_WAITING = 3


@app.command()
def draw(
    db: DbOption = None,
    actor: ActorOption = "cli",
    beacon: Annotated[str, typer.Option(help="Randomness for new rounds: hashchain (offline, anchor published at init) or drand-quicknet.")] = "hashchain",
    drand_file: Annotated[Path | None, typer.Option(help="File of drand quicknet rounds (JSON or JSON Lines).")] = None,
    drand_url: Annotated[str | None, typer.Option(help="drand relay base URL, e.g. https://api.drand.sh")] = None,
) -> None:
    """Seal a round of every waiting document, take its randomness, and draw. Exit 3 while a drand value is not yet published."""
    from casedraw.draw.beacons import BeaconInvalid, BeaconUnavailable, DrandFileFeed, DrandHttpFeed
    from casedraw.services.rounds import NoRandomnessSource

    feed = DrandFileFeed(drand_file) if drand_file else DrandHttpFeed(drand_url) if drand_url else None
    with opened(db) as store:
        try:
            result = run_round(store, Context(Actor("system", actor)), source=beacon, drand=feed)
        except (BeaconUnavailable, NoRandomnessSource) as exc:
            errors_console.print(f"[yellow]waiting:[/] {exc}; the round stays sealed: run `casedraw draw` again")
            raise typer.Exit(EXIT_WAITING) from None
        except (BeaconInvalid, ValueError) as exc:
            fail(str(exc))
    if result is None:
        console.print("nothing to draw: no registered or pending documents")
        return
    console.print(
        f"round {result.round}: {result.documents:,} documents, {result.assigned:,} assigned, "
        f"{result.pending:,} pending; seed {result.seed}"
    )


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Directory for the public log and its signed checkpoints.")],
    db: DbOption = None,
) -> None:
    """Write the public log (no personal data) and a signed checkpoint, ready for any static web server."""
    from casedraw.services.publication import export_store
    from casedraw.services.setup import LOG_ORIGIN, log_signer

    with opened(db) as store:
        signer = log_signer(store)
        checkpoint = export_store(store, out, signer, LOG_ORIGIN)
    console.print(f"exported {checkpoint.size:,} events to {out}; root {checkpoint.root.hex()}")
    console.print(f"verifier key: {signer.verifier_key()}")


app.command("verify")(verify)


@receipt_app.command("issue")
def receipt_issue(
    document: Annotated[int, typer.Argument(help="Document number in casedraw.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the receipt (JSON).")],
    kind: Annotated[str, typer.Option(help="registration or assignment.")] = "registration",
    db: DbOption = None,
) -> None:
    """Write a receipt proving a document's registration (with what opens its commitment) or its assignment."""
    from casedraw.services.publication import NoSuchReceipt, issue_receipt
    from casedraw.services.setup import LOG_ORIGIN, log_signer

    with opened(db) as store:
        try:
            receipt = issue_receipt(store, document, kind, log_signer(store), LOG_ORIGIN)
        except NoSuchReceipt as exc:
            fail(str(exc))
    out.write_text(json.dumps(receipt, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    console.print(f"{kind} receipt for document {document}: log index {receipt['index']}, written to {out}")


@receipt_app.command("check")
def receipt_check(
    file: Annotated[Path, typer.Argument(help="A receipt written by `casedraw receipt issue`.")],
    key: Annotated[str, typer.Option(help="The log's verifier key, as published by the operator.")],
    origin: Annotated[str | None, typer.Option(help="Expected checkpoint origin.")] = None,
) -> None:
    """Check a receipt offline against the log's key: signature, inclusion in the log, and the commitment."""
    from casedraw.ledger.checkpoint import NoteVerifier
    from casedraw.ledger.receipts import ReceiptInvalid, check_receipt

    try:
        receipt = json.loads(file.read_text(encoding="utf-8"))
        facts = check_receipt(receipt, NoteVerifier.from_vkey(key), origin)
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{file}: cannot read the receipt ({exc})")
    except ReceiptInvalid as exc:
        errors_console.print(f"[bold red]receipt INVALID:[/] {exc}")
        raise typer.Exit(1) from None
    data = facts.event["data"]
    console.print(f"receipt valid: log index {facts.index} of {facts.checkpoint.size}, signed by the log ({facts.checkpoint.origin})")
    if facts.kind == "registration":
        console.print(f"document {facts.document} registered at {facts.event['at']}: region {data['region']}, {data['category']}, channel {data['channel']}")
        if facts.opened is not None:
            console.print(f"commitment opened: document No. {facts.opened['number']} of {facts.opened['date']} by {facts.opened['issuing_body']}")
    else:
        licence, how = facts.assigned_to  # type: ignore[misc]
        console.print(f"document {facts.document} assigned in round {data['round']} to {licence} ({how})")


@app.command()
def monitor(
    source: Annotated[str, typer.Argument(help="An export directory or the URL it is served at.")],
    key: Annotated[str, typer.Option(help="The log's verifier key, as published by the operator.")],
    state: Annotated[Path, typer.Option(help="Where the monitor remembers the last checkpoint it accepted.")] = Path("casedraw-monitor.json"),
    origin: Annotated[str | None, typer.Option(help="Expected checkpoint origin.")] = None,
    every: Annotated[float, typer.Option(min=0, help="Seconds between checks when following.")] = 60.0,
    times: Annotated[int, typer.Option(min=1, help="How many checks to make (1 = check once).")] = 1,
) -> None:
    """Follow a published log's checkpoints and check each extends the last one seen (consistency proofs)."""
    from casedraw.ledger.checkpoint import NoteVerifier
    from casedraw.ledger.monitor import MonitorAlarm, Seen, SourceUnavailable, check_once

    verifier = NoteVerifier.from_vkey(key)
    for attempt in range(times):
        if attempt:
            time.sleep(every)
        try:
            checkpoint, what = check_once(source, verifier, Seen.load(state), origin)
        except MonitorAlarm as exc:
            errors_console.print(f"[bold red]ALARM:[/] {exc}")
            raise typer.Exit(1) from None
        except SourceUnavailable as exc:
            errors_console.print(f"[yellow]unavailable:[/] {exc}")
            raise typer.Exit(EXIT_WAITING) from None
        state.write_text(Seen(checkpoint.size, checkpoint.root).to_json() + "\n", encoding="utf-8")
        console.print(what)


@app.command()
def loads(db: DbOption = None) -> None:
    """Per-region weighted load of the bailiffs the draw serves."""
    with opened(db) as store, store.read() as conn:
        _print_loads(store.region_loads(conn))


def _print_loads(loads: dict[str, dict[str, float]]) -> None:
    table = Table(title="Weighted load per unit of allocation share, by region", title_justify="left")
    for column in ("region", "PBs", "assigned", "pending", "min load", "max load", "gap"):
        table.add_column(column, justify="left" if column == "region" else "right")
    for iso, region in REGIONS.items():
        r = loads.get(iso)
        if r is None:
            continue
        low = r["min_load"] if r["bailiffs"] else 0.0
        table.add_row(
            f"{iso} {region.name_en.removesuffix(' Region')}", f"{int(r['bailiffs']):,}", f"{int(r['assigned']):,}",
            f"{int(r['pending']):,}", f"{low:,.1f}", f"{r['max_load']:,.1f}", f"{r['max_load'] - low:,.1f}",
        )
    console.print(table)


@app.command()
def summary(db: DbOption = None) -> None:
    """Per-region table of bailiffs and registered documents."""
    with opened(db) as store, store.read() as conn:
        _print_summary(store.region_summary(conn))


@app.command()
def rebuild(db: DbOption = None) -> None:
    """Recreate every table from the event log."""
    with opened(db) as store:
        count = store.rebuild()
    console.print(f"rebuilt projections from {count:,} events")


@app.command()
def demo(
    docs: Annotated[int, typer.Option(min=1, help="How many documents arrive over the simulated period.")] = 35_000,
    db: Annotated[str, typer.Option("--db", help="Database URL for the demo.")] = "sqlite:///casedraw-demo.db",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data set.")] = 2026,
    days: Annotated[int, typer.Option(min=1, help="Calendar days simulated, ending yesterday; a round every working day.")] = 365,
) -> None:
    """A year of automatic distribution on a national data set (20 regions, ~1,500 bailiffs): intake,
    daily rounds, the procedures, every proceeding's steps, and the statistics before and after."""
    from casedraw.demo_year import YearSimulation

    started = time.perf_counter()
    rng = random.Random(seed)
    start = dt.datetime.now(KZ_TIME).date() - dt.timedelta(days=days)  # the last day simulated is yesterday
    with opened(db) as store:
        year = YearSimulation(store, rng, start, days, console.print)
        year.at(start, 8)
        initialise(store, year.acting("ministry", "demo"))
        bailiffs = demo_data.bailiff_rows(rng)
        report = import_bailiffs(store, list(enumerate(bailiffs, start=2)), year.acting("chamber", "demo"))
        print_outcomes(report, f"registry: {len(bailiffs):,} private bailiffs", None)

        def shown(result: RoundResult) -> None:
            if result.round <= 3 or result.round % 50 == 0:
                console.print(f"round {result.round}: {result.documents:,} documents drawn, {result.assigned:,} assigned, {result.pending:,} pending")

        with _progress() as progress:
            task = progress.add_task(f"simulating {days} days from {start}", total=docs)
            year.run(bailiffs, docs, shown, lambda n: progress.advance(task, n))
        print_outcomes(year.report, f"intake: {docs:,} documents (a few deliberately broken)", None, shown=5)
        console.print(f"proceedings: {year.steps:,} steps recorded by bailiffs ({year.refused:,} planned steps dropped: the document had moved on)")
        console.print("time: " + ", ".join(f"{what} {seconds:.1f} s" for what, seconds in year.seconds.items()))
        again = submit_documents(store, list(enumerate(year.rows[:1_000], start=2)), year.acting("operator", "demo")).counts()
        console.print(
            f"re-submitting the first 1,000 rows: {again['accepted']:,} new, {again['duplicate']:,} recognised as "
            f"already registered, {again['rejected']:,} rejected again"
        )
        with store.read() as conn:
            _print_summary(store.region_summary(conn))
            _print_loads(store.region_loads(conn))
    stats(None, db=db, by="claimant_kind")
    console.print(f"demo finished in {time.perf_counter() - started:.1f} s; database: {db}")


@app.command()
def simulate(
    bailiffs: Annotated[int, typer.Option(min=1, help="Bailiffs in the region (k).")] = 20,
    docs: Annotated[int, typer.Option(min=1, help="Documents to draw (n).")] = 100_000,
    weights: Annotated[str, typer.Option(help="unit, classes or lognormal.")] = "unit",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic input and of the rounds.")] = 1,
    round_size: Annotated[int, typer.Option(min=1, help="Documents per sealed round.")] = 100,
    sampled_rounds: Annotated[int | None, typer.Option(min=1, help="Rounds re-run to estimate the best guess (default: about 1,000 documents).")] = None,
    reruns: Annotated[int, typer.Option(min=200, help="Independent seeds per re-run round.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run the production draw on synthetic input and measure balance, unpredictability and speed."""
    from casedraw.draw.simulate import WEIGHT_KINDS
    from casedraw.draw.simulate import simulate as run_simulation

    if weights not in WEIGHT_KINDS:
        fail(f"--weights: {weights!r} is not one of {', '.join(WEIGHT_KINDS)}")
    result = run_simulation(bailiffs, docs, weights, seed, round_size=round_size, sampled_rounds=sampled_rounds, reruns=reruns)
    if as_json:
        print(json.dumps(result))
        return
    table = Table("measure", "value", title="casedraw simulate", title_justify="left")
    for key, value in result.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)


def _print_summary(summary: dict[str, dict[str, int]]) -> None:
    table = Table(title="Registered documents by region", title_justify="left")
    for column in ("region", "PBs active", "to PBs", "robot bailiff", "state bailiffs", "amount to PBs, mln KZT"):
        table.add_column(column, justify="left" if column == "region" else "right")
    totals = [0, 0, 0, 0, 0]
    for iso, region in REGIONS.items():
        s = summary.get(iso, {})
        values = [s.get("bailiffs_active", 0), s.get("documents_pb", 0), s.get("documents_robot", 0),
                  s.get("documents_state", 0), s.get("amount_pb", 0)]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.add_row(f"{iso} {region.name_en.removesuffix(' Region')}", *(f"{v:,}" for v in values[:4]), f"{values[4] / 100 / 1e6:,.1f}")
    table.add_section()
    table.add_row("all regions", *(f"{v:,}" for v in totals[:4]), f"{totals[4] / 100 / 1e6:,.1f}", style="bold")
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
