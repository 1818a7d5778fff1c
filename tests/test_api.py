"""The HTTP API as a client sees it: submission, scoping, errors, authentication, receipts and proofs,
operations. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import re
import threading

from api_world import OTHER_BANK, World, api_world, today
from factories import BANK_BIN, document_row
from sqlalchemy import func, select
from starlette.testclient import TestClient

from casedraw.api.app import create_app
from casedraw.api.observability import JsonFormatter
from casedraw.api.security import SingleFlight, StoreTokens
from casedraw.domain.errors import FieldError
from casedraw.ledger.checkpoint import NoteVerifier, open_checkpoint
from casedraw.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from casedraw.ledger.pseudonyms import actor_key, claimant_pseudonym
from casedraw.ledger.receipts import check_receipt
from casedraw.services.access import Role, create_account, create_token, disable_account, revoke_token
from casedraw.store import schema
from casedraw.store.repository import AFFINITY_KEY, Store

PERSONAL = ("claimant_idn", "debtor_idn", "debtor_name", "issuing_body", "doc_number", "amount_tiyn")


def _documents(w: World) -> int:
    with w.store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()


def _problem(answer, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status and body["title"] and body["instance"] == answer.headers["x-request-id"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


# --- submission ------------------------------------------------------------------------------


def test_single_submission_accepted_then_duplicate(db_url):
    with api_world(db_url) as w:
        before = _documents(w)
        first = w.client.post("/api/v1/documents", headers=w.headers("claimant"), json=document_row(700))
        assert first.status_code == 201 and first.json()["status"] == "accepted"
        again = w.client.post("/api/v1/documents", headers=w.headers("claimant"), json=document_row(700))
        assert again.status_code == 200 and again.json() == {**first.json(), "status": "duplicate"}
        assert _documents(w) == before + 1
        shown = w.client.get(f"/api/v1/documents/{first.json()['id']}", headers=w.headers("claimant")).json()
        assert shown["status"] == "registered" and shown["debtor_idn"] == document_row(700)["debtor_idn"]
        with w.store.read() as conn:  # the log names the claimant who submitted it, by pseudonym (ALGORITHM.md 5.1)
            body = conn.execute(select(schema.events.c.body).where(schema.events.c.seq == shown_seq(conn, shown["id"]))).scalar_one()
            key = actor_key(Store.secret(conn, AFFINITY_KEY))
        assert json.loads(body)["by"] == {"role": "claimant", "id": claimant_pseudonym(key, BANK_BIN)}
        assert BANK_BIN.encode() not in bytes(body)


def shown_seq(conn, doc: int) -> int:  # type: ignore[no-untyped-def]
    return conn.execute(select(schema.documents.c.seq).where(schema.documents.c.id == doc)).scalar_one()


def test_fast_path_answers_as_the_declared_route(tmp_path):
    """Single submissions are served in front of the router; the declared route must answer the same."""
    def exchanges(client: TestClient, w: World) -> list[tuple[int, object]]:
        calls = [
            ({**w.headers("claimant"), "Idempotency-Key": "k-1"}, document_row(1200)),
            ({**w.headers("claimant"), "Idempotency-Key": "k-1"}, document_row(1200)),
            ({**w.headers("claimant"), "Idempotency-Key": "k-1"}, document_row(1201)),
            ({**w.headers("claimant"), "Idempotency-Key": "has space"}, document_row(1202)),
            (w.headers("claimant"), document_row(1200)),
            (w.headers("claimant"), document_row(1203, claimant_idn=OTHER_BANK)),
            (w.headers("claimant"), {**document_row(1204), "doc_date": "soon"}),
            (w.headers("claimant"), {"claimant_kind": 1}),
            ({**w.headers("claimant"), "Idempotency-Key": "x" * 201}, {"claimant_kind": 1}),
            (w.headers("auditor"), document_row(1205)),
            ({}, document_row(1206)),
            ({"Authorization": "Bearer cdw_0000000000000000_x"}, document_row(1207)),
        ]
        out = []
        for headers, body in calls:
            answer = client.post("/api/v1/documents", headers=headers, json=body)
            shown = answer.json()
            shown.pop("instance", None)
            out.append((answer.status_code, answer.headers["content-type"], shown))
        return out

    found = []
    for fast in (True, False):
        with api_world(f"sqlite:///{tmp_path / f'{fast}.db'}") as w, TestClient(create_app(w.store, fast_submit=fast)) as client:
            found.append(exchanges(client, w))
    assert found[0] == found[1]
    assert [status for status, _, _ in found[0]] == [201, 201, 422, 422, 200, 422, 422, 422, 422, 403, 401, 401]


def test_invalid_submissions_name_the_field_and_store_nothing(db_url):
    with api_world(db_url) as w:
        before = _documents(w)
        bad_digit = document_row(701, debtor_idn=document_row(701)["debtor_idn"][:-1] + "0")
        cases = [
            (bad_digit, "debtor_idn"),
            (document_row(702, claimant_idn=OTHER_BANK), "claimant_idn"),  # not the token's claimant
            ({k: v for k, v in document_row(703).items() if k != "region"}, "region"),
            ({**document_row(704), "surprise": "x"}, "surprise"),
            (document_row(705, doc_date="2026-02-30"), "doc_date"),
        ]
        for row, field in cases:
            _problem(w.client.post("/api/v1/documents", headers=w.headers("claimant"), json=row), 422, field)
        _problem(w.client.post("/api/v1/documents", headers={**w.headers("claimant"), "content-type": "application/json"},
                               content=b"{not json"), 422)
        assert _documents(w) == before


def test_bulk_reports_every_item_and_registers_the_good_ones(db_url):
    with api_world(db_url) as w:
        before = _documents(w)
        items = [document_row(800 + n) for n in range(6)]
        items[2]["amount_kzt"] = "12.345"
        items[4] = {**items[4], "claimant_idn": OTHER_BANK}
        items.append(items[0])  # the same document twice in one request
        items.append({"claimant_kind": 7})
        answer = w.client.post("/api/v1/documents/bulk", headers=w.headers("claimant"), json={"documents": items})
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert [r["status"] for r in report["results"]] == ["accepted", "accepted", "rejected", "accepted", "rejected", "accepted",
                                                            "duplicate", "rejected"]
        assert (report["accepted"], report["duplicate"], report["rejected"]) == (4, 1, 3)
        assert report["results"][6]["id"] == report["results"][0]["id"]
        assert [e["field"] for e in report["results"][2]["errors"]] == ["amount_kzt"]
        assert [e["field"] for e in report["results"][4]["errors"]] == ["claimant_idn"]
        assert "claimant_kind" in [e["field"] for e in report["results"][7]["errors"]]
        assert _documents(w) == before + 4


def test_bulk_limits(db_url):
    with api_world(db_url) as w:
        _problem(w.client.post("/api/v1/documents/bulk", headers=w.headers("claimant"), json={"documents": []}), 422, "documents")
        too_many = {"documents": [{}] * 10_001}
        _problem(w.client.post("/api/v1/documents/bulk", headers=w.headers("claimant"), json=too_many), 422, "documents")
        _problem(w.client.post("/api/v1/documents/bulk", headers=w.headers("claimant"), json={"rows": []}), 422, "body")


def test_oversized_body_is_413_and_nothing_is_stored(tmp_path):
    with api_world(f"sqlite:///{tmp_path / 'db'}") as w, TestClient(create_app(w.store, max_body=4096)) as small:
        before = _documents(w)
        body = {"documents": [document_row(900 + n) for n in range(40)]}
        _problem(small.post("/api/v1/documents/bulk", headers=w.headers("claimant"), json=body), 413)
        # A body sent in chunks without a length is cut off all the same.
        chunks = iter([json.dumps(body).encode()[i : i + 1000] for i in range(0, len(json.dumps(body)), 1000)])
        _problem(small.post("/api/v1/documents/bulk", headers={**w.headers("claimant"), "content-type": "application/json"},
                            content=chunks), 413)
        assert _documents(w) == before


def test_idempotency_key_repeats_the_answer_and_refuses_another_body(db_url):
    with api_world(db_url) as w:
        key = {"Idempotency-Key": "batch-2026-12-01-001", **w.headers("claimant")}
        first = w.client.post("/api/v1/documents/bulk", headers=key, json={"documents": [document_row(950), document_row(951)]})
        again = w.client.post("/api/v1/documents/bulk", headers=key, json={"documents": [document_row(950), document_row(951)]})
        assert first.json() == again.json() and first.json()["accepted"] == 2
        _problem(w.client.post("/api/v1/documents/bulk", headers=key, json={"documents": [document_row(952)]}), 422, "Idempotency-Key")
        single = {"Idempotency-Key": "one-1", **w.headers("claimant")}
        one = w.client.post("/api/v1/documents", headers=single, json=document_row(953))
        repeat = w.client.post("/api/v1/documents", headers=single, json=document_row(953))
        assert one.status_code == repeat.status_code == 201 and one.json() == repeat.json()
        _problem(w.client.post("/api/v1/documents", headers=single, json=document_row(954)), 422, "Idempotency-Key")
        # Keys belong to a claimant: another claimant's identical key is a different key.
        other = w.client.post("/api/v1/documents", headers={"Idempotency-Key": "one-1", **w.headers("other_claimant")},
                              json=document_row(955, claimant_idn=OTHER_BANK))
        assert other.status_code == 201


def test_idempotency_answers_hold_when_the_first_look_misses(db_url, monkeypatch):
    """The routes look for an earlier answer before queueing; another process may store one just after.
    The writer looks again under the log lock: the same answer, or 422 for another body."""
    from casedraw.api.routes import documents

    monkeypatch.setattr(documents, "_stored_answer", lambda store, key: None)
    with api_world(db_url) as w:
        before = _documents(w)
        single = {"Idempotency-Key": "late-1", **w.headers("claimant")}
        one = w.client.post("/api/v1/documents", headers=single, json=document_row(960))
        repeat = w.client.post("/api/v1/documents", headers=single, json=document_row(960))
        assert one.status_code == repeat.status_code == 201 and one.json() == repeat.json()
        _problem(w.client.post("/api/v1/documents", headers=single, json=document_row(961)), 422, "Idempotency-Key")
        bulk = {"Idempotency-Key": "late-2", **w.headers("claimant")}
        first = w.client.post("/api/v1/documents/bulk", headers=bulk, json={"documents": [document_row(962)]})
        again = w.client.post("/api/v1/documents/bulk", headers=bulk, json={"documents": [document_row(962)]})
        assert first.json() == again.json() and first.json()["accepted"] == 1
        _problem(w.client.post("/api/v1/documents/bulk", headers=bulk, json={"documents": [document_row(963)]}), 422, "Idempotency-Key")
        assert _documents(w) == before + 2


# --- scope and personal data ---------------------------------------------------------------------


def test_each_role_sees_its_scope_and_personal_data_only_where_due(db_url):
    with api_world(db_url) as w:
        mine = w.client.get("/api/v1/documents", headers=w.headers("claimant")).json()["documents"]
        assert {d["id"] for d in mine} == set(w.claimant_docs) and all(d["debtor_idn"] for d in mine)
        theirs = w.client.get("/api/v1/documents", headers=w.headers("other_claimant")).json()["documents"]
        assert [d["id"] for d in theirs] == [w.other_claimant_doc]
        _problem(w.client.get(f"/api/v1/documents/{w.other_claimant_doc}", headers=w.headers("claimant")), 404, "doc")
        held = w.client.get("/api/v1/documents", headers=w.headers("bailiff")).json()["documents"]
        assert [d["id"] for d in held] == w.held_docs and all(d["assigned_to"] == w.bailiff and d["debtor_idn"] for d in held)
        for role in ("auditor", "ministry", "chamber_head", "commission"):
            seen = w.client.get("/api/v1/documents", headers=w.headers(role)).json()["documents"]
            assert seen and all(d[field] is None for d in seen for field in PERSONAL), role
        head = {d["region"] for d in w.client.get("/api/v1/documents", headers=w.headers("chamber_head")).json()["documents"]}
        assert head == {"KZ-75"}
        page = w.client.get("/api/v1/documents?limit=5", headers=w.headers("claimant")).json()
        rest = w.client.get(f"/api/v1/documents?limit=100&after={page['next_after']}", headers=w.headers("claimant")).json()
        assert [d["id"] for d in page["documents"] + rest["documents"]] == sorted(w.claimant_docs) and rest["next_after"] is None


def test_public_data_holds_no_personal_data(db_url):
    with api_world(db_url) as w:
        public = "".join(w.client.get(path).text for path in ("/api/v1/bailiffs", "/api/v1/log/entries?limit=10000", "/api/v1/rounds",
                                                              "/api/v1/loads", "/api/v1/stats"))
        for n in range(3):
            row = document_row(n)
            assert row["debtor_idn"] not in public and row["debtor_name"] not in public
        assert "Bailiff 1" not in public  # names only for the ministry and the region's chamber
        named = w.client.get("/api/v1/bailiffs?region=KZ-75", headers=w.headers("chamber_head")).json()
        assert all(b["full_name"] for b in named)
        other_region = w.client.get("/api/v1/bailiffs?region=KZ-11", headers=w.headers("chamber_head")).json()
        assert all(b["full_name"] is None for b in other_region)


def test_commission_decides_only_its_region_and_the_document_is_drawn_again(db_url):
    with api_world(db_url) as w:
        queue = w.client.get("/api/v1/applications", headers=w.headers("commission")).json()
        assert [a["id"] for a in queue] == [w.application] and queue[0]["statement"] == "Nothing happened."
        assert w.client.get("/api/v1/applications", headers=w.headers("auditor")).json()[0]["statement"] is None
        answering = w.client.get("/api/v1/applications", headers=w.headers("bailiff")).json()  # the bailiff it is against
        assert [a["licence"] for a in answering] == [w.bailiff] and answering[0]["statement"] == "Nothing happened."
        decided = w.client.post(f"/api/v1/applications/{w.application}/decision", headers=w.headers("commission"),
                                json={"decision": "granted", "reference": "Minutes 12", "reasons": "Three weeks without a step."})
        assert decided.status_code == 200, decided.text
        assert decided.json()["released"]["documents"] == [w.bailiff_docs[0]]
        _problem(w.client.post(f"/api/v1/applications/{w.application}/decision", headers=w.headers("commission"),
                               json={"decision": "refused", "reference": "M", "reasons": "r"}), 422, "application")
        drawn = w.client.post("/api/v1/rounds", headers=w.headers("operator"))
        assert drawn.status_code == 200 and drawn.json()["assigned"] == 1
        now = w.client.get(f"/api/v1/documents/{w.bailiff_docs[0]}", headers=w.headers("claimant")).json()
        assert now["status"] == "assigned" and now["assigned_to"] != w.bailiff
        steps = [s["what"] for s in w.client.get(f"/api/v1/documents/{w.bailiff_docs[0]}/timeline", headers=w.headers("claimant")).json()]
        assert "application.decided" in steps and steps[-1] == "now"


def test_bailiff_records_steps_of_its_own_proceedings_only(db_url):
    with api_world(db_url) as w:
        own, other = w.bailiff_docs[-1], w.other_docs_75[0]
        answer = w.client.post("/api/v1/proceedings/steps", headers=w.headers("bailiff"), json={"steps": [
            {"doc": own, "step": "acknowledged"}, {"doc": other, "step": "acknowledged"}, {"doc": own, "step": "recovered"}]})
        report = answer.json()
        assert (report["recorded"], report["refused"]) == (1, 2)
        assert report["results"][0]["seq"] is not None and report["results"][1]["error"] and re.match(r"\w+: ", report["results"][2]["error"])


def test_chamber_head_suspends_only_himself(db_url):
    with api_world(db_url) as w:
        body = {"suspended": True, "reason": "a relative's case"}
        _problem(w.client.post("/api/v1/bailiffs/PB-00001/suspension", headers=w.headers("chamber_head"), json=body), 403, "actor")
        assert w.client.post("/api/v1/bailiffs/PB-00000/suspension", headers=w.headers("chamber_head"), json=body).status_code == 204


def test_absence_refusals_name_the_request_s_fields_with_the_whole_reason(db_url):
    with api_world(db_url) as w:
        path, headers = f"/api/v1/bailiffs/{w.bailiff}/absences", w.headers("bailiff")
        yesterday, later = (today() - dt.timedelta(days=1)).isoformat(), (today() + dt.timedelta(days=3)).isoformat()
        back_dated = _problem(w.client.post(path, headers=headers, json={"start": yesterday, "end": later, "kind": "leave"}), 422, "start")
        assert back_dated["errors"] == [{"field": "start", "reason": f"{yesterday} is before today ({today()}); absences cannot be back-dated"}]
        assert back_dated["detail"] == f"start: {yesterday} is before today ({today()}); absences cannot be back-dated"
        upside_down = w.client.post(path, headers=headers, json={"start": later, "end": today().isoformat(), "kind": "leave"})
        assert [e["field"] for e in _problem(upside_down, 422)["errors"]] == ["end"]


def test_a_reason_holding_a_semicolon_stays_whole():
    from casedraw.api.problems import field_errors

    assert field_errors("from: 2026-01-01 is before today (2026-12-01); absences cannot be back-dated; to: too long") == [
        FieldError("from", "2026-01-01 is before today (2026-12-01); absences cannot be back-dated"), FieldError("to", "too long")]
    assert field_errors("no field here; nor here") == []


# --- authentication ------------------------------------------------------------------------------


def test_credentials_missing_malformed_unknown_revoked_expired(db_url):
    with api_world(db_url) as w:
        answer = w.client.get("/api/v1/auth/me")
        _problem(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer"
        _problem(w.client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}), 401, "Authorization")
        _problem(w.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer cdw_0000000000000000_nope"}), 401)
        issued = create_token(w.store, Role.AUDITOR, "au-2", "soon revoked")
        with TestClient(create_app(w.store, authenticator=StoreTokens(w.store, ttl=0))) as fresh:
            bearer = {"Authorization": f"Bearer {issued.token}"}
            assert fresh.get("/api/v1/auth/me", headers=bearer).json()["subject"] == "au-2"
            revoke_token(w.store, issued.id)
            _problem(fresh.get("/api/v1/auth/me", headers=bearer), 401)
            expired = create_token(w.store, Role.AUDITOR, "au-3", "expired", days=-1)
            _problem(fresh.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired.token}"}), 401)
        with w.store.read() as conn:  # only hashes are kept
            stored = conn.execute(select(schema.api_tokens.c.secret_hash).where(schema.api_tokens.c.id == issued.id)).scalar_one()
        secret = issued.token.split("_", 2)[2]
        assert secret not in stored and stored == hashlib.sha256(secret.encode()).hexdigest()


def test_people_log_in_and_out(db_url):
    with api_world(db_url) as w:
        create_account(w.store, "aigerim", "correct horse battery", "commission", "cm-75")
        _problem(w.client.post("/api/v1/auth/login", json={"username": "aigerim", "password": "wrong password!"}), 401)
        _problem(w.client.post("/api/v1/auth/login", json={"username": "nobody", "password": "correct horse battery"}), 401)
        session = w.client.post("/api/v1/auth/login", json={"username": "aigerim", "password": "correct horse battery"})
        assert session.status_code == 200 and "casedraw_session" in session.cookies
        with TestClient(create_app(w.store, authenticator=StoreTokens(w.store, ttl=0))) as fresh:
            bearer = {"Authorization": f"Bearer {session.json()['token']}"}
            assert fresh.get("/api/v1/auth/me", headers=bearer).json() == {"role": "commission", "subject": "cm-75",
                                                                          "credential": fresh.get("/api/v1/auth/me", headers=bearer).json()["credential"]}
            assert fresh.get("/api/v1/applications", headers=bearer).status_code == 200
            assert fresh.post("/api/v1/auth/logout", headers=bearer).status_code == 204
            _problem(fresh.get("/api/v1/auth/me", headers=bearer), 401)
            again = w.client.post("/api/v1/auth/login", json={"username": "aigerim", "password": "correct horse battery"}).json()
            disable_account(w.store, "aigerim")
            _problem(fresh.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {again['token']}"}), 401)
            _problem(w.client.post("/api/v1/auth/login", json={"username": "aigerim", "password": "correct horse battery"}), 401)


def test_wrong_passwords_lock_an_account_for_a_while(db_url):
    from casedraw.services.access import LOCK_AFTER, unlock_account

    def log_in(password: str) -> int:
        return w.client.post("/api/v1/auth/login", json={"username": "aigerim", "password": password}).status_code

    def locked_until() -> str | None:
        with w.store.read() as conn:
            return conn.execute(select(schema.accounts.c.locked_until).where(schema.accounts.c.username == "aigerim")).scalar_one()

    def lock_ends() -> None:  # as if its time had passed
        with w.store.engine.begin() as conn:
            conn.execute(schema.accounts.update().values(locked_until="2000-01-01T00:00:00.000000Z"))

    with api_world(db_url) as w:
        create_account(w.store, "aigerim", "correct horse battery", "commission", "cm-75")
        assert [log_in("wrong password!") for _ in range(LOCK_AFTER - 1)] == [401] * (LOCK_AFTER - 1)
        assert log_in("correct horse battery") == 200  # four wrong ones lock nothing, and the right one starts the count again
        assert [log_in("wrong password!") for _ in range(LOCK_AFTER)] == [401] * LOCK_AFTER
        first_lock = locked_until()
        assert first_lock is not None
        refused = w.client.post("/api/v1/auth/login", json={"username": "aigerim", "password": "correct horse battery"})
        assert refused.status_code == 401 and "locked" in refused.json()["detail"]  # the right password, while locked
        assert log_in("wrong password!") == 401 and locked_until() == first_lock  # guesses during a lock don't lengthen it
        lock_ends()
        assert log_in("wrong password!") == 401  # the first wrong one after a lock: locked again, twice as long
        assert log_in("correct horse battery") == 401
        unlock_account(w.store, "aigerim")
        assert log_in("correct horse battery") == 200 and locked_until() is None


def test_lockouts_double_up_to_a_day():
    from casedraw.services.access import lockout

    assert [lockout(n) for n in range(5)] == [None] * 5
    assert [lockout(n).total_seconds() / 60 for n in (5, 6, 7, 8)] == [15, 30, 60, 120]
    assert lockout(12).total_seconds() == lockout(10_000).total_seconds() == 24 * 3600


def test_logout_ends_a_remembered_session_at_once(db_url):
    with api_world(db_url) as w:
        create_account(w.store, "daniyar", "correct horse battery", "auditor", "au-9")
        bearer = {"Authorization": f"Bearer {w.client.post('/api/v1/auth/login', json={'username': 'daniyar', 'password': 'correct horse battery'}).json()['token']}"}
        w.client.cookies.clear()
        assert w.client.get("/api/v1/auth/me", headers=bearer).status_code == 200  # now remembered by the server
        assert w.client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
        _problem(w.client.get("/api/v1/auth/me", headers=bearer), 401)


def test_uninitialised_database_is_503_not_500(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        token = create_token(store, Role.CLAIMANT, BANK_BIN, "early").token
        with TestClient(create_app(store)) as client:
            bearer = {"Authorization": f"Bearer {token}"}
            _problem(client.post("/api/v1/documents", headers=bearer, json=document_row(1)), 503)
            _problem(client.post("/api/v1/documents/bulk", headers=bearer, json={"documents": [document_row(1)]}), 503)
            _problem(client.get("/readyz"), 503)
    finally:
        store.close()


def test_probes_are_not_rate_limited(tmp_path):
    with api_world(f"sqlite:///{tmp_path / 'db'}") as w, TestClient(create_app(w.store, anonymous_rate=1)) as client:
        assert {client.get("/healthz").status_code for _ in range(10)} == {200}
        assert {client.get("/readyz").status_code for _ in range(10)} == {200}
        assert 429 in {client.get("/api/v1/rounds").status_code for _ in range(5)}


def test_rate_limit_per_token(db_url):
    with api_world(db_url) as w:
        slow = create_token(w.store, Role.AUDITOR, "au-slow", "slow", rate=1).token
        bearer = {"Authorization": f"Bearer {slow}"}
        statuses = [w.client.get("/api/v1/auth/me", headers=bearer).status_code for _ in range(3)]
        assert statuses[:2] == [200, 200] and statuses[2] == 429
        answer = w.client.get("/api/v1/auth/me", headers=bearer)
        _problem(answer, 429)
        assert int(answer.headers["retry-after"]) >= 1
        assert w.client.get("/api/v1/auth/me", headers=w.headers("auditor")).status_code == 200  # other tokens unaffected


# --- proofs, receipts, operations -------------------------------------------------------------------


def test_checkpoint_proofs_and_receipts_verify_offline(db_url):
    with api_world(db_url) as w:
        cp = w.client.get("/api/v1/log/checkpoint").json()
        verifier = NoteVerifier.from_vkey(cp["verifier_key"])
        checkpoint = open_checkpoint(verifier, cp["note"].encode())
        assert (checkpoint.size, checkpoint.root.hex()) == (cp["size"], cp["root_hash"])
        entries = w.client.get(f"/api/v1/log/entries?start=0&limit={cp['size']}").json()["entries"]
        proof = w.client.get(f"/api/v1/log/proofs/inclusion?index=5&size={cp['size']}").json()
        verify_inclusion(leaf_hash(entries[5].encode()), 5, cp["size"], [bytes.fromhex(h) for h in proof["proof"]], checkpoint.root)
        w.client.post("/api/v1/documents", headers=w.headers("claimant"), json=document_row(990))
        grown = w.client.get("/api/v1/log/checkpoint").json()
        consistency = w.client.get(f"/api/v1/log/proofs/consistency?first={cp['size']}&second={grown['size']}").json()
        verify_consistency(cp["size"], grown["size"], checkpoint.root, bytes.fromhex(grown["root_hash"]),
                           [bytes.fromhex(h) for h in consistency["proof"]])
        doc = w.bailiff_docs[-1]
        mine = w.client.get(f"/api/v1/documents/{doc}/receipt", headers=w.headers("claimant")).json()
        facts = check_receipt(mine, verifier)
        assert facts.document == doc and facts.opened is not None and facts.opened["debtor"]["idn"] if "debtor" in facts.opened else True
        held = w.client.get(f"/api/v1/documents/{doc}/receipt?kind=assignment", headers=w.headers("bailiff")).json()
        assert check_receipt(held, verifier).assigned_to[0] == w.bailiff and held["private"] is None
        _problem(w.client.get(f"/api/v1/log/proofs/inclusion?index={grown['size']}"), 422)
        _problem(w.client.get("/api/v1/log/proofs/inclusion?index=-1"), 422, "index")


def test_request_ids_json_logs_and_metrics(db_url, caplog):
    with api_world(db_url) as w, caplog.at_level(logging.INFO, logger="casedraw.api.access"):
        answer = w.client.get("/api/v1/rounds", headers={"X-Request-ID": "trace-42"})
        assert answer.headers["x-request-id"] == "trace-42"
        generated = w.client.get("/api/v1/rounds", headers={"X-Request-ID": "bad id with spaces"}).headers["x-request-id"]
        assert generated != "bad id with spaces" and len(generated) == 16
        record = next(r.fields for r in caplog.records if getattr(r, "fields", {}).get("request_id") == "trace-42")
        assert (record["method"], record["route"], record["status"]) == ("GET", "/api/v1/rounds", 200)
        line = json.loads(JsonFormatter().format(next(r for r in caplog.records if getattr(r, "fields", {}).get("request_id") == "trace-42")))
        assert line["request_id"] == "trace-42" and line["level"] == "info" and line["caller"] is None
        metrics = w.client.get("/metrics", headers=w.headers("operator")).text
        assert 'casedraw_http_requests_total{method="GET",route="/api/v1/rounds",status="200"} 2.0' in metrics
        assert w.client.get("/readyz").json() == {"status": "ready", "log_size": w.client.get("/api/v1/log/checkpoint").json()["size"]}
        _problem(w.client.get("/api/v1/no-such-thing"), 404)
        _problem(w.client.get("/api/v1/documents?limit=0", headers=w.headers("claimant")), 422, "limit")


def test_openapi_schema_is_3_1_with_examples(db_url):
    with api_world(db_url) as w:
        spec = w.client.get("/api/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.1")
        assert spec["components"]["schemas"]["DocumentIn"]["examples"]
        assert "application/problem+json" in spec["paths"]["/api/v1/documents"]["post"]["responses"]["422"]["content"]
        assert today().year >= 2026


def test_a_bulk_body_valid_as_a_whole_reads_as_it_would_item_by_item():
    """Valid bodies take a one-pass validation; it must give the rows the item-by-item reading gives."""
    import orjson

    from casedraw.api.routes.documents import _item_by_item, bulk_rows
    from casedraw.services.access import Principal

    bank = Principal(Role.CLAIMANT, BANK_BIN, "t-1")
    items = [document_row(n) for n in range(4)]
    items[1]["amount_kzt"] = None  # explicit nulls are dropped as model_dump(exclude_none=True) drops them
    items[2]["external_ref"] = "loan 42"
    items[3]["claimant_idn"] = OTHER_BANK  # not the caller's: refused either way
    raw = orjson.dumps({"documents": items})
    rows = bulk_rows(bank, raw)
    assert rows == _item_by_item(bank, items)
    assert "amount_kzt" not in rows[1][1] and rows[2][1]["external_ref"] == "loan 42"
    assert [e.field for e in rows[3][1]] == ["claimant_idn"]
    broken = orjson.dumps({"documents": [*items, {"claimant_kind": 7}]})  # invalid as a whole: item by item
    assert bulk_rows(bank, broken)[:4] == rows


def test_requests_that_find_their_token_expired_together_share_one_lookup():
    """A busy client's remembered token expires while dozens of its requests are in flight: they wait
    for one lookup, not one each, and all get its answer (its error too)."""
    calls: list[str] = []
    release = threading.Event()

    def lookup(credentials: str) -> str:
        calls.append(credentials)
        assert release.wait(timeout=60)
        if credentials == "broken":
            raise RuntimeError("the database is unavailable")
        return f"principal of {credentials}"

    async def scenario() -> tuple[list[object], list[object]]:
        flight = SingleFlight()
        waiting = [asyncio.ensure_future(flight.once("tok", lookup)) for _ in range(32)]
        failing = [asyncio.ensure_future(flight.once("broken", lookup)) for _ in range(3)]
        await asyncio.sleep(0)  # one pass of the loop: every task has asked (the ready queue runs in order)
        release.set()
        return await asyncio.gather(*waiting), await asyncio.gather(*failing, return_exceptions=True)

    answers, failures = asyncio.run(scenario())
    assert sorted(calls) == ["broken", "tok"]
    assert answers == ["principal of tok"] * 32
    assert [str(f) for f in failures] == ["the database is unavailable"] * 3
