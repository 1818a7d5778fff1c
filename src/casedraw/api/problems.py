"""Errors as RFC 9457 problem details (application/problem+json), naming the field and the reason."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from casedraw.domain.errors import FieldError, InvalidInput
from casedraw.services.access import AccessRefused
from casedraw.services.intake import IdempotencyConflict
from casedraw.services.procedures import ProcedureRefused
from casedraw.services.publication import NoSuchReceipt
from casedraw.services.setup import ConfigRefused
from casedraw.store.db import DatabaseUnavailable, StorageFull
from casedraw.store.repository import NotInitialised

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("casedraw.api")


class FieldProblem(BaseModel):
    field: str = Field(description="The request field at fault: a body field, a query or path parameter, or a header")
    reason: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str | None = Field(default=None, description="The request id, also sent as the X-Request-ID header")
    errors: list[FieldProblem] = []

    model_config = {"json_schema_extra": {"examples": [{
        "type": "about:blank", "title": "Unprocessable Content", "status": 422,
        "detail": "debtor_idn: check digit is 3, expected 4", "instance": "7f0c1e5a9b2d4c3e",
        "errors": [{"field": "debtor_idn", "reason": "check digit is 3, expected 4"}],
    }]}}


class Problem(Exception):
    def __init__(self, status: int, detail: str = "", *, errors: Iterable[FieldError] = (), headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
        self.errors = list(errors) or field_errors(detail)

    @classmethod
    def unprocessable(cls, errors: list[FieldError]) -> Problem:
        """422 for these field errors, each named in the detail too."""
        return cls(422, "; ".join(map(str, errors)), errors=errors)


def problem_response(request: Request | None, status: int, detail: str = "", errors: Iterable[FieldError] = (),
                     headers: dict[str, str] | None = None) -> Response:
    page_problem = getattr(request.app.state, "page_problem", None) if request is not None else None
    if page_problem is not None and page_problem.applies(request):
        return page_problem(request, status, detail, list(errors), headers)  # a web page's problem is shown as a page
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
                            "errors": [{"field": e.field, "reason": e.reason} for e in errors]}
    request_id = request.scope.get("request_id") if request is not None else None
    if request_id:
        body["instance"] = request_id
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(message: str) -> list[FieldError]:
    """Services refuse with "field: reason[; field: reason]"; split that into named errors. A part that
    names no field ("…; absences cannot be back-dated") belongs to the reason before it."""
    out: list[FieldError] = []
    for part in message.split("; "):
        name, sep, reason = part.partition(": ")
        if sep and name and " " not in name:
            out.append(FieldError(name, reason))
        elif out:
            out[-1] = FieldError(out[-1].field, f"{out[-1].reason}; {part}")
    return out


def refusal(message: str, names: Mapping[str, str] | None = None) -> Problem:
    """A service's refusal: 403 when it is about who acts, 422 when about what was asked. `names` maps
    the service's name of a field to the request's, where the two differ."""
    errors = [FieldError(names.get(e.field, e.field), e.reason) for e in field_errors(message)] if names else field_errors(message)
    status = 403 if errors and errors[0].field == "actor" else 422
    return Problem(status, "; ".join(map(str, errors)) if names and errors else message, errors=errors)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        kind, parts = parts[0], parts[1:]
        if kind == "header" and parts:
            return parts[0]
    return ".".join(parts) or "body"


def validation_errors(found: Iterable[Any]) -> list[FieldError]:
    """Pydantic's or FastAPI's validation errors, each naming the field."""
    return [FieldError(_location(tuple(e.get("loc", ()))), e.get("msg", "invalid")) for e in found]


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(request, exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else ""
        return problem_response(request, exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc.errors())
        return problem_response(request, 422, "; ".join(str(e) for e in errors), errors)

    for kind in (ProcedureRefused, ConfigRefused, AccessRefused, NoSuchReceipt, IdempotencyConflict):
        app.add_exception_handler(kind, _refused)
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(NotInitialised, _not_initialised)
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)


async def _refused(request: Request, exc: Exception) -> Response:
    p = refusal(str(exc))
    if isinstance(exc, NoSuchReceipt):
        p.status = 404
    return problem_response(request, p.status, p.detail, p.errors)


async def _invalid_input(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    return problem_response(request, 422, str(exc), exc.errors)


async def _not_initialised(request: Request, exc: Exception) -> Response:
    return problem_response(request, 503, str(exc))


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DatabaseUnavailable)
    return unavailable_response(request, exc)


def unavailable_response(request: Request, exc: DatabaseUnavailable) -> Response:
    """The database is unreachable (503, retry after a few seconds) or full (507): nothing of the request
    was half-written and the client may repeat it as it was, rather than a 500 with no reason."""
    if isinstance(exc, StorageFull):
        return problem_response(request, 507, str(exc))
    return problem_response(request, 503, str(exc), headers={"Retry-After": "5"})
