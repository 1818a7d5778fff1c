"""A claimant's file of documents, registered in the background: the upload page answers at once and
the claimant follows the job's progress on a page of its own.

A job registers its rows in chunks, each chunk one call of the intake path POST /api/v1/documents/bulk
takes (services.intake.submit_documents with the server's writer), so every chunk is committed on its
own: a row accepted is never lost if a later chunk fails, and uploading the file again registers
nothing twice (a document already registered comes back as a duplicate).

Jobs live in this server process's memory (app.state.uploads): they are gone after a restart, and with
several server processes the job page must be served by the one that took the upload.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI

from casedraw.io.tabular import SourceRow
from casedraw.services import KZ_TIME
from casedraw.services.reports import RowOutcome
from casedraw.store.repository import NotInitialised

log = logging.getLogger("casedraw.web.uploads")

MAX_ROWS = 100_000
MAX_BYTES = 15 * 1024 * 1024  # the app refuses request bodies above 16 MB; the form's own fields fit in the rest
CHUNK = 1_000
SUFFIXES = (".csv", ".xlsx", ".jsonl")
RUNNING_PER_OWNER = 2  # a claimant's uploads registering at once
KEEP_PER_OWNER = 10  # finished jobs kept to look at, per claimant
KEEP_FOR = dt.timedelta(hours=24)

RegisterChunk = Callable[[Sequence[SourceRow]], list[RowOutcome]]
Runner = Callable[[Callable[[], None]], None]


def _now() -> dt.datetime:
    return dt.datetime.now(KZ_TIME)


@dataclass
class UploadJob:
    id: str
    owner: str  # the claimant's subject (its BIN)
    filename: str
    total: int  # rows read from the file
    started_at: dt.datetime = field(default_factory=_now)
    state: str = "running"  # running, done, failed
    error: str = ""
    finished_at: dt.datetime | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    _outcomes: list[RowOutcome] = field(default_factory=list, repr=False)
    _counts: Counter[str] = field(default_factory=Counter, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcomes: Sequence[RowOutcome]) -> None:
        with self._lock:
            self._outcomes.extend(outcomes)
            self._counts.update(o.status for o in outcomes)

    def end(self, error: str = "") -> None:
        with self._lock:
            self.state, self.error, self.finished_at = ("failed" if error else "done"), error, _now()
        self.finished.set()

    @property
    def processed(self) -> int:
        with self._lock:
            return len(self._outcomes)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {status: self._counts.get(status, 0) for status in ("accepted", "duplicate", "rejected")}

    def outcomes(self) -> list[RowOutcome]:
        with self._lock:
            return list(self._outcomes)

    def rejected(self, limit: int | None = None) -> list[RowOutcome]:
        with self._lock:
            found = [o for o in self._outcomes if o.status == "rejected"]
        return found if limit is None else found[:limit]


class TooBusy(RuntimeError):
    """The claimant already has as many uploads registering as it may."""


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="casedraw-upload", daemon=True).start()


class Uploads:
    """The jobs of this process, each owned by the claimant that started it. `runner` starts a job's
    work (a thread by default; a test may run it at once)."""

    def __init__(self, runner: Runner = _in_thread, chunk: int = CHUNK):
        self.runner, self.chunk = runner, chunk
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()

    def start(self, owner: str, filename: str, rows: Sequence[SourceRow], register: RegisterChunk) -> UploadJob:
        with self._lock:
            self._forget_old(owner)
            if sum(j.owner == owner and j.state == "running" for j in self._jobs.values()) >= RUNNING_PER_OWNER:
                raise TooBusy(f"file: {RUNNING_PER_OWNER} of your uploads are still being registered; wait until one ends")
            job = UploadJob(secrets.token_urlsafe(16), owner, filename, len(rows))
            self._jobs[job.id] = job
        self.runner(lambda: _work(job, rows, register, self.chunk))
        return job

    def get(self, owner: str, job_id: str) -> UploadJob | None:
        """The job, if it is this claimant's (another's is as unknown as one that never was)."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def of(self, owner: str) -> list[UploadJob]:
        """The claimant's jobs, the latest first."""
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.owner == owner), key=lambda j: j.started_at, reverse=True)

    def _forget_old(self, owner: str) -> None:
        cutoff = _now() - KEEP_FOR
        ended = sorted((j for j in self._jobs.values() if j.finished_at is not None), key=lambda j: j.finished_at or cutoff, reverse=True)
        kept: Counter[str] = Counter()
        for job in ended:
            kept[job.owner] += 1
            if job.finished_at < cutoff or (job.owner == owner and kept[job.owner] > KEEP_PER_OWNER):  # type: ignore[operator]
                del self._jobs[job.id]


def _work(job: UploadJob, rows: Sequence[SourceRow], register: RegisterChunk, chunk: int) -> None:
    error = ""
    try:
        for start in range(0, len(rows), chunk):
            job.add(register(rows[start : start + chunk]))
    except NotInitialised as exc:
        error = str(exc)
    except Exception:  # the chunks before are registered; the page says where it stopped
        log.exception("upload failed", extra={"fields": {"job": job.id, "rows": job.total, "processed": job.processed}})
        error = "internal"
    finally:
        job.end(error)


_REGISTRY_LOCK = threading.Lock()


def uploads_of(app: FastAPI) -> Uploads:
    """The app's registry of uploads, made on first use."""
    with _REGISTRY_LOCK:
        found = getattr(app.state, "uploads", None)
        if found is None:
            found = app.state.uploads = Uploads()
        return found
