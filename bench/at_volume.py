"""What more documents cost on a database that already holds a national year (issue 9).

    .venv/bin/python bench/national_year.py --keep /big/year.db          # once: keep the year's SQLite file
    .venv/bin/python bench/at_volume.py /big/year.db [--docs 100000] [--pragma cache_size=-262144] [--drop INDEX]

Copies the kept database (never writes to it), then sends `--docs` more documents through the
workload `bench/scale.py` measures on an empty one (`intake_and_rounds`: intake in chunks of 10,000,
a round every 25,000), on 31 December of the year, after its last round. Prints the time, the CPU split between
Python and the kernel, and the bytes written and read through the kernel. `--pragma` sets a SQLite
pragma on every connection; `--drop` drops an index first, only to measure what it costs (the queries
it serves may then scan). Runs of the same command on the same machine differ by a few per cent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from scale import ROOT, intake_and_rounds, kernel_io

DAY = dt.date(2026, 12, 31)  # the national year's last working day; its routing configuration covers it


def measure(path: Path, docs: int, pragmas: list[str], seed: int) -> dict[str, object]:
    from sqlalchemy import event

    from casedraw import demo
    from casedraw.collector import for_throughput
    from casedraw.ledger.events import Actor
    from casedraw.services import KZ_TIME, Context
    from casedraw.services.preparing import PreparingProcess
    from casedraw.store.repository import Store

    for_throughput()
    now = [dt.datetime.combine(DAY, dt.time(19), KZ_TIME)]  # after the year's last round

    def clock() -> dt.datetime:
        now[0] += dt.timedelta(milliseconds=1)
        return now[0].astimezone(dt.UTC)

    ctx = Context(Actor("operator", "bench"), clock=clock)
    rows = list(enumerate(demo.document_rows(random.Random(seed), docs, DAY), start=2))
    store = Store.open(f"sqlite:///{path}")
    if pragmas:
        @event.listens_for(store.engine, "connect")
        def _more(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            for pragma in pragmas:
                dbapi_connection.execute(f"PRAGMA {pragma}")
        store.engine.dispose()  # connections opened so far lack them
    before = _usage()
    try:
        with PreparingProcess() as preparer:
            intake, rounds = intake_and_rounds(store, rows, ctx, preparer)
    finally:
        store.close()
    after = _usage()
    spent = {k: after[k] - before[k] for k in after}
    return {"documents": docs, "seconds": round(intake + rounds, 2), "intake_s": round(intake, 2), "rounds_s": round(rounds, 2),
            "documents_per_s": round(docs / (intake + rounds)), "user_s": round(spent["user"], 1), "kernel_s": round(spent["system"], 1),
            "written_gib": round(spent["wchar"] / 2**30, 2), "read_gib": round(spent["rchar"] / 2**30, 2),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "pragmas": pragmas}


def _usage() -> dict[str, float]:
    usage, io = resource.getrusage(resource.RUSAGE_SELF), kernel_io()
    return {"user": usage.ru_utime, "system": usage.ru_stime, "wchar": io.get("wchar", 0), "rchar": io.get("rchar", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path, help="a SQLite file kept by `bench/national_year.py --keep` (only read)")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--pragma", action="append", default=[], help="a SQLite pragma for every connection, e.g. cache_size=-262144")
    parser.add_argument("--drop", action="append", default=[], help="drop this index of the copy first, to measure what it costs")
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--tmp", type=Path, help="where to put the copy (default: beside the database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp or args.database.parent) as tmp:
        copy = Path(tmp) / "copy.db"
        if Path(f"{args.database}-wal").exists():  # the file alone would lack what the WAL holds
            raise SystemExit(f"{args.database}: a write-ahead log lies beside it; open and close it with casedraw first")
        shutil.copyfile(args.database, copy)
        if args.drop:
            import sqlite3

            with sqlite3.connect(copy) as conn:
                for index in args.drop:
                    conn.execute(f'DROP INDEX "{index}"')
        result = measure(copy, args.docs, args.pragma, args.seed)
    result["dropped"] = args.drop
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
