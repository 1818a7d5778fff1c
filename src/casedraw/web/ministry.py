"""Pages of the Ministry of Justice (configuration versions) and the audit view for the ministry,
auditors and the operator.

The configuration page lists every version of routing, draw and procedures as GET /api/v1/config does
and issues a new one through services.setup.issue_config as POST /api/v1/config/{name} does. The audit
view shows no personal data: the log's events by index, kind, time and the acting role (not who), the
rounds, the documents no bailiff could take with the reasons (as GET /api/v1/documents/pending), the
proceedings past a deadline counted per region, and the configuration changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from casedraw.api.deps import acting, store_of
from casedraw.api.problems import refusal
from casedraw.api.routes import documents as document_routes
from casedraw.api.routes import public as public_routes
from casedraw.api.schemas import MAX_ID
from casedraw.api.security import Access
from casedraw.domain.errors import FieldError
from casedraw.draw.config import CONFIGURATIONS
from casedraw.services.access import Principal, Role
from casedraw.services.proceedings import overdue
from casedraw.services.setup import ConfigRefused, issue_config
from casedraw.store import schema
from casedraw.web import bailiff as common
from casedraw.web.forms import page_router
from casedraw.web.pages import redirect, translator

router = page_router("/ministry")
Ministry = Annotated[Principal, Depends(Access.of(Role.MINISTRY))]
Auditors = Annotated[Principal, Depends(Access.of(Role.MINISTRY, Role.AUDITOR, Role.OPERATOR))]
EVENTS_PAGE = 50
MAX_CONFIG_TEXT = 1_000_000


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _versions(request: Request, principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """Every version per configuration (as GET /api/v1/config), with which one is in force today."""
    day = common.today()
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in CONFIGURATIONS}
    for v in public_routes.config(request, principal, None):
        grouped.setdefault(v["name"], []).append({**v, "pretty": pretty(v["value"]), "in_force": False})
    for versions in grouped.values():
        current = [v for v in versions if v["effective"] <= day]
        if current:
            current[-1]["in_force"] = True
    return grouped


def _config_page(request: Request, principal: Principal, values: dict[str, str] | None = None, errors: list[FieldError] | None = None,
                 detail: str = "", status: int = 200) -> Response:
    grouped = _versions(request, principal)
    if values is None:
        draft = request.query_params.get("draft")
        name = draft if draft in grouped else "procedures"
        latest = grouped[name][-1]["pretty"] if grouped.get(name) else "{}"
        values = {"name": name, "value": latest if draft in grouped else "", "effective": (common.today() + dt.timedelta(days=1)).isoformat()}
    return common.page(request, "ministry/config.html", {
        "grouped": grouped, "names": list(CONFIGURATIONS), "values": values, "errors": errors or [], "detail": detail,
        "done": request.query_params.get("done"), "version": request.query_params.get("version"),
    }, status=status)


@router.get("/config")
def config(request: Request, principal: Ministry) -> Response:
    return _config_page(request, principal)


@router.post("/config")
def issue(request: Request, principal: Ministry, name: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "",
          effective: Annotated[str, Form()] = "") -> Response:
    """POST /api/v1/config/{name} from a form: the value as JSON text, in force from `effective`."""
    _ = translator(request)
    values = {"name": name, "value": value, "effective": effective}
    errors: list[FieldError] = []
    if name not in CONFIGURATIONS:
        errors.append(FieldError("name", _("one of %(names)s") % {"names": ", ".join(CONFIGURATIONS)}))
    parsed: Any = None
    if len(value) > MAX_CONFIG_TEXT:
        errors.append(FieldError("value", _("at most %(limit)d characters") % {"limit": MAX_CONFIG_TEXT}))
    else:
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            errors.append(FieldError("value", _("not valid JSON: %(error)s") % {"error": str(exc)}))
        else:
            if not isinstance(parsed, dict):
                errors.append(FieldError("value", _("a JSON object, {…}")))
    day = common.form_date("effective", effective, errors, _)
    if not errors and day is not None:
        try:
            version = issue_config(store_of(request), acting(principal), name, parsed, day)
            return redirect(f"/ministry/config?done={name}&version={version}")
        except ConfigRefused as exc:
            problem = refusal(str(exc))
            return _config_page(request, principal, values, problem.errors, problem.detail, status=problem.status)
    return _config_page(request, principal, values, errors, status=422)


# --- the audit view -------------------------------------------------------------------------------


def _events(request: Request, before: int | None) -> tuple[list[dict[str, Any]], int, int | None]:
    """A page of the log, newest first: index, kind, time and the acting role; never who acted or what about."""
    e = schema.events
    store = store_of(request)
    with store.read() as conn:
        size = store.log_size(conn)
        query = select(e.c.seq, e.c.kind, e.c.at, e.c.body).order_by(e.c.seq.desc()).limit(EVENTS_PAGE + 1)
        if before is not None:
            query = query.where(e.c.seq < before)
        rows = list(conn.execute(query))
    events = [{"seq": r.seq, "kind": r.kind, "at": r.at, "role": json.loads(bytes(r.body))["by"]["role"]} for r in rows[:EVENTS_PAGE]]
    return events, size, rows[EVENTS_PAGE - 1].seq if len(rows) > EVENTS_PAGE else None


def _config_changes(request: Request, principal: Principal) -> list[dict[str, Any]]:
    versions = public_routes.config(request, principal, None)
    e = schema.events
    with store_of(request).read() as conn:
        issued = {r.seq: r for r in conn.execute(select(e.c.seq, e.c.at, e.c.body).where(e.c.seq.in_(sorted({v["seq"] for v in versions}))))}
    out = [{"name": v["name"], "version": v["version"], "effective": v["effective"], "seq": v["seq"], "at": issued[v["seq"]].at,
            "role": json.loads(bytes(issued[v["seq"]].body))["by"]["role"]} for v in versions]
    return sorted(out, key=lambda v: v["seq"], reverse=True)


@router.get("/audit")
def audit(request: Request, principal: Auditors, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    events, size, next_before = _events(request, before)
    rounds = public_routes.rounds(request, principal, None, 20)
    pending = document_routes.pending(request, principal, None)  # in the caller's scope: every region for these roles
    pending_by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in pending:
        pending_by_region[p["region"]].append(p)
    late = overdue(store_of(request), common.today())
    late_by_region: dict[str, Counter[str]] = defaultdict(Counter)
    for o in late:
        late_by_region[o.region]["total"] += 1
        for missed in o.missed:
            late_by_region[o.region][missed] += 1
    return common.page(request, "ministry/audit.html", {
        "events": events, "log_size": size, "next_before": next_before, "before": before, "rounds": rounds,
        "pending": dict(sorted(pending_by_region.items())), "pending_total": len(pending),
        "overdue": dict(sorted(late_by_region.items())), "overdue_total": len(late),
        "changes": _config_changes(request, principal), "is_ministry": principal.role is Role.MINISTRY,
    })
