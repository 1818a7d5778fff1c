"""Batch intake on two cores: rows prepared in a process of their own while the caller registers.

Preparing a row (parsing, identity, routing, weighing, encoding) needs no database and takes about as
long as registering it, so a batch submitted in one interpreter leaves a core idle. `PreparingProcess`
prepares a batch's parts in a child process, in order, a part or two ahead of what the caller has
asked for. When the caller needs a chunk, it prepares the chunk's parts that the child has not
started yet itself, from the chunk's end (work stealing), then takes the rest from the child: neither
core waits for the other while work remains, and while the caller registers one chunk the child goes
on with the next.

What is registered does not depend on where a part was prepared: both sides run the same
`intake.prepare_with` on the same settings and day. If the child fails or dies, the caller prepares
what is left itself. The child exits when the caller's end of the pipe closes, so a caller killed
with -9 leaves no process behind.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import pickle
import queue
import threading
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from casedraw.collector import for_throughput
from casedraw.services.intake import Item, Settings, items_of, plain_items, prepare_with

PENDING, SENT, DONE, LOCAL, FAILED = range(5)
IN_FLIGHT = 2  # parts sent to the child before its answers are read: it never waits for the next one


class PreparingProcess:
    """A child process that prepares parts of batches; one batch (`Ahead`) at a time."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process that may run threads
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name="casedraw-prepare", daemon=True)
        self._process.start()
        child.close()
        self._current: Ahead | None = None
        self.broken = False

    def ahead(self, settings: Settings, day: dt.date, parts: Sequence[tuple[Sequence[Any], Sequence[tuple[str, str]]]]) -> Ahead:
        """Start preparing `parts` (rows, submitters) for `day`; the previous batch is finished first."""
        if self._current is not None:
            self._current.close()
        self._current = Ahead(self, settings, day, parts)
        return self._current

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        self._conn.close()  # the child reads end of file and exits
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()

    def __enter__(self) -> PreparingProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Ahead:
    """One batch's parts, each prepared once: by the child (a feeder thread keeps it busy) or by the caller."""

    def __init__(self, process: PreparingProcess, settings: Settings, day: dt.date,
                 parts: Sequence[tuple[Sequence[Any], Sequence[tuple[str, str]]]]):
        self.day, self._settings, self._parts = day, settings, parts
        self._state = [PENDING] * len(parts)
        self._results: list[list[Item] | None] = [None] * len(parts)
        self._changed = threading.Condition()
        self._closed = False
        self._process = process
        self._feeder = threading.Thread(target=self._feed, name="casedraw-prepare-feeder", daemon=True)
        self._feeder.start()

    def take(self, indices: Sequence[int]) -> list[list[Item]]:
        """The prepared parts `indices` (one chunk's, in order): those the child has not started are prepared here."""
        for i in reversed(indices):
            with self._changed:
                if self._state[i] != PENDING:
                    break  # the child has reached this part, and so every earlier one
                self._state[i] = LOCAL
            self._results[i] = self._prepare_here(i)
        with self._changed:
            self._changed.wait_for(lambda: all(self._state[i] in (DONE, LOCAL, FAILED) for i in indices))
            failed = [i for i in indices if self._state[i] == FAILED]
            for i in failed:
                self._state[i] = LOCAL
        for i in failed:  # the child could not: the same work here, with the same settings
            self._results[i] = self._prepare_here(i)
        taken = []
        for i in indices:
            taken.append(self._results[i])
            self._results[i] = None  # registered once taken: no need to keep it
        return taken  # type: ignore[return-value]

    def close(self) -> None:
        """Send no more parts; the feeder reads the answers to those sent, so the pipe stays in step."""
        with self._changed:
            self._closed = True
        self._feeder.join()

    def _prepare_here(self, i: int) -> list[Item]:
        rows, submitters = self._parts[i]
        return prepare_with(self._settings, rows, self.day, submitters)

    def _next_pending(self) -> int | None:
        with self._changed:
            if self._closed or self._process.broken:
                return None
            for i, state in enumerate(self._state):
                if state == PENDING:
                    self._state[i] = SENT
                    return i
        return None

    def _feed(self) -> None:
        conn, sent = self._process._conn, deque[int]()
        try:
            if not self._process.broken:
                conn.send_bytes(_message("settings", self._settings, self.day))
            while True:
                while len(sent) < IN_FLIGHT and (i := self._next_pending()) is not None:
                    rows, submitters = self._parts[i]
                    conn.send_bytes(_message("part", list(rows), list(submitters)))
                    sent.append(i)
                if not sent:
                    return
                status, items = pickle.loads(conn.recv_bytes())
                i = sent.popleft()
                result = items_of(items) if status == "ok" else None
                with self._changed:
                    self._results[i], self._state[i] = result, DONE if status == "ok" else FAILED
                    self._changed.notify_all()
        except (OSError, EOFError):  # the child died: what it had is prepared by the caller
            self._process.broken = True
        finally:
            with self._changed:
                for i, state in enumerate(self._state):
                    if state == SENT:
                        self._state[i] = FAILED
                self._changed.notify_all()


def _message(*parts: Any) -> bytes:
    return pickle.dumps(parts, pickle.HIGHEST_PROTOCOL)


def _serve(conn: Connection) -> None:
    """In the child: prepare each part sent, answer it as plain items, until the caller closes the pipe.

    A thread reads what the caller sends while the part before is prepared: the caller sends its next
    part before it reads this answer, so with each side writing a full pipe and neither reading, both
    would wait for ever."""
    for_throughput()
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_read_all, args=(conn, inbox), name="casedraw-prepare-reader", daemon=True).start()
    settings: Settings | None = None
    day: dt.date | None = None
    while (message := inbox.get()) is not None:
        kind, *rest = pickle.loads(message)
        if kind == "settings":
            settings, day = rest
            continue
        rows, submitters = rest
        try:
            items = prepare_with(settings, rows, day, submitters)  # type: ignore[arg-type]
            answer: tuple[Any, ...] = ("ok", plain_items(items))
        except Exception as exc:  # the caller prepares this part itself, and so raises it there
            answer = ("error", repr(exc))
        try:
            conn.send_bytes(_message(*answer))
        except OSError:  # the caller is gone
            return


def _read_all(conn: Connection, inbox: queue.SimpleQueue[bytes | None]) -> None:
    try:
        while True:
            inbox.put(conn.recv_bytes())
    except (EOFError, OSError):
        inbox.put(None)
