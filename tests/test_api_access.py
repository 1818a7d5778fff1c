"""Who may call what: every endpoint for every role, allowed and denied, on SQLite and PostgreSQL.

The table below is the access policy written out independently of the code: the app's declared
access must equal it, and a live request by every role must be allowed (it gets the endpoint's
success status) or denied (401 without credentials, 403 for a role not listed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from api_world import HEAD_75, World, api_world, today
from factories import bailiff_row, document_row

from casedraw.api.app import access_of, endpoints

CLAIMANT, BAILIFF, HEAD, CHAMBER, COMMISSION, MINISTRY, AUDITOR, OPERATOR = (
    "claimant", "bailiff", "chamber_head", "chamber", "commission", "ministry", "auditor", "operator")
EVERY_ROLE = {CLAIMANT, BAILIFF, HEAD, CHAMBER, COMMISSION, MINISTRY, AUDITOR, OPERATOR}
PUBLIC = "public"
CALLERS = [*sorted(EVERY_ROLE), "anonymous"]

Call = tuple[str, dict[str, Any]]  # path, keyword arguments for the client
Builder = Callable[[World, str], Call]


def _get(path: str) -> Builder:
    return lambda w, role: (path, {})


def _day(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


def _own_doc(w: World, role: str) -> int:
    return w.bailiff_docs[-1] if role == BAILIFF else w.claimant_docs[-1]


def _absence_licence(w: World, role: str) -> str:
    return w.bailiff if role == BAILIFF else "PB-00003"


def _absence_to_touch(w: World, role: str) -> str:
    """Each role changes and cancels an absence it recorded itself (numbered 1 to 3 in the setup below)."""
    return str({BAILIFF: 1, HEAD: 2, CHAMBER: 3}.get(role, 1))


def _new_document(w: World, role: str) -> Call:
    return "/api/v1/documents", {"json": document_row(9000 + len(role))}


def _forward(w: World, role: str) -> Call:
    doc = w.bailiff_docs[-1] if role == BAILIFF else w.other_docs_75[-1]
    return f"/api/v1/documents/{doc}/forward", {"json": {"to": "KZ-11", "basis": "debtor_residence"}}


def _step(w: World, role: str) -> Call:
    return "/api/v1/proceedings/steps", {"json": {"steps": [{"doc": w.bailiff_docs[0], "step": "acknowledged"}]}}


def _config(w: World, role: str) -> Call:
    value = w.client.get("/api/v1/config", params={"name": "procedures"}).json()[-1]["value"]
    return "/api/v1/config/procedures", {"json": {"effective": _day(40), "value": value}}


def _member(w: World, role: str) -> Call:
    return "/api/v1/chambers/KZ-75/members", {"json": {"member": f"new-{role}", "role": "staff"}}


def _application(w: World, role: str) -> Call:
    doc = next(d for d in w.claimant_docs if d != w.bailiff_docs[0])
    return "/api/v1/applications", {"json": {"doc": doc, "grounds": "inaction", "statement": "Nothing happened."}}


# (method, path template) -> (who may call it, what to send, the success status)
POLICY: dict[tuple[str, str], tuple[set[str], Builder, set[int]]] = {
    ("GET", "/api/v1/spec"): ({PUBLIC}, _get("/api/v1/spec"), {200}),
    ("GET", "/api/v1/log/checkpoint"): ({PUBLIC}, _get("/api/v1/log/checkpoint"), {200}),
    ("GET", "/api/v1/log/entries"): ({PUBLIC}, _get("/api/v1/log/entries?start=1&limit=3"), {200}),
    ("GET", "/api/v1/log/proofs/inclusion"): ({PUBLIC}, _get("/api/v1/log/proofs/inclusion?index=2"), {200}),
    ("GET", "/api/v1/log/proofs/consistency"): ({PUBLIC}, _get("/api/v1/log/proofs/consistency?first=3"), {200}),
    ("GET", "/api/v1/rounds"): ({PUBLIC}, _get("/api/v1/rounds"), {200}),
    ("GET", "/api/v1/rounds/{round}"): ({PUBLIC}, _get("/api/v1/rounds/1"), {200}),
    ("GET", "/api/v1/loads"): ({PUBLIC}, _get("/api/v1/loads"), {200}),
    ("GET", "/api/v1/config"): ({PUBLIC}, _get("/api/v1/config"), {200}),
    ("GET", "/api/v1/bailiffs"): ({PUBLIC}, _get("/api/v1/bailiffs"), {200}),
    ("GET", "/api/v1/stats"): ({PUBLIC}, _get("/api/v1/stats?by=region"), {200}),
    ("GET", "/healthz"): ({PUBLIC}, _get("/healthz"), {200}),
    ("GET", "/readyz"): ({PUBLIC}, _get("/readyz"), {200}),
    ("POST", "/api/v1/auth/login"): ({PUBLIC}, lambda w, r: ("/api/v1/auth/login", {"json": {"username": "nobody", "password": "x" * 12}}), {401}),
    ("GET", "/api/v1/auth/me"): (EVERY_ROLE, _get("/api/v1/auth/me"), {200}),
    ("POST", "/api/v1/auth/logout"): (EVERY_ROLE, lambda w, r: ("/api/v1/auth/logout", {}), {204}),
    ("GET", "/metrics"): ({OPERATOR, AUDITOR, MINISTRY}, _get("/metrics"), {200}),
    ("POST", "/api/v1/documents"): ({CLAIMANT}, _new_document, {201}),
    ("POST", "/api/v1/documents/bulk"): ({CLAIMANT}, lambda w, r: ("/api/v1/documents/bulk", {"json": {"documents": [document_row(9500)]}}), {200}),
    ("GET", "/api/v1/documents"): (EVERY_ROLE, _get("/api/v1/documents"), {200}),
    ("GET", "/api/v1/documents/pending"): ({HEAD, CHAMBER, MINISTRY, AUDITOR, OPERATOR}, _get("/api/v1/documents/pending"), {200}),
    ("GET", "/api/v1/documents/{doc}"): (EVERY_ROLE, lambda w, r: (f"/api/v1/documents/{_own_doc(w, r)}", {}), {200}),
    ("GET", "/api/v1/documents/{doc}/timeline"): (EVERY_ROLE, lambda w, r: (f"/api/v1/documents/{_own_doc(w, r)}/timeline", {}), {200}),
    ("GET", "/api/v1/documents/{doc}/receipt"): ({CLAIMANT, BAILIFF}, lambda w, r: (f"/api/v1/documents/{_own_doc(w, r)}/receipt", {}), {200}),
    ("POST", "/api/v1/documents/{doc}/forward"): ({BAILIFF, HEAD}, _forward, {204}),
    ("POST", "/api/v1/rounds"): ({OPERATOR}, lambda w, r: ("/api/v1/rounds", {}), {200, 204}),
    ("POST", "/api/v1/bailiffs/import"): ({MINISTRY}, lambda w, r: ("/api/v1/bailiffs/import", {"json": {"bailiffs": [bailiff_row(40)]}}), {200}),
    ("POST", "/api/v1/bailiffs/{licence}/licence"): (
        {MINISTRY}, lambda w, r: ("/api/v1/bailiffs/PB-00011/licence", {"json": {"action": "suspended", "reference": "Order 7"}}), {200, 204}),
    ("POST", "/api/v1/bailiffs/{licence}/suspension"): (
        {HEAD}, lambda w, r: (f"/api/v1/bailiffs/{HEAD_75}/suspension", {"json": {"suspended": True, "reason": "my relative's case"}}), {204}),
    ("GET", "/api/v1/bailiffs/{licence}/absences"): (
        {BAILIFF, HEAD, CHAMBER, MINISTRY, AUDITOR}, lambda w, r: (f"/api/v1/bailiffs/{_absence_licence(w, r)}/absences", {}), {200}),
    ("POST", "/api/v1/bailiffs/{licence}/absences"): (
        {BAILIFF, HEAD, CHAMBER}, lambda w, r: (f"/api/v1/bailiffs/{_absence_licence(w, r)}/absences",
                                                {"json": {"start": _day(20), "end": _day(21), "kind": "leave"}}), {201}),
    ("PUT", "/api/v1/absences/{absence}"): (
        {BAILIFF, HEAD, CHAMBER}, lambda w, r: (f"/api/v1/absences/{_absence_to_touch(w, r)}", {"json": {"start": _day(11), "end": _day(13)}}), {204}),
    ("DELETE", "/api/v1/absences/{absence}"): ({BAILIFF, HEAD, CHAMBER}, lambda w, r: (f"/api/v1/absences/{_absence_to_touch(w, r)}", {}), {204}),
    ("POST", "/api/v1/chambers/{region}/members"): ({MINISTRY, HEAD}, _member, {204}),
    ("POST", "/api/v1/applications"): ({CLAIMANT}, _application, {201}),
    ("GET", "/api/v1/applications"): ({CLAIMANT, BAILIFF, HEAD, COMMISSION, MINISTRY, AUDITOR}, _get("/api/v1/applications"), {200}),
    ("GET", "/api/v1/applications/{application}"): (
        {CLAIMANT, BAILIFF, HEAD, COMMISSION, MINISTRY, AUDITOR}, _get("/api/v1/applications/1"), {200}),
    ("POST", "/api/v1/applications/{application}/decision"): (
        {COMMISSION}, lambda w, r: ("/api/v1/applications/1/decision", {"json": {"decision": "refused", "reference": "Minutes 3", "reasons": "No grounds."}}),
        {200}),
    ("POST", "/api/v1/proceedings/steps"): ({BAILIFF}, _step, {200}),
    ("GET", "/api/v1/proceedings/overdue"): ({BAILIFF, HEAD, CHAMBER, COMMISSION, MINISTRY, AUDITOR}, _get("/api/v1/proceedings/overdue"), {200}),
    ("POST", "/api/v1/config/{name}"): ({MINISTRY}, _config, {201}),
}


def test_declared_access_is_the_policy():
    declared = {}
    for route in endpoints():
        access = access_of(route)
        for method in route.methods:
            declared[(method, route.path)] = {PUBLIC} if access.public else {str(r) for r in access.roles}
    assert declared == {key: roles for key, (roles, _, _) in POLICY.items()}


def _prepare_absences(w: World) -> None:
    """Absences 1 to 3, entered by the bailiff, the chamber head and the staff member, for the PUT and DELETE rows."""
    for role in (BAILIFF, HEAD, CHAMBER):
        answer = w.client.post(f"/api/v1/bailiffs/{_absence_licence(w, role)}/absences", headers=w.headers(role),
                               json={"start": _day(10 + 5 * len(role)), "end": _day(11 + 5 * len(role))})
        assert answer.status_code == 201, answer.text


def test_every_endpoint_for_every_role(db_url):
    with api_world(db_url) as w:
        _prepare_absences(w)
        wrong = []
        # Mutations by one role must not break another's call: run reads first, and each row's roles in a fixed order.
        for (method, template), (allowed, build, success) in sorted(POLICY.items(), key=lambda item: (item[0][0] != "GET", item[0][0] == "DELETE", item[0])):
            for caller in CALLERS:
                if (method, template) == ("POST", "/api/v1/auth/logout") and caller != "anonymous":
                    continue  # logging out a token is harmless but would spoil nothing; checked on its own below
                path, kwargs = build(w, caller)
                answer = w.client.request(method, path, headers=w.headers(caller), **kwargs)
                may = PUBLIC in allowed or caller in allowed
                if may:
                    expected = success
                else:
                    expected = {401} if caller == "anonymous" else {403}
                if answer.status_code not in expected:
                    wrong.append(f"{method} {template} as {caller}: {answer.status_code} (expected {sorted(expected)}) {answer.text[:160]}")
                elif not may:
                    assert answer.headers["content-type"] == "application/problem+json"
        assert wrong == []


@pytest.mark.parametrize("role", sorted(EVERY_ROLE))
def test_denied_and_allowed_logout(tmp_path, role):
    with api_world(f"sqlite:///{tmp_path / 'db'}") as w:
        assert w.client.post("/api/v1/auth/logout", headers=w.headers(role)).status_code == 204
        # An API token is not a session: logging out does not revoke it.
        assert w.client.get("/api/v1/auth/me", headers=w.headers(role)).status_code == 200
