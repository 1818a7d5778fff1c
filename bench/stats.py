"""How long `casedraw stats` takes to compute its indicators at national volume.

Synthetic facts (the indicators' input, analytics/facts.py): N documents, N proceedings, N/50
applications and N historical records, spread over 20 regions, 1,500 bailiffs, five claimant kinds
and a year. Times `compute` and `compare` and reports the peak memory of the process.

    .venv/bin/python bench/stats.py --n 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import time

from casedraw.analytics import indicators
from casedraw.analytics.facts import CLOSURES, ApplicationFact, DocumentFact, Facts, HistoricalFact, Outcome, ProceedingFact
from casedraw.domain.regions import REGIONS

KINDS = ("bank", "mfo", "collection_agency", "individual", "state_body")
START = dt.datetime(2025, 11, 28, 5, 0, tzinfo=dt.UTC)


def _time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def synthetic(n: int, seed: int = 1) -> Facts:
    rng = random.Random(seed)
    regions = sorted(REGIONS)
    closures = sorted(CLOSURES)
    documents, proceedings, history = [], [], []
    for doc in range(1, n + 1):
        registered = START + dt.timedelta(days=rng.randrange(365), hours=rng.randrange(8))
        drawn = registered + dt.timedelta(hours=rng.randrange(1, 30))
        region, kind = rng.choice(regions), rng.choice(KINDS)
        documents.append(DocumentFact(doc, region, kind, "recovery_entity", _time(registered), _time(drawn), "open", ()))
        acknowledged = drawn + dt.timedelta(days=rng.randrange(4))
        initiated = acknowledged + dt.timedelta(days=rng.randrange(6))
        ended = initiated + dt.timedelta(days=rng.randrange(30, 300)) if rng.random() < 0.6 else None
        outcome = rng.choice(closures) if ended else None
        proceedings.append(ProceedingFact(
            doc, f"PB-{rng.randrange(1500):05d}", region, kind, _time(drawn), (drawn + dt.timedelta(days=1)).date().isoformat(),
            (drawn + dt.timedelta(days=3)).date().isoformat(), _time(acknowledged), _time(initiated), int(rng.random() < 0.08),
            None if ended is None else _time(ended), outcome, 10_000 if outcome == Outcome.RECOVERED else rng.randrange(10_000) if ended else 0,
        ))
        lodged = (registered - dt.timedelta(days=365)).date()
        closed = lodged + dt.timedelta(days=rng.randrange(30, 300)) if rng.random() < 0.6 else None
        history.append(HistoricalFact(
            str(doc), region, kind, f"PB-{rng.randrange(1500):05d}", lodged.isoformat(), (lodged + dt.timedelta(days=rng.randrange(5))).isoformat(),
            None if closed is None else closed.isoformat(), rng.choice(closures) if closed else None, rng.randrange(10_001),
        ))
    applications = [
        ApplicationFact(i, p.doc, p.region, p.licence, p.claimant_kind, "inaction", p.assigned, p.initiate_by, p.ended, "granted" if p.ended else None)
        for i, p in enumerate(proceedings[:: 50], start=1)
    ]
    return Facts(_time(START + dt.timedelta(days=366)), tuple(documents), tuple(proceedings), tuple(applications), tuple(history))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    facts = synthetic(args.n)
    built = time.perf_counter()
    rows = indicators.compute(facts)
    computed = time.perf_counter()
    comparison = indicators.compare(facts)
    compared = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {args.n:,} documents, proceedings and historical records | {computed - built:.1f} s ({len(rows):,} rows) "
          f"| {compared - computed:.1f} s ({len(comparison):,} rows) | {peak:,.0f} MB | facts built in {built - started:.1f} s |")


if __name__ == "__main__":
    main()
