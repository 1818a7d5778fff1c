"""Importing records of proceedings from before automatic distribution (docs/HISTORY.md).

Each good row becomes a record in the public log (`history.imported`, in batches), so the baseline
the reform is measured against is as tamper-evident as the draws themselves; a bad row is
rejected with its field and reason and nothing of it is written; a record number seen before is
a duplicate and changes nothing, so importing the same file twice is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select

from casedraw.domain.errors import FieldError
from casedraw.domain.history import HistoricalRecord, parse_historical
from casedraw.io.tabular import SourceRow
from casedraw.ledger import events as ev
from casedraw.services import Context
from casedraw.services.reports import Report, RowOutcome
from casedraw.store import schema
from casedraw.store.repository import Store, rows_in

BATCH = 1_000  # records per event: small enough for one leaf, few enough events for a year of records


def import_history(store: Store, rows: Sequence[SourceRow], ctx: Context) -> Report:
    if ctx.actor.role not in ("ministry", "operator"):
        raise PermissionError("historical records are imported by the ministry or the operator")
    outcomes: list[RowOutcome] = []
    good: list[tuple[int, HistoricalRecord]] = []
    seen: set[str] = set()
    for number, row in rows:
        parsed = row if isinstance(row, list) else parse_historical(row)
        if isinstance(parsed, list):
            outcomes.append(RowOutcome(number, "rejected", errors=tuple(parsed)))
        elif parsed.source_ref in seen:
            outcomes.append(RowOutcome(number, "rejected", parsed.source_ref, errors=(FieldError("record", "appears twice in this file"),)))
        else:
            seen.add(parsed.source_ref)
            good.append((number, parsed))
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        h = schema.history
        query = select(h.c.source_ref).where(h.c.source_ref.in_(bindparam("values", expanding=True)))
        known = {r.source_ref for r in rows_in(writer.conn, query, [record.source_ref for _, record in good])}
        fresh = [(number, record) for number, record in good if record.source_ref not in known]
        outcomes += [RowOutcome(number, "duplicate", record.source_ref) for number, record in good if record.source_ref in known]
        first = writer.conn.execute(select(func.count()).select_from(h)).scalar_one() + 1
        batch = writer.conn.execute(select(func.count(h.c.seq.distinct()))).scalar_one()  # one event per batch: not a scan of the log
        events = []
        for start in range(0, len(fresh), BATCH):
            chunk = [record for _, record in fresh[start:start + BATCH]]
            batch += 1
            events.append(ev.history_imported(
                at, ctx.actor, batch, first + start, [r.public() for r in chunk],
                [[r.source_ref, r.amount_tiyn, r.recovered_tiyn] for r in chunk], ctx.salt(),
            ))
        writer.append(events)
    outcomes += [RowOutcome(number, "accepted", record.source_ref) for number, record in fresh]
    return Report(sorted(outcomes, key=lambda o: o.row))
