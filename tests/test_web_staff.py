"""The web pages of bailiffs, chambers, commissions, the ministry and auditors: who may open them, what
their forms change in the database, the errors they name, and that they speak kk, ru and en."""

from __future__ import annotations

import datetime as dt
import re

from api_world import HEAD_11, HEAD_75, api_world, today
from factories import BANK_BIN
from sqlalchemy import select

from casedraw.services.access import Role, create_token
from casedraw.store import schema

ROLES = ("claimant", "bailiff", "chamber_head", "chamber", "commission", "ministry", "auditor", "operator")
PAGES = {  # path -> the roles that may open it
    "/bailiff/assignments": {"bailiff", "chamber_head"},
    "/bailiff/absences": {"bailiff", "chamber_head"},
    "/chamber/roster": {"chamber_head", "chamber"},
    "/commission/applications": {"commission"},
    "/ministry/config": {"ministry"},
    "/ministry/audit": {"ministry", "auditor", "operator"},
}
TRANSLATED = {"kk": "Қазақша", "ru": "Русский"}  # each page's own heading is checked below per language


def as_role(w, role: str) -> None:  # type: ignore[no-untyped-def]
    w.client.cookies.set("casedraw_session", w.tokens[role])


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's main content as plain text."""
    main = response.text.split('<main id="main">', 1)[-1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def errors_named(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'<li><span class="mono">([^<]+)</span>:', response.text)


def test_who_may_open_each_page_in_every_language(db_url: str) -> None:
    with api_world(db_url) as w:
        detail = f"/bailiff/assignments/{w.held_docs[0]}"
        application = f"/commission/applications/{w.application}"
        pages = {**PAGES, detail: {"bailiff"}, application: {"commission"}}
        for path in pages:
            w.client.cookies.clear()
            anonymous = w.client.get(path, follow_redirects=False)
            assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next="), path
        for role in ROLES:
            as_role(w, role)
            for path, allowed in pages.items():
                got = w.client.get(path).status_code
                if role in allowed:
                    assert got == 200, (role, path)
                elif path == detail and role == "chamber_head":
                    assert got == 404  # a chamber head's own assignments only, though he sees the region's documents
                else:
                    assert got == 403, (role, path, got)
        for path, allowed in pages.items():
            as_role(w, sorted(allowed)[0])
            for lang in ("kk", "ru", "en"):
                page = w.client.get(f"{path}?lang={lang}")
                assert page.status_code == 200 and f'<html lang="{lang}">' in page.text, (path, lang)
                assert page.headers["content-language"] == lang
        # The words are the language's, not English left over.
        as_role(w, "bailiff")
        assert "Маған бөлінген құжаттар" in w.client.get("/bailiff/assignments?lang=kk").text
        assert "Мои назначения" in w.client.get("/bailiff/assignments?lang=ru").text
        as_role(w, "commission")
        assert "Заявления по пункту 12" in w.client.get("/commission/applications?lang=ru").text
        assert "12-тармақ бойынша өтініштер" in w.client.get("/commission/applications?lang=kk").text
        as_role(w, "auditor")
        assert "Журнал событий" in w.client.get("/ministry/audit?lang=ru").text
        assert "Оқиғалар журналы" in w.client.get("/ministry/audit?lang=kk").text
        # Staff of no chamber: the page says so, and shows nobody.
        w.tokens["stranger"] = create_token(w.store, Role.CHAMBER, "st-nowhere", "test", rate=10_000).token
        as_role(w, "stranger")
        nowhere = w.client.get("/chamber/roster?lang=en")
        assert nowhere.status_code == 200 and "You do not act for any regional chamber" in nowhere.text and "PB-0000" not in nowhere.text


def test_bailiff_records_steps_from_the_page(db_url: str) -> None:
    with api_world(db_url) as w:
        as_role(w, "bailiff")
        doc = w.held_docs[-1]
        listing = w.client.get("/bailiff/assignments?lang=en")
        assert f'action="/bailiff/assignments/{doc}/step"' in listing.text and "Not acknowledged yet" in text(listing)
        assert "Ахметов" in text(listing)  # the bailiff holding the documents sees the debtor

        # Out of order: initiate before acknowledging is refused, named, nothing written, what was typed kept.
        early = w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "initiated", "reference": "Res 1/2026"})
        assert early.status_code == 422 and errors_named(early) == ["step"] and "not acknowledged" in early.text

        done = w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "acknowledged"}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/bailiff/assignments?done=acknowledged&doc={doc}"
        blank = w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "initiated", "reference": " ", "back": "detail"})
        assert blank.status_code == 422 and errors_named(blank) == ["reference"]
        done = w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "initiated", "reference": "Res 17/2026", "back": "detail"},
                             follow_redirects=False)
        assert done.headers["location"] == f"/bailiff/assignments/{doc}?done=initiated&doc={doc}"
        bad_amount = w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "recovered", "amount": "12,345", "back": "detail"})
        assert bad_amount.status_code == 422 and errors_named(bad_amount) == ["amount"] and 'value="12,345"' in bad_amount.text
        assert w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "recovered", "amount": "1 000,50"},
                             follow_redirects=False).status_code == 303

        p, d = schema.proceedings, schema.documents
        with w.store.read() as conn:
            row = conn.execute(select(p.c.stage, p.c.resolution, p.c.acknowledged_at).where(p.c.doc == doc, p.c.open)).one()
            recovered = conn.execute(select(d.c.recovered_tiyn).where(d.c.id == doc)).scalar_one()
        assert (row.stage, row.resolution) == ("initiated", "Res 17/2026") and row.acknowledged_at is not None
        assert recovered == 100_050

        page = text(w.client.get(f"/bailiff/assignments/{doc}?lang=en&done=initiated&doc={doc}"))
        assert "Assignment acknowledged" in page and "Proceedings initiated" in page and "Record a recovery" in page
        assert w.client.get("/bailiff/assignments?which=closed&lang=en").status_code == 200

        # Not one of mine: refused as the API refuses it, nothing written.
        other = w.other_docs_75[0]
        refused = w.client.post(f"/bailiff/assignments/{other}/step", data={"step": "acknowledged"})
        assert refused.status_code == 422 and errors_named(refused) == ["doc"]
        # The chamber head's account shows his assignments but records no steps (POST /proceedings/steps is the bailiff's).
        as_role(w, "chamber_head")
        own = w.client.get("/bailiff/assignments?lang=en")
        assert own.status_code == 200 and "/step" not in own.text
        assert w.client.post(f"/bailiff/assignments/{doc}/step", data={"step": "acknowledged"}).status_code == 403


def test_absence_recorded_changed_and_cancelled(db_url: str) -> None:
    with api_world(db_url) as w:
        as_role(w, "bailiff")
        start, end = today() + dt.timedelta(days=10), today() + dt.timedelta(days=12)
        back = w.client.post("/bailiff/absences", data={"start": str(today() - dt.timedelta(days=1)), "end": str(end), "kind": "leave"})
        assert back.status_code == 422 and errors_named(back) == ["start"] and f'value="{end}"' in back.text
        nonsense = w.client.post("/bailiff/absences", data={"start": "soon", "end": str(end), "kind": "leave"})
        assert nonsense.status_code == 422 and errors_named(nonsense) == ["start"]
        made = w.client.post("/bailiff/absences", data={"start": str(start), "end": str(end), "kind": "illness", "note": "flu"},
                             follow_redirects=False)
        assert made.status_code == 303 and made.headers["location"] == "/bailiff/absences?done=recorded"
        a = schema.absences
        with w.store.read() as conn:
            row = conn.execute(select(a).where(a.c.licence == w.bailiff)).one()
        assert (row.start, row.end, row.kind, row.cancelled) == (start, end, "illness", False)
        page = text(w.client.get("/bailiff/absences?lang=en"))
        assert "Illness" in page and "planned" in page

        shorter = w.client.post(f"/bailiff/absences/{row.id}/change", data={"start": str(start), "end": str(start - dt.timedelta(days=1))})
        assert shorter.status_code == 422 and errors_named(shorter) == ["end"]
        assert w.client.post(f"/bailiff/absences/{row.id}/change", data={"start": str(start), "end": str(start)},
                             follow_redirects=False).headers["location"] == "/bailiff/absences?done=changed"
        assert w.client.post(f"/bailiff/absences/{row.id}/cancel", follow_redirects=False).headers["location"] == "/bailiff/absences?done=cancelled"
        with w.store.read() as conn:
            row = conn.execute(select(a).where(a.c.id == row.id)).one()
        assert (row.end, row.cancelled) == (start, True)
        assert "cancelled" in text(w.client.get("/bailiff/absences?lang=en"))
        again = w.client.post(f"/bailiff/absences/{row.id}/cancel")
        assert again.status_code == 422 and errors_named(again) == ["absence"]

        # The region's staff record absences for its bailiffs from the roster; another bailiff's absence is not the bailiff's to touch.
        as_role(w, "chamber")
        staff = w.client.post("/chamber/absences", data={"licence": HEAD_75, "start": str(start), "end": str(end), "kind": "leave"},
                              follow_redirects=False)
        assert staff.status_code == 303 and staff.headers["location"] == "/chamber/roster?region=KZ-75&done=recorded"
        with w.store.read() as conn:
            head_absence = conn.execute(select(a.c.id, a.c.entered_by).where(a.c.licence == HEAD_75)).one()
        assert "Leave" in text(w.client.get("/chamber/roster?lang=en"))
        as_role(w, "bailiff")
        assert w.client.post(f"/bailiff/absences/{head_absence.id}/cancel").status_code == 403


def test_chamber_roster_and_paragraph_17(db_url: str) -> None:
    with api_world(db_url) as w:
        as_role(w, "chamber_head")
        roster = text(w.client.get("/chamber/roster?lang=en"))
        assert "Bailiff 1" in roster and "PB-00003" in roster and "Suspend distribution to me" in roster and "PB-00010" not in roster
        missing = w.client.post("/chamber/suspension", data={"suspended": "yes", "reason": "  "})
        assert missing.status_code == 422 and errors_named(missing) == ["reason"]
        b = schema.bailiffs

        def suspended() -> bool:
            with w.store.read() as conn:
                return conn.execute(select(b.c.self_suspended).where(b.c.licence == HEAD_75)).scalar_one()

        assert not suspended()
        done = w.client.post("/chamber/suspension", data={"suspended": "yes", "reason": "my brother is a debtor"}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/chamber/roster?region=KZ-75&done=suspended"
        assert suspended() and "Resume distribution to me" in text(w.client.get("/chamber/roster?lang=en"))
        twice = w.client.post("/chamber/suspension", data={"suspended": "yes", "reason": "again"})
        assert twice.status_code == 422 and errors_named(twice) == ["suspended"]
        w.client.post("/chamber/suspension", data={"suspended": "no", "reason": "the case is closed"})
        assert not suspended()

        # Staff see the roster but have no paragraph 17 form (and may not post it).
        as_role(w, "chamber")
        assert "Bailiff 1" in text(w.client.get("/chamber/roster?lang=en"))
        assert "/chamber/suspension" not in w.client.get("/chamber/roster").text
        assert w.client.post("/chamber/suspension", data={"suspended": "yes", "reason": "x"}).status_code == 403

        # Another region's head sees his own region, never KZ-75's roster data.
        w.tokens["head_11"] = create_token(w.store, Role.CHAMBER_HEAD, HEAD_11, "test", rate=10_000).token
        as_role(w, "head_11")
        own = text(w.client.get("/chamber/roster?lang=en"))
        assert "PB-00010" in own and "Bailiff 10" in own and "Bailiff 1 " not in own and "PB-00001" not in own
        assert w.client.get("/chamber/roster?region=KZ-75").status_code == 403
        foreign = w.client.post("/chamber/absences", data={"licence": "PB-00001", "start": str(today() + dt.timedelta(days=2)),
                                                           "end": str(today() + dt.timedelta(days=2)), "kind": "leave"})
        assert foreign.status_code == 403
        with w.store.read() as conn:
            assert not conn.execute(select(schema.absences)).all()


def test_commission_decides_an_application(db_url: str) -> None:
    with api_world(db_url) as w:
        as_role(w, "commission")
        queue = text(w.client.get("/commission/applications?lang=en"))
        assert "Inaction: no enforcement action taken" in queue and "working days left" in queue
        path = f"/commission/applications/{w.application}"
        page = text(w.client.get(f"{path}?lang=en"))
        assert "Nothing happened." in page and "Under review" in page

        ap, d = schema.applications, schema.documents
        no_reasons = w.client.post(f"{path}/decision", data={"decision": "granted", "reference": "Minutes 12", "reasons": " "})
        assert no_reasons.status_code == 422 and errors_named(no_reasons) == ["reasons"] and 'value="Minutes 12"' in no_reasons.text
        no_choice = w.client.post(f"{path}/decision", data={"reference": "Minutes 12", "reasons": "No step."})
        assert no_choice.status_code == 422 and errors_named(no_choice) == ["decision"] and "No step." in no_choice.text
        with w.store.read() as conn:
            assert conn.execute(select(ap.c.status).where(ap.c.id == w.application)).scalar_one() == "review"

        as_role(w, "auditor")
        assert w.client.post(f"{path}/decision", data={"decision": "granted", "reference": "x", "reasons": "y"}).status_code == 403
        as_role(w, "commission")
        done = w.client.post(f"{path}/decision", data={"decision": "granted", "reference": "Minutes 12", "reasons": "No step in weeks."},
                             follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"{path}?done=granted"
        with w.store.read() as conn:
            status, doc = conn.execute(select(ap.c.status, ap.c.doc).where(ap.c.id == w.application)).one()
            document = conn.execute(select(d.c.status, d.c.assigned_to).where(d.c.id == doc)).one()
        assert status == "granted" and tuple(document) == ("released", None)
        after = text(w.client.get(f"{path}?done=granted&lang=en"))
        assert "Granted: the bailiff is replaced" in after and "Released for a new draw" in after
        assert "Application to replace the bailiff decided" in after
        assert "Record the decision" not in after
        assert "No applications here." in text(w.client.get("/commission/applications?lang=en"))
        assert "Granted: the bailiff is replaced" in text(w.client.get("/commission/applications?status=granted&lang=en"))
        twice = w.client.post(f"{path}/decision", data={"decision": "refused", "reference": "Minutes 13", "reasons": "Changed mind."})
        assert twice.status_code == 422 and errors_named(twice) == ["application"]


def test_ministry_config_and_audit_without_personal_data(db_url: str) -> None:
    with api_world(db_url) as w:
        as_role(w, "ministry")
        page = w.client.get("/ministry/config?draft=procedures&lang=en")
        assert "decision_working_days" in page.text and text(page).count("in force") >= 3
        effective = str(today() + dt.timedelta(days=30))
        bad = w.client.post("/ministry/config", data={"name": "procedures", "value": '{"decision_working_days": 10,', "effective": effective})
        assert bad.status_code == 422 and errors_named(bad) == ["value"] and "decision_working_days&#34;: 10," in bad.text
        wrong = w.client.post("/ministry/config", data={"name": "procedures", "value": '{"decision_working_days": 10}', "effective": effective})
        assert wrong.status_code == 422 and errors_named(wrong) == ["value"]
        past = w.client.post("/ministry/config", data={"name": "procedures", "effective": str(today()), "value":
                             '{"acknowledge_working_days":1,"decision_working_days":12,"initiate_working_days":3,"long_absence_days":30}'})
        assert past.status_code == 422 and errors_named(past) == ["effective"]
        value = '{"acknowledge_working_days":1,"decision_working_days":12,"initiate_working_days":3,"long_absence_days":30}'
        done = w.client.post("/ministry/config", data={"name": "procedures", "value": value, "effective": effective}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/ministry/config?done=procedures&version=2"
        cv = schema.config_versions
        with w.store.read() as conn:
            row = conn.execute(select(cv.c.effective, cv.c.value).where(cv.c.name == "procedures", cv.c.version == 2)).one()
        assert str(row.effective) == effective and '"decision_working_days":12' in row.value
        assert "scheduled" in text(w.client.get("/ministry/config?lang=en"))

        b, d = schema.bailiffs, schema.documents
        with w.store.read() as conn:
            secrets = [BANK_BIN, *(x for r in conn.execute(select(b.c.iin, b.c.full_name)) for x in r),
                       *(x for r in conn.execute(select(d.c.debtor_idn, d.c.debtor_name)) for x in r)]
        for role in ("ministry", "auditor", "operator"):
            as_role(w, role)
            audit = w.client.get("/ministry/audit?lang=en")
            assert audit.status_code == 200 and "Round drawn" in audit.text and "Configuration version issued" in audit.text
            leaked = [s for s in secrets if s in audit.text]
            assert not leaked, (role, leaked)
        older = w.client.get("/ministry/audit?before=10&lang=en")
        assert "Bailiff registered" in older.text and "Round drawn" not in older.text
