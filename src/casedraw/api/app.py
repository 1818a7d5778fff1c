"""The FastAPI application: routers, security, problem details, observability and the intake writer."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from casedraw import __version__
from casedraw.api import problems
from casedraw.api.batcher import SubmissionBatcher
from casedraw.api.deps import API_PREFIX
from casedraw.api.fast_path import FastSubmit
from casedraw.api.observability import Metrics, Observability, configure_logging
from casedraw.api.routes import auth, documents, procedures, public
from casedraw.api.security import ANONYMOUS_RATE, Access, Authenticator, KeyLocks, RateLimiter, SingleFlight, StoreTokens
from casedraw.services.publication import PublishedLog
from casedraw.services.setup import LOG_ORIGIN, log_signer
from casedraw.store.db import database_url
from casedraw.store.repository import Store

MAX_BODY = 16 * 1024 * 1024  # a 10,000-document bulk submission is about 5 MB


@dataclass
class Statistics:
    """`casedraw stats` figures, recomputed at most every `ttl` seconds and only when the log has grown."""

    store: Store
    ttl: float = 60.0
    _cached: tuple[int, list[dict[str, Any]], list[dict[str, Any]]] | None = None
    _at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
        from casedraw.analytics import indicators  # the statistics stack loads on first use
        from casedraw.analytics.from_db import facts_from_db

        with self._lock:
            if self._cached is None or time.monotonic() - self._at > self.ttl:
                with self.store.read() as conn:
                    size = self.store.log_size(conn)
                if self._cached is None or self._cached[0] != size:
                    facts = facts_from_db(self.store)
                    self._cached = (size, indicators.compute(facts), indicators.compare(facts))
                self._at = time.monotonic()
            return self._cached


def app_from_environment() -> FastAPI:
    """The app of one server worker process (`casedraw serve --workers N`): the database from
    $CASEDRAW_DB, logs as JSON, and the start-up heap kept out of the garbage collector's way."""
    configure_logging(os.environ.get("CASEDRAW_LOG_LEVEL", "info"))
    app = create_app(Store.open(database_url()), intake_process=True)
    settle_heap()
    return app


def settle_heap() -> None:
    """Tune the interpreter for serving. What is loaded at start-up lives as long as the process: keep it
    out of the collector's full passes, which otherwise stall every request for tens of milliseconds
    once or twice a second (measured: p99 106 -> 38 ms)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # The intake writer thread waits for the GIL while the event loop parses requests; a shorter
    # switch interval hands it over sooner (measured: 1,520 -> 1,714 requests/s, p99 33 -> 28 ms).
    sys.setswitchinterval(0.0005)


def create_app(store: Store, *, authenticator: Authenticator | None = None, max_body: int = MAX_BODY,
               anonymous_rate: int = ANONYMOUS_RATE, stats_ttl: float = 60.0, intake_process: bool = False,
               fast_submit: bool = True, pages: bool = True) -> FastAPI:
    """The API over `store`. `intake_process`: register single submissions in a child process (as
    `casedraw serve` does) rather than in a thread of this one. `fast_submit`: serve single submissions
    in front of the router (api.fast_path); without it the declared route serves them, the same way.
    `pages`: also serve the web pages (casedraw.web) beside the API."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.batcher.start()
        try:
            yield
        finally:
            app.state.batcher.stop()

    app = FastAPI(
        title="casedraw", version=__version__, lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
        description=(
            "Automatic, fair and verifiable distribution of enforcement documents among private bailiffs. "
            "Machine clients send `Authorization: Bearer <token>` (tokens from `casedraw token create`); people log in at "
            "`/api/v1/auth/login`. Errors are RFC 9457 problem details naming the field and the reason."
        ),
    )
    metrics = Metrics()
    app.state.store = store
    app.state.authenticator = authenticator or StoreTokens(store)
    app.state.authenticating = SingleFlight()
    app.state.rate_limiter = RateLimiter()
    app.state.key_locks = KeyLocks()
    app.state.anonymous_rate = anonymous_rate
    app.state.metrics = metrics
    app.state.batcher = SubmissionBatcher(store, in_process=intake_process)
    app.state.published = PublishedLog(store, log_signer(store), LOG_ORIGIN)
    app.state.statistics = Statistics(store, stats_ttl)
    problems.install(app)
    for router in ROUTERS:
        _deny_by_default(router)
        app.include_router(router, responses=_PROBLEMS)
    if pages:
        from casedraw import web  # the page stack loads only where pages are served

        web.install(app)
        for router in web.ROUTERS:
            _deny_by_default(router)
            app.include_router(router)
    if fast_submit:
        declared = next(r for r in documents.router.routes if isinstance(r, APIRoute) and r.path == documents.SUBMIT_ONE and "POST" in r.methods)
        app.add_middleware(FastSubmit, route=declared)
    app.add_middleware(Observability, metrics=metrics, max_body=max_body)  # added last: outside the fast path
    return app


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": problems.ProblemDetails, "content": {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
             "description": description}
    for status, description in ((401, "No valid credentials"), (403, "The caller's role may not do this"), (404, "Not found, or not yours to see"),
                                (413, "The body is too large"), (422, "A field is invalid; nothing was changed"), (429, "Too many requests"))
}


def access_of(route: APIRoute) -> Access | None:
    """The Access an endpoint declared, if any."""
    for dependency in route.dependant.dependencies:
        if isinstance(dependency.call, Access):
            return dependency.call
    return None


ROUTERS = (public.router, auth.router, documents.router, procedures.router, public.probes)


def endpoints() -> list[APIRoute]:
    """Every endpoint of the API."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def _deny_by_default(router: APIRouter) -> None:
    missing = [f"{sorted(r.methods)} {r.path}" for r in router.routes if isinstance(r, APIRoute) and access_of(r) is None]
    if missing:
        raise RuntimeError(f"endpoints without an access declaration: {', '.join(missing)}")
