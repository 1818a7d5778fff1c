"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is found at $CASEDRAW_TEST_PG (default 127.0.0.1:5432, user
postgres, database test). Outside CI a missing server skips the PostgreSQL
half; with CI=true it is a failure. Each test gets its own schema (or SQLite
file), so tests never see each other's data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from casedraw.ledger.events import Actor
from casedraw.services import Context
from casedraw.services.setup import initialise
from casedraw.store.repository import Store

PG_URL = os.environ.get("CASEDRAW_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def _pg_conninfo() -> str:
    return make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_reason() -> str | None:
    try:
        psycopg.connect(_pg_conninfo(), connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_URL} does not answer: {exc}".strip()
    return None


_PG_UNAVAILABLE = _pg_reason()


@contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    """A fresh database of that kind: an SQLite file in `directory`, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'casedraw.db'}"
        return
    if _PG_UNAVAILABLE:
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {_PG_UNAVAILABLE}")
        pytest.skip(_PG_UNAVAILABLE)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
            # A connection a test forgot to close would block this forever: fail instead.
            conn.execute("SET lock_timeout = '20s'")
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def fixed_context(role: str = "operator", actor: str = "test") -> Context:
    """A context with a fixed clock and reproducible salts."""
    counter = itertools.count()
    return Context(Actor(role, actor), clock=lambda: NOW, salt=lambda: next(counter).to_bytes(16, "big"))


def acting(ctx: Context, role: str, actor: str) -> Context:
    """The same clock and salts, another actor."""
    return Context(Actor(role, actor), clock=ctx.clock, salt=ctx.salt)


def ministry(ctx: Context) -> Context:
    return acting(ctx, "ministry", "mj-licensing")


class Clock:
    """A clock the test moves forward."""

    def __init__(self, start: dt.datetime = NOW):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def store(db_url: str, ctx: Context) -> Iterator[Store]:
    store = Store.open(db_url)
    initialise(store, ctx)
    yield store
    store.close()


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves."""
    return Clock()


@pytest.fixture
def ctx(clock: Clock) -> Context:
    """The operator, on the test's clock (fixed unless the test moves it), with reproducible salts."""
    counter = iter(range(10**9))
    return Context(Actor("operator", "test"), clock=clock, salt=lambda: next(counter).to_bytes(16, "big"))
