"""Single-document submission served in front of FastAPI's router.

It is the busiest endpoint (a bank's system sends documents one by one as they arrive), and the
router, dependency solving and response validation cost about as much as the submission itself. This
takes the same steps as the declared route (routes.documents.submit_one), by the same functions:
access for claimants, the Idempotency-Key and the body validated by the same rules (FastAPI reports
the header's errors first), then routes.documents.register_one. Everything else goes on to the router.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from casedraw.api.problems import Problem, problem_response, unavailable_response, validation_errors
from casedraw.api.routes.documents import CLAIMANTS, IDEMPOTENCY_KEY, SUBMIT_ONE, register_one
from casedraw.api.schemas import DocumentIn
from casedraw.domain.errors import FieldError
from casedraw.store.db import DatabaseUnavailable
from casedraw.store.repository import NotInitialised


class FastSubmit:
    def __init__(self, app: ASGIApp, route: object):
        self.app, self.route = app, route  # the declared route, named in metrics and logs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != SUBMIT_ONE:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        request = Request(scope, receive)
        try:
            principal = await CLAIMANTS(request)
            key = request.headers.get("idempotency-key")
            try:
                document = DocumentIn.model_validate_json(await request.body())
                errors = []
            except ValidationError as exc:
                errors = validation_errors(exc.errors())
            if key is not None:
                try:
                    IDEMPOTENCY_KEY.validate_python(key)
                except ValidationError as exc:
                    errors = [FieldError("Idempotency-Key", e["msg"]) for e in exc.errors()] + errors
            if errors:
                raise Problem.unprocessable(errors)
            response = await register_one(request, principal, document, key)  # type: ignore[arg-type]
        except Problem as problem:
            response = problem_response(request, problem.status, problem.detail, problem.errors, problem.headers)
        except NotInitialised as exc:
            response = problem_response(request, 503, str(exc))
        except DatabaseUnavailable as exc:  # as the app's handler answers it (problems.unavailable_response)
            response = unavailable_response(request, exc)
        await response(scope, receive, send)
