"""Importing the bailiff registry (SQLite and PostgreSQL)."""

from factories import bailiff_row

from casedraw.ledger.events import EventKind
from casedraw.services.registry import import_bailiffs


def numbered(rows):
    return list(enumerate(rows, start=2))


def events_of(store, kind):
    return [e for _, e in store.events() if e.kind is kind]


def test_import_registers_then_reimport_changes_nothing(store, ctx):
    rows = numbered([bailiff_row(n, chamber_head="yes" if n == 0 else "no") for n in range(5)])
    assert import_bailiffs(store, rows, ctx).counts() == {"registered": 5}
    snapshot = store.projection_snapshot()
    assert import_bailiffs(store, rows, ctx).counts() == {"unchanged": 5}
    assert store.projection_snapshot() == snapshot
    assert len(events_of(store, EventKind.BAILIFF_REGISTERED)) == 5


def test_a_changed_row_records_only_what_changed(store, ctx):
    import_bailiffs(store, numbered([bailiff_row(1)]), ctx)
    report = import_bailiffs(store, numbered([bailiff_row(1, allocation_share="0.5", full_name="Renamed")]), ctx)
    assert [(o.status, o.detail) for o in report.outcomes] == [("changed", "full_name, share_milli")]
    change, = events_of(store, EventKind.BAILIFF_CHANGED)
    assert change.data["changes"] == {"share_milli": 500}
    assert change.private["fields"] == {"full_name": "Renamed"}
    assert b"Renamed" not in change.body()
    with store.read() as conn:
        assert store.bailiffs(conn)["PB-00001"].share_milli == 500


def test_status_region_and_district_change_only_by_licence_events(store, ctx):
    import_bailiffs(store, numbered([bailiff_row(1)]), ctx)
    snapshot = store.projection_snapshot()
    report = import_bailiffs(store, numbered([bailiff_row(1, status="revoked", district="Elsewhere")]), ctx)
    assert report.outcomes[0].status == "rejected"
    assert [e.field for e in report.outcomes[0].errors] == ["status", "district"]
    assert "casedraw bailiff licence PB-00001" in report.outcomes[0].errors[0].reason
    assert store.projection_snapshot() == snapshot


def test_repeated_licence_in_one_file_is_rejected(store, ctx):
    report = import_bailiffs(store, numbered([bailiff_row(1), bailiff_row(2), bailiff_row(1, district="x")]), ctx)
    assert [o.status for o in report.outcomes] == ["registered", "registered", "rejected"]
    assert report.outcomes[2].errors[0].reason == "PB-00001 appears again (first at row 2)"


def test_a_chamber_has_one_head(store, ctx):
    import_bailiffs(store, numbered([bailiff_row(1, chamber_head="yes")]), ctx)
    report = import_bailiffs(store, numbered([bailiff_row(2, chamber_head="yes"), bailiff_row(3, region="KZ-71", chamber_head="yes")]), ctx)
    assert [o.status for o in report.outcomes] == ["rejected", "registered"]
    assert report.outcomes[0].errors[0].field == "chamber_head"
    assert "already has a head (PB-00001)" in report.outcomes[0].errors[0].reason


def test_head_role_can_pass_to_another_bailiff_in_one_file(store, ctx):
    import_bailiffs(store, numbered([bailiff_row(1, chamber_head="yes"), bailiff_row(2)]), ctx)
    report = import_bailiffs(store, numbered([bailiff_row(2, chamber_head="yes"), bailiff_row(1, chamber_head="no")]), ctx)
    assert report.counts() == {"changed": 2}
    with store.read() as conn:
        heads = [b.licence for b in store.bailiffs(conn).values() if b.chamber_head]
    assert heads == ["PB-00002"]
