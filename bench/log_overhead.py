"""Issue 4 benchmark: what appending to the event log adds to intake plus draw, side by side.

    .venv/bin/python bench/log_overhead.py [--docs 50000] [--repeat 3] [--pg URL]

Both variants run the production services on the same synthetic input in a
fresh database each time; the "unlogged" one skips only the INSERT into the
events table (projections are still written), which is what the log costs.
That variant exists only here: production has no way to switch the log off.
Runs alternate to share machine noise, and the median of each is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from scratch_db import postgres_schema

from casedraw import demo
from casedraw.ledger.events import Actor, EventKind
from casedraw.services import Context
from casedraw.services.intake import submit_documents
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import initialise
from casedraw.store import schema
from casedraw.store.projections import apply, project
from casedraw.store.repository import Store, Writer

LOGGED_APPEND = Writer.append


def unlogged_append(self: Writer, events):  # type: ignore[no-untyped-def]
    """Projections only. Seals are still stored (one row per round): the draw derives its seed from the seal's bytes."""
    first = self.size
    seals = [
        {"seq": first + i, "kind": str(e.kind), "at": e.at, "body": e.body(), "private": None}
        for i, e in enumerate(events) if e.kind is EventKind.ROUND_SEALED
    ]
    if seals:
        self.conn.execute(schema.events.insert(), seals)
    apply(self.conn, (op for i, e in enumerate(events) for op in project(first + i, e)))
    self.size += len(events)
    return range(first, self.size)


@contextmanager
def database(kind: str, pg_url: str):  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    with postgres_schema(pg_url) as url:
        yield url


def one_run(url: str, docs: int, logged: bool) -> float:
    Writer.append = LOGGED_APPEND if logged else unlogged_append  # type: ignore[method-assign]
    store = Store.open(url)
    try:
        ctx = Context(Actor("operator", "bench"))
        initialise(store, ctx)
        rng = random.Random(7)
        import_bailiffs(store, list(enumerate(demo.bailiff_rows(rng), start=2)), ctx)
        rows = list(enumerate(demo.document_rows(rng, docs, dt.date(2026, 11, 27)), start=2))
        started = time.perf_counter()
        for start in range(0, len(rows), docs // 4):
            submit_documents(store, rows[start : start + docs // 4], ctx)
            run_round(store, ctx)
        return time.perf_counter() - started
    finally:
        store.close()
        Writer.append = LOGGED_APPEND  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print("| database | intake + draw, unlogged | with the event log | overhead |")
    print("|---|---|---|---|")
    for kind in ("sqlite", "postgresql"):
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeat):
            for logged in (False, True):
                with database(kind, args.pg) as url:
                    times[logged].append(one_run(url, args.docs, logged))
        base, logged = statistics.median(times[False]), statistics.median(times[True])
        print(f"| {kind} | {base:.2f} s ({args.docs / base:,.0f} docs/s) | {logged:.2f} s ({args.docs / logged:,.0f} docs/s) | {100 * (logged / base - 1):+.1f} % |")


if __name__ == "__main__":
    main()
