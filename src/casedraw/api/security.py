"""Authentication (pluggable) and authorisation (deny by default) for every endpoint.

An Authenticator turns a request into a Principal, or None for an anonymous caller; the built-in one
reads bearer tokens (API tokens and login sessions, also from the session cookie of the web pages).
A national digital-signature or OIDC provider plugs in by implementing the same protocol.

Every endpoint declares its `Access`: the roles that may call it, and whether the public may. A
route without one is refused when the app is built, so nothing is reachable by omission.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from casedraw.api.problems import Problem
from casedraw.services.access import Principal, Role, authenticate_token
from casedraw.store.repository import Store

SESSION_COOKIE = "casedraw_session"
ANONYMOUS_RATE = 20  # requests per second per client address without a token
T = TypeVar("T")


class Authenticator(Protocol):
    def authenticate(self, credentials: str) -> Principal | None:
        """The principal these bearer credentials stand for, or None if they are not valid (may block)."""

    def remembered(self, credentials: str) -> Principal | None | bool:
        """An answer known without blocking (a principal, or None if invalid), else False."""

    def forget(self, credentials: str) -> None:
        """Drop what is remembered of these credentials (after logging out)."""


class StoreTokens:
    """API tokens and sessions from the database, remembered briefly so a request costs no query.
    A revocation therefore takes effect within `ttl` seconds."""

    def __init__(self, store: Store, ttl: float = 5.0):
        self._store, self._ttl = store, ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def remembered(self, credentials: str) -> Principal | None | bool:
        with self._lock:
            hit = self._cache.get(credentials)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else False

    def forget(self, credentials: str) -> None:
        with self._lock:
            self._cache.pop(credentials, None)

    def authenticate(self, credentials: str) -> Principal | None:
        now = time.monotonic()
        principal = authenticate_token(self._store, credentials)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[credentials] = (now + self._ttl, principal)
        return principal


class RateLimiter:
    """A token bucket per credential: `rate` requests per second on average, bursts of twice that."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: int) -> float:
        """0 if the request may go ahead, else the seconds to wait."""
        now, burst = time.monotonic(), 2.0 * rate
        with self._lock:
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate


def bearer(request: Request) -> tuple[str | None, bool]:
    """The credentials, and whether they came from the session cookie rather than the Authorization header."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Problem(401, "Authorization: expected 'Bearer <token>'", headers={"WWW-Authenticate": 'Bearer error="invalid_request"'})
        return value.strip(), False
    return request.cookies.get(SESSION_COOKIE), True


@dataclass(frozen=True)
class Access:
    """Who may call an endpoint. Used as a FastAPI dependency; gives the caller (None if anonymous)."""

    roles: frozenset[Role]
    public: bool = False
    limited: bool = True  # counted against the caller's rate (health probes are not)

    @classmethod
    def of(cls, *roles: Role | str, public: bool = False, limited: bool = True) -> Access:
        return cls(frozenset(Role(r) for r in roles), public, limited)

    async def __call__(self, request: Request) -> Principal | None:
        principal = await caller(request)
        state = request.app.state
        if principal is None:
            if not self.public:
                raise Problem(401, "this endpoint needs a bearer token or a login session", headers={"WWW-Authenticate": "Bearer"})
            key, rate = f"addr:{request.client.host if request.client else '-'}", state.anonymous_rate
        else:
            if principal.role not in self.roles and not self.public:
                raise Problem(403, f"role {principal.role} may not call this endpoint")
            key, rate = principal.credential, principal.rate
        wait = state.rate_limiter.take(key, rate) if self.limited else 0.0
        if wait:
            raise Problem(429, f"more than {rate} requests per second", headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        return principal


async def caller(request: Request) -> Principal | None:
    """The authenticated principal, or None; a bad token is refused, never treated as anonymous."""
    if "principal" in request.scope:
        return request.scope["principal"]
    credentials, from_cookie = bearer(request)
    principal = None
    if credentials is not None:
        authenticator = request.app.state.authenticator
        principal = authenticator.remembered(credentials)  # most requests: no thread hop, no query
        if principal is False:
            principal = await request.app.state.authenticating.once(credentials, authenticator.authenticate)
        # A browser keeps an ended session's cookie: it makes the caller anonymous, not refused.
        if principal is None and not from_cookie:
            raise Problem(401, "the token or session is not valid (unknown, expired or revoked)",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    request.scope["principal"] = principal
    return principal


class SingleFlight:
    """One lookup at a time per key; callers that ask meanwhile share its answer. When a busy client's
    remembered token expires, its dozens of requests in flight then cost one query, not one each in
    as many threads (a stall every few seconds, which the single-submission p99 showed)."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[Any]] = {}  # touched on the event loop only

    async def once(self, key: str, lookup: Callable[[str], T]) -> T:
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = asyncio.ensure_future(run_in_threadpool(lookup, key))
            running.add_done_callback(partial(self._done, key))
        return await asyncio.shield(running)  # one caller cancelled (its client gone) leaves the others their answer

    def _done(self, key: str, running: asyncio.Future[Any]) -> None:
        del self._running[key]
        if not running.cancelled():
            running.exception()  # retrieved, even if every caller has gone: asyncio would log it as never retrieved


class KeyLocks:
    """One lock per idempotency key in use, so two requests with the same key in this process run one
    after the other and the second finds the first's answer before queueing. (Across server processes
    the writer looks for it again under the log lock: services.intake.register_prepared.)"""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
