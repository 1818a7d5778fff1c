"""The claimant's pages: its documents, submitting one, uploading a file, paragraph 12 applications."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from api_world import COMMISSION_75, OTHER_BANK, World, api_world
from factories import BANK_BIN, document_row
from openpyxl import Workbook
from sqlalchemy import func, select

from casedraw.domain.errors import FieldError
from casedraw.domain.model import DOCUMENT_COLUMNS
from casedraw.ledger.events import Actor
from casedraw.services import Context
from casedraw.services import procedures as proc
from casedraw.services.reports import RowOutcome
from casedraw.services.rounds import run_round
from casedraw.store import schema
from casedraw.web import claimant, uploads


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with api_world(db_url) as w:
        w.client.cookies.set("casedraw_session", w.tokens["claimant"])
        w.client.cookies.set("casedraw_lang", "en")  # the words the tests look for (Kazakh is the default)
        yield w


def _text(html: str) -> str:
    """What a reader sees: the tags dropped, the spaces collapsed."""
    html = re.sub(r"(?s)<head>.*?</head>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&amp;", "&").split())


def _documents_where(world: World, **where: object) -> list[object]:
    d = schema.documents
    with world.store.read() as conn:
        query = select(d.c.id, d.c.claimant_idn, d.c.number, d.c.status)
        for column, value in where.items():
            query = query.where(d.c[column] == value)
        return list(conn.execute(query))


def _count(world: World) -> int:
    with world.store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()


def _form(n: int, **changes: object) -> dict[str, str]:
    row = {k: str(v) for k, v in document_row(n, **changes).items()}
    row.pop("claimant_idn")  # the page takes it from the login
    return row


# --- documents ---------------------------------------------------------------------------------------


def test_documents_are_the_claimants_own_newest_first_and_paged(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    page = world.client.get("/claimant/documents")
    assert page.status_code == 200
    ids = [int(i) for i in re.findall(r'href="/claimant/documents/(\d+)"', page.text)]
    mine = sorted({r.id for r in _documents_where(world, claimant_idn=BANK_BIN)}, reverse=True)
    assert ids == mine and world.other_claimant_doc not in ids
    assert "850412" in page.text  # the debtor's IIN: the claimant's own personal data

    other = world.client.get(f"/claimant/documents/{world.other_claimant_doc}")
    assert other.status_code == 404 and "Other Bank" not in other.text

    filtered = world.client.get("/claimant/documents?status=closed")
    assert filtered.status_code == 200 and not re.findall(r'href="/claimant/documents/(\d+)"', filtered.text)

    monkeypatch.setattr(claimant, "PAGE_SIZE", 5)
    first = world.client.get("/claimant/documents?status=assigned")
    shown = [int(i) for i in re.findall(r'href="/claimant/documents/(\d+)"', first.text)]
    assert shown == mine[:5]
    older = re.search(r'href="(/claimant/documents\?status=assigned&amp;before=\d+)"', first.text)
    assert older is not None
    second = world.client.get(older.group(1).replace("&amp;", "&"))
    assert [int(i) for i in re.findall(r'href="/claimant/documents/(\d+)"', second.text)] == mine[5:10]
    newer = re.search(r'href="(/claimant/documents\?status=assigned&amp;after=\d+)"', second.text)
    assert newer is not None
    back = world.client.get(newer.group(1).replace("&amp;", "&"))
    assert [int(i) for i in re.findall(r'href="/claimant/documents/(\d+)"', back.text)] == mine[:5]


def test_document_page_shows_bailiff_timeline_receipt_and_application(world: World) -> None:
    doc = world.bailiff_docs[0]  # its application is under review
    page = world.client.get(f"/claimant/documents/{doc}")
    assert page.status_code == 200
    text = _text(page.text)
    assert world.bailiff in text and f"Bailiff {int(world.bailiff[3:])}" in text  # licence and name
    assert "Assigned to a bailiff" in text and "Almaty" in text and "250,000.00" in text
    assert f'href="/api/v1/documents/{doc}/receipt"' in page.text
    assert f'href="/claimant/applications/{world.application}"' in page.text
    assert "Application to replace the bailiff filed" in text  # the timeline
    receipt = world.client.get(f"/api/v1/documents/{doc}/receipt")  # with the session cookie alone
    assert receipt.status_code == 200 and receipt.json()["document"] == doc

    free = next(d for d in world.claimant_docs if d != doc)
    assert f'href="/claimant/applications?doc={free}#file"' in world.client.get(f"/claimant/documents/{free}").text


# --- one document ------------------------------------------------------------------------------------


def test_submit_one_document(world: World) -> None:
    form = world.client.get("/claimant/submit")
    assert form.status_code == 200
    assert f'value="{BANK_BIN}" readonly' in form.text and 'value="Halyk Bank"' in form.text  # from its login and earlier documents
    key = re.search(r'name="key" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]

    sent = world.client.post("/claimant/submit", data={**_form(900, claimant_idn=OTHER_BANK), "claimant_idn": OTHER_BANK, "key": key},
                             follow_redirects=False)
    assert sent.status_code == 303
    doc = int(re.fullmatch(r"/claimant/documents/(\d+)\?notice=accepted", sent.headers["location"]).group(1))  # type: ignore[union-attr]
    [row] = _documents_where(world, id=doc)
    assert row.claimant_idn == BANK_BIN and row.number == "2-00900/2026"  # the login's BIN, whatever the form said
    shown = world.client.get(sent.headers["location"])
    assert "The document is registered" in shown.text

    again = world.client.post("/claimant/submit", data={**_form(900), "key": key}, follow_redirects=False)  # a double click
    assert again.headers["location"] == f"/claimant/documents/{doc}?notice=accepted"
    resent = world.client.post("/claimant/submit", data=_form(900), follow_redirects=False)  # the same document, sent anew
    assert resent.headers["location"] == f"/claimant/documents/{doc}?notice=duplicate"
    assert "was registered before" in world.client.get(resent.headers["location"]).text
    assert len(_documents_where(world, number="2-00900/2026")) == 1


def test_submit_refused_names_the_field_and_keeps_the_values(world: World) -> None:
    before = _count(world)
    bad = _form(901, debtor_idn="123456789012", debtor_name="Сейітова Әйгерім", doc_date="2026-13-01")
    page = world.client.post("/claimant/submit", data=bad)
    assert page.status_code == 422
    assert 'id="error-debtor_idn"' in page.text and 'id="error-doc_date"' in page.text
    assert 'aria-describedby="error-debtor_idn"' in page.text
    assert 'value="Сейітова Әйгерім"' in page.text and 'value="123456789012"' in page.text
    assert '<option value="court_order" selected>' in page.text
    assert _count(world) == before

    too_long = world.client.post("/claimant/submit", data=_form(902, doc_number="x" * 80), headers={"Accept-Language": "ru"})
    assert too_long.status_code == 422 and 'id="error-doc_number"' in too_long.text and _count(world) == before


# --- a file of documents -------------------------------------------------------------------------------


def _csv_file(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*DOCUMENT_COLUMNS, "external_ref"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(world: World, name: str, content: bytes) -> str:
    sent = world.client.post("/claimant/upload", files={"file": (name, content, "application/octet-stream")}, follow_redirects=False)
    assert sent.status_code == 303, _text(sent.text)
    return sent.headers["location"]


def _finished(world: World, location: str) -> str:
    job = uploads.uploads_of(world.client.app).get(BANK_BIN, location.rsplit("/", 1)[1])  # type: ignore[arg-type]
    assert job is not None and job.finished.wait(30)
    page = world.client.get(location)
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text and "data-follow" not in page.text
    return page.text


def test_upload_csv_registers_good_rows_once_and_lists_bad_ones(world: World) -> None:
    rows = [document_row(700 + n, external_ref=f"R-{n}") for n in range(5)]
    rows[1]["debtor_idn"] = "123456789012"  # file row 3
    rows[3]["doc_date"] = "01.10.2026"  # file row 5
    rows.append(document_row(706, claimant_idn=OTHER_BANK))  # file row 7: another claimant's
    content = _csv_file(rows)
    location = _upload(world, "batch.csv", content)
    assert re.fullmatch(r"/claimant/uploads/[\w-]+", location)

    text = _text(_finished(world, location))
    assert "6 of 6 rows processed" in text and "Every row of the file has been processed" in text
    assert re.search(r"3 accepted and registered 0 already registered before 3 rejected", text)
    assert "3 debtor_idn" in text and "5 doc_date" in text and "7 claimant_idn" in text
    for n in (0, 2, 4):
        assert len(_documents_where(world, number=f"2-{700 + n:05d}/2026", claimant_idn=BANK_BIN)) == 1
    assert not _documents_where(world, number="2-00706/2026")

    results = world.client.get(location + "/results.csv")
    assert results.status_code == 200 and results.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(results.content.decode("utf-8-sig"))))
    assert list(dict.fromkeys((r["row"], r["status"]) for r in table)) == [  # a line per error of a rejected row
        ("2", "accepted"), ("3", "rejected"), ("4", "accepted"), ("5", "rejected"), ("6", "accepted"), ("7", "rejected")]
    assert table[1]["field"] == "debtor_idn" and table[0]["document"].isdigit()

    before = _count(world)
    again = _text(_finished(world, _upload(world, "batch.csv", content)))
    assert re.search(r"0 accepted and registered 3 already registered before 3 rejected", again)
    assert _count(world) == before  # nothing registered twice

    world.client.cookies.set("casedraw_session", world.tokens["other_claimant"])
    assert world.client.get(location).status_code == 404
    assert world.client.get(location + "/results.csv").status_code == 404


def test_upload_xlsx_and_progress_page_while_running(world: World) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(list(DOCUMENT_COLUMNS))
    for n in range(3):
        row = document_row(800 + n)
        row["doc_date"] = dt.date(2026, 10, 1)  # a date cell, as Excel keeps it
        sheet.append([row[c] for c in DOCUMENT_COLUMNS])
    sheet.append([document_row(803)[c] if c != "category" else "lottery" for c in DOCUMENT_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)

    waiting: list[object] = []
    registry = uploads.uploads_of(world.client.app)  # type: ignore[arg-type]
    registry.runner = waiting.append  # the job waits until the test runs it
    location = _upload(world, "Реестр.xlsx", buffer.getvalue())
    running = world.client.get(location)
    assert 'http-equiv="refresh" content="1"' in running.text and "<progress" in running.text and 'value="0"' in running.text
    assert 'id="job" data-follow="1"' in running.text  # with scripts, followed in place instead of reloaded
    assert "Реестр.xlsx" in running.text
    waiting.pop()()  # type: ignore[operator]
    text = _text(_finished(world, location))
    assert re.search(r"3 accepted and registered 0 already registered before 1 rejected", text) and "5 category" in text
    assert len(_documents_where(world, number="2-00801/2026")) == 1
    assert "Реестр.xlsx" in world.client.get("/claimant/upload").text  # listed among the recent uploads


def test_upload_refuses_a_file_unusable_as_a_whole(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    content = _csv_file([document_row(900)]).replace(b"debtor_name", b"debtor")
    page = world.client.post("/claimant/upload", files={"file": ("a.csv", content)})
    assert page.status_code == 422 and "missing column(s) debtor_name" in page.text and "/tmp" not in page.text
    assert world.client.post("/claimant/upload", files={"file": ("a.txt", b"x")}).status_code == 422
    assert world.client.post("/claimant/upload", files={"file": ("a.csv", b"")}).status_code == 422
    header_only = _csv_file([])
    assert "only the header" in world.client.post("/claimant/upload", files={"file": ("a.csv", header_only)}).text
    assert world.client.post("/claimant/upload", data={"x": "1"}).status_code == 422
    three = _csv_file([document_row(n) for n in (910, 911, 912)])
    monkeypatch.setattr(uploads, "MAX_ROWS", 2)
    assert "at most 2 in one file" in world.client.post("/claimant/upload", files={"file": ("a.csv", three)}).text
    monkeypatch.setattr(uploads, "MAX_BYTES", len(three) - 1)
    assert "larger than" in world.client.post("/claimant/upload", files={"file": ("a.csv", three)}).text
    assert not _documents_where(world, number="2-00910/2026")


def test_a_failing_job_keeps_what_it_registered() -> None:
    registry = uploads.Uploads(runner=lambda work: work(), chunk=2)
    calls: list[int] = []

    def register(rows: object) -> list[RowOutcome]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return [RowOutcome(n, "accepted", 10 + n, "pb") for n, _ in rows]  # type: ignore[attr-defined]

    job = registry.start("940140000385", "f.csv", [(n, {}) for n in range(2, 7)], register)
    assert job.state == "failed" and job.error == "internal" and job.finished.is_set()
    assert job.counts() == {"accepted": 2, "duplicate": 0, "rejected": 0} and job.processed == 2
    assert registry.get("940140000385", job.id) is job and registry.get("other", job.id) is None
    done = registry.start("940140000385", "g.csv", [(2, [FieldError("row", "broken")])], lambda rows: [RowOutcome(2, "rejected", errors=rows[0][1])])
    assert done.state == "done" and [o.row for o in done.rejected()] == [2]
    assert registry.of("940140000385")[0] is done


# --- applications ----------------------------------------------------------------------------------------


def test_file_an_application_and_follow_it(world: World) -> None:
    free = next(d for d in world.claimant_docs if d != world.bailiff_docs[0])
    listed = world.client.get(f"/claimant/applications?doc={free}")
    assert listed.status_code == 200 and f'href="/claimant/applications/{world.application}"' in listed.text
    assert f'name="doc" inputmode="numeric" value="{free}"' in listed.text

    refused = world.client.post("/claimant/applications", data={"doc": str(world.bailiff_docs[0]), "grounds": "inaction",
                                                               "statement": "Still nothing."})
    assert refused.status_code == 422 and 'id="error-doc"' in refused.text and "Still nothing." in refused.text
    other = world.client.post("/claimant/applications", data={"doc": str(world.other_claimant_doc), "grounds": "inaction", "statement": "x"})
    assert other.status_code == 422 and "among yours" in other.text
    no_grounds = world.client.post("/claimant/applications", data={"doc": str(free), "grounds": "", "statement": "x"})
    assert no_grounds.status_code == 422 and 'id="error-grounds"' in no_grounds.text

    filed = world.client.post("/claimant/applications", data={"doc": str(free), "grounds": "missed_deadlines",
                                                             "statement": "No proceedings initiated.", "references": "No. 12 of 2026-11-02\n\n"},
                              follow_redirects=False)
    assert filed.status_code == 303
    number = int(re.fullmatch(r"/claimant/applications/(\d+)\?notice=filed", filed.headers["location"]).group(1))  # type: ignore[union-attr]
    ap = schema.applications
    with world.store.read() as conn:
        row = conn.execute(select(ap).where(ap.c.id == number)).one()
    assert row.doc == free and row.grounds == "missed_deadlines" and row.status == "review" and "No. 12 of 2026-11-02" in row.references
    page = _text(world.client.get(filed.headers["location"]).text)
    assert "The application is filed" in page and "Missed deadlines" in page and "No proceedings initiated." in page
    assert f'href="/claimant/applications/{number}"' in world.client.get("/claimant/applications?status=review").text
    assert f'href="/claimant/applications/{number}"' not in world.client.get("/claimant/applications?status=granted").text

    world.client.cookies.set("casedraw_session", world.tokens["other_claimant"])
    assert world.client.get(f"/claimant/applications/{number}").status_code == 404


def test_a_granted_application_shows_the_reasons_and_the_new_bailiff(world: World) -> None:
    path = f"/claimant/applications/{world.application}"
    proc.decide_application(world.store, Context(Actor("commission", COMMISSION_75)), world.application, "granted", "No. 7-K",
                            "Three weeks without any enforcement action.")
    waiting = _text(world.client.get(path).text)
    assert "Granted: the bailiff is replaced" in waiting and "Three weeks without any enforcement action." in waiting
    assert "No. 7-K" in waiting and "waits to be drawn again" in waiting
    run_round(world.store, Context(Actor("operator", "test")))
    d = schema.documents
    with world.store.read() as conn:
        now = conn.execute(select(d.c.assigned_to, d.c.round).where(d.c.id == world.bailiff_docs[0])).one()
    assert now.assigned_to not in (None, world.bailiff)
    drawn = _text(world.client.get(path).text)
    assert f"drawn again in round {now.round} and is now with bailiff {now.assigned_to}" in drawn


# --- who may, and in which language ---------------------------------------------------------------------------


PAGES = ("/claimant/documents", "/claimant/documents/{doc}", "/claimant/submit", "/claimant/upload", "/claimant/applications",
         "/claimant/applications/{application}")


def test_other_roles_are_refused(world: World) -> None:
    paths = [p.format(doc=world.claimant_docs[0], application=world.application) for p in PAGES]
    for role in ("bailiff", "commission", "ministry", "auditor"):
        world.client.cookies.set("casedraw_session", world.tokens[role])
        for path in paths:
            assert world.client.get(path).status_code == 403, (role, path)
        assert world.client.post("/claimant/submit", data=_form(950)).status_code == 403
        assert world.client.post("/claimant/applications", data={"doc": "1", "grounds": "inaction", "statement": "x"}).status_code == 403
    world.client.cookies.clear()
    anonymous = world.client.get("/claimant/documents", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?")
    assert not _documents_where(world, number="2-00950/2026")


def test_pages_in_every_language(world: World) -> None:
    location = _upload(world, "x.csv", _csv_file([document_row(960), document_row(961, debtor_idn="1")]))
    paths = [p.format(doc=world.bailiff_docs[0], application=world.application) for p in PAGES] + [location]
    _finished(world, location)
    expected = {"kk": "Сот орындаушысына берілді", "ru": "Передан судебному исполнителю", "en": "Assigned to a bailiff"}
    for lang in ("kk", "ru", "en"):
        for path in paths:
            page = world.client.get(f"{path}?lang={lang}")
            assert page.status_code == 200, (lang, path)
            assert page.headers["content-language"] == lang
        assert expected[lang] in world.client.get(f"/claimant/documents/{world.bailiff_docs[0]}?lang={lang}").text
