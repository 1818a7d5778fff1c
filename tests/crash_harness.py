"""The machinery of tests/test_crash.py: run a real `casedraw` process, kill -9 it at a chosen point,
copy databases, and check what a restart finds.

Where a process dies is chosen in one of two ways, both from the iteration's seeded RNG:

- counted: the process kills itself (SIGKILL to its process group) when it reaches the N-th write
  transaction of the log (`Store.write`) at a phase: "begin" (log lock held, nothing written),
  "before-commit" (every event and projection written, not committed) or "after-commit" (committed,
  nobody told yet). A sitecustomize.py on PYTHONPATH arms the hook in every interpreter the command
  starts, the intake process `casedraw serve` spawns included. Reproducible exactly.
- timed: the same hook only announces each point on a datagram socket; the test waits for the N-th
  "begin" and kills the process group (or only the main process) after a random delay. The delay
  decides only WHEN the kill lands (preparing, inside a transaction, during the commit's fsync,
  while answering); no assertion depends on where it landed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLAN_ENV = "CASEDRAW_CRASH_PLAN"
PHASES = ("begin", "before-commit", "after-commit")
CASEDRAW = str(Path(sys.executable).with_name("casedraw"))
TESTS = Path(__file__).resolve().parent


# --- in the child: the hook sitecustomize.py arms ------------------------------------------------

def arm() -> None:
    """Wrap Store.write so that each log transaction announces its phases and dies where the plan says."""
    import itertools
    import multiprocessing
    from contextlib import contextmanager as _cm

    from casedraw.store import repository

    plan = json.loads(os.environ[PLAN_ENV])
    kill = (plan["kill"]["n"], plan["kill"]["at"]) if plan.get("kill") else None
    address = plan.get("socket")
    spare = int(plan["spare_pgid"])  # the test's own process group: never killed, whatever happens
    announcer = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if address else None
    if announcer is not None:
        announcer.setblocking(False)  # a full queue (net.unix.max_dgram_qlen, 10 by default) drops, never stalls the command
    counter = itertools.count(1)
    original = repository.Store.write

    def point(n: int, phase: str) -> None:
        if announcer is not None:
            with suppress(OSError):
                announcer.sendto(f"{time.monotonic()} {os.getpid()} {n} {phase}".encode(), address)  # one clock for all processes
        if kill == (n, phase):
            if os.getpgrp() != spare:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)

    @_cm
    def write(self):  # type: ignore[no-untyped-def]
        with original(self) as writer:
            # Numbered once the log lock is held: the order transactions really take. Only in the process
            # the plan names (`casedraw serve` itself writes once at start-up, the log key; its intake
            # process registers), asked each time: a spawned process learns its name after start-up.
            n = next(counter) if multiprocessing.current_process().name == plan["process"] else 0
            if n:
                point(n, "begin")
            yield writer
            if n:
                point(n, "before-commit")
        if n:
            point(n, "after-commit")

    repository.Store.write = write  # type: ignore[method-assign]


SITECUSTOMIZE = f"""\
import os
if os.environ.get({PLAN_ENV!r}):
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    import crash_harness
    crash_harness.arm()
"""


def site_directory(base: Path) -> Path:
    """A directory holding the sitecustomize.py that arms the hook (only where PLAN_ENV is set)."""
    site = base / "crash-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return site


# --- in the test: plans, listening, killing -----------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """Where one run dies. mode: counted (the child kills itself at (n, phase)), timed (the test kills
    `victim` = group or main, `delay` seconds after the n-th begin), or none (runs to the end)."""

    mode: str
    n: int = 0
    phase: str = ""
    delay: float = 0.0
    victim: str = "group"

    def __str__(self) -> str:
        if self.mode == "counted":
            return f"counted kill at transaction {self.n} {self.phase}"
        if self.mode == "timed":
            return f"timed kill of the {self.victim} {self.delay * 1000:.1f} ms after transaction {self.n} began"
        return "no kill"


class Listener:
    """Receives the hook's announcements: (time, pid, transaction, phase); time.monotonic() is one clock
    for every process on Linux (CLOCK_MONOTONIC)."""

    def __init__(self) -> None:
        self.address = f"\0casedraw-crash-{uuid.uuid4().hex}"  # abstract namespace: no file, no path length limit
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.address)
        self._sock.settimeout(0.005)
        self.points: list[tuple[float, int, int, str]] = []

    def drain(self) -> None:
        self._sock.settimeout(0)
        with suppress(BlockingIOError, TimeoutError):
            while True:
                self._take(self._sock.recv(256))
        self._sock.settimeout(0.005)

    def _take(self, message: bytes) -> None:
        at, pid, n, phase = message.decode().split()
        self.points.append((float(at), int(pid), int(n), phase))

    def poll(self) -> None:
        """Take what arrives within 5 ms (keeps the socket's short queue from filling)."""
        with suppress(TimeoutError):
            self._take(self._sock.recv(256))

    def wait_for(self, n: int, phase: str, alive: Any, timeout: float = 60.0) -> bool:
        """Wait until transaction n reaches `phase`; False if `alive()` turns false first."""
        deadline = time.monotonic() + timeout
        while not any(p[2] == n and p[3] == phase for p in self.points):
            if not alive() or time.monotonic() > deadline:
                self.drain()
                return any(p[2] == n and p[3] == phase for p in self.points)
            with suppress(TimeoutError):
                self._take(self._sock.recv(256))
        return True

    def reset(self) -> None:
        self.drain()
        self.points.clear()

    def close(self) -> None:
        self._sock.close()


def child_env(site: Path, plan: Plan | None, listener: Listener | None, process: str = "MainProcess", **extra: str) -> dict[str, str]:
    """The environment of a command whose process named `process` (multiprocessing's name) runs under the plan."""
    env = {**os.environ, "COLUMNS": "200", **extra}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.pop(PLAN_ENV, None)
    if plan is not None or listener is not None:
        kill = {"n": plan.n, "at": plan.phase} if plan is not None and plan.mode == "counted" else None
        env[PLAN_ENV] = json.dumps({"kill": kill, "socket": listener.address if listener else None, "spare_pgid": os.getpgrp(),
                                      "process": process})
    return env


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


@dataclass
class Child:
    """A `casedraw` command in a process group of its own (so a kill -9 of the group spares the test)."""

    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] = field(init=False)

    def __post_init__(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([CASEDRAW, *self.argv], stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True)
        self.pgid = self.process.pid

    def alive(self) -> bool:
        """The main process has not ended (it is not reaped here, so its group id stays ours)."""
        try:
            info = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return info is None

    def killed(self) -> bool:
        """The main process ended by SIGKILL (looked at without reaping it)."""
        try:
            info = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return self.process.returncode == -signal.SIGKILL
        return info is not None and info.si_code == os.CLD_KILLED and info.si_status == signal.SIGKILL

    def kill(self, victim: str = "group") -> None:
        with suppress(ProcessLookupError):
            if victim == "group":
                os.killpg(self.pgid, signal.SIGKILL)
            else:
                os.kill(self.process.pid, signal.SIGKILL)

    def wait_gone(self, timeout: float = 30.0) -> list[int]:
        """Wait until every process of the group has ended; the ones still alive after `timeout` (then killed)."""
        deadline = time.monotonic() + timeout
        while self.alive() or group_members(self.pgid):
            if time.monotonic() > deadline:
                left = group_members(self.pgid)
                self.kill("group")
                self.process.wait()
                return left
            time.sleep(0.01)
        return []

    def finish(self) -> int:
        """Reap the main process (after wait_gone) and return its exit status."""
        return self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def run_until(child: Child, plan: Plan, listener: Listener, done: Any = lambda: False) -> bool:
    """Let `child` run and die as planned (a timed plan kills it from here), or stop waiting once `done()`.
    True if the plan's kill happened (the child is then dead, or dying of its SIGKILL), False if the
    point was never reached (the child ended by itself, or is still running once `done()`)."""
    if plan.mode == "timed":
        if not listener.wait_for(plan.n, "begin", lambda: child.alive() and not done()):
            return False
        time.sleep(plan.delay)  # chooses when the kill lands, nothing else
        reached = child.alive()
        child.kill(plan.victim)
        return reached
    if plan.mode == "counted":
        while child.alive() and not done():
            listener.poll()
        listener.drain()
        return any(p[2] == plan.n and p[3] == plan.phase for p in listener.points)
    while child.alive() and not done():
        listener.poll()
    return False


# --- databases: a template copied per iteration -------------------------------------------------

@dataclass
class Database:
    kind: str
    url: str
    path: Path | None = None  # SQLite
    schema: str | None = None  # PostgreSQL

    def tagged(self, name: str) -> str:
        """The URL with an application name, so the test can see when a killed process's sessions end."""
        if self.kind != "postgresql":
            return self.url
        from sqlalchemy.engine import make_url

        return make_url(self.url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)


class Databases:
    """Fresh databases of one kind, and copies of them; every PostgreSQL schema is dropped at close."""

    def __init__(self, kind: str, directory: Path):
        self.kind, self.directory = kind, directory
        self._schemas: list[str] = []

    def fresh(self) -> Database:
        if self.kind == "sqlite":
            path = self.directory / f"db-{uuid.uuid4().hex[:10]}.db"
            return Database("sqlite", f"sqlite:///{path}", path=path)
        from conftest import PG_URL
        from sqlalchemy.engine import make_url

        schema = f"crash_{uuid.uuid4().hex[:16]}"
        with _pg() as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        return Database("postgresql", url, schema=schema)

    def copy(self, source: Database) -> Database:
        """A copy of a database no process is writing to (a crashed one included: SQLite's WAL goes along)."""
        target = self.fresh()
        if self.kind == "sqlite":
            assert source.path is not None and target.path is not None
            for suffix in ("", "-wal"):  # not -shm: SQLite rebuilds the WAL index, as after any crash
                if Path(f"{source.path}{suffix}").exists():
                    shutil.copyfile(f"{source.path}{suffix}", f"{target.path}{suffix}")
            return target
        with _pg() as conn, conn.transaction():
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (source.schema,))]
            for table in tables:
                conn.execute(f'CREATE TABLE "{target.schema}"."{table}" (LIKE "{source.schema}"."{table}" INCLUDING ALL)')
                conn.execute(f'INSERT INTO "{target.schema}"."{table}" SELECT * FROM "{source.schema}"."{table}"')
        return target

    def drop(self, db: Database) -> None:
        if db.kind == "sqlite":
            assert db.path is not None
            for suffix in ("", "-wal", "-shm", "-writer.lock"):
                Path(f"{db.path}{suffix}").unlink(missing_ok=True)
        else:
            with _pg() as conn:
                conn.execute("SET lock_timeout = '20s'")
                conn.execute(f'DROP SCHEMA IF EXISTS "{db.schema}" CASCADE')
            self._schemas.remove(db.schema)  # type: ignore[arg-type]

    def close(self) -> None:
        for schema in list(self._schemas):
            with _pg() as conn:
                conn.execute("SET lock_timeout = '20s'")
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self._schemas.clear()


@contextmanager
def _pg() -> Iterator[Any]:
    import psycopg
    from conftest import _pg_conninfo

    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        yield conn


def wait_sessions_gone(db: Database, name: str, timeout: float = 30.0) -> None:
    """Wait until PostgreSQL has ended every session of a killed process: one still finishing a COMMIT
    the process sent just before it died could otherwise change the database under the test."""
    if db.kind != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with _pg() as conn:
        while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)).fetchone()[0]:
            assert time.monotonic() < deadline, f"PostgreSQL sessions of {name} outlived their process by {timeout} s"
            time.sleep(0.01)


_OPENING = threading.Lock()


def open_store(url: str) -> Any:
    """Store.open, one at a time: its migration check (Alembic) keeps global state, and this process
    runs iterations in threads."""
    from casedraw.store.repository import Store

    with _OPENING:
        return Store.open(url)


# --- what a restart must find -------------------------------------------------------------------

def log_consistency(store: Any) -> list[str]:
    """The log head agrees with the events table and the documents; the projections equal a rebuild
    from the log. Returns what disagrees (rebuilds the store's projections: call last)."""
    from sqlalchemy import func, select

    from casedraw.store import schema

    problems = []
    with store.read() as conn:
        size, documents = conn.execute(select(schema.log_head.c.size, schema.log_head.c.documents)).one()
        events, last = conn.execute(select(func.count(), func.max(schema.events.c.seq))).one()
        registered = conn.execute(select(func.count()).where(schema.events.c.kind == "document.registered")).scalar_one()
        rows, top = conn.execute(select(func.count(), func.coalesce(func.max(schema.documents.c.id), 0)).select_from(schema.documents)).one()
    if not size == events == (last if last is not None else -1) + 1:
        problems.append(f"log head says {size} events, the events table holds {events} (last seq {last})")
    if not documents == registered == rows == top:
        problems.append(f"log head says {documents} documents; {registered} registration events, {rows} document rows, top id {top}")
    before = store.projection_snapshot()
    store.rebuild()
    after = store.projection_snapshot()
    for table in before:
        if before[table] != after[table]:
            live, rebuilt = set(before[table]), set(after[table])
            problems.append(f"table {table} differs from a rebuild from the log: only live {sorted(live - rebuilt, key=repr)[:3]}, "
                            f"only rebuilt {sorted(rebuilt - live, key=repr)[:3]}")
    return problems


def export_and_verify(store: Any, out: Path, *, cli_db: str | None = None) -> list[str]:
    """Export the public log and replay it with verify: in this process, or with the real commands
    (`casedraw export`, `casedraw verify`) when `cli_db` is given."""
    if cli_db is not None:
        env = {**os.environ, "COLUMNS": "200"}
        env.pop(PLAN_ENV, None)
        exported = subprocess.run([CASEDRAW, "export", "--out", str(out), "--db", cli_db], capture_output=True, text=True, env=env, timeout=120)
        if exported.returncode != 0:
            return [f"casedraw export failed: {exported.stdout}{exported.stderr}"]
        verified = subprocess.run([CASEDRAW, "verify", str(out)], capture_output=True, text=True, env=env, timeout=120)
        return [] if verified.returncode == 0 else [f"casedraw verify failed: {verified.stdout}{verified.stderr}"]
    from casedraw.ledger.checkpoint import NoteVerifier
    from casedraw.ledger.publish import Discrepancy, VerificationFailed, verify_export
    from casedraw.services.publication import export_store
    from casedraw.services.setup import LOG_ORIGIN, log_signer

    signer = log_signer(store)
    export_store(store, out, signer, LOG_ORIGIN)
    try:
        verify_export(out, NoteVerifier.from_vkey(signer.verifier_key()), LOG_ORIGIN, parallel=False)
    except (Discrepancy, VerificationFailed) as exc:
        return [f"verify failed: {exc}"]
    return []


class Failures:
    """Failed iterations, each with its seed and what happened, reported together at the end."""

    def __init__(self, name: str):
        self.name, self.items = name, []  # type: ignore[var-annotated]
        self._lock = threading.Lock()

    def add(self, seed: str, story: list[str], problems: list[str]) -> None:
        with self._lock:
            self.items.append((seed, story, problems))

    def report(self) -> str:
        lines = [f"{len(self.items)} {self.name} iteration(s) failed; replay one with CASEDRAW_CRASH_ONLY=<seed>:"]
        for seed, story, problems in self.items:
            lines.append(f"  seed {seed}: " + "; ".join(story))
            lines += [f"    - {p}" for p in problems]
        return "\n".join(lines)
