"""Engines for SQLite (default, embedded) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///casedraw.db"


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
        return create_engine(parsed, pool_pre_ping=True)
    raise ValueError(f"--db: unsupported database {parsed.get_backend_name()!r}; use sqlite:///FILE or postgresql+psycopg://...")


def _sqlite_engine(url: str, path: str | None) -> Engine:
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60})

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


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("casedraw.store").joinpath("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


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
