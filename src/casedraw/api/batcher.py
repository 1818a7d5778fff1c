"""Group commit for single-document submissions.

Each submission must be durable before it is acknowledged, and every registration takes the log
lock, so one transaction per request would queue 32 concurrent clients behind 32 fsyncs. Instead a
writer thread takes whatever submissions are waiting, registers them in one transaction (each row
under its own claimant), and answers each. Under light load a batch is one document; under heavy
load the batch grows and the cost per document falls.

The registering itself can run in a process of its own (`IntakeProcess`, what `casedraw serve`
uses): it then has a core to itself instead of sharing one interpreter lock with the event loop,
whose request parsing it would otherwise wait behind. Bulk submissions are prepared (parsed,
routed, weighed) in the server process and registered there, part by part in one transaction: the
next part is prepared while the last is written, and a request waiting for the intake process
prepares its parts ahead meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any, Protocol

from casedraw.collector import for_throughput
from casedraw.domain.errors import FieldError
from casedraw.ledger.events import Actor
from casedraw.services import Context
from casedraw.services.intake import (
    INTAKE,
    DayChanged,
    IdempotencyConflict,
    IdempotencyKey,
    Item,
    Parts,
    items_of,
    plain_items,
    register_prepared,
    submit_documents,
)
from casedraw.services.reports import RowOutcome
from casedraw.store.db import ConnectionLost, StorageFull
from casedraw.store.repository import NotInitialised, Store

log = logging.getLogger("casedraw.api.batcher")
_STOP = object()
Rows = Sequence[tuple[int, dict[str, object]]]
Keys = Sequence[IdempotencyKey | None]  # each row's own idempotency key, if any


class Registrar(Protocol):
    def register(self, rows: Rows, actors: Sequence[Actor], keys: Keys) -> list[RowOutcome]: ...

    def register_prepared(self, day: dt.date, parts: Parts, key: IdempotencyKey | None = None,
                          item_keys: Keys | None = None) -> list[RowOutcome]: ...

    def close(self) -> None: ...


class InThread:
    """Registers in the calling thread, with the app's store."""

    def __init__(self, store: Store):
        self._store = store

    def register(self, rows: Rows, actors: Sequence[Actor], keys: Keys) -> list[RowOutcome]:
        return submit_documents(self._store, rows, Context(actors[0]), actors=actors, keys=keys).outcomes

    def register_prepared(self, day: dt.date, parts: Parts, key: IdempotencyKey | None = None,
                          item_keys: Keys | None = None) -> list[RowOutcome]:
        # Prepared whole before the log lock is taken, as the CLI does: this thread has no core of its own to overlap with.
        return register_prepared(self._store, day, list(parts), Context(INTAKE), key, item_keys)

    def close(self) -> None:
        pass


class IntakeProcess:
    """Registers in a child process with its own connection to the database: single submissions as
    they come, bulk ones as chunks the caller prepares part by part. One exchange runs at a time.

    A chunk is a stream of messages: ("prepared", day, key, item_keys), then ("part", items) for each
    part, then ("end",), or ("abort",) if preparing failed; the child reads every one of them, even
    after a failure of its own, before it answers."""

    def __init__(self, url: str):
        context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_intake_process, args=(url, child), name="casedraw-intake", daemon=True)
        self._process.start()
        child.close()
        ready = self._conn.recv()
        if ready != "ready":
            raise RuntimeError(f"the intake process did not start: {ready}")
        self._exchanging = threading.Lock()

    def register(self, rows: Rows, actors: Sequence[Actor], keys: Keys) -> list[RowOutcome]:
        return self._exchange(("rows", list(rows), [(a.role, a.id) for a in actors], list(keys)))

    def register_prepared(self, day: dt.date, parts: Parts, key: IdempotencyKey | None = None,
                          item_keys: Keys | None = None) -> list[RowOutcome]:
        pending = iter(parts)
        ready = [_message("prepared", day, key, item_keys)]
        while not self._exchanging.acquire(blocking=False):  # the child is busy: prepare ahead meanwhile
            if (part := next(pending, None)) is None:
                self._exchanging.acquire()
                break
            ready.append(_part_message(part))
        try:
            for message in ready:
                self._conn.send_bytes(message)
            try:
                for part in pending:  # each prepared while the child writes the last
                    self._conn.send_bytes(_part_message(part))
            except BaseException:
                self._conn.send_bytes(_message("abort"))
                self._conn.recv_bytes()  # the child's refusal of what it was sent: nothing was registered
                raise
            self._conn.send_bytes(_message("end"))
            answer = self._conn.recv_bytes()
        finally:
            self._exchanging.release()
        return _answer(answer)

    def _exchange(self, message: tuple[Any, ...]) -> list[RowOutcome]:
        request = _message(*message)  # before waiting for the child, which may be busy
        with self._exchanging:
            self._conn.send_bytes(request)
            answer = self._conn.recv_bytes()
        return _answer(answer)

    def close(self) -> None:
        with self._exchanging:
            self._conn.send_bytes(pickle.dumps(None))
        self._process.join(timeout=30)
        self._conn.close()


def _message(*parts: Any) -> bytes:
    return pickle.dumps(parts, pickle.HIGHEST_PROTOCOL)


def _part_message(items: Sequence[Item]) -> bytes:
    """A chunk's part, its prepared rows as plain items."""
    return _message("part", plain_items(items))


def _answer(answer: bytes) -> list[RowOutcome]:
    """The child's outcomes, or the error it reported, raised as the parent's handlers know it."""
    status, *rest = pickle.loads(answer)
    if status == "ok":
        return [_outcome(plain) for plain in rest[0]]
    kind, text = rest  # nothing of the message was registered
    if kind == DayChanged.__name__:
        raise DayChanged(dt.date.fromisoformat(text))
    if kind == IdempotencyConflict.__name__:
        raise IdempotencyConflict(text)
    for known in (ConnectionLost, StorageFull):  # the same clear error the parent's handlers answer
        if kind == known.__name__:
            raise known(text)
    raise NotInitialised(text) if kind == NotInitialised.__name__ else RuntimeError(f"intake failed: {kind}: {text}")


class _Aborted(RuntimeError):
    """The parent stopped sending a chunk's parts: preparing one failed."""


class _Stream:
    """The parts of one chunk as the parent sends them."""

    def __init__(self, conn: Connection):
        self._conn, self.ended = conn, False

    def __iter__(self) -> Iterator[Sequence[Any]]:
        while not self.ended:
            kind, *rest = pickle.loads(self._conn.recv_bytes())
            if kind == "part":
                yield items_of(rest[0])
                continue
            self.ended = True
            if kind == "abort":
                raise _Aborted("the server stopped preparing the chunk")

    def drain(self) -> None:
        """Read what is left of the chunk, so that the answer comes after its last message."""
        while not self.ended:
            self.ended = pickle.loads(self._conn.recv_bytes())[0] != "part"


def _intake_process(url: str, conn: Connection) -> None:
    for_throughput()  # a spawned interpreter: not set by the command that started the server
    try:
        store = Store.open(url)
    except Exception as exc:  # reported to the parent, which refuses to start
        conn.send(f"{type(exc).__name__}: {exc}")
        return
    conn.send("ready")
    try:
        _serve_intake(store, conn)
    finally:
        store.close()


def _serve_intake(store: Store, conn: Connection) -> None:
    """Answer the parent's messages until it sends None. A chunk's parts are registered as they
    arrive (register_prepared takes the stream itself), while the parent prepares the next."""
    registrar = InThread(store)
    while (message := pickle.loads(conn.recv_bytes())) is not None:
        try:
            if message[0] == "rows":
                outcomes = registrar.register(message[1], [Actor(role, ident) for role, ident in message[2]], message[3])
            else:
                stream = _Stream(conn)
                try:
                    outcomes = register_prepared(store, message[1], stream, Context(INTAKE), *message[2:])
                finally:
                    stream.drain()
            answer: tuple[Any, ...] = ("ok", [_plain(o) for o in outcomes])
        except DayChanged as turned:  # the caller prepares the chunk again
            answer = ("error", DayChanged.__name__, turned.day.isoformat())
        except IdempotencyConflict as exc:  # the key came with another request: the caller's answer, not a failure
            answer = ("error", IdempotencyConflict.__name__, str(exc))
        except Exception as exc:  # nothing of the batch was registered; the parent tells each caller
            log.exception("intake batch failed")
            answer = ("error", type(exc).__name__, str(exc))
        conn.send_bytes(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))


# Outcomes cross the pipe as plain tuples: pickling ten thousand dataclasses costs more than registering them.
def _plain(o: RowOutcome) -> tuple[Any, ...]:
    return o.row, o.status, o.key, o.detail, tuple((e.field, e.reason) for e in o.errors)


def _outcome(plain: tuple[Any, ...]) -> RowOutcome:
    row, status, key, detail, errors = plain
    return RowOutcome(row, status, key, detail, tuple(FieldError(f, r) for f, r in errors) if errors else ())


class SubmissionBatcher:
    def __init__(self, store: Store, max_batch: int = 1_000, *, in_process: bool = False):
        self._store, self._max, self._in_process = store, max_batch, in_process
        self._registrar: Registrar | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._users = 0  # lifespans sharing the writer (a test client and a schema loader, say)
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
                url = self._store.engine.url.render_as_string(hide_password=False)
                self._registrar = IntakeProcess(url) if self._in_process else InThread(self._store)
                self._thread = threading.Thread(target=self._run, name="casedraw-intake", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Answer what is queued, then end the writer once its last user stops."""
        with self._lock:
            self._users -= 1
            if self._users or self._thread is None:
                return
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
            assert self._registrar is not None
            self._registrar.close()

    def register_prepared(self, day: dt.date, parts: Parts, key: IdempotencyKey | None = None,
                          item_keys: Keys | None = None) -> list[RowOutcome]:
        """Register a chunk (a bulk submission's), part by part as prepared, with the writer single submissions use."""
        if self._registrar is None:
            raise RuntimeError("the intake writer is not running")
        return self._registrar.register_prepared(day, parts, key, item_keys)

    async def submit(self, row: dict[str, object], actor: Actor, key: IdempotencyKey | None = None) -> RowOutcome:
        """Register one document in the next batch; `key`, its idempotency key and request hash, is
        answered in the batch's transaction (register_prepared)."""
        if self._thread is None:
            raise RuntimeError("the intake writer is not running")
        done: Future[RowOutcome] = Future()
        self._queue.put((row, actor, key, done))
        return await asyncio.wrap_future(done)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stopping = False
            while len(batch) < self._max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._register(batch)
            if stopping:
                return

    def _register(self, batch: list[tuple[dict[str, object], Actor, IdempotencyKey | None, Future[RowOutcome]]]) -> None:
        assert self._registrar is not None
        try:
            outcomes = self._registrar.register([(i, row) for i, (row, *_) in enumerate(batch)], [actor for _, actor, _, _ in batch],
                                                [key for _, _, key, _ in batch])
        except Exception as exc:  # nothing of the batch was registered: every caller learns it
            log.exception("intake batch failed", extra={"fields": {"documents": len(batch)}})
            for *_, done in batch:
                done.set_exception(exc)
            return
        for outcome, (*_, done) in zip(outcomes, batch, strict=True):
            done.set_result(outcome)
