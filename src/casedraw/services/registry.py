"""The bailiff registry: importing the chamber's list of private bailiffs.

A licence seen for the first time is registered; a known licence whose row
differs is recorded as a change with only what changed; an identical row
records nothing, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from casedraw.domain.errors import FieldError
from casedraw.domain.model import Bailiff, parse_bailiff
from casedraw.io.tabular import SourceRow
from casedraw.ledger.events import Event, bailiff_changed, bailiff_registered
from casedraw.services import Context
from casedraw.services.reports import Report, RowOutcome
from casedraw.store.repository import Store


def import_bailiffs(store: Store, rows: Sequence[SourceRow], ctx: Context) -> Report:
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        current = store.bailiffs(writer.conn)
        parsed = _parse_unique(rows)
        _reject_second_heads(parsed, current)
        outcomes: list[RowOutcome] = []
        events: list[Event] = []
        for number, item in parsed:
            if not isinstance(item, Bailiff):
                outcomes.append(RowOutcome(number, "rejected", errors=tuple(item)))
                continue
            before = current.get(item.licence)
            if before is not None and (errors := _licence_fields_changed(before, item)):
                outcomes.append(RowOutcome(number, "rejected", item.licence, errors=errors))
                continue
            if before is None:
                events.append(bailiff_registered(at, ctx.actor, item, ctx.salt()))
                outcomes.append(RowOutcome(number, "registered", item.licence))
                continue
            change = bailiff_changed(at, ctx.actor, before, item, ctx.salt())
            if change is None:
                outcomes.append(RowOutcome(number, "unchanged", item.licence))
                continue
            events.append(change)
            changed = sorted({*change.data["changes"], *((change.private or {}).get("fields") or {})})
            outcomes.append(RowOutcome(number, "changed", item.licence, ", ".join(changed)))
        writer.append(events)
    return Report(outcomes)


def _licence_fields_changed(before: Bailiff, after: Bailiff) -> tuple[FieldError, ...]:
    """Status, region and district change only through licence events, which redistribute the portfolio."""
    return tuple(
        FieldError(name, f"{old} -> {new} is a licence event: use `casedraw bailiff licence {after.licence} ...`")
        for name, old, new in (
            ("status", before.status, after.status), ("region", before.region, after.region), ("district", before.district, after.district),
        )
        if old != new
    )


def _parse_unique(rows: Sequence[SourceRow]) -> list[tuple[int, Bailiff | list[FieldError]]]:
    first_row: dict[str, int] = {}
    parsed: list[tuple[int, Bailiff | list[FieldError]]] = []
    for number, fields in rows:
        item = parse_bailiff(fields) if isinstance(fields, dict) else fields
        if isinstance(item, Bailiff):
            if item.licence in first_row:
                item = [FieldError("licence", f"{item.licence} appears again (first at row {first_row[item.licence]})")]
            else:
                first_row[item.licence] = number
        parsed.append((number, item))
    return parsed


def _reject_second_heads(parsed: list[tuple[int, Bailiff | list[FieldError]]], current: dict[str, Bailiff]) -> None:
    """A regional chamber has one head: rows that would make a second one are rejected."""
    final = dict(current)
    final.update((b.licence, b) for _, b in parsed if isinstance(b, Bailiff))
    heads: dict[str, list[str]] = defaultdict(list)
    for bailiff in final.values():
        if bailiff.chamber_head:
            heads[bailiff.region].append(bailiff.licence)
    for index, (number, item) in enumerate(parsed):
        if not isinstance(item, Bailiff) or not item.chamber_head or len(heads[item.region]) < 2:
            continue
        was_head_here = (old := current.get(item.licence)) is not None and old.chamber_head and old.region == item.region
        if not was_head_here:
            others = ", ".join(sorted(set(heads[item.region]) - {item.licence}))
            parsed[index] = (number, [FieldError("chamber_head", f"the chamber of {item.region} already has a head ({others})")])
