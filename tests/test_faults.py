"""Fault tests (issue 9): the PostgreSQL connection dropped mid-transaction, the disk full for SQLite, a
drand value that comes late, never, or with a bad signature. Each ends in a clear error or a documented
wait, never in a wrong or lost assignment (docs/RESILIENCE.md, "Fault tests").

Nothing is mocked. A connection is dropped by the server itself: the writer's thread stops at a chosen
point of its transaction (a threading.Event handshake), the test finds that backend in pg_stat_activity
from another connection and ends it with pg_terminate_backend. A full disk is a real full filesystem (a
small tmpfs, where mounting is permitted) or SQLite's own page limit, which fails the same way
(SQLITE_FULL); on PostgreSQL a trigger raises the server's disk_full error (SQLSTATE 53100). drand
values come from a real HTTP relay on the loopback interface, or a file, holding the real recorded
quicknet round; a bad signature is that round's with one byte flipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from importlib import resources
from pathlib import Path

import psycopg
import pytest
from conftest import IN_CI, PG_URL, _pg_conninfo, database
from factories import BANK_BIN, bailiff_row, document_row
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from test_beacons import _Server
from typer.testing import CliRunner

from casedraw.api.app import create_app
from casedraw.cli import app as cli_app
from casedraw.cli_support import EXIT_DATABASE_UNAVAILABLE
from casedraw.domain.model import DOCUMENT_COLUMNS, OPTIONAL_BAILIFF_COLUMNS
from casedraw.domain.routing import RoutingConfig
from casedraw.draw.beacons import QUICKNET, BeaconInvalid, BeaconUnavailable, DrandFileFeed, round_time
from casedraw.draw.protocol import round_seed
from casedraw.ledger.checkpoint import NoteVerifier
from casedraw.ledger.events import Actor, EventKind
from casedraw.ledger.publish import verify_export
from casedraw.services import Context
from casedraw.services.access import Role, create_token
from casedraw.services.intake import submit_documents
from casedraw.services.publication import export_store
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import DRAND, seal_round
from casedraw.services.rounds import run_round as _run_round
from casedraw.services.setup import LOG_ORIGIN, default_routing, initialise, log_signer
from casedraw.store import schema
from casedraw.store.db import ConnectionLost, StorageFull
from casedraw.store.repository import Store

CASEDRAW = str(Path(sys.executable).with_name("casedraw"))
RECORDED = json.loads(resources.files("casedraw.data").joinpath("drand-quicknet.json").read_text("utf-8"))["rounds"][0]
DRAND_ROUND: int = RECORDED["round"]  # 123, published 2023-08-23
SIGNATURE: str = RECORDED["signature"]
OPERATOR = Context(Actor("operator", "test"))
CLAIMANT = Context(Actor("claimant", BANK_BIN))


def numbered(rows: list[dict[str, object]]) -> list[tuple[int, dict[str, object]]]:
    return list(enumerate(rows, start=2))


def docs(first: int, count: int) -> list[tuple[int, dict[str, object]]]:
    return numbered([document_row(n) for n in range(first, first + count)])


def run_round(store: Store, ctx: Context = OPERATOR, **kwargs: object):  # type: ignore[no-untyped-def]
    return _run_round(store, ctx, **kwargs)  # type: ignore[arg-type]


def ready(url: str, bailiffs: int = 5) -> Store:
    store = Store.open(url)
    initialise(store, OPERATOR)
    import_bailiffs(store, numbered([bailiff_row(i) for i in range(bailiffs)]), OPERATOR)
    return store


# --- what every fault must leave behind ------------------------------------------------------------


def assert_whole(store: Store, tmp_path: Path) -> dict[int, str | None]:
    """Nothing half-written, nothing lost or doubled, and the public log verifies. Returns doc -> bailiff."""
    with store.read() as conn:
        head = conn.execute(select(schema.log_head.c.size, schema.log_head.c.documents)).one()
        assert head.size == conn.execute(select(func.count()).select_from(schema.events)).scalar_one()
        assert head.size == conn.execute(select(func.max(schema.events.c.seq))).scalar_one() + 1  # no gap
        d = schema.documents
        rows = conn.execute(select(d.c.id, d.c.identity, d.c.status, d.c.assigned_to)).all()
        rounds = conn.execute(select(schema.rounds.c.round, schema.rounds.c.status)).all()
    assert head.documents == len(rows) and sorted(r.id for r in rows) == list(range(1, len(rows) + 1))
    assert len({r.identity for r in rows}) == len(rows)  # each document registered once
    before = store.projection_snapshot()
    store.rebuild()
    assert store.projection_snapshot() == before  # the tables are exactly what the log says
    # Every document drawn at most once, and the assignment the tables show is the one the log records.
    events = [e for _, e in store.events()]
    drawn: Counter[int] = Counter()
    logged: dict[int, str] = {}
    for e in events:
        if e.kind is EventKind.ROUND_DRAWN:
            for region in e.data["regions"].values():
                for doc, licence, _how in region["assigned"]:
                    drawn[doc] += 1
                    logged[doc] = licence
    assert all(n == 1 for n in drawn.values()), drawn.most_common(3)
    assert {r.id: r.assigned_to for r in rows if r.assigned_to} == logged
    assert sum(e.kind is EventKind.ROUND_SEALED for e in events) == len(rounds)
    assert sum(e.kind is EventKind.ROUND_DRAWN for e in events) == sum(r.status == "drawn" for r in rounds)
    out = tmp_path / f"export-{uuid.uuid4().hex[:6]}"
    signer = log_signer(store)
    export_store(store, out, signer, LOG_ORIGIN)
    result = verify_export(out, NoteVerifier.from_vkey(signer.verifier_key()), parallel=False)
    assert result.size == head.size and result.summary.assignments == len(logged)
    return {r.id: r.assigned_to for r in rows}


def log_size(store: Store) -> int:
    with store.read() as conn:
        return store.log_size(conn)


def statuses(store: Store) -> Counter[str]:
    with store.read() as conn:
        return Counter(conn.execute(select(schema.documents.c.status)).scalars())


def round_rows(store: Store) -> list[tuple[object, ...]]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(schema.rounds).order_by(schema.rounds.c.round))]


# --- PostgreSQL: the connection dropped mid-transaction ----------------------------------------------


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL schema whose connections carry an application name of their own, so the test can
    find this store's writer among the server's backends."""
    with database("postgresql", tmp_path) as url:
        yield make_url(url).update_query_dict({"application_name": f"casedraw-fault-{uuid.uuid4().hex[:10]}"}).render_as_string(
            hide_password=False)


class Cutter:
    """Ends the writer's server backend when the writer reaches a point of its transaction.

    The writer runs in a thread; at the point (the events insert, or the commit, after `skip` earlier
    ones) it signals and waits. The test finds the one backend of this application that is inside a
    transaction in pg_stat_activity, terminates it from its own connection (waiting until it is gone),
    and lets the writer go on, onto a dead connection."""

    def __init__(self, target: object, url: str):
        self.application = make_url(url).query["application_name"]
        self.target = target
        self.point: str | None = None
        self.skip = 0
        self.reached, self.resume = threading.Event(), threading.Event()
        event.listen(target, "before_cursor_execute", self._statement)
        event.listen(target, "commit", self._commit)

    def remove(self) -> None:
        event.remove(self.target, "before_cursor_execute", self._statement)
        event.remove(self.target, "commit", self._commit)

    def _statement(self, conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if self.point == "insert" and statement.startswith(("INSERT INTO events", "COPY events")):
            self._at_point()

    def _commit(self, conn):  # type: ignore[no-untyped-def]
        if self.point == "commit":
            self._at_point()

    def _at_point(self) -> None:
        if self.skip:
            self.skip -= 1
            return
        self.point = None
        self.reached.set()
        assert self.resume.wait(60)

    def during(self, point: str, call: Callable[[], object], skip: int = 0) -> tuple[object, BaseException | None]:
        """Run `call`, cutting its connection at `point`; what it returned, and what it raised."""
        self.point, self.skip = point, skip
        self.reached.clear()
        self.resume.clear()
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(call)
            try:
                assert self.reached.wait(60), f"the writer never reached the {point}"
                with psycopg.connect(_pg_conninfo(), autocommit=True) as admin:
                    pids = admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s AND state = 'idle in transaction'",
                                         (self.application,)).fetchall()
                    assert len(pids) == 1, pids
                    assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", pids[0]).fetchone() == (True,)
            finally:
                self.point = None
                self.resume.set()
            error = future.exception(timeout=120)
            return (None if error else future.result()), error


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[tuple[Store, Cutter]]:
    store = ready(pg_url)
    cutter = Cutter(store.engine, pg_url)
    yield store, cutter
    cutter.remove()
    store.close()


@pytest.mark.parametrize("point", ["insert", "commit"])
def test_pg_connection_dropped_during_bulk_intake(pg_store, point, tmp_path):
    store, cutter = pg_store
    rows = docs(0, 150)
    # Three chunks of 50: the first commits, the second's connection is ended mid-transaction.
    _, error = cutter.during(point, lambda: submit_documents(store, rows, CLAIMANT, chunk_size=50), skip=1)
    assert isinstance(error, ConnectionLost), repr(error)
    assert str(error).startswith("database connection lost (") and "repeat the request" in str(error)
    assert statuses(store) == {"registered": 50}  # the first chunk, acknowledged by its commit; nothing of the second
    assert_whole(store, tmp_path)
    # The same store serves the next request (the pool does not hand out the dead connection), and the
    # same submission again registers the rest, each document once.
    again = submit_documents(store, rows, CLAIMANT, chunk_size=50)
    assert again.counts() == {"duplicate": 50, "accepted": 100}
    assert statuses(store) == {"registered": 150}
    assert run_round(store).assigned == 150
    assert len(assert_whole(store, tmp_path)) == 150


@pytest.mark.parametrize(("phase", "point"), [("seal", "insert"), ("draw", "insert"), ("draw", "commit")])
def test_pg_connection_dropped_during_a_round(pg_store, phase, point, tmp_path):
    store, cutter = pg_store
    submit_documents(store, docs(0, 40), CLAIMANT)
    if phase == "draw":
        assert seal_round(store, OPERATOR) == 1
    sealed_before = round_rows(store)
    size_before = log_size(store)
    _, error = cutter.during(point, lambda: run_round(store))
    assert isinstance(error, ConnectionLost), repr(error)
    assert log_size(store) == size_before and round_rows(store) == sealed_before  # sealed (or not) as before
    assert statuses(store) == {"sealed" if phase == "draw" else "registered": 40}
    assert_whole(store, tmp_path)
    result = run_round(store)  # the retry completes the round: the sealed one, with the value fixed at its seal
    assert (result.round, result.documents, result.assigned) == (1, 40, 40)
    events = [e for _, e in store.events()]
    seal = next(e for e in events if e.kind is EventKind.ROUND_SEALED)
    randomness = next(e for e in events if e.kind is EventKind.ROUND_RANDOMNESS).data
    assert randomness["index"] == seal.data["beacon"]["index"] == 1  # the hash chain's first value, used once
    assert result.seed == round_seed(1, bytes.fromhex(randomness["value"]), seal.body()).hex()
    assert set(assert_whole(store, tmp_path).values()) <= {f"PB-{i:05d}" for i in range(5)}


def test_pg_connection_dropped_answers_503_then_the_retry_registers(pg_store, tmp_path):
    store, cutter = pg_store
    token = create_token(store, Role.CLAIMANT, BANK_BIN, "test", rate=10_000).token
    headers = {"Authorization": f"Bearer {token}"}
    bulk = {"documents": [document_row(n) for n in range(30)]}
    with TestClient(create_app(store, pages=False), raise_server_exceptions=False) as client:
        answer, error = cutter.during("insert", lambda: client.post("/api/v1/documents/bulk", headers=headers, json=bulk))
        assert error is None
        single, error = cutter.during("insert", lambda: client.post("/api/v1/documents", headers=headers, json=document_row(99)))
        assert error is None
        for sent in (answer, single):
            assert sent.status_code == 503, sent.text  # type: ignore[attr-defined]
            assert sent.headers["content-type"] == "application/problem+json" and sent.headers["retry-after"] == "5"  # type: ignore[attr-defined]
            assert sent.json()["detail"].startswith("database connection lost")  # type: ignore[attr-defined]
        assert statuses(store) == {}
        retried = client.post("/api/v1/documents/bulk", headers=headers, json=bulk)
        assert retried.status_code == 200 and retried.json()["accepted"] == 30
        one = client.post("/api/v1/documents", headers=headers, json=document_row(99))
        assert one.status_code == 201
    assert statuses(store) == {"registered": 31}
    assert_whole(store, tmp_path)


def test_pg_connection_dropped_under_the_cli_exits_4_with_a_clear_message(pg_url, tmp_path):
    ready(pg_url).close()
    documents = write_documents(tmp_path / "docs.csv", 20)
    cutter = Cutter(Engine, pg_url)  # every engine: the command opens its own
    try:
        command = ["submit", str(documents), "--db", pg_url, "--as", BANK_BIN]
        result, error = cutter.during("insert", lambda: CliRunner().invoke(cli_app, command))
    finally:
        cutter.remove()
    assert error is None
    assert result.exit_code == EXIT_DATABASE_UNAVAILABLE, result.output  # type: ignore[attr-defined]
    assert "error: database connection lost" in result.output and "safe to repeat" in result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    again = CliRunner().invoke(cli_app, ["submit", str(documents), "--db", pg_url, "--as", BANK_BIN])
    assert again.exit_code == 0 and "documents: accepted 20" in again.output, again.output
    # A server that cannot be reached at all: the same clear message and exit status, from the installed command.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        unreachable = make_url(PG_URL).set(port=closed.getsockname()[1]).render_as_string(hide_password=False)
        down = cli("submit", str(documents), db=unreachable)
    assert down.returncode == EXIT_DATABASE_UNAVAILABLE and "error: database connection lost" in down.stderr, down.stderr
    store = Store.open(pg_url)
    try:
        assert statuses(store) == {"registered": 20}
        assert_whole(store, tmp_path)
    finally:
        store.close()


# --- a full disk ---------------------------------------------------------------------------------------


class PageLimit:
    """SQLite's max_page_count on every connection of a store: growing the database beyond it fails with
    SQLITE_FULL, the error a full disk gives. Set on connect, so the pool is emptied to apply a new limit."""

    def __init__(self, store: Store):
        self.store, self.pages = store, None
        event.listen(store.engine, "connect", self._apply)

    def _apply(self, dbapi_connection, _record):  # type: ignore[no-untyped-def]
        if self.pages is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {self.pages}")

    def set(self, pages: int | None) -> None:
        self.pages = pages
        self.store.engine.dispose()

    def used(self) -> int:
        with self.store.read() as conn:
            return conn.exec_driver_sql("PRAGMA page_count").scalar_one()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = ready(f"sqlite:///{tmp_path / 'casedraw.db'}")
    yield store
    store.close()


def test_sqlite_full_during_intake_and_a_round_then_space_freed(sqlite_store, tmp_path):
    store = sqlite_store
    limit = PageLimit(store)
    rows = docs(0, 300)
    limit.set(limit.used() + 40)  # room for the first chunk of 100, not for all three
    with pytest.raises(StorageFull, match="^database or disk is full: the transaction was rolled back"):
        submit_documents(store, rows, CLAIMANT, chunk_size=100)
    accepted = statuses(store)["registered"]
    assert 0 < accepted < 300 and accepted % 100 == 0  # whole chunks only: each acknowledged by its commit
    assert_whole(store, tmp_path)
    limit.set(None)  # space freed
    again = submit_documents(store, rows, CLAIMANT, chunk_size=100)
    assert again.counts() == {"duplicate": accepted, "accepted": 300 - accepted}

    # A round: sealed, then the disk fills before its draw is written.
    assert seal_round(store, OPERATOR) == 1
    sealed = round_rows(store)
    limit.set(limit.used())  # not one page more
    with pytest.raises(StorageFull):
        run_round(store)
    assert round_rows(store) == sealed and statuses(store) == {"sealed": 300}
    limit.set(None)
    assert_whole(store, tmp_path)
    result = run_round(store)
    assert (result.round, result.documents, result.assigned) == (1, 300, 300)
    assert Counter(assert_whole(store, tmp_path).values()).total() == 300


def test_full_storage_answers_507_then_the_retry_registers(db_url, tmp_path):
    """The API on a full database: SQLite at its page limit; PostgreSQL with the server's own disk_full
    error (SQLSTATE 53100), raised by a trigger on the log while the test keeps it there."""
    store = ready(db_url)
    token = create_token(store, Role.CLAIMANT, BANK_BIN, "test", rate=10_000).token
    headers = {"Authorization": f"Bearer {token}"}
    if store.engine.dialect.name == "sqlite":
        limit = PageLimit(store)
        fill, free = (lambda: limit.set(limit.used())), (lambda: limit.set(None))
    else:
        with store.engine.begin() as conn:
            conn.execute(text("CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                              "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$"))

        def fill() -> None:
            with store.engine.begin() as conn:
                conn.execute(text("CREATE TRIGGER full_disk BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION disk_full()"))

        def free() -> None:
            with store.engine.begin() as conn:
                conn.execute(text("DROP TRIGGER full_disk ON events"))
    bulk = {"documents": [document_row(n) for n in range(120)]}
    # On PostgreSQL the writer is a process of its own, as under `casedraw serve`: its error crosses the pipe.
    served = create_app(store, pages=False, intake_process=store.engine.dialect.name == "postgresql")
    try:
        with TestClient(served, raise_server_exceptions=False) as client:
            fill()
            answers = [client.post("/api/v1/documents/bulk", headers=headers, json=bulk)]
            if store.engine.dialect.name == "postgresql":  # one small row may still fit in SQLite's last pages
                answers.append(client.post("/api/v1/documents", headers=headers, json=document_row(999)))
            for answer in answers:
                assert answer.status_code == 507, answer.text
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.json()["detail"].startswith("database or disk is full")
            assert statuses(store) == {}
            free()
            assert client.post("/api/v1/documents/bulk", headers=headers, json=bulk).json()["accepted"] == 120
            assert client.post("/api/v1/documents", headers=headers, json=document_row(999)).status_code == 201
        assert statuses(store) == {"registered": 121}
        assert_whole(store, tmp_path)
    finally:
        store.close()


def write_documents(path: Path, count: int, first: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(DOCUMENT_COLUMNS))
        writer.writeheader()
        writer.writerows({k: document_row(n)[k] for k in DOCUMENT_COLUMNS} for n in range(first, first + count))
    return path


def cli(*args: str, db: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CASEDRAW_DB": db, "COLUMNS": "300", **(env or {})}
    return subprocess.run([CASEDRAW, *args], capture_output=True, text=True, env=environment, timeout=120)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs: a real filesystem that fills up."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)], capture_output=True, text=True)
    if mounted.returncode != 0:
        if IN_CI and os.geteuid() == 0:
            pytest.fail(f"mount -t tmpfs failed as root: {mounted.stderr.strip()}")
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not permitted'}); "
                    "test_sqlite_full_during_intake_and_a_round_then_space_freed covers SQLITE_FULL through max_page_count")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_disk(database: Path, leave: int) -> Path:
    """Fill the database's filesystem but `leave` bytes, with a file the operator can delete. The write-ahead
    log is first folded into the database and truncated, so the next transaction must take new space
    (a WAL file already grown would otherwise be reused in place)."""
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = database.parent / "filler"
    stat = os.statvfs(filler.parent)
    with filler.open("ab") as out:
        out.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def test_disk_full_on_a_real_filesystem_under_the_cli(small_disk, tmp_path):
    path = small_disk / "casedraw.db"
    db = f"sqlite:///{path}"
    bailiffs = tmp_path / "pbs.csv"
    with bailiffs.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(bailiff_row()) + [c for c in OPTIONAL_BAILIFF_COLUMNS if c not in bailiff_row()])
        writer.writeheader()
        writer.writerows(bailiff_row(i) for i in range(5))
    assert cli("init", db=db).returncode == 0
    assert cli("registry", "import", str(bailiffs), db=db).returncode == 0
    documents = write_documents(tmp_path / "docs.csv", 600)

    filler = fill_disk(path, 256 * 1024)  # a 600-document transaction needs about 1 MB
    full = cli("submit", str(documents), "--as", BANK_BIN, db=db)
    assert full.returncode == EXIT_DATABASE_UNAVAILABLE, full.stdout + full.stderr
    assert "error: database or disk is full" in full.stderr and "Traceback" not in full.stderr
    filler.unlink()  # the operator frees space
    with opened_store(db) as store:
        assert statuses(store) == {} and assert_whole(store, tmp_path) == {}
    again = cli("submit", str(documents), "--as", BANK_BIN, db=db)
    assert again.returncode == 0 and "documents: accepted 600" in again.stdout, again.stdout + again.stderr

    # The disk fills up completely: SQLite cannot even make the shared-memory file it opens the database with.
    filler = fill_disk(path, 0)
    drawn = cli("draw", db=db)
    assert drawn.returncode == EXIT_DATABASE_UNAVAILABLE, drawn.stdout + drawn.stderr
    assert "error: database disk I/O error" in drawn.stderr and "may be full" in drawn.stderr and "Traceback" not in drawn.stderr
    filler.unlink()
    # Room to open it, not to write a round: the round fails whole (its seal, which marks 600 documents), then
    # completes once space is freed.
    filler = fill_disk(path, 96 * 1024)
    drawn = cli("draw", db=db)
    assert drawn.returncode == EXIT_DATABASE_UNAVAILABLE and "database or disk is full" in drawn.stderr, drawn.stdout + drawn.stderr
    filler.unlink()
    with opened_store(db) as store:
        assert statuses(store) in ({"registered": 600}, {"sealed": 600})
        assert_whole(store, tmp_path)
    drawn = cli("draw", db=db)
    assert drawn.returncode == 0 and drawn.stdout.startswith("round 1: 600 documents, 600 assigned"), drawn.stdout + drawn.stderr
    with opened_store(db) as store:
        assert statuses(store) == {"assigned": 600}
        assert len(assert_whole(store, tmp_path)) == 600


@contextmanager
def opened_store(url: str) -> Iterator[Store]:
    store = Store.open(url)
    try:
        yield store
    finally:
        store.close()


# --- drand: late, never, bad signature ------------------------------------------------------------------


def at_drand_round(number: int) -> Context:
    return Context(Actor("system", "scheduler"), clock=lambda: dt.datetime.fromtimestamp(round_time(QUICKNET, number), dt.UTC))


@pytest.fixture
def sealed_for_drand(db_url: str) -> Iterator[tuple[str, Store]]:
    """Six documents in a round sealed at drand round 121's time (August 2023): it commits to drand
    round 123, the real round recorded in the package, which is not in any feed yet."""
    store = Store.open(db_url)
    routing = default_routing().to_json()
    routing["routing"][0]["effective_from"] = "2023-01-01"  # type: ignore[index]
    initialise(store, at_drand_round(100), routing=RoutingConfig.from_json(routing))
    import_bailiffs(store, numbered([bailiff_row(i) for i in range(5)]), at_drand_round(105))
    submit_documents(store, numbered([document_row(n, doc_date="2023-01-10") for n in range(6)]), at_drand_round(110))
    assert seal_round(store, at_drand_round(121), DRAND) == 1
    with store.read() as conn:
        assert conn.execute(select(schema.rounds.c.status, schema.rounds.c.beacon_index)).one() == ("sealed", DRAND_ROUND)
    yield db_url, store
    store.close()


@pytest.fixture
def relay(no_proxy: None) -> Iterator[_Server]:
    server = _Server({})
    yield server
    server.close()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def publish(server: _Server, signature: str = SIGNATURE) -> None:
    body = json.dumps({"round": DRAND_ROUND, "signature": signature, "randomness": RECORDED["randomness"]}).encode()
    server.routes[f"/{QUICKNET.chain_hash}/public/{DRAND_ROUND}"] = (200, body)


def flipped(signature: str, byte: int = 20) -> str:
    raw = bytearray(bytes.fromhex(signature))
    raw[byte] ^= 0x01
    return raw.hex()


def assert_drawn_with_the_recorded_value(store: Store) -> None:
    events = [e for _, e in store.events()]
    seal = next(e for e in events if e.kind is EventKind.ROUND_SEALED)
    randomness = next(e for e in events if e.kind is EventKind.ROUND_RANDOMNESS).data
    drawn = next(e for e in events if e.kind is EventKind.ROUND_DRAWN).data
    assert (randomness["source"], randomness["index"], randomness["value"]) == (DRAND, DRAND_ROUND, RECORDED["randomness"])
    assert randomness["proof"] == {"signature": SIGNATURE}
    assert drawn["seed"] == round_seed(1, bytes.fromhex(RECORDED["randomness"]), seal.body()).hex()


def test_late_drand_value_exits_3_and_leaves_the_round_sealed_until_it_comes(sealed_for_drand, relay, tmp_path):
    db, store = sealed_for_drand
    before = (log_size(store), round_rows(store), store.projection_snapshot())
    env = {"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
    waits = [
        (cli("draw", "--drand-url", relay.base_url, db=db, env=env), f"drand round {DRAND_ROUND} is not published yet"),
        (cli("draw", db=db), f"round 1 waits for drand round {DRAND_ROUND}: give --drand-file or --drand-url"),
        # Another source cannot jump the queue: the sealed round is completed first, with its own beacon.
        (cli("draw", "--beacon", "hashchain", db=db), f"round 1 waits for drand round {DRAND_ROUND}"),
    ]
    for result, says in waits:
        assert result.returncode == 3, result.stdout + result.stderr
        assert result.stderr.startswith("waiting: ") and says in result.stderr and "the round stays sealed" in result.stderr, result.stderr
    assert relay.requests == [f"/{QUICKNET.chain_hash}/public/{DRAND_ROUND}"]
    assert (log_size(store), round_rows(store), store.projection_snapshot()) == before  # unchanged
    publish(relay)  # the value is published
    result = cli("draw", "--drand-url", relay.base_url, db=db, env=env)
    assert result.returncode == 0 and result.stdout.startswith("round 1: 6 documents, 6 assigned, 0 pending"), result.stdout + result.stderr
    assert_drawn_with_the_recorded_value(store)
    assert statuses(store) == {"assigned": 6}
    assert_whole(store, tmp_path)


def test_drand_value_that_never_comes_assigns_nothing_and_new_documents_wait(sealed_for_drand, tmp_path):
    _, store = sealed_for_drand
    feed_file = tmp_path / "quicknet.jsonl"
    feed_file.write_text(json.dumps({"round": DRAND_ROUND - 1, "signature": "00" * 48}) + "\n", "utf-8")  # the feed stops before 123
    token = create_token(store, Role.OPERATOR, "op-1", "test", rate=10_000).token
    with TestClient(create_app(store, pages=False), raise_server_exceptions=False) as client:
        for day in range(3):  # days go by; the scheduler keeps trying
            with pytest.raises(BeaconUnavailable, match=f"drand round {DRAND_ROUND} is not in"):
                run_round(store, drand=DrandFileFeed(feed_file))
            submit_documents(store, numbered([document_row(100 + day, doc_date="2023-01-10")]), CLAIMANT)
            answer = client.post("/api/v1/rounds", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 503 and answer.headers["retry-after"] == "3", answer.text
            assert answer.json()["detail"] == (f"round 1 waits for drand round {DRAND_ROUND}: give --drand-file or --drand-url; "
                                               "the round stays sealed until its randomness is published")
    assert statuses(store) == {"sealed": 6, "registered": 3}  # nothing assigned; the new documents wait outside the round
    assert [r[0] for r in round_rows(store)] == [1]
    assert_whole(store, tmp_path)
    # The documented procedure (docs/RESILIENCE.md): the value is public and self-verifying, so the
    # operator takes it from any relay or a file anyone recorded. The round draws its six documents only.
    with feed_file.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"round": DRAND_ROUND, "signature": SIGNATURE}) + "\n")
    result = run_round(store, drand=DrandFileFeed(feed_file))
    assert (result.round, result.documents, result.assigned) == (1, 6, 6)
    assert_drawn_with_the_recorded_value(store)
    assert statuses(store) == {"assigned": 6, "registered": 3}
    result = run_round(store)  # the next round takes the documents that waited
    assert (result.round, result.documents, result.assigned) == (2, 3, 3)
    assert len(assert_whole(store, tmp_path)) == 9


def test_bad_drand_signature_is_refused_and_the_genuine_value_draws(sealed_for_drand, relay, tmp_path):
    db, store = sealed_for_drand
    before = (log_size(store), round_rows(store), store.projection_snapshot())
    bad = flipped(SIGNATURE)
    publish(relay, bad)  # a relay offers the round with one byte of the signature changed
    env = {"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
    refused = cli("draw", "--drand-url", relay.base_url, db=db, env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"error: drand round {DRAND_ROUND}: signature does not verify" in refused.stderr and "Traceback" not in refused.stderr
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_text(json.dumps({"round": DRAND_ROUND, "signature": bad}) + "\n", "utf-8")
    with pytest.raises(BeaconInvalid, match=f"drand round {DRAND_ROUND}: signature does not verify"):
        run_round(store, drand=DrandFileFeed(bad_file))
    assert (log_size(store), round_rows(store), store.projection_snapshot()) == before  # nothing drawn, nothing logged
    publish(relay)  # the genuine value
    result = cli("draw", "--drand-url", relay.base_url, db=db, env=env)
    assert result.returncode == 0 and result.stdout.startswith("round 1: 6 documents, 6 assigned"), result.stdout + result.stderr
    assert_drawn_with_the_recorded_value(store)
    assert_whole(store, tmp_path)
