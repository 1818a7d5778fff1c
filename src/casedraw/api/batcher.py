"""Group commit for single-document submissions.

Each submission must be durable before it is acknowledged, and every registration takes the log
lock, so one transaction per request would queue 32 concurrent clients behind 32 fsyncs. Instead a
writer thread takes whatever submissions are waiting, registers them in one transaction (each row
under its own claimant), and answers each. Under light load a batch is one document; under heavy
load the batch grows and the cost per document falls.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

from casedraw.ledger.events import Actor
from casedraw.services import Context
from casedraw.services.intake import submit_documents
from casedraw.services.reports import RowOutcome
from casedraw.store.repository import Store

log = logging.getLogger("casedraw.api.batcher")
_STOP = object()


class SubmissionBatcher:
    def __init__(self, store: Store, max_batch: int = 1_000):
        self._store, self._max = store, max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._users = 0  # lifespans sharing the writer (a test client and a schema loader, say)
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
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

    async def submit(self, row: dict[str, object], actor: Actor) -> RowOutcome:
        if self._thread is None:
            raise RuntimeError("the intake writer is not running")
        done: Future[RowOutcome] = Future()
        self._queue.put((row, actor, done))
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

    def _register(self, batch: list[tuple[dict[str, object], Actor, Future[RowOutcome]]]) -> None:
        actors = [actor for _, actor, _ in batch]
        try:
            report = submit_documents(self._store, [(i, row) for i, (row, _, _) in enumerate(batch)], Context(actors[0]), actors=actors)
        except Exception as exc:  # nothing of the batch was registered: every caller learns it
            log.exception("intake batch failed", extra={"documents": len(batch)})
            for _, _, done in batch:
                done.set_exception(exc)
            return
        for outcome, (_, _, done) in zip(report.outcomes, batch, strict=True):
            done.set_result(outcome)
