"""Document intake against a real database (SQLite and PostgreSQL)."""

import datetime as dt
import hashlib
import threading

import pytest
from conftest import NOW, fixed_context
from factories import document_row, iin
from sqlalchemy import func, select, text

from casedraw.domain.errors import FieldError
from casedraw.ledger import canonical
from casedraw.ledger.events import EventKind
from casedraw.services import Context
from casedraw.services.intake import IdempotencyConflict, submit_documents
from casedraw.store import schema
from casedraw.store.repository import NotInitialised, Store


def log_size(store: Store) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.events)).scalar_one()


def document_count(store: Store) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()


def numbered(rows):
    return list(enumerate(rows, start=2))


def test_good_rows_are_stored_once_and_bad_rows_reported(store, ctx):
    rows = numbered([
        document_row(0),
        document_row(1, region="KZ-99"),
        document_row(2),
        document_row(3, amount_kzt="-10"),
    ])
    rows.append((6, [FieldError("row", "has 3 cells, the header has 13")]))
    report = submit_documents(store, rows, ctx)
    assert [(o.row, o.status) for o in report.outcomes] == [
        (2, "accepted"), (3, "rejected"), (4, "accepted"), (5, "rejected"), (6, "rejected"),
    ]
    assert report.outcomes[1].errors == (FieldError("region", "unknown region 'KZ-99' (use an ISO 3166-2:KZ code such as KZ-75)"),)
    assert report.outcomes[4].errors[0].field == "row"
    assert document_count(store) == 2
    assert [o.key for o in report.outcomes if o.status == "accepted"] == [1, 2]


def test_resubmitting_the_same_file_changes_nothing(store, ctx):
    rows = numbered([document_row(n) for n in range(30)] + [document_row(99, region="nowhere")])
    first = submit_documents(store, rows, ctx)
    size, snapshot = log_size(store), store.projection_snapshot()
    second = submit_documents(store, rows, ctx)
    assert log_size(store) == size
    assert store.projection_snapshot() == snapshot
    assert [o.status for o in second.outcomes] == ["duplicate"] * 30 + ["rejected"]
    assert [o.key for o in second.outcomes[:30]] == [o.key for o in first.outcomes[:30]]


def test_same_document_twice_in_one_file_is_one_document(store, ctx):
    spaced = document_row(0, doc_number=" " + str(document_row(0)["doc_number"]).lower() + " ")
    report = submit_documents(store, numbered([document_row(0), spaced, document_row(1)]), ctx)
    assert [o.status for o in report.outcomes] == ["accepted", "duplicate", "accepted"]
    assert report.outcomes[1].key == report.outcomes[0].key
    assert document_count(store) == 2


def test_duplicates_across_chunks_are_found(store, ctx):
    rows = numbered([document_row(n) for n in range(7)] + [document_row(2)])
    report = submit_documents(store, rows, ctx, chunk_size=3)
    assert report.counts() == {"accepted": 7, "duplicate": 1}
    assert report.outcomes[-1].key == report.outcomes[2].key


def test_routing_is_recorded_per_document(store, ctx):
    rows = numbered([
        document_row(0, claimant_kind="state_body", category="state_claim", amount_kzt="50000"),
        document_row(1, claimant_kind="state_body", category="state_claim", amount_kzt="500000"),
        document_row(2, claimant_kind="state_body", category="state_claim", amount_kzt="5000000"),
    ])
    report = submit_documents(store, rows, ctx)
    assert [o.detail for o in report.outcomes] == ["robot", "pb", "state"]


def test_idempotency_key_returns_the_first_answer(store, ctx):
    rows = numbered([document_row(0), document_row(1, region="x")])
    first = submit_documents(store, rows, ctx, idempotency_key="bank-batch-0001")
    size = log_size(store)
    again = submit_documents(store, rows, ctx, idempotency_key="bank-batch-0001")
    assert again.outcomes == first.outcomes  # accepted, not "duplicate": the same answer as the first time
    assert log_size(store) == size
    with pytest.raises(IdempotencyConflict, match="bank-batch-0001.*different request"):
        submit_documents(store, numbered([document_row(5)]), ctx, idempotency_key="bank-batch-0001")
    assert log_size(store) == size


def test_intake_refuses_to_run_before_init(db_url, ctx):
    store = Store.open(db_url)
    try:
        with pytest.raises(NotInitialised, match="casedraw init"):
            submit_documents(store, numbered([document_row(0)]), ctx)
        assert log_size(store) == 0
    finally:
        store.close()


def test_a_failure_inside_a_chunk_leaves_nothing_half_written(store, ctx, monkeypatch):
    submit_documents(store, numbered([document_row(0)]), ctx)
    size, snapshot = log_size(store), store.projection_snapshot()

    import casedraw.store.repository as repository

    def fail_after_events(conn, ops):
        list(ops)
        raise RuntimeError("disk went away while writing projections")

    monkeypatch.setattr(repository, "apply", fail_after_events)
    with pytest.raises(RuntimeError, match="disk went away"):
        submit_documents(store, numbered([document_row(n) for n in range(1, 5)]), ctx)
    monkeypatch.undo()
    assert log_size(store) == size
    assert store.projection_snapshot() == snapshot
    report = submit_documents(store, numbered([document_row(n) for n in range(1, 5)]), ctx)
    assert report.counts() == {"accepted": 4}
    assert [o.key for o in report.outcomes] == [2, 3, 4, 5]  # no gap left by the failed attempt


def test_concurrent_submissions_of_the_same_documents_register_each_once(db_url, ctx):
    stores = [Store.open(db_url) for _ in range(4)]
    try:
        from casedraw.services.setup import initialise
        initialise(stores[0], ctx)
        rows = numbered([document_row(n) for n in range(40)])
        barrier = threading.Barrier(len(stores))
        reports, failures = [], []

        def run(store):
            try:
                barrier.wait()
                reports.append(submit_documents(store, rows, fixed_context(), chunk_size=7))
            except Exception as exc:  # surfaced below
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert document_count(stores[0]) == 40
        assert sum(r.counts()["accepted"] for r in reports) == 40
        ids = {tuple(o.key for o in r.outcomes) for r in reports}
        assert len(ids) == 1  # everybody got the same document ids
        with stores[0].read() as conn:
            seqs = conn.execute(select(schema.events.c.seq).order_by(schema.events.c.seq)).scalars().all()
        assert seqs == list(range(len(seqs)))  # one gap-free total order
    finally:
        for s in stores:
            s.close()


def test_log_time_never_goes_back_even_when_a_writer_s_clock_lags(store, ctx):
    """A writer that took its time before another committed must not append an earlier time."""
    submit_documents(store, numbered([document_row(0)]), ctx)
    lagging = Context(ctx.actor, clock=lambda: NOW - dt.timedelta(seconds=5), salt=ctx.salt)
    submit_documents(store, numbered([document_row(1)]), lagging)
    times = [e.at for _, e in store.events()]
    assert times == sorted(times) and times[-1] == times[-2]
    with store.write() as writer:
        assert writer.stamp(lagging)[0] == times[-1]


def test_public_log_holds_no_personal_data_and_commitments_open(store, ctx):
    row = document_row(0, debtor_name="Серикбаев Данияр", doc_number="2-777/2026")
    submit_documents(store, numbered([row]), ctx)
    (seq, event), = [(s, e) for s, e in store.events() if e.kind is EventKind.DOCUMENT_REGISTERED]
    body = event.body()
    for secret in (str(row["debtor_idn"]), str(row["claimant_idn"]), "Серикбаев", "2-777/2026", "District court", "250000"):
        assert secret.encode() not in body, secret
    assert event.data["region"] == "KZ-75" and event.data["channel"] == "pb"
    assert hashlib.sha256(canonical.encode(event.private)).hexdigest() == event.data["commit"]
    assert event.private["fields"]["debtor"]["idn"] == iin(0)


def test_rebuild_recreates_identical_projections(store, ctx):
    from factories import bailiff_row

    from casedraw.services.registry import import_bailiffs

    import_bailiffs(store, numbered([bailiff_row(n) for n in range(3)]), ctx)
    import_bailiffs(store, numbered([bailiff_row(1, district="Almaty, district 9", allocation_share="0.5")]), ctx)
    submit_documents(store, numbered([document_row(n) for n in range(25)]), ctx)
    before = store.projection_snapshot()
    assert store.rebuild() == log_size(store)
    assert store.projection_snapshot() == before
    report = submit_documents(store, numbered([document_row(99)]), ctx)
    assert report.outcomes[0].key == 26  # the document counter is rebuilt too


def test_a_chunk_prepared_before_midnight_and_written_after_it_is_prepared_again(store, ctx):
    """Routing and weights belong to the registration day: one prepared for the day before is redone."""
    before = dt.datetime(2026, 11, 27, 18, 59, 59, 900_000, tzinfo=dt.UTC)  # 23:59:59.9 in Kazakhstan
    moments = iter([before])
    turning = Context(ctx.actor, clock=lambda: next(moments, before + dt.timedelta(seconds=1)), salt=ctx.salt)
    report = submit_documents(store, numbered([document_row(n) for n in range(3)]), turning)
    assert report.counts() == {"accepted": 3}
    events = [e for _, e in store.events() if e.kind is EventKind.DOCUMENT_REGISTERED]
    assert [e.at for e in events] == ["2026-11-27T19:00:00.900000Z"] * 3  # 28 November in Kazakhstan
    assert document_count(store) == 3


def test_documents_forwarded_on_intake_project_as_a_rebuild_would(store, ctx):
    rows = [document_row(0), document_row(1, region="KZ-71", lodged_with="KZ-75"), document_row(2, region="KZ-11", lodged_with="KZ-11")]
    report = submit_documents(store, numbered(rows), ctx)
    assert report.counts() == {"accepted": 3}
    kinds = [e.kind for _, e in store.events()][-4:]
    assert kinds == [EventKind.DOCUMENT_REGISTERED, EventKind.DOCUMENT_REGISTERED, EventKind.DOCUMENT_FORWARDED, EventKind.DOCUMENT_REGISTERED]
    snapshot = store.projection_snapshot()
    store.rebuild()
    assert store.projection_snapshot() == snapshot


def test_default_salts_are_sixteen_fresh_bytes_each():
    salt = Context(ctx_actor := fixed_context().actor).salt
    salts = [salt() for _ in range(1_000)]  # several refills of the buffer
    assert {len(s) for s in salts} == {16} and len(set(salts)) == 1_000
    assert Context(ctx_actor).salt() not in salts


def test_the_duplicate_check_is_planned_for_its_values_however_often_it_runs(store, ctx):
    """On PostgreSQL a statement psycopg has prepared may get one generic plan, made while the table was
    small: a full scan that stayed as the table grew (6 to 850 us per document over 40,000 documents)."""
    identities = [f"{n:064x}" for n in range(1_800)]  # two chunks a call on SQLite, one array on PostgreSQL
    with store.read() as conn:
        for _ in range(8):  # while the table is empty, as on a new database's first intake
            assert store.documents_by_identity(conn, identities) == {}
        submit_documents(store, numbered([document_row(n) for n in range(3_000)]), ctx)
        for _ in range(8):  # the same connection, its statements prepared: a generic plan would be kept now
            assert store.documents_by_identity(conn, identities) == {}
        if conn.dialect.name != "postgresql":
            return
        plans = conn.execute(text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE :lookup"),
                             {"lookup": "%FROM documents%identity = ANY%"}).all()
    assert plans and all(generic == 0 and custom > 0 for generic, custom in plans)


@pytest.mark.parametrize("same_body", [True, False])
def test_one_idempotency_key_from_two_processes_at_once_registers_one_request(db_url, ctx, same_body, monkeypatch):
    """Both requests find no answer under the key before they start (a barrier holds each until the other
    has looked); the registering transaction looks again under the log lock, so the second gets the
    first's answer, or is refused for another body."""
    import casedraw.services.intake as intake

    both_looked = threading.Barrier(2)

    def prepare_when_both_looked(*args, **kwargs):  # type: ignore[no-untyped-def]
        both_looked.wait(timeout=30)
        return real_prepare(*args, **kwargs)

    real_prepare = intake.prepare
    monkeypatch.setattr(intake, "prepare", prepare_when_both_looked)
    stores = [Store.open(db_url) for _ in range(2)]
    try:
        from casedraw.services.setup import initialise
        initialise(stores[0], ctx)
        bodies = [numbered([document_row(0), document_row(1)]), numbered([document_row(0 if same_body else 2), document_row(1 if same_body else 3)])]
        answers: list[object] = [None, None]

        def run(i: int) -> None:
            try:
                answers[i] = submit_documents(stores[i], bodies[i], fixed_context(), idempotency_key="bank-batch-7").outcomes
            except IdempotencyConflict as exc:
                answers[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert document_count(stores[0]) == 2
        if same_body:
            assert answers[0] == answers[1] and [o.status for o in answers[0]] == ["accepted", "accepted"]  # type: ignore[union-attr]
        else:
            assert sorted(type(a).__name__ for a in answers) == ["IdempotencyConflict", "list"]
    finally:
        for s in stores:
            s.close()


@pytest.mark.parametrize("same_document", [True, False])
def test_single_submissions_with_one_key_from_two_processes_register_once(db_url, ctx, same_document, monkeypatch):
    """As the API's group commit registers single submissions: each row with its own key, answered in
    the registering transaction. Both writers are held until each has prepared its row."""
    import casedraw.services.intake as intake

    both_prepared = threading.Barrier(2)

    def prepare_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        items = real_prepare(*args, **kwargs)
        both_prepared.wait(timeout=30)
        return items

    real_prepare = intake.prepare
    monkeypatch.setattr(intake, "prepare", prepare_then_wait)
    stores = [Store.open(db_url) for _ in range(2)]
    try:
        from casedraw.services.setup import initialise
        initialise(stores[0], ctx)
        bank = fixed_context("claimant", "940140000385").actor
        rows = [[(0, document_row(5))], [(0, document_row(5 if same_document else 6))]]
        fingerprints = ["f-5", "f-5" if same_document else "f-6"]
        answers: list[list[object]] = [[], []]

        def run(i: int) -> None:
            key = ("claimant:940140000385:order-1", fingerprints[i])
            answers[i] = submit_documents(stores[i], rows[i], fixed_context(), actors=[bank], keys=[key]).outcomes

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert document_count(stores[0]) == 1
        (first,), (second,) = sorted(answers, key=lambda a: a[0].status)  # type: ignore[attr-defined]
        assert first.status == "accepted"  # type: ignore[attr-defined]
        if same_document:
            assert second == first  # the stored answer, not "duplicate"
        else:
            assert second.status == "rejected" and second.errors[0].field == "Idempotency-Key"  # type: ignore[attr-defined]
    finally:
        for s in stores:
            s.close()
