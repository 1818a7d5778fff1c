"""Issue 9 benchmark: batch intake + draw + log + persistence, side by side with two references, in one run.

    .venv/bin/python bench/scale.py [--docs 100000] [--naive-docs 3000] [--pg URL] [--skip-pg] [--skip-api] [--write FILE]
    make bench                      # the same, writing its tables into docs/PERFORMANCE.md

Every measurement runs in a child process of its own (a fresh interpreter and database), so its peak
memory is its own (read from the kernel's rusage of that child). Per database:

- **casedraw**: the production services on the national roster (1,501 bailiffs): `submit_documents` in
  chunks of 10,000 documents, prepared on the second core by a preparing process as `casedraw submit`
  does for a file of more than one chunk, and a round sealed and drawn after every 25,000; every event
  in the log, synchronous commits. Documents per second over the intake and the rounds together; the
  peak memory is the measuring process's own.
- **naive**: the same parsing, identity, routing and event encoding, written through the SQLAlchemy ORM
  one transaction per document; then each document given to the least-loaded active bailiff of its
  region, again one ORM transaction per document. What a straightforward implementation would do.
- **floor**: the rows casedraw's run ended with in every table that grows with the documents (events,
  claimants, documents, proceedings, affinity) inserted into an empty database of the same schema in one
  transaction, by casedraw's own raw path (the driver's executemany on SQLite, COPY on PostgreSQL): no
  computation at all, only the database's work of storing what casedraw stores.
- **verify**: `casedraw export` then `casedraw verify` of the casedraw run's log (events per second).

Then `bench/api.py` (single-submission latency at 32 clients and bulk throughput, SQLite) unless
--skip-api. Ratios are of figures measured in this run, on this machine, minutes apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CASEDRAW = str(Path(PYTHON).parent / "casedraw")
DAY = dt.date(2026, 11, 27)
INTAKE_CHUNK = 10_000
ROUND_EVERY = 25_000
BEGIN, END = "<!-- make bench: begin -->", "<!-- make bench: end -->"
TARGETS = {"sqlite": 50_000, "postgresql": 20_000}


# --- children: one measurement each, printed as one JSON line -------------------------------------

def _setup(url: str, docs: int):  # type: ignore[no-untyped-def]
    from casedraw import demo
    from casedraw.ledger.events import Actor
    from casedraw.services import Context
    from casedraw.services.registry import import_bailiffs
    from casedraw.services.setup import initialise
    from casedraw.store.repository import Store

    store = Store.open(url)
    ctx = Context(Actor("operator", "bench"))
    initialise(store, ctx)
    rng = random.Random(7)
    import_bailiffs(store, list(enumerate(demo.bailiff_rows(rng), start=2)), ctx)
    rows = list(enumerate(demo.document_rows(rng, docs, DAY), start=2))
    return store, ctx, rows


def kernel_io() -> dict[str, int]:
    """What this process has read and written through the kernel so far (Linux's /proc/self/io; empty elsewhere)."""
    io = Path("/proc/self/io")
    return {k: int(v) for k, v in (line.split(": ") for line in io.read_text().splitlines())} if io.exists() else {}


def intake_and_rounds(store, rows, ctx, preparer=None) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """casedraw's workload: `rows` submitted in chunks of INTAKE_CHUNK, a round after every ROUND_EVERY;
    the seconds spent in intake and in rounds."""
    from casedraw.services.intake import submit_documents
    from casedraw.services.rounds import run_round

    intake = rounds = 0.0
    for start in range(0, len(rows), ROUND_EVERY):
        t0 = time.perf_counter()
        submit_documents(store, rows[start : start + ROUND_EVERY], ctx, chunk_size=INTAKE_CHUNK, preparer=preparer)
        t1 = time.perf_counter()
        run_round(store, ctx)
        intake, rounds = intake + t1 - t0, rounds + time.perf_counter() - t1
    return intake, rounds


def child_casedraw(url: str, docs: int) -> dict[str, float]:
    from casedraw.services.preparing import PreparingProcess

    store, ctx, rows = _setup(url, docs)
    try:
        started = time.perf_counter()
        with PreparingProcess() as preparer:
            intake, rounds = intake_and_rounds(store, rows, ctx, preparer)
        total = time.perf_counter() - started
        with store.read() as conn:
            registered = _count_documents(conn)
        return {"seconds": total, "intake_s": intake, "rounds_s": rounds, "documents": registered}
    finally:
        store.close()


def _count_documents(conn) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from casedraw.store import schema

    return conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()


def child_naive(url: str, docs: int) -> dict[str, float]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session, registry

    from casedraw.ledger.events import Actor, document_registered_encoded, format_time
    from casedraw.ledger.pseudonyms import actor_key, public_actor
    from casedraw.services.intake import Prepared, prepare
    from casedraw.store import schema
    from casedraw.store.projections import registration_ops
    from casedraw.store.repository import AFFINITY_KEY

    class Document: ...
    class Event: ...
    class Claimant: ...
    class Bailiff: ...

    mapper = registry()
    for cls, table in ((Document, schema.documents), (Event, schema.events), (Claimant, schema.claimants), (Bailiff, schema.bailiffs)):
        mapper.map_imperatively(cls, table)
    store, ctx, rows = _setup(url, docs)
    try:
        with store.read() as conn:
            key = actor_key(store.secret(conn, AFFINITY_KEY))
            size = store.log_size(conn)
        started = time.perf_counter()
        next_id = 1
        for row in rows:
            with Session(store.engine) as session, session.begin():
                item = prepare(store, [row], ctx.stamp()[1], [("claimant", "bench")])[0]
                if not isinstance(item, Prepared):
                    continue
                if session.scalar(select(Document.id).where(Document.identity == item.identity)) is not None:
                    continue
                at = format_time(ctx.clock())
                event = document_registered_encoded(at, public_actor(key, Actor(*item.actor)), next_id, item.public, item.fields, os.urandom(16))
                session.add(Event(seq=size, kind=str(event.kind), at=at, body=event.body(), private=event.private_bytes()))
                fields = json.loads(item.fields)
                for op in registration_ops(item.public, fields, item.identity, next_id, size, at):
                    cls = {"claimants": Claimant, "documents": Document}[op.table.name]
                    if cls is Document or session.get(cls, op.row["idn"]) is None:
                        session.add(cls(**op.row))
                size, next_id = size + 1, next_id + 1
        registered = time.perf_counter()
        loads: dict[str, int] = {}
        with Session(store.engine) as session:
            waiting = session.scalars(select(Document.id).where(Document.status == "registered", Document.channel == "pb")).all()
        for doc_id in waiting:  # one at a time: the least-loaded active bailiff of the region
            with Session(store.engine) as session, session.begin():
                doc = session.get(Document, doc_id)
                candidates = session.scalars(select(Bailiff.licence).where(Bailiff.region == doc.region, Bailiff.status == "active")).all()
                if not candidates:
                    continue
                chosen = min(candidates, key=lambda licence: (loads.get(licence, 0), licence))
                loads[chosen] = loads.get(chosen, 0) + doc.weight
                doc.assigned_to, doc.status, doc.how = chosen, "assigned", "draw"
        return {"seconds": time.perf_counter() - started, "intake_s": registered - started, "documents": next_id - 1}
    finally:
        store.close()


def child_floor(source_url: str, target_url: str) -> dict[str, float]:
    from sqlalchemy import select

    from casedraw.store import schema
    from casedraw.store.projections import execute_many
    from casedraw.store.repository import Store

    source, target = Store.open(source_url), Store.open(target_url)
    try:
        # Every table that grows with the documents, as the casedraw run left it.
        tables = (schema.events, schema.claimants, schema.documents, schema.proceedings, schema.affinity)
        with source.read() as conn:
            rows = {t: [tuple(r) for r in conn.execute(select(t))] for t in tables}
        started = time.perf_counter()
        with target.engine.begin() as conn:
            for t in tables:  # casedraw's own raw path: the driver's executemany on SQLite, COPY on PostgreSQL
                if rows[t]:
                    execute_many(conn, ("insert", t, tuple(c.name for c in t.columns), ()), rows[t])
        return {"seconds": time.perf_counter() - started, "documents": len(rows[schema.documents]), "events": len(rows[schema.events])}
    finally:
        source.close()
        target.close()


def child_verify(url: str, directory: str) -> dict[str, float]:
    started = time.perf_counter()
    subprocess.run([CASEDRAW, "export", "--db", url, "--out", directory], check=True, stdout=subprocess.DEVNULL)
    exported = time.perf_counter()
    key = (Path(directory) / "log.vkey").read_text().strip()
    subprocess.run([CASEDRAW, "verify", directory, "--key", key], check=True, stdout=subprocess.DEVNULL)
    events = sum(1 for _ in (Path(directory) / "log.jsonl").open()) if (Path(directory) / "log.jsonl").exists() else 0
    return {"export_s": exported - started, "seconds": time.perf_counter() - exported, "events": events}


CHILDREN = {"casedraw": child_casedraw, "naive": child_naive, "floor": child_floor, "verify": child_verify}


# --- the parent: databases, children, the report --------------------------------------------------

@contextmanager
def database(kind: str, pg_url: str, directory: Path, name: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from scratch_db import postgres_schema

    with postgres_schema(pg_url) as url:
        yield url


def _spawn_measured(mode: str, *args: str) -> dict[str, float]:
    child = subprocess.Popen([PYTHON, __file__, "--child", mode, *args], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"BENCHMARK FAILED: {mode} {' '.join(args)} exited {child.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def measure(kind: str, pg_url: str, docs: int, naive_docs: int, tmp: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with database(kind, pg_url, tmp, "casedraw") as url:
        out["casedraw"] = _spawn_measured("casedraw", url, str(docs))
        with database(kind, pg_url, tmp, "floor") as empty:
            out["floor"] = _spawn_measured("floor", url, empty)
        out["verify"] = _spawn_measured("verify", url, str(tmp / f"export-{kind}"))
    with database(kind, pg_url, tmp, "naive") as url:
        out["naive"] = _spawn_measured("naive", url, str(naive_docs))
    return out


def report(results: dict[str, dict[str, dict[str, float]]], docs: int, naive_docs: int, api: str, command: str) -> str:
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"Run of {when}: `{command}`; {os.cpu_count()} cores, load average before "
             f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}.", "",
             "| database | implementation | documents | time | documents/s | casedraw ÷ this | peak memory |", "|---|---|---|---|---|---|---|"]
    for kind, r in results.items():
        ours = r["casedraw"]["documents"] / r["casedraw"]["seconds"]
        target = TARGETS[kind]
        for name, label in (("casedraw", f"**casedraw** (target ≥ {target:,}/s, ≥ 10× naive)"), ("naive", "naive: ORM, a transaction per document"),
                            ("floor", "floor: raw insert of casedraw's rows")):
            m = r[name]
            rate = m["documents"] / m["seconds"]
            extra = f" (intake {m['intake_s']:.1f} s, rounds {m['rounds_s']:.1f} s)" if name == "casedraw" else ""
            lines.append(f"| {kind} | {label} | {m['documents']:,.0f} | {m['seconds']:.1f} s{extra} | **{rate:,.0f}** | "
                         f"{'' if name == 'casedraw' else f'{ours / rate:.2f}×'} | {m['peak_mb']:.0f} MB |")
        v = r["verify"]
        lines.append(f"| {kind} | verify of that log (after a {v['export_s']:.1f} s export) | {v['events']:,.0f} events | {v['seconds']:.1f} s | "
                     f"{v['events'] / v['seconds']:,.0f} events/s | | {v['peak_mb']:.0f} MB (export and verify run as their own processes) |")
    lines += ["", "`casedraw ÷ this`: casedraw's documents/s over that implementation's: against naive, the speed-up (target ≥ 10); "
              "against the floor, the share of the database's own limit that casedraw reaches."]
    if api:
        lines += ["", "HTTP API (`bench/api.py`, SQLite, the same run):", "", api]
    return "\n".join(lines)


def write_into(path: Path, text: str, begin: str = BEGIN, end: str = END, heading: str = "Scale (issue 9): `make bench`") -> None:
    """Put `text` between the markers in `path`, or add it at the end under `heading`."""
    doc = path.read_text()
    if begin in doc and end in doc:
        doc = doc[: doc.index(begin) + len(begin)] + "\n" + text + "\n" + doc[doc.index(end):]
    else:
        doc += f"\n## {heading}\n\n{begin}\n{text}\n{end}\n"
    path.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--naive-docs", type=int, default=3_000, help="the naive reference is slow: it runs on fewer documents")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--write", type=Path, help="put the tables between the make-bench markers of this file (docs/PERFORMANCE.md)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from casedraw.collector import for_throughput

        for_throughput()  # as the casedraw command sets it for itself
        mode, *rest = args.child
        fn = CHILDREN[mode]
        print(json.dumps(fn(rest[0], int(rest[1]) if mode in ("casedraw", "naive") else rest[1])))
        return
    command = "make bench" if args.write else " ".join(["bench/scale.py", *sys.argv[1:]])
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite",) if args.skip_pg else ("sqlite", "postgresql"):
            print(f"{kind}: casedraw on {args.docs:,} documents, the floor, verify, naive on {args.naive_docs:,} ...", flush=True)
            results[kind] = measure(kind, args.pg, args.docs, args.naive_docs, Path(tmp))
    api = ""
    if not args.skip_api:
        print("HTTP API: bench/api.py ...", flush=True)
        done = subprocess.run([PYTHON, str(ROOT / "bench" / "api.py")], capture_output=True, text=True, check=True)
        api = "\n".join(line for line in done.stdout.splitlines() if line.startswith("|"))
    text = report(results, args.docs, args.naive_docs, api, command)
    print(text)
    if args.write:
        write_into(args.write, text)
    if any(re.search(r"FAILED", line) for line in text.splitlines()):
        sys.exit(1)


if __name__ == "__main__":
    main()
