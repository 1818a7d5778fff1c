"""Pages of a private bailiff (and of a chamber head, who is a bailiff too): the documents assigned to
me with their deadlines and the forms to record each proceeding's next step, one document's detail
with its timeline, and my absences.

Steps go through services.proceedings.record_steps as POST /api/v1/proceedings/steps does (only the
role bailiff records them, as there); absences through services.procedures as the absence routes do,
with their naming of the dates (the service's from/to are start/end here too). This module also holds
what the staff pages share: the page's common context and the form helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import and_, func, select

from casedraw.api.deps import acting, store_of
from casedraw.api.problems import Problem, refusal
from casedraw.api.routes import procedures as procedure_routes
from casedraw.api.schemas import MAX_ID
from casedraw.api.scope import documents_visible, sees_personal_data, visible_document
from casedraw.api.security import Access
from casedraw.domain.errors import FieldError
from casedraw.domain.proceedings import STAGES, ClosureReason, overdue_steps
from casedraw.domain.regions import REGIONS
from casedraw.services import KZ_TIME
from casedraw.services import procedures as proc
from casedraw.services.access import Principal, Role
from casedraw.services.proceedings import StepRequest, record_steps
from casedraw.store import schema
from casedraw.web.forms import page_router
from casedraw.web.pages import language, render, translator, with_query
from casedraw.web.pages import redirect as see_other

router = page_router("/bailiff")
Bailiffs = Annotated[Principal, Depends(Access.of(Role.BAILIFF, Role.CHAMBER_HEAD))]
StepRecorders = Annotated[Principal, Depends(Access.of(Role.BAILIFF))]
PAGE = 100
Doc = Annotated[int, Path(ge=1, le=MAX_ID)]
Number = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[int, Query(ge=0, le=MAX_ID)]

# --- what the staff pages share ---------------------------------------------------------------


def today() -> dt.date:
    """Today in Kazakhstan, the day deadlines are counted on."""
    return dt.datetime.now(KZ_TIME).date()


def region_name(code: str, lang: str) -> str:
    region = REGIONS.get(code)
    return f"{region.name(lang)} ({code})" if region is not None else code


def page(request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200) -> Response:
    """render() with what the staff templates share: region names, today, links with a changed query."""
    def _region(code: str) -> str:
        return region_name(code, language(request))

    return render(request, template, {"region_name": _region, "today": today(),
                                      "link": lambda **changes: with_query(request, **changes), **(context or {})}, status=status)


def form_errors(message: str, names: Mapping[str, str] | None = None) -> list[FieldError]:
    """A service's refusal of a form, judged as the API judges it (api.problems.refusal): about who acts, it is
    raised and shown as the 403 page; about what was asked, it is the fields to show beside the form."""
    problem = refusal(message, names)
    if problem.status == 403:
        raise problem from None
    return problem.errors


def form_date(field: str, value: str, errors: list[FieldError], _: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError(field, _("a date, as YYYY-MM-DD")))
        return None


def form_text(field: str, value: str, limit: int, errors: list[FieldError], _: Any) -> str:
    if len(value) > limit:
        errors.append(FieldError(field, _("at most %(limit)d characters") % {"limit": limit}))
    return value


def tenge_to_tiyn(field: str, value: str, errors: list[FieldError], _: Any) -> int | None:
    """An amount typed in tenge ("12 500,50" or "12500.50") in tiyn; an error named `field` otherwise."""
    text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2 or amount >= Decimal(10) ** 13:
        errors.append(FieldError(field, _("a positive amount in tenge, with at most two decimals")))
        return None
    return int(amount * 100)


# --- my assignments ----------------------------------------------------------------------------


def _assignments(conn: Any, principal: Principal, which: str, after: int, doc: int | None = None) -> list[Any]:
    """Documents assigned to me (open proceedings, closed ones, or both), with the open proceeding's
    stage and deadlines, in the caller's scope (documents_visible) and held by the caller."""
    d, p = schema.documents, schema.proceedings
    query = (select(d, p.c.stage, p.c.acknowledge_by, p.c.initiate_by, p.c.suspensions)
             .join(p, and_(p.c.doc == d.c.id, p.c.open), isouter=True)
             .where(documents_visible(conn, principal), d.c.assigned_to == principal.subject, d.c.id > after)
             .order_by(d.c.id).limit(PAGE + 1))
    if doc is not None:
        query = query.where(d.c.id == doc)
    if which == "open":
        query = query.where(d.c.status == "assigned")
    elif which == "closed":
        query = query.where(d.c.status == "closed")
    return list(conn.execute(query))


def _item(row: Any, principal: Principal, day: dt.date) -> dict[str, Any]:
    stage = row.stage if row.status == "assigned" else None
    missed = overdue_steps(STAGES[stage], day, row.acknowledge_by, row.initiate_by) if stage else []
    personal = sees_personal_data(principal, row)
    return {"id": row.id, "status": row.status, "region": row.region, "category": row.category, "weight": row.weight, "round": row.round,
            "how": row.how, "stage": stage, "acknowledge_by": row.acknowledge_by, "initiate_by": row.initiate_by, "missed": missed,
            "recovered_bp": row.recovered_bp, "has_amount": row.category != "non_property", "personal": personal,
            "debtor_name": row.debtor_name if personal else None, "debtor_idn": row.debtor_idn if personal else None,
            "doc_number": row.number if personal else None, "doc_date": row.doc_date if personal else None,
            "issuing_body": row.issuing_body if personal else None, "amount_tiyn": row.amount_tiyn if personal else None,
            "recovered_tiyn": row.recovered_tiyn if personal else None}


def _counts(conn: Any, principal: Principal) -> dict[str, int]:
    d = schema.documents
    query = (select(d.c.status, func.count()).where(documents_visible(conn, principal), d.c.assigned_to == principal.subject)
             .group_by(d.c.status))
    return {status: n for status, n in conn.execute(query)}


def _assignments_page(request: Request, principal: Principal, which: str, after: int,
                      problems: Mapping[int, tuple[list[FieldError], dict[str, str]]] | None = None, status: int = 200) -> Response:
    day = today()
    with store_of(request).read() as conn:
        rows = _assignments(conn, principal, which, after)
        counts = _counts(conn, principal)
    items = [_item(r, principal, day) for r in rows[:PAGE]]
    return page(request, "bailiff/assignments.html", {
        "items": items, "which": which, "counts": counts, "next_after": rows[PAGE - 1].id if len(rows) > PAGE else None,
        "overdue": sum(bool(i["missed"]) for i in items), "records": principal.role is Role.BAILIFF,
        "problems": problems or {}, "closures": [str(r) for r in ClosureReason],
        "done": request.query_params.get("done"), "done_doc": request.query_params.get("doc"),
    }, status=status)


@router.get("/assignments")
def assignments(request: Request, principal: Bailiffs, which: Annotated[str, Query(pattern="^(open|closed|all)$")] = "open",
                after: After = 0) -> Response:
    return _assignments_page(request, principal, which, after)


def _detail_page(request: Request, principal: Principal, doc: int,
                 problems: Mapping[int, tuple[list[FieldError], dict[str, str]]] | None = None, status: int = 200) -> Response:
    store = store_of(request)
    with store.read() as conn:
        visible_document(conn, principal, doc)  # 404 outside the caller's scope, as the API
        rows = _assignments(conn, principal, "all", 0, doc)
    if not rows:  # a chamber head sees the region's documents; here only those he holds himself
        raise Problem(404, f"doc: no document {doc} among those you may see")
    steps = proc.timeline(store, doc)
    return page(request, "bailiff/assignment.html", {
        "item": _item(rows[0], principal, today()), "steps": steps[:-1], "now": steps[-1], "records": principal.role is Role.BAILIFF,
        "problems": problems or {}, "closures": [str(r) for r in ClosureReason],
        "done": request.query_params.get("done"), "done_doc": request.query_params.get("doc"),
    }, status=status)


@router.get("/assignments/{doc}")
def assignment(request: Request, principal: Bailiffs, doc: Doc) -> Response:
    return _detail_page(request, principal, doc)


@router.post("/assignments/{doc}/step")
def record_step(request: Request, principal: StepRecorders, doc: Doc, step: Annotated[str, Form()],
                reference: Annotated[str, Form()] = "", amount: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "list") -> Response:
    """One step of a proceeding, recorded as POST /api/v1/proceedings/steps records a batch of one."""
    _ = translator(request)
    errors: list[FieldError] = []
    values = {"step": step, "reference": reference, "amount": amount, "reason": reason, "note": note}
    reference = form_text("reference", reference, 200, errors, _)
    reason = form_text("reason", reason, 2000, errors, _)
    note = form_text("note", note, 2000, errors, _)
    amount_tiyn = tenge_to_tiyn("amount", amount, errors, _) if step == "recovered" else None
    if not errors:
        (outcome,) = record_steps(store_of(request), acting(principal), [StepRequest(doc, step, amount_tiyn, reason, reference, note)])
        if outcome.error is None:
            target = f"/bailiff/assignments/{doc}" if back == "detail" else "/bailiff/assignments"
            return see_other(f"{target}?done={step}&doc={doc}")
        errors = form_errors(outcome.error) or [FieldError("step", outcome.error)]
    if back == "detail":
        return _detail_page(request, principal, doc, {doc: (errors, values)}, status=422)
    return _assignments_page(request, principal, "open", 0, {doc: (errors, values)}, status=422)


# --- my absences ---------------------------------------------------------------------------------

ABSENCE_FIELDS = {"from": "start", "to": "end"}  # the service's names of the dates, and the forms' (as the API's)


def absence_form(request: Request, start: str, end: str, errors: list[FieldError]) -> tuple[dt.date | None, dt.date | None]:
    _ = translator(request)
    return form_date("start", start, errors, _), form_date("end", end, errors, _)


def _absences_page(request: Request, principal: Principal, problems: Mapping[str, tuple[list[FieldError], dict[str, str]]] | None = None,
                   status: int = 200) -> Response:
    rows = procedure_routes.absences(principal.subject, request, principal)
    return page(request, "bailiff/absences.html", {
        "absences": sorted(rows, key=lambda a: (a["cancelled"], a["start"]), reverse=False), "problems": problems or {},
        "kinds": list(proc.ABSENCE_KINDS), "done": request.query_params.get("done"), "action": "/bailiff/absences",
    }, status=status)


@router.get("/absences")
def absences(request: Request, principal: Bailiffs) -> Response:
    return _absences_page(request, principal)


@router.post("/absences")
def add_absence(request: Request, principal: Bailiffs, start: Annotated[str, Form()] = "", end: Annotated[str, Form()] = "",
                kind: Annotated[str, Form()] = "leave", note: Annotated[str, Form()] = "") -> Response:
    values = {"start": start, "end": end, "kind": kind, "note": note}
    errors: list[FieldError] = []
    first, last = absence_form(request, start, end, errors)
    note = form_text("note", note, 2000, errors, translator(request))
    if not errors and first and last:
        try:
            proc.record_absence(store_of(request), acting(principal), principal.subject, first, last, kind, note)
            return see_other("/bailiff/absences?done=recorded")
        except proc.ProcedureRefused as exc:
            errors = form_errors(str(exc), ABSENCE_FIELDS)
    return _absences_page(request, principal, {"new": (errors, values)}, status=422)


@router.post("/absences/{absence}/change")
def change_absence(request: Request, principal: Bailiffs, absence: Number, start: Annotated[str, Form()] = "",
                   end: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    return change(request, principal, absence, start, end, note, "/bailiff/absences", _absences_page)


@router.post("/absences/{absence}/cancel")
def cancel_absence(request: Request, principal: Bailiffs, absence: Number, note: Annotated[str, Form()] = "") -> Response:
    return cancel(request, principal, absence, note, "/bailiff/absences", _absences_page)


def change(request: Request, principal: Principal, absence: Number, start: str, end: str, note: str, back: str, again: Any) -> Response:
    """PUT /absences/{absence} from a form: new dates; refused ones shown next to that absence's form."""
    values = {"start": start, "end": end, "note": note}
    errors: list[FieldError] = []
    first, last = absence_form(request, start, end, errors)
    note = form_text("note", note, 2000, errors, translator(request))
    if not errors and first and last:
        try:
            proc.change_absence(store_of(request), acting(principal), absence, first, last, note)
            return see_other(f"{back}{'&' if '?' in back else '?'}done=changed")
        except proc.ProcedureRefused as exc:
            errors = form_errors(str(exc), ABSENCE_FIELDS)
    return again(request, principal, {str(absence): (errors, values)}, status=422)


def cancel(request: Request, principal: Principal, absence: int, note: str, back: str, again: Any) -> Response:
    """DELETE /absences/{absence} from a form."""
    errors: list[FieldError] = []
    note = form_text("note", note, 2000, errors, translator(request))
    if not errors:
        try:
            proc.cancel_absence(store_of(request), acting(principal), absence, note)
            return see_other(f"{back}{'&' if '?' in back else '?'}done=cancelled")
        except proc.ProcedureRefused as exc:
            errors = form_errors(str(exc), ABSENCE_FIELDS)
    return again(request, principal, {str(absence): (errors, {"note": note})}, status=422)
