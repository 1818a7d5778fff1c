"""Commands for the procedures around the draw: configuration versions, chamber members, absences,
paragraph 17, licence events, paragraph 12 applications, territoriality and pending documents.

Each command names who acts with `--as ROLE:ID` (for example `--as chamber_head:PB-00001`); the
services decide whether that actor may do it, and a refusal exits with status 1 and the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from casedraw.cli_support import EXIT_ROWS_REJECTED, DbOption, console, errors_console, fail, opened
from casedraw.ledger.events import Actor
from casedraw.services import Context
from casedraw.services import procedures as proc
from casedraw.services.setup import ConfigRefused, issue_config
from casedraw.store.repository import Store

T = TypeVar("T")

ActingOption = Annotated[str, typer.Option("--as", help="Who acts, as ROLE:ID (e.g. ministry:mj-1, chamber_head:PB-00001, bailiff:PB-00002).")]
DateArg = Annotated[str, typer.Option(help="A date, YYYY-MM-DD.")]


def acting_as(text: str) -> Context:
    role, sep, ident = text.partition(":")
    if not sep or not role or not ident:
        fail(f"--as: {text!r} is not ROLE:ID")
    return Context(Actor(role, ident))


def parse_date(field: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{field}: {text!r} is not a date (YYYY-MM-DD)")


@contextmanager
def _acting(db: str | None) -> Iterator[Store]:
    with opened(db) as store:
        try:
            yield store
        except (proc.ProcedureRefused, ConfigRefused) as exc:
            errors_console.print(f"[bold red]refused:[/] {exc}")
            raise typer.Exit(EXIT_ROWS_REJECTED) from None


def run_refusable(db: str | None, action: Callable[[Store], T]) -> T:
    """Run a service on the store; a refusal exits 1 with its reason."""
    with _acting(db) as store:
        return action(store)


config_app = typer.Typer(no_args_is_help=True, help="Versioned configuration (routing, draw, procedures) with dates of effect.")
chamber_app = typer.Typer(no_args_is_help=True, help="Regional chambers: disciplinary commission members and staff.")
absence_app = typer.Typer(no_args_is_help=True, help="Bailiffs' leave and illness (from today on; never back-dated).")
bailiff_app = typer.Typer(no_args_is_help=True, help="Licence events and paragraph 17 suspension.")
application_app = typer.Typer(no_args_is_help=True, help="Paragraph 12: replacing a bailiff through the disciplinary commission.")
document_app = typer.Typer(no_args_is_help=True, help="A document's timeline; forwarding by territoriality.")


def add_procedure_commands(app: typer.Typer) -> None:
    for sub, name in ((config_app, "config"), (chamber_app, "chamber"), (absence_app, "absence"), (bailiff_app, "bailiff"),
                      (application_app, "application"), (document_app, "document")):
        app.add_typer(sub, name=name)
    app.command("pending")(pending)


# --- configuration ----------------------------------------------------------------


@config_app.command("set")
def config_set(
    name: Annotated[str, typer.Argument(help="routing, draw or procedures")],
    file: Annotated[Path, typer.Argument(help="JSON file with the new value (see `casedraw config show`).")],
    effective: DateArg,
    db: DbOption = None,
    actor: ActingOption = "ministry:cli",
) -> None:
    """Issue a new version, in force for rounds sealed from EFFECTIVE (a later day than today)."""
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{file}: not a readable JSON file ({exc})")
    ctx = acting_as(actor)
    version = run_refusable(db, lambda store: issue_config(store, ctx, name, value, parse_date("effective", effective)))
    console.print(f"{name} version {version} in force from {effective}")


@config_app.command("show")
def config_show(name: Annotated[str | None, typer.Argument()] = None, db: DbOption = None) -> None:
    """Every version with its date of effect; the newest value of each in full."""
    with opened(db) as store, store.read() as conn:
        rows = store.config_versions(conn, name)
    table = Table("name", "version", "effective", "log index", title="configuration versions", title_justify="left")
    for row in rows:
        table.add_row(row.name, str(row.version), row.effective.isoformat(), str(row.seq))
    console.print(table)
    newest = {row.name: row for row in rows}
    for row in newest.values():
        console.print(f"{row.name} v{row.version}: {row.value}")


# --- chamber ------------------------------------------------------------------------


@chamber_app.command("member")
def chamber_member(
    region: Annotated[str, typer.Argument(help="ISO 3166-2:KZ code, e.g. KZ-75")],
    member: Annotated[str, typer.Argument(help="The member's account identifier")],
    role: Annotated[str, typer.Option(help="commission or staff")] = "commission",
    remove: Annotated[bool, typer.Option(help="Remove instead of appoint")] = False,
    db: DbOption = None,
    actor: ActingOption = "ministry:cli",
) -> None:
    """Appoint (or remove) a disciplinary commission member or chamber staff."""
    ctx = acting_as(actor)
    run_refusable(db, lambda store: proc.set_member(store, ctx, region, member, role, not remove))
    console.print(f"{member}: {'removed from' if remove else 'appointed to'} the {region} {role}")


# --- absences -------------------------------------------------------------------------


@absence_app.command("add")
def absence_add(
    licence: str,
    start: Annotated[str, typer.Option("--from", help="First day absent, YYYY-MM-DD (today or later)")],
    end: Annotated[str, typer.Option("--to", help="Last day absent, YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="leave, illness or other (kept private)")] = "leave",
    note: str = "",
    db: DbOption = None,
    actor: ActingOption = "bailiff:?",
) -> None:
    ctx = acting_as(actor.replace("?", licence))
    number = run_refusable(db, lambda store: proc.record_absence(store, ctx, licence, parse_date("from", start), parse_date("to", end), kind, note))
    console.print(f"absence {number}: {licence} absent {start} to {end}; rounds sealed from now on see it")


@absence_app.command("change")
def absence_change(
    number: int,
    start: Annotated[str, typer.Option("--from")],
    end: Annotated[str, typer.Option("--to")],
    note: str = "",
    db: DbOption = None,
    actor: ActingOption = "chamber:cli",
) -> None:
    ctx = acting_as(actor)
    run_refusable(db, lambda store: proc.change_absence(store, ctx, number, parse_date("from", start), parse_date("to", end), note))
    console.print(f"absence {number}: now {start} to {end}")


@absence_app.command("cancel")
def absence_cancel(number: int, note: str = "", db: DbOption = None, actor: ActingOption = "chamber:cli") -> None:
    ctx = acting_as(actor)
    run_refusable(db, lambda store: proc.cancel_absence(store, ctx, number, note))
    console.print(f"absence {number}: cancelled")


# --- bailiffs ---------------------------------------------------------------------------


ReasonOption = Annotated[str, typer.Option(help="Why (kept private)")]
HeadOption = Annotated[str, typer.Option("--as", help="Who acts; by default the chamber head LICENCE himself or herself")]


@bailiff_app.command("suspend-self")
def suspend_self(licence: str, reason: ReasonOption, db: DbOption = None, actor: HeadOption = "chamber_head:?") -> None:
    """Paragraph 17: the chamber head LICENCE suspends distribution to himself or herself."""
    _self_suspension(licence, True, reason, db, actor)


@bailiff_app.command("resume-self")
def resume_self(licence: str, reason: ReasonOption, db: DbOption = None, actor: HeadOption = "chamber_head:?") -> None:
    """Paragraph 17: the chamber head LICENCE resumes distribution to himself or herself."""
    _self_suspension(licence, False, reason, db, actor)


def _self_suspension(licence: str, suspended: bool, reason: str, db: str | None, actor: str) -> None:
    ctx = acting_as(actor.replace("?", licence))
    run_refusable(db, lambda store: proc.set_self_suspension(store, ctx, licence, suspended, reason))
    console.print(f"{licence}: distribution {'suspended' if suspended else 'resumed'} for rounds sealed from now on")


@bailiff_app.command("licence")
def bailiff_licence(
    licence: str,
    action: Annotated[str, typer.Argument(help="suspended, terminated, revoked, expelled, reinstated or transferred")],
    reference: Annotated[str, typer.Option(help="The act's reference, e.g. the order number")],
    district: Annotated[str | None, typer.Option(help="For a transfer: the new enforcement district")] = None,
    region: Annotated[str | None, typer.Option(help="For a transfer to another region: its code")] = None,
    note: str = "",
    db: DbOption = None,
    actor: ActingOption = "ministry:cli",
) -> None:
    """Record a licence event; open proceedings of a bailiff who leaves go back to the draw."""
    ctx = acting_as(actor)
    released = run_refusable(db, lambda store: proc.licence_action(store, ctx, licence, action, reference, district=district, region=region, note=note))
    console.print(f"{licence}: {action}")
    if released:
        console.print(f"{len(released.documents):,} open proceedings released for redistribution in the next round ({released.cause})")


# --- paragraph 12 ---------------------------------------------------------------------------


@application_app.command("file")
def application_file(
    doc: int,
    claimant: Annotated[str, typer.Option(help="The claimant's IIN or BIN, as on the document")],
    grounds: Annotated[str, typer.Option(help="inaction, missed_deadlines, conflict_of_interest, misconduct or other")],
    statement: Annotated[str, typer.Option(help="The grounds in words")],
    reference: Annotated[list[str] | None, typer.Option(help="Reference of an attached decision (repeatable)")] = None,
    db: DbOption = None,
    actor: ActingOption = "claimant:cli",
) -> None:
    ctx = acting_as(actor)
    filed = run_refusable(db, lambda store: proc.file_application(store, ctx, doc, claimant, grounds, statement, list(reference or [])))
    console.print(f"application {filed.application}: filed; the commission decides by {filed.deadline} (working days)")


@application_app.command("decide")
def application_decide(
    number: int,
    decision: Annotated[str, typer.Option(help="granted or refused")],
    reference: Annotated[str, typer.Option(help="The commission decision's reference")],
    actor: Annotated[str, typer.Option("--as", help="The deciding commission member, as commission:MEMBER")],
    reasons: Annotated[str, typer.Option(help="The reasons (kept private)")],
    db: DbOption = None,
) -> None:
    ctx = acting_as(actor)
    released = run_refusable(db, lambda store: proc.decide_application(store, ctx, number, decision, reference, reasons))
    console.print(f"application {number}: {decision}")
    if released:
        console.print(f"document {released.documents[0]} leaves {released.licence}; drawn again in the next round without it")


# --- documents ----------------------------------------------------------------------------------


@document_app.command("timeline")
def document_timeline(doc: int, claimant: Annotated[str | None, typer.Option(help="Show only if this is the claimant")] = None,
                      db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every step of a document: registration, draws, applications, moves, where it is now."""
    steps = run_refusable(db, lambda store: proc.timeline(store, doc, claimant))
    if as_json:
        console.print_json(json.dumps(steps, default=str))
        return
    table = Table("log index", "time (UTC)", "step", "details", title=f"document {doc}", title_justify="left")
    for step in steps:
        details = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("seq", "at", "what"))
        table.add_row(str(step.get("seq", "")), step.get("at", ""), step["what"], details)
    console.print(table)


@document_app.command("forward")
def document_forward(
    doc: int,
    to: Annotated[str, typer.Option("--to", help="The region the territoriality basis points to")],
    basis: Annotated[str, typer.Option(help="debtor_registration, debtor_residence, debtor_work, registered_location, actual_location, property_location")],
    note: str = "",
    db: DbOption = None,
    actor: ActingOption = "chamber:cli",
) -> None:
    """Forward by territoriality: the document is drawn in the region it now belongs to."""
    ctx = acting_as(actor)
    run_refusable(db, lambda store: proc.forward_document(store, ctx, doc, to, basis, note))
    console.print(f"document {doc}: forwarded to {to}; drawn there in the next round")


def pending(region: Annotated[str | None, typer.Option(help="Only this region")] = None, db: DbOption = None) -> None:
    """Documents no bailiff could take, with why: the chamber's alerts. Exit 1 if there are any."""
    alerts: dict[str, Any] = run_refusable(db, lambda store: proc.pending_alerts(store, region))
    if not alerts:
        console.print("no pending documents")
        return
    table = Table("region", "document", "why nobody was eligible", title="pending documents", title_justify="left")
    for iso, docs in sorted(alerts.items()):
        for doc, reasons in docs:
            table.add_row(iso, str(doc), ", ".join(f"{r} ({n})" for r, n in reasons))
    console.print(table)
    raise typer.Exit(EXIT_ROWS_REJECTED)
