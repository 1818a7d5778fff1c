"""`casedraw stats`: the figures from the public export are exactly the figures from the database.

Two independent readers (the database's projections, and a fold over the public log) feed one
pure computation; the demo's simulated months give them every kind of event to disagree on."""

from __future__ import annotations

import csv
import subprocess
from collections import Counter

import pyarrow.parquet as pq
from test_cli import CASEDRAW, run

from casedraw.analytics.from_db import facts_from_db
from casedraw.analytics.from_log import facts_from_bodies
from casedraw.store.repository import Store


def test_stats_on_the_export_reproduce_the_database(db_url, tmp_path):
    demo = run("demo", "--docs", "1500", "--days", "120", "--db", db_url, db=db_url)
    assert demo.returncode == 0, demo.stderr
    out = tmp_path / "public"
    assert run("export", "--out", str(out), db=db_url).returncode == 0

    files = {name: tmp_path / name for name in ("db.csv", "db-compare.csv", "db.parquet", "log.csv", "log-compare.csv")}
    from_db = run("stats", "--csv", str(files["db.csv"]), "--compare-csv", str(files["db-compare.csv"]),
                  "--parquet", str(files["db.parquet"]), "--by", "region", db=db_url)
    assert from_db.returncode == 0, from_db.stderr
    from_log = subprocess.run([CASEDRAW, "stats", str(out), "--csv", str(files["log.csv"]), "--compare-csv", str(files["log-compare.csv"])],
                              capture_output=True, text=True, timeout=300)
    assert from_log.returncode == 0, from_log.stderr
    assert files["db.csv"].read_bytes() == files["log.csv"].read_bytes()
    assert files["db-compare.csv"].read_bytes() == files["log-compare.csv"].read_bytes()

    rows = list(csv.DictReader(files["db.csv"].open(encoding="utf-8")))
    assert pq.read_table(files["db.parquet"]).num_rows == len(rows)
    overall = {(r["period"], r["indicator"]): r for r in rows if r["by"] == "all"}
    for indicator in ("days_to_acknowledge", "days_to_initiation", "days_to_closure", "recovered_share", "full_recovery_rate",
                      "late_initiation_rate", "applications", "hours_to_draw"):
        assert int(overall[("after", indicator)]["n"]) > 0, indicator
    for indicator in ("days_to_initiation", "days_to_closure", "recovered_share"):
        assert int(overall[("before", indicator)]["n"]) > 0, indicator
    assert {r["by"] for r in rows} == {"all", "region", "bailiff", "claimant_kind", "month"}
    comparison = list(csv.DictReader(files["db-compare.csv"].open(encoding="utf-8")))
    assert any(r["by"] == "claimant_kind" and r["indicator"] == "days_to_initiation" and r["difference_low"] for r in comparison)

    # Stronger than equal totals: every fact each reader found is the same.
    store = Store.open(db_url)
    try:
        database = facts_from_db(store)
    finally:
        store.close()
    with (out / "log.jsonl").open("rb") as log:
        public = facts_from_bodies(line.rstrip(b"\n") for line in log)
    assert database.as_of == public.as_of
    for name in ("documents", "proceedings", "applications", "history"):
        assert Counter(getattr(database, name)) == Counter(getattr(public, name)), name
