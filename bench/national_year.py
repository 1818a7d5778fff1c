"""Issue 9: a national year of automatic distribution, then a full verify of its log.

    .venv/bin/python bench/national_year.py [--docs 5000000] [--pg URL | --sqlite] [--write FILE] [--keep FILE]
    make bench-year                 # 5,000,000 documents on SQLite, written into docs/PERFORMANCE.md

Every working day of a year (Kazakhstan's calendar) through the production services, on a clock that
moves through the day: the national roster (1,501 bailiffs, 20 regions) and its commissions; files of
documents at 10:00 and 14:00, seasonal as `casedraw demo-year` has them; the round at 18:00; and along
the way what happens around the draw:
- absences: about six bailiffs a day enter leave (a week or two, from a few days on) or illness (from
  today, sometimes longer than the long-absence limit, so the portfolio goes back to the draw);
- paragraph 17: chamber heads suspend distribution to themselves for a few weeks, and resume;
- paragraph 12: every Monday claimants file applications against recently drawn documents, and the
  region's commission grants or refuses them two to five working days later;
- licence events: every other week a licence is suspended (its portfolio released at once) and later
  reinstated, and now and then one is revoked.

Input rows come from `casedraw.demo.document_rows`, made day by day; the time spent making them is
measured and left out of the year's time (it is the banks' work, not casedraw's). Each file is prepared
on the second core by a preparing process, as `casedraw submit` prepares a file of more than one chunk.
The year runs in a child process, so the peak memory reported is its own (and its preparing process's);
`casedraw export` and `casedraw verify` then run as processes of their own on the finished database,
each with its time and peak memory.

On a PostgreSQL server with autovacuum off (as this machine's is), after each day's round the year does
what autovacuum would have done by then at PostgreSQL's default settings (`autovacuum_vacuum`):
its time counts in the year's, since a production server does that work too.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import accumulate, islice
from pathlib import Path

from scale import CASEDRAW, PYTHON, ROOT, database, kernel_io, write_into

BEGIN, END = "<!-- national year: begin -->", "<!-- national year: end -->"
START = dt.date(2026, 1, 1)  # a calendar year: the routing configuration sets the MRP per year
DOCS = 5_000_000
TARGETS = {"year_s": 300.0, "peak_mb": 1024.0, "verify_s": 180.0}
REFUSED = object()  # what `attempt` gives for a request the service refused
FILES_AT = (10, 14)  # claimants' files arrive through the day; the round is at 18:00


class DaysOfRows(Sequence[dt.date]):
    """Row i's registration day, without a list of millions of dates: counts[k] rows on days[k]."""

    def __init__(self, days: list[dt.date], counts: list[int]):
        self.days, self.ends = days, list(accumulate(counts))

    def __len__(self) -> int:
        return self.ends[-1] if self.ends else 0

    def __getitem__(self, i):  # type: ignore[no-untyped-def,override]
        return self.days[bisect.bisect_right(self.ends, i)]


def child_year(url: str, docs: int, days: int | None = None) -> dict[str, object]:
    from sqlalchemy import select

    from casedraw import demo
    from casedraw.demo_year import SEASON, _split, after_working_days
    from casedraw.domain.calendar import is_working_day
    from casedraw.ledger.events import Actor
    from casedraw.services import KZ_TIME, Context
    from casedraw.services import procedures as proc
    from casedraw.services.intake import submit_documents
    from casedraw.services.preparing import PreparingProcess
    from casedraw.services.registry import import_bailiffs
    from casedraw.services.rounds import run_round
    from casedraw.services.setup import initialise
    from casedraw.store import schema
    from casedraw.store.repository import Store

    rng = random.Random(2026)
    now = [dt.datetime.combine(START, dt.time(8), KZ_TIME)]

    def acting(role: str, ident: str) -> Context:
        return Context(Actor(role, ident), clock=lambda: now[0].astimezone(dt.UTC))

    def at(day: dt.date, hour: int) -> None:
        now[0] = max(now[0], dt.datetime.combine(day, dt.time(hour), KZ_TIME))

    store = Store.open(url)
    preparer = PreparingProcess()  # as `casedraw submit` prepares a file of more than one chunk
    ministry, system, operator = acting("ministry", "bench"), acting("system", "bench"), acting("operator", "bench")
    initialise(store, operator)
    bailiffs = demo.bailiff_rows(rng)
    import_bailiffs(store, list(enumerate(bailiffs, start=2)), operator)
    regions = sorted({str(b["region"]) for b in bailiffs})
    for iso in regions:
        proc.set_member(store, ministry, iso, f"commission-{iso.lower()}", "commission")
    heads = [str(b["licence"]) for b in bailiffs if b["chamber_head"] == "yes" and b["status"] == "active"]
    ordinary = [str(b["licence"]) for b in bailiffs if b["chamber_head"] == "no" and b["status"] == "active"]

    working = [d for d in (START + dt.timedelta(days=i) for i in range(365)) if is_working_day(d)]
    counts = _split(docs, [SEASON[d.month] for d in working])
    rows = demo.document_rows(rng, docs, START, days=DaysOfRows(working, counts), debtor_pool=200_000)

    done: Counter[str] = Counter()
    seconds: dict[str, float] = defaultdict(float)
    later: dict[dt.date, list[tuple[str, object]]] = defaultdict(list)  # what is done on a later day
    suspended_licences: set[str] = set()
    first_doc_of_day: list[int] = []
    started = time.perf_counter()

    def timed(what: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[what] += time.perf_counter() - t0

    def drawn_sample(day_index: int, n: int) -> list[tuple[int, str, str, str]]:
        """Up to n documents drawn on an earlier day: (id, claimant, region, bailiff)."""
        if day_index < 2:
            return []
        lo, hi = first_doc_of_day[day_index - 2], first_doc_of_day[day_index - 1] - 1
        ids = sorted({rng.randint(lo, hi) for _ in range(n)})
        d = schema.documents
        with store.read() as conn:
            found = conn.execute(select(d.c.id, d.c.claimant_idn, d.c.region, d.c.assigned_to)
                                 .where(d.c.id.in_(ids), d.c.status == "assigned")).all()
        return [tuple(r) for r in found]  # type: ignore[misc]

    def attempt(what: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Ask a service; a refusal (a document moved on meanwhile, say) is counted, as its user would see it."""
        try:
            return fn(*args, **kwargs)
        except proc.ProcedureRefused:
            done[f"refused: {what}"] += 1
            return REFUSED

    def around_the_draw(day_index: int, day: dt.date) -> None:
        for what, item in later.pop(day, []):
            if what == "decide":
                application, region = item  # type: ignore[misc]
                decision = "granted" if rng.random() < 0.7 else "refused"
                if attempt("decision", proc.decide_application, store, acting("commission", f"commission-{region.lower()}"), application,
                           decision, f"DC-{application}", "Deadlines missed" if decision == "granted" else "Not confirmed") is not REFUSED:
                    done[f"applications {decision}"] += 1
            elif what == "resume":
                proc.set_self_suspension(store, acting("chamber_head", str(item)), str(item), False, "Back to distribution")
                done["para 17 resumed"] += 1
            elif what == "reinstate":
                proc.licence_action(store, ministry, str(item), "reinstated", f"MJ-R-{day:%Y%m%d}")
                suspended_licences.discard(str(item))
                done["licences reinstated"] += 1
        for _ in range(6):  # absences
            licence = rng.choice(ordinary)
            if rng.random() < 0.8:
                start = day + dt.timedelta(days=rng.randint(1, 10))
                attempt("absence", proc.record_absence, store, acting("bailiff", licence), licence, start,
                        start + dt.timedelta(days=rng.randint(6, 14)), "leave")
                done["absences: leave"] += 1
            else:
                attempt("absence", proc.record_absence, store, acting("bailiff", licence), licence, day,
                        day + dt.timedelta(days=rng.choice((4, 9, 45))), "illness")
                done["absences: illness"] += 1
        if day_index % 15 == 3:  # paragraph 17
            head = heads[(day_index // 15) % len(heads)]
            proc.set_self_suspension(store, acting("chamber_head", head), head, True, "Chamber duties")
            later[after_working_days(day, rng.randint(5, 15))].append(("resume", head))
            done["para 17 suspended"] += 1
        if day.weekday() == 0:  # paragraph 12
            for doc, claimant, region, _ in drawn_sample(day_index, 40)[:20]:
                filed = attempt("application", proc.file_application, store, acting("claimant", claimant), doc, claimant,
                                "missed_deadlines", "The bailiff has not acknowledged the document", [f"Letter {doc}"])
                if filed is REFUSED:
                    continue
                later[after_working_days(day, rng.randint(2, 5))].append(("decide", (filed.application, region)))
                done["applications filed"] += 1
        if day_index % 10 == 5:  # licence events
            licence = rng.choice([lic for lic in ordinary if lic not in suspended_licences])
            action = "revoked" if day_index % 50 == 5 else "suspended"
            released = proc.licence_action(store, ministry, licence, action, f"MJ-{day:%Y%m%d}", note="Order of the ministry")
            done[f"licences {action}"] += 1
            done["documents released by licence events"] += len(released.documents) if released else 0
            if action == "suspended":
                suspended_licences.add(licence)
                later[after_working_days(day, rng.randint(10, 30))].append(("reinstate", licence))
            else:
                ordinary.remove(licence)

    vacuuming = store.engine.dialect.name == "postgresql" and autovacuum_off(store)
    generating = 0.0
    next_doc = 1
    for day_index, (day, count) in enumerate(islice(zip(working, counts, strict=True), days)):
        first_doc_of_day.append(next_doc)
        at(day, 9)
        timed("around the draw", around_the_draw, day_index, day)
        for hour, part in zip(FILES_AT, _split(count, [1.0] * len(FILES_AT)), strict=True):
            at(day, hour)
            t0 = time.perf_counter()
            batch = list(enumerate(islice(rows, part), start=2))
            generating += time.perf_counter() - t0
            report = timed("intake", submit_documents, store, batch, operator, preparer=preparer)
            for outcome in report.outcomes:
                done[f"rows {outcome.status}"] += 1
            next_doc += sum(o.status == "accepted" for o in report.outcomes)
        at(day, 18)
        result = timed("rounds", run_round, store, system)  # the new documents, and any released today
        if result is not None:
            done["rounds"] += 1
            done["assigned"] += result.assigned
        if vacuuming:
            for what in timed("vacuum (autovacuum is off)", autovacuum_vacuum, store):
                done[f"tables given {what} (autovacuum is off)"] += 1
    total = time.perf_counter() - started - generating
    with store.read() as conn:
        events = store.log_size(conn)
    store.close()
    preparer.close()
    helper = resource.getrusage(resource.RUSAGE_CHILDREN)  # the preparing process, ended and waited for
    size = sum(p.stat().st_size for p in Path(url.removeprefix("sqlite:///")).parent.glob("*.db*")) if url.startswith("sqlite") else 0
    return {"seconds": total, "generating_s": generating, "parts": dict(seconds), "done": dict(done), "events": events,
            "io": kernel_io(), "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
            "preparer_cpu_s": helper.ru_utime + helper.ru_stime, "preparer_mb": helper.ru_maxrss / 1024,
            "working_days": len(working[:days]), "year_days": len(working), "db_bytes": size,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def autovacuum_off(store) -> bool:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return conn.exec_driver_sql("SHOW autovacuum").scalar_one() == "off"


def autovacuum_vacuum(store) -> list[str]:  # type: ignore[no-untyped-def]
    """What autovacuum would have done by now at PostgreSQL 15's default settings, to the tables of the
    store's schema: VACUUM where dead rows exceed 50 + 20 % of the live ones, or rows inserted since the
    last vacuum exceed 1,000 + 20 %; ANALYZE where rows changed since the last analyze exceed 50 + 10 %.
    Without it every round's two updates of each of its documents leave dead rows that nothing clears:
    a first run on this server had 6.9 million of them after 3.5 million documents, and a falling rate."""
    done = []
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM runs outside a transaction
        tables = conn.exec_driver_sql(
            "SELECT relname, n_live_tup, n_dead_tup, n_ins_since_vacuum, n_mod_since_analyze FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() ORDER BY relname").all()
        for name, live, dead, inserted, changed in tables:
            vacuum = dead > 50 + 0.2 * live or inserted > 1000 + 0.2 * live
            analyze = changed > 50 + 0.1 * live
            if vacuum or analyze:
                what = "VACUUM (ANALYZE)" if vacuum and analyze else "VACUUM" if vacuum else "ANALYZE"
                conn.exec_driver_sql(f'{what} "{name}"')
                done.append(what)
    return done


def _run_measured(args: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of a command run as a child of its own."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"BENCHMARK FAILED: {' '.join(args)} exited {os.waitstatus_to_exitcode(status)}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def report(r: dict, kind: str, command: str) -> str:  # type: ignore[type-arg]
    def verdict(ok: bool) -> str:
        if r["working_days"] < r["year_days"]:  # --days: the targets are the whole year's
            return f"no verdict: {r['working_days']} of {r['year_days']} working days"
        return "met" if ok else "**missed**"

    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    docs = r["done"].get("rows accepted", 0)
    parts = ", ".join(f"{k} {v:,.0f} s" for k, v in sorted(r["parts"].items(), key=lambda kv: -kv[1]))
    happened = "; ".join(f"{k}: {v:,}" for k, v in sorted(r["done"].items()) if not k.startswith("rows "))
    return "\n".join([
        f"Run of {when}: `{command}`; {kind}; {os.cpu_count()} cores, load average before {' '.join(f'{x:.2f}' for x in r['load'])}.", "",
        "| measure | target | result |", "|---|---|---|",
        f"| the year: {docs:,} documents registered and drawn over {r['working_days']} working days | ≤ 5 min ({verdict(r['seconds'] <= TARGETS['year_s'])}) | "
        f"**{r['seconds'] / 60:.1f} min** ({docs / r['seconds']:,.0f} documents/s; {parts}) |",
        f"| peak memory of the year's process, and of the process preparing its rows | ≤ 1 GB ({verdict(r['peak_mb'] + r['preparer_mb'] <= TARGETS['peak_mb'])}) | "
        f"**{r['peak_mb']:,.0f} MB**, and {r['preparer_mb']:,.0f} MB |",
        f"| `casedraw verify` of its log: {r['events']:,} events | ≤ 3 min ({verdict(r['verify_s'] <= TARGETS['verify_s'])}) | "
        f"**{r['verify_s'] / 60:.1f} min** ({r['events'] / r['verify_s']:,.0f} events/s), peak {r['verify_mb']:,.0f} MB |",
        f"| `casedraw export` before it | | {r['export_s'] / 60:.1f} min, peak {r['export_mb']:,.0f} MB |",
        f"| database on disk | | {r['db_bytes'] / 2**30:.1f} GiB |" if r["db_bytes"] else "| database on disk | | (PostgreSQL) |",
        f"| the year's process: CPU time (and its preparing process's); written and read through the kernel | | "
        f"{r['cpu_s'] / 60:.1f} min ({r['preparer_cpu_s'] / 60:.1f} min); "
        f"{r['io'].get('wchar', 0) / 2**30:.1f} GiB written ({r['io'].get('wchar', 0) / max(docs, 1) / 1024:.1f} KiB per document), "
        f"{r['io'].get('rchar', 0) / 2**30:.1f} GiB read |",
        "", f"Along the way: {happened}. Rows refused by intake (deliberate errors in the input): {r['done'].get('rows rejected', 0):,}; "
        f"input made in {r['generating_s']:.0f} s, not counted.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=DOCS)
    parser.add_argument("--days", type=int, help="stop after this many working days (the documents per day as for the whole year)")
    parser.add_argument("--pg", help="run on this PostgreSQL database instead of a SQLite file")
    parser.add_argument("--write", type=Path, help="put the table between the national-year markers of this file (docs/PERFORMANCE.md)")
    parser.add_argument("--keep", type=Path, help="SQLite: copy the year's database here once the year is done (for bench/at_volume.py)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from casedraw.collector import for_throughput

        for_throughput()  # as the casedraw command sets it for itself
        url, docs, days = args.child
        print(json.dumps(child_year(url, int(docs), int(days) if days != "all" else None)))
        return
    kind = "postgresql" if args.pg else "sqlite"
    command = "make bench-year" if args.write else " ".join(["bench/national_year.py", *sys.argv[1:]])
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp, database(kind, args.pg or "", Path(tmp), "year") as url:
        load = os.getloadavg()
        print(f"{kind}: a national year of {args.docs:,} documents ...", flush=True)
        child = subprocess.run([PYTHON, __file__, "--child", url, str(args.docs), str(args.days or "all")], stdout=subprocess.PIPE, text=True, check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result["load"] = load
        print(f"the year: {result['seconds']:.0f} s; export and verify ...", flush=True)
        if args.keep and kind == "sqlite":  # the child has closed it, so SQLite has emptied its write-ahead log into it
            shutil.copyfile(Path(tmp) / "year.db", args.keep)
        out = Path(tmp) / "export"
        result["export_s"], result["export_mb"] = _run_measured([CASEDRAW, "export", "--db", url, "--out", str(out)])
        key = (out / "log.vkey").read_text().strip()
        result["verify_s"], result["verify_mb"] = _run_measured([CASEDRAW, "verify", str(out), "--key", key])
    text = report(result, kind, command)
    print(text)
    if args.write:
        write_into(args.write, text, BEGIN, END, "National year (issue 9): `make bench-year`")
    if "**missed**" in text:
        print("(a target was missed: see the table)", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
