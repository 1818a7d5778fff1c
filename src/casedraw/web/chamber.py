"""Pages of a regional chamber (its head and its staff): the region's roster with each bailiff's
status, share, paragraph 17 flag, current absence, open documents and weighted load; the region's
absences, which the head and the staff record, change and cancel for its bailiffs; the documents of
the region no bailiff could take; and, for the head, paragraph 17: suspending distribution to himself.

The region is the caller's (api/scope.regions_of); names are shown as GET /api/v1/bailiffs shows them
to the chamber; absences and paragraph 17 go through services.procedures as the API's routes do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from casedraw.api.deps import acting, store_of
from casedraw.api.routes import procedures as procedure_routes
from casedraw.api.routes import public as public_routes
from casedraw.api.schemas import MAX_ID
from casedraw.api.scope import regions_of, require_region
from casedraw.api.security import Access
from casedraw.domain.errors import FieldError
from casedraw.services import procedures as proc
from casedraw.services.access import Principal, Role
from casedraw.services.proceedings import overdue
from casedraw.store import schema
from casedraw.web import bailiff as common
from casedraw.web.forms import page_router
from casedraw.web.pages import redirect, translator

router = page_router("/chamber")
Chamber = Annotated[Principal, Depends(Access.of(Role.CHAMBER_HEAD, Role.CHAMBER))]
Head = Annotated[Principal, Depends(Access.of(Role.CHAMBER_HEAD))]
Number = Annotated[int, Path(ge=1, le=MAX_ID)]
Problems = Mapping[str, tuple[list[FieldError], dict[str, str]]]


def _region(request: Request, principal: Principal, asked: str | None) -> tuple[str | None, list[str]]:
    """The region shown: the one asked for if the caller acts for it (403 otherwise), else the caller's first."""
    with store_of(request).read() as conn:
        regions = sorted(regions_of(conn, principal) or ())
        if asked:
            require_region(conn, principal, asked)
            return asked, regions
    return (regions[0] if regions else None), regions


def _roster(request: Request, principal: Principal, region: str) -> dict[str, Any]:
    store = store_of(request)
    day = common.today()
    listed = public_routes.bailiffs(request, principal, region)  # names as the API shows them to this caller
    b, bd, a = schema.bailiffs, schema.bailiff_draw, schema.absences
    with store.read() as conn:
        extra = {r.licence: r for r in conn.execute(
            select(b.c.licence, b.c.self_suspended, bd.c.open_count, bd.c.load).join(bd, bd.c.licence == b.c.licence, isouter=True)
            .where(b.c.region == region))}
        absent = {x.licence: x for x in proc.absences_on(conn, day) if x.licence in extra}
        rows = conn.execute(select(a).join(b, b.c.licence == a.c.licence).where(b.c.region == region, a.c.end >= day)
                            .order_by(a.c.start, a.c.id)).all()
    absences = procedure_routes.absences_out(principal, rows)
    late = overdue(store, day, region)
    late_by = Counter(o.licence for o in late)
    roster = [{**r, "self_suspended": extra[r["licence"]].self_suspended, "open": extra[r["licence"]].open_count or 0,
               "load": extra[r["licence"]].load or 0, "absence": absent.get(r["licence"]), "overdue": late_by[r["licence"]]} for r in listed]
    pending = [doc for docs in proc.pending_alerts(store, region).values() for doc in docs]
    me = next((r for r in roster if r["licence"] == principal.subject), None) if principal.role is Role.CHAMBER_HEAD else None
    licences = [(r["licence"], r["full_name"]) for r in roster]
    return {"roster": roster, "licences": licences, "absences": absences, "pending": pending, "overdue_total": len(late), "me": me}


def _roster_page(request: Request, principal: Principal, problems: Problems | None = None, status: int = 200,
                 region: str | None = None) -> Response:
    region, regions = _region(request, principal, region or request.query_params.get("region"))
    context: dict[str, Any] = {"region": region, "regions": regions, "problems": problems or {}, "kinds": list(proc.ABSENCE_KINDS),
                               "done": request.query_params.get("done"), "action": "/chamber/absences"}
    if region is not None:
        context.update(_roster(request, principal, region))
    return common.page(request, "chamber/roster.html", context, status=status)


@router.get("/roster")
def roster(request: Request, principal: Chamber, region: Annotated[str | None, Query(max_length=8)] = None) -> Response:
    return _roster_page(request, principal, region=region)


def _roster_url(region: str | None) -> str:
    return f"/chamber/roster?region={region}" if region else "/chamber/roster"


def _back(region: str | None, done: str) -> str:
    url = _roster_url(region)
    return f"{url}{'&' if '?' in url else '?'}done={done}"


@router.post("/absences")
def add_absence(request: Request, principal: Chamber, licence: Annotated[str, Form(max_length=32)] = "",
                start: Annotated[str, Form()] = "", end: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "leave",
                note: Annotated[str, Form()] = "") -> Response:
    """POST /api/v1/bailiffs/{licence}/absences from the roster: for a bailiff of the caller's region."""
    values = {"licence": licence, "start": start, "end": end, "kind": kind, "note": note}
    errors: list[FieldError] = []
    first, last = common.absence_form(request, start, end, errors)
    note = common.form_text("note", note, 2000, errors, translator(request))
    region = _region_of(request, licence)
    if not errors and first and last:
        try:
            proc.record_absence(store_of(request), acting(principal), licence, first, last, kind, note)
            return redirect(_back(region, "recorded"))
        except proc.ProcedureRefused as exc:
            errors = common.form_errors(str(exc), common.ABSENCE_FIELDS)
    return _roster_page(request, principal, {"new": (errors, values)}, status=422, region=region)


def _region_of(request: Request, licence: str) -> str | None:
    b = schema.bailiffs
    with store_of(request).read() as conn:
        return conn.execute(select(b.c.region).where(b.c.licence == licence)).scalar_one_or_none()


def _absence_region(request: Request, absence: int) -> str | None:
    a, b = schema.absences, schema.bailiffs
    with store_of(request).read() as conn:
        return conn.execute(select(b.c.region).join(a, a.c.licence == b.c.licence).where(a.c.id == absence)).scalar_one_or_none()


@router.post("/absences/{absence}/change")
def change_absence(request: Request, principal: Chamber, absence: Number, start: Annotated[str, Form()] = "",
                   end: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    region = _absence_region(request, absence)
    return common.change(request, principal, absence, start, end, note, _roster_url(region),
                         lambda rq, pr, problems, status: _roster_page(rq, pr, problems, status, region))


@router.post("/absences/{absence}/cancel")
def cancel_absence(request: Request, principal: Chamber, absence: Number, note: Annotated[str, Form()] = "") -> Response:
    region = _absence_region(request, absence)
    return common.cancel(request, principal, absence, note, _roster_url(region),
                         lambda rq, pr, problems, status: _roster_page(rq, pr, problems, status, region))


@router.post("/suspension")
def suspension(request: Request, principal: Head, suspended: Annotated[str, Form()] = "",
               reason: Annotated[str, Form()] = "") -> Response:
    """Paragraph 17, as POST /api/v1/bailiffs/{licence}/suspension: the chamber head, for himself only."""
    errors: list[FieldError] = []
    _ = translator(request)
    if suspended not in ("yes", "no"):
        errors.append(FieldError("suspended", _("choose to suspend or to resume")))
    reason = common.form_text("reason", reason, 2000, errors, _)
    if not errors:
        try:
            proc.set_self_suspension(store_of(request), acting(principal), principal.subject, suspended == "yes", reason)
            return redirect(_back(_region_of(request, principal.subject), "suspended" if suspended == "yes" else "resumed"))
        except proc.ProcedureRefused as exc:
            errors = common.form_errors(str(exc))
    return _roster_page(request, principal, {"suspension": (errors, {"reason": reason})}, status=422,
                        region=_region_of(request, principal.subject))
