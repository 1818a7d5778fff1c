"""Engines for SQLite (default, embedded) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from contextlib import AbstractContextManager, nullcontext
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///casedraw.db"


class DatabaseUnavailable(RuntimeError):
    """The database could not complete a transaction for a reason outside the request: the server cannot
    be reached, or there is no space. The transaction is rolled back, so nothing of it is half-written;
    repeating the request once the database is back is safe (intake recognises documents already
    registered, a sealed round draws the same way). Raised instead of the driver's error, which names
    neither the cause plainly nor what to do, and whose text can carry the statement's parameters."""


class ConnectionLost(DatabaseUnavailable):
    """The connection to the PostgreSQL server was lost or cannot be opened."""


class StorageFull(DatabaseUnavailable):
    """The disk holding the database is full (or SQLite's max_page_count is reached)."""


_PG_DISK_FULL = "53100"
_PG_CONNECTION_CLASSES = ("08", "57P")  # connection exception; operator intervention (e.g. pg_terminate_backend)


def _unavailable(ctx: ExceptionContext) -> DatabaseUnavailable | None:
    """The clear error for a driver error that means the database is unreachable or full, else None."""
    if ctx.is_pre_ping:  # the pool's liveness check: let it replace the dead connection quietly
        return None
    error = ctx.original_exception
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    sqlite_code = getattr(error, "sqlite_errorcode", None) or 0
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or ""  # psycopg 3, psycopg2
    if sqlite_code == sqlite3.SQLITE_FULL or sqlstate == _PG_DISK_FULL:
        cause = "" if first_line == "database or disk is full" else f" ({first_line})"  # SQLite's own words
        return StorageFull(f"database or disk is full{cause}: the transaction was rolled back; free space, then repeat the request")
    if sqlite_code & 0xFF == sqlite3.SQLITE_IOERR:  # e.g. no room left for the -shm file SQLite opens a database with
        return DatabaseUnavailable(f"database disk I/O error ({getattr(error, 'sqlite_errorname', first_line)}): the disk holding the "
                                   "database may be full or failing; nothing was written; free space or repair it, then repeat the request")
    cannot_connect = ctx.connection is None and isinstance(error, ctx.dialect.loaded_dbapi.OperationalError)
    if ctx.is_disconnect or (ctx.dialect.name == "postgresql" and (sqlstate.startswith(_PG_CONNECTION_CLASSES) or cannot_connect)):
        return ConnectionLost(f"database connection lost ({first_line}): the transaction did not complete; "
                              "repeat the request once the database is reachable")
    return None


def database_url(url: str | None = None) -> str:
    """The URL given, else $CASEDRAW_DB, else a SQLite file in the working directory."""
    return url or os.environ.get("CASEDRAW_DB") or DEFAULT_URL


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() not in ("psycopg", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _named_errors(create_engine(parsed, pool_pre_ping=True))  # pre-ping: never hand out a dead connection
    raise ValueError(f"--db: unsupported database {parsed.get_backend_name()!r}; use sqlite:///FILE or postgresql+psycopg://...")


def _sqlite_engine(url: str, path: str | None) -> Engine:
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = _named_errors(create_engine(url, connect_args={"timeout": 60}))

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged document survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB, not 2: intake touches index pages all over
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN")

    return engine


def _named_errors(engine: Engine) -> Engine:
    """Raise DatabaseUnavailable where the driver's error means a lost connection or a full disk."""
    event.listen(engine, "handle_error", _unavailable)
    return engine


HEAD_REVISION = "0013"  # the newest migration's (tests/test_migrations.py holds it to Alembic's head)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision. Alembic is loaded only when the schema is behind:
    loading it and its scripts took a tenth of every command's start."""
    if schema_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def alembic_config() -> Config:
    """Alembic's configuration for casedraw's migrations (Alembic imported here, not at every start)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("casedraw.store").joinpath("migrations")))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def writer_lock(url: str) -> AbstractContextManager[object]:
    """What a writer holds around its transaction. SQLite allows one writer and makes the others poll
    with growing sleeps (up to 100 ms each), which no latency target survives when several server
    processes share a file; so on SQLite writers queue on a lock file instead and wake the moment it is
    free. PostgreSQL queues them itself, on the log head's row lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return nullcontext()
    return _FileLock(f"{parsed.database}-writer.lock")


class _FileLock:
    def __init__(self, path: str):
        self._path, self._threads = path, threading.Lock()  # flock is per process, so threads queue first

    def __enter__(self) -> object:
        self._threads.acquire()
        try:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            os.close(self._fd)  # closing releases the flock
        finally:
            self._threads.release()
