"""The national-year benchmark's simulation, a few weeks of it at a small volume: intake, rounds and
every procedure around the draw interleaved as in a year (absences that overlap, paragraph 17,
paragraph 12 applications decided days later, licences suspended, revoked and reinstated) must give
a log that verifies and tables equal to a rebuild. The full year found a disagreement between the
operator and `verify` that no single-procedure test had (tests/test_procedures.py, overlapping absences)."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select
from test_procedures import verified

from casedraw.store import schema
from casedraw.store.repository import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from national_year import autovacuum_off, child_year  # noqa: E402


def test_weeks_of_a_national_year_verify_and_rebuild(db_url, tmp_path):
    result = child_year(db_url, 150_000, days=20)  # about 9,000 documents: six per bailiff
    done = result["done"]
    assert done["rows accepted"] > 8_000 and done["rounds"] == 20
    for happened in ("absences: leave", "absences: illness", "para 17 suspended", "para 17 resumed", "applications filed",
                     "licences suspended", "licences revoked", "documents released by licence events"):
        assert done.get(happened, 0) > 0, happened
    assert done.get("applications granted", 0) + done.get("applications refused", 0) > 0
    store = Store.open(db_url)
    try:
        summary = verified(store, tmp_path / "export")
        assert summary is not None
        with store.read() as conn:
            assigned = conn.execute(select(func.count()).select_from(schema.documents).where(schema.documents.c.status == "assigned")).scalar_one()
        assert assigned > 0.9 * done["rows accepted"]
        before = store.projection_snapshot()
        store.rebuild()
        assert store.projection_snapshot() == before
        if store.engine.dialect.name == "postgresql":
            _check_vacuumed_as_autovacuum_would(store, done)
    finally:
        store.close()


def _check_vacuumed_as_autovacuum_would(store: Store, done: dict[str, int]) -> None:
    """On a server with autovacuum off (CI's), the year vacuumed the documents table, which each round updates."""
    if not autovacuum_off(store):
        return
    with store.read() as conn:
        vacuumed = conn.exec_driver_sql("SELECT vacuum_count FROM pg_stat_user_tables "
                                        "WHERE schemaname = current_schema() AND relname = 'documents'").scalar_one()
    assert vacuumed > 0 and sum(n for what, n in done.items() if what.startswith("tables given VACUUM")) >= vacuumed
