"""Pages of a regional disciplinary commission: the queue of its region's paragraph 12 applications,
oldest deadline first, with the working days left; one application with the document, the bailiff it
asks to replace, the grounds, the claimant's statement and references, and the form to decide it.

The applications are read with the API's own scope (api/routes/procedures._applications); the decision
goes through services.procedures.decide_application as POST /api/v1/applications/{n}/decision does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from casedraw.api.deps import acting, store_of
from casedraw.api.problems import Problem
from casedraw.api.routes.procedures import _applications
from casedraw.api.schemas import MAX_ID
from casedraw.api.scope import visible_document
from casedraw.api.security import Access
from casedraw.domain.calendar import is_working_day
from casedraw.domain.errors import FieldError
from casedraw.domain.procedures import Decision
from casedraw.services import procedures as proc
from casedraw.services.access import Principal, Role
from casedraw.store import schema
from casedraw.store.repository import Store
from casedraw.web import bailiff as common
from casedraw.web.forms import page_router
from casedraw.web.pages import redirect, translator

router = page_router("/commission")
Commission = Annotated[Principal, Depends(Access.of(Role.COMMISSION))]
Number = Annotated[int, Path(ge=1, le=MAX_ID)]


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start): the inverse of
    domain.calendar.add_working_days, which deadlines are computed with."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def time_left(deadline: dt.date, day: dt.date) -> dict[str, Any]:
    """How a deadline stands on `day`: working days left, due today, or working days overdue."""
    if deadline > day:
        return {"state": "left", "days": working_days_between(day, deadline)}
    if deadline == day:
        return {"state": "today", "days": 0}
    return {"state": "overdue", "days": working_days_between(deadline, day)}


@router.get("/applications")
def applications(request: Request, principal: Commission,
                 status: Annotated[str, Query(pattern="^(review|granted|refused|all)$")] = "review") -> Response:
    day = common.today()
    found = _applications(request, principal, None, None if status == "all" else status)
    found.sort(key=lambda a: (a["status"] != "review", a["deadline"], a["id"]))
    with store_of(request).read() as conn:
        config = Store.procedure_config(conn, day)
    items = [{**a, "left": time_left(a["deadline"], day) if a["status"] == "review" else None} for a in found]
    return common.page(request, "commission/applications.html", {
        "items": items, "status": status, "decision_days": config.decision_working_days,
        "overdue": sum(1 for i in items if i["left"] and i["left"]["state"] == "overdue")})


def _application_page(request: Request, principal: Principal, number: int, errors: list[FieldError] | None = None,
                      values: Mapping[str, str] | None = None, status: int = 200) -> Response:
    found = _applications(request, principal, number, None)
    if not found:
        raise Problem(404, f"application: no application {number} among those you may see")
    application = found[0]
    store = store_of(request)
    ap = schema.applications
    with store.read() as conn:
        # The claimant's statement and its references are for the parties and the commission (as `statement` in the API).
        references = json.loads(conn.execute(select(ap.c.references).where(ap.c.id == number)).scalar_one() or "[]")
        try:
            document = visible_document(conn, principal, application["doc"])
        except Problem:  # forwarded to a region the commission does not act for: the application stays, the document is not shown
            document = None
    steps = proc.timeline(store, application["doc"]) if document is not None else [{}]
    return common.page(request, "commission/application.html", {
        "a": application, "references": references, "document": document, "steps": steps[:-1], "now": steps[-1],
        "left": time_left(application["deadline"], common.today()) if application["status"] == "review" else None,
        "decisions": [str(d) for d in Decision], "errors": errors or [], "detail": "", "values": values or {},
        "done": request.query_params.get("done"),
    }, status=status)


@router.get("/applications/{number}")
def application(request: Request, principal: Commission, number: Number) -> Response:
    return _application_page(request, principal, number)


@router.post("/applications/{number}/decision")
def decide(request: Request, principal: Commission, number: Number, decision: Annotated[str, Form()] = "",
           reference: Annotated[str, Form()] = "", reasons: Annotated[str, Form()] = "") -> Response:
    _ = translator(request)
    values = {"decision": decision, "reference": reference, "reasons": reasons}
    errors: list[FieldError] = []
    if decision not in {str(d) for d in Decision}:
        errors.append(FieldError("decision", _("choose to grant or to refuse")))
    common.form_text("reference", reference, 200, errors, _)
    common.form_text("reasons", reasons, 4000, errors, _)
    if not errors:
        try:
            proc.decide_application(store_of(request), acting(principal), number, decision, reference, reasons)
            return redirect(f"/commission/applications/{number}?done={decision}")
        except proc.ProcedureRefused as exc:
            errors = common.form_errors(str(exc)) or [FieldError("application", str(exc))]
    return _application_page(request, principal, number, errors, values, status=422)
