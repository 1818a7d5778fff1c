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
