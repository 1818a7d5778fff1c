"""The scale benchmark's measurements run, on a few hundred documents. `make bench` is otherwise the
only place their code runs, and a schema change once broke it unnoticed (the floor still copied a
table that migration 0010 had dropped)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from scale import child_casedraw, child_floor, child_naive, child_verify  # noqa: E402


def test_every_measurement_of_make_bench_runs(db_url, tmp_path):
    drawn = child_casedraw(db_url, 300)
    assert 250 < drawn["documents"] <= 300 and drawn["rounds_s"] > 0  # the demo's rows include a few deliberate errors
    floor = child_floor(db_url, f"sqlite:///{tmp_path / 'floor.db'}")
    assert floor["documents"] == drawn["documents"] and floor["events"] > floor["documents"]
    verified = child_verify(db_url, str(tmp_path / "export"))
    assert verified["events"] == floor["events"]
    naive = child_naive(f"sqlite:///{tmp_path / 'naive.db'}", 40)
    assert 30 < naive["documents"] <= 40


def test_a_partial_national_year_gets_no_verdict():
    from national_year import report

    run = {"seconds": 186.0, "working_days": 40, "year_days": 247, "peak_mb": 234.0, "verify_s": 18.0, "verify_mb": 212.0,
           "export_s": 6.0, "export_mb": 195.0, "events": 668_454, "db_bytes": 0, "cpu_s": 140.0, "io": {}, "load": (0.1, 0.4, 0.7),
           "preparer_cpu_s": 30.0, "preparer_mb": 90.0,
           "generating_s": 16.0, "parts": {"rounds": 113.0, "intake": 70.0}, "done": {"rows accepted": 666_241}}
    partial = report(run, "postgresql", "bench/national_year.py --days 40")
    assert "met" not in partial and "missed" not in partial and partial.count("no verdict: 40 of 247 working days") == 3
    assert "(met)" in report({**run, "working_days": 247}, "postgresql", "make bench-year")
