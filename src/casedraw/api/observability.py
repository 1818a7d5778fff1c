"""Request ids, structured JSON logs, Prometheus metrics and the request body limit, as one pure ASGI
middleware (Starlette's BaseHTTPMiddleware would add a task and a copy per request)."""

from __future__ import annotations

import logging
import re
import sys
import time
from http import HTTPStatus
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casedraw.api.problems import PROBLEM_JSON, problem_response
from casedraw.services import RandomBytes

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_new_request_id = RandomBytes(8)  # random, so that ids tell nobody how many requests others make
access_log = logging.getLogger("casedraw.api.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the time, level, logger, message and the fields passed as
    `extra={"fields": {...}}` (one per request in the access log, so kept cheap)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", ()))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "info") -> None:
    # The JSON lines name no thread, process or source line, so records need not look them up (the
    # logging HOWTO's "Optimization"): the access log writes one per request.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # type: ignore[attr-defined]  # the HOWTO's way to skip finding the caller
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("casedraw")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("casedraw_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry)
        self.duration = Histogram(
            "casedraw_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class _TooLarge(Exception):
    pass


class Observability:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body: int):
        self.app, self.metrics, self.max_body = app, metrics, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.fullmatch(given) else _new_request_id().hex()
        scope["request_id"] = request_id
        status = 500
        response_started = False

        async def sending(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        received = 0

        async def receiving() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge
            return message

        try:
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                raise _TooLarge
            await self.app(scope, receiving, sending)
        except _TooLarge:
            if response_started:
                raise
            await _too_large(scope, sending, self.max_body)
        except Exception:
            access_log.exception("unhandled error", extra={"fields": {"request_id": request_id}})
            if response_started:
                raise
            await _problem(scope, sending, 500, "an internal error; the request id identifies it in the logs")
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            elapsed = time.perf_counter() - started
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.duration.labels(method, template).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                principal = scope.get("principal")
                access_log.info("request", extra={"fields": {
                    "request_id": request_id, "method": method, "path": scope["path"], "route": template, "status": status,
                    "duration_ms": round(elapsed * 1000, 3), "caller": principal.credential if principal is not None else None,
                }})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    await _problem(scope, send, 413, f"the request body is larger than {limit:,} bytes")


async def _problem(scope: Scope, send: Send, status: int, detail: str) -> None:
    """Problem details, or the page that says it where a web page was asked for (problems.problem_response)."""
    try:
        response = problem_response(Request(scope), status, detail)
    except Exception:  # the error page itself failed: plain problem details, which cannot
        access_log.exception("error page failed", extra={"fields": {"request_id": scope.get("request_id")}})
        response = Response(orjson.dumps({"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
                                          "instance": scope.get("request_id"), "errors": []}), status, media_type=PROBLEM_JSON)
    await response(scope, _nothing_more, send)


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}
