"""The public transparency portal: pages for anyone, in Kazakh, Russian and English, with no personal data;
dashboards that agree with the database; receipts verified against the log's key; the log downloadable and
verifiable offline; the chi-square test and the charts."""

from __future__ import annotations

import json
import math
import re

import pytest
from api_world import api_world
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casedraw.api.security import SESSION_COOKIE
from casedraw.ledger.checkpoint import NoteVerifier
from casedraw.ledger.publish import verify_export
from casedraw.store import schema
from casedraw.web import charts
from casedraw.web.public import chi2_sf, chi_square_fit, fit_verdict, gap_verdict, regularized_gamma_q

PAGES = ("/", "/regions", "/regions/KZ-75", "/regions/KZ-11", "/regions/KZ-10", "/verify", "/log")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def personal_data(store) -> set[str]:
    """Every name and IIN/BIN the world holds: none may appear on a public page."""
    b, c, d = schema.bailiffs, schema.claimants, schema.documents
    with store.read() as conn:
        found = {v for row in conn.execute(select(b.c.full_name, b.c.iin)) for v in row}
        found |= {v for row in conn.execute(select(c.c.idn, c.c.name)) for v in row}
        found |= {v for row in conn.execute(select(d.c.debtor_idn, d.c.debtor_name)) for v in row}
    assert len(found) > 10
    return found


def test_pages_in_every_language_without_login_and_no_personal_data(db_url):
    with api_world(db_url) as w:
        secrets = personal_data(w.store)
        for lang in ("kk", "ru", "en"):
            for path in PAGES:
                r = w.client.get(f"{path}?lang={lang}")
                assert r.status_code == 200, (path, lang, r.text[:500])
                assert r.headers["content-language"] == lang
                assert f'<html lang="{lang}">' in r.text
                leaked = [s for s in secrets if s in r.text]
                assert not leaked, (path, leaked)
        # The words are the language's own, not English
        assert "Белсенді орындаушылар" in w.client.get("/regions?lang=kk").text
        assert "Действующие исполнители" in w.client.get("/regions?lang=ru").text
        assert "Жүктемелер және әділ үлестер" in w.client.get("/regions/KZ-75?lang=kk").text
        assert "Критерий хи-квадрат".lower() in w.client.get("/regions/KZ-75?lang=ru").text.lower()
        assert "Квитанция (JSON)" in w.client.get("/verify?lang=ru").text
        assert "Желіден тыс тексеру" in w.client.get("/log?lang=kk").text
        # The downloads carry no IIN, BIN or name of anybody: a claimant acts in the log under a pseudonym (docs/ALGORITHM.md 5.1)
        log = w.client.get("/log/entries.jsonl").text
        with w.store.read() as conn:
            accounts = set(conn.execute(select(schema.claimants.c.idn)).scalars())
        assert accounts <= secrets
        assert log.count("\n") > 10 and not [s for s in secrets if s in log]
        # Logged in, any role sees the same public pages, still without names (the ministry sees names in the API)
        for role in ("ministry", "claimant", "bailiff"):
            w.client.cookies.set(SESSION_COOKIE, w.tokens[role])
            page = w.client.get("/regions/KZ-75?lang=en")
            # (the layout shows the logged-in claimant's own account id: nobody else's)
            assert page.status_code == 200 and not [s for s in secrets - accounts if s in page.text], role
        api = w.client.get("/api/v1/bailiffs?region=KZ-75", headers=w.headers("ministry")).json()
        assert api[0]["full_name"] and api[0]["full_name"] not in page.text
        w.client.cookies.clear()


def test_region_dashboard_agrees_with_the_database(db_url):
    with api_world(db_url) as w:
        d, p = schema.documents, schema.proceedings
        with w.store.read() as conn:
            weight = conn.execute(select(func.sum(d.c.weight)).where(d.c.region == "KZ-75", d.c.status == "assigned")).scalar_one()
            assigned = conn.execute(select(func.count()).select_from(d).where(d.c.region == "KZ-75", d.c.status == "assigned")).scalar_one()
            by_bailiff = dict(conn.execute(select(d.c.assigned_to, func.sum(d.c.weight)).where(d.c.status == "assigned")
                                           .group_by(d.c.assigned_to)).all())
            drawn = conn.execute(select(func.count()).select_from(p).where(p.c.region == "KZ-75")).scalar_one()
        page = text_of(w.client.get("/regions/KZ-75?lang=en").text)
        # The table's foot: documents and weighted load of the region, equal to the database's
        foot = re.search(r"<tfoot>.*?</tfoot>", page).group(0)
        cells = re.findall(r'<td class="num">([\d,.]+)</td>', foot)
        assert [int(c.replace(",", "")) for c in cells[:2]] == [assigned, weight]
        # Each bailiff's row: its load, and a fair share of a quarter of the region (four equal shares, all eligible)
        rows = re.findall(r'<td class="mono">(PB-\d+)</td> <td>Active</td> <td>yes</td> <td class="num">1.000</td> '
                          r'<td class="num">(\d+)</td> <td class="num">(\d+)</td> <td class="num">([\d.]+)</td>', page)
        assert len(rows) == 4
        assert {lic: int(load) for lic, _, load, _ in rows} == {lic: by_bailiff.get(lic, 0) for lic, _, _, _ in rows}
        assert all(math.isclose(float(fair), weight / 4, abs_tol=0.05) for *_, fair in rows)
        assert sum(int(n) for _, n, _, _ in rows) == assigned
        # The rounds: every assignment of the region counted once
        per_round = re.search(r"<details>.*?</details>", page).group(0)
        assert sum(int(n) for n in re.findall(r'<td class="num">(\d+)</td><td class="num">\d+</td></tr>', per_round)) == drawn
        # The checks: the gap is within the guard, and the chi-square test has three degrees of freedom
        assert "Within the published guard" in page
        assert re.search(r"Degrees of freedom</th><td class=\"num\">3</td>", page)
        # The regions list shows the same figures as /api/v1/loads
        loads = w.client.get("/api/v1/loads").json()["KZ-75"]
        regions = text_of(w.client.get("/regions?lang=en").text)
        row = re.search(r'<a href="/regions/KZ-75">Almaty</a></td> <td class="mono">KZ-75</td> (.*?)</tr>', regions).group(1)
        assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)[:3]] == [4, loads["assigned"], loads["pending"]]
        # A region nobody has documents in yet: its bailiffs, no load, nothing to test
        astana = text_of(w.client.get("/regions/KZ-11?lang=en").text)
        assert "PB-00010" in astana and "Not enough data for the test" in astana


def test_unknown_region_is_not_found(db_url):
    with api_world(db_url) as w:
        for lang, words in (("en", "There is no region with this code."), ("ru", "404")):
            r = w.client.get(f"/regions/KZ-99?lang={lang}")
            assert r.status_code == 404 and words in r.text
        assert w.client.get("/regions/%3Cscript%3E").status_code == 404


def test_a_receipt_verifies_and_a_tampered_one_is_refused(db_url):
    with api_world(db_url) as w:
        doc = w.claimant_docs[0]
        receipt = w.client.get(f"/api/v1/documents/{doc}/receipt", headers=w.headers("claimant")).text
        ok = w.client.post("/verify?lang=en", data={"receipt": receipt})
        assert ok.status_code == 200 and "The receipt is valid." in ok.text
        page = text_of(ok.text)
        index = json.loads(receipt)["index"]
        assert f'Log index of the event</th><td class="num">{index}</td>' in page
        assert f'Document</th><td class="num">{doc}</td>' in page
        assert "The private part opens the commitment" in page
        # The claimant's private part is not echoed back
        private = json.loads(json.loads(receipt)["private"])["fields"]
        assert not [v for v in private.values() if isinstance(v, str) and len(v) > 5 and v in ok.text]

        # Uploaded as a file, in Russian; an assignment receipt names the licence
        held = w.client.get(f"/api/v1/documents/{w.held_docs[0]}/receipt?kind=assignment", headers=w.headers("bailiff")).content
        up = w.client.post("/verify?lang=ru", files={"file": ("receipt.json", held, "application/json")}, data={"receipt": ""})
        assert up.status_code == 200 and w.bailiff in up.text and 'lang="ru"' in up.text

        # One changed byte of the event: the inclusion proof no longer leads to the signed root
        tampered = json.loads(receipt)
        tampered["body"] = tampered["body"].replace("KZ-75", "KZ-11")
        r = w.client.post("/verify?lang=en", data={"receipt": json.dumps(tampered)})
        assert r.status_code == 422 and "Inclusion proof mismatch" in r.text and "The receipt is valid." not in r.text
        assert "KZ-11" in r.text  # what the user typed is kept in the form
        # A changed signature
        tampered = json.loads(receipt)
        note = tampered["checkpoint"]
        tampered["checkpoint"] = note[:-10] + ("A" if note[-10] != "A" else "B") + note[-9:]
        r = w.client.post("/verify?lang=en", data={"receipt": json.dumps(tampered)})
        assert r.status_code == 422 and "signature" in r.text
        # Not JSON; nothing; too large
        r = w.client.post("/verify?lang=en", data={"receipt": receipt[:-5]})
        assert r.status_code == 422 and "This is not valid JSON" in r.text
        r = w.client.post("/verify?lang=en", data={"receipt": "  "})
        assert r.status_code == 422 and '<span class="mono">receipt</span>' in r.text
        r = w.client.post("/verify?lang=en", files={"file": ("big.json", b" " * (1024 * 1024 + 1), "application/json")})
        assert r.status_code == 413 and '<span class="mono">file</span>' in r.text and "1 MB" in r.text
        # Posted from another site: refused
        assert w.client.post("/verify", data={"receipt": receipt}, headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_log_downloads_verify_offline(db_url, tmp_path):
    with api_world(db_url) as w:
        size = w.client.get("/api/v1/log/checkpoint").json()["size"]
        page = w.client.get("/log?lang=en").text
        assert f"/log/entries.jsonl?size={size}" in page and f"/log/checkpoint?size={size}" in page
        checkpoint = w.client.get(f"/log/checkpoint?size={size}")
        key = w.client.get("/log/key")
        entries = w.client.get(f"/log/entries.jsonl?size={size}")
        assert checkpoint.headers["content-type"].startswith("text/plain") and "attachment" in checkpoint.headers["content-disposition"]
        (tmp_path / "checkpoint").write_bytes(checkpoint.content)
        (tmp_path / "log.vkey").write_bytes(key.content)
        (tmp_path / "log.jsonl").write_bytes(entries.content)
        result = verify_export(tmp_path, NoteVerifier.from_vkey(key.text.strip()), parallel=False)
        assert result.size == size and entries.content.count(b"\n") == size
        # A part: the same bytes as the API's entries
        part = w.client.get("/log/entries.jsonl?start=2&count=3").content.splitlines()
        assert part == [e.encode() for e in w.client.get("/api/v1/log/entries?start=2&limit=3").json()["entries"]]
        # Wrong choices: the form again, naming the field
        r = w.client.get("/log/entries.jsonl?start=x&count=3&lang=en")
        assert r.status_code == 422 and '<span class="mono">start</span>' in r.text and 'value="x"' in r.text
        r = w.client.get(f"/log/entries.jsonl?size={size + 5}&lang=en")
        assert r.status_code == 422 and '<span class="mono">size</span>' in r.text
        r = w.client.get("/log/entries.jsonl?count=0&lang=en")
        assert r.status_code == 422 and '<span class="mono">count</span>' in r.text
        assert w.client.get(f"/log/checkpoint?size={size + 5}").status_code == 422


# --- the statistics and the charts, without a database -------------------------------------------------


@pytest.mark.parametrize(("x", "df", "p"), [(3.841458820694124, 1, 0.05), (18.307038053275146, 10, 0.05), (6.634896601021214, 1, 0.01),
                                            (2.0, 2, math.exp(-1)), (0.0, 4, 1.0), (100.0, 3, 1.8e-21), (0.5, 30, 1.0)])
def test_chi_square_survival_function_against_known_values(x, df, p):
    assert math.isclose(chi2_sf(x, df), p, rel_tol=1e-6, abs_tol=1e-12)


def test_regularized_gamma_on_both_sides_of_the_switch():
    # Q(1, x) = e^-x exactly; the series (x < 2) and the continued fraction (x >= 2) agree with it
    for x in (0.1, 1.0, 1.999, 2.0, 2.001, 10.0, 50.0):
        assert math.isclose(regularized_gamma_q(1.0, x), math.exp(-x), rel_tol=1e-12)
    with pytest.raises(ValueError):
        chi2_sf(1.0, 0)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=1000), st.floats(min_value=0, max_value=50))
def test_chi_square_survival_is_monotone_in_x(df, x, dx):
    a, b = chi2_sf(x, df), chi2_sf(x + dx, df)
    assert 0.0 <= b <= a + 1e-12 <= 1.0 + 1e-12


def test_chi_square_fit_and_verdicts():
    exact = chi_square_fit([10, 10, 10], [10, 10, 10])
    assert exact.statistic == 0 and exact.p_value == 1.0 and exact.df == 2
    skewed = chi_square_fit([30, 0, 0], [10, 10, 10])
    assert math.isclose(skewed.statistic, 60.0) and skewed.p_value < 1e-12 and fit_verdict(skewed).level == "bad"
    # Weighted loads: dividing by Σw²/Σw puts them on the scale of counts
    assert math.isclose(chi_square_fit([60, 0, 0], [20, 20, 20], dispersion=2.0).statistic, 60.0)
    assert chi_square_fit([5], [5]) is None and fit_verdict(None).level == "none"
    assert chi_square_fit([5, 5], [0, 0]) is None
    assert fit_verdict(chi_square_fit([12, 8], [10, 10])).level == "ok"
    assert gap_verdict(3.0, 12).level == "ok" and gap_verdict(12.5, 12).level == "bad" and gap_verdict(None, 12).level == "none"


def test_charts_are_pure_escaped_svg():
    made = charts.bars([("<b>A</b>", 3), ("B", 7.5)], title="Loads & shares", reference=(5, "Guard"))
    assert made.startswith("<svg") and made.endswith("</svg>")
    assert "<b>" not in made and "&lt;b&gt;A&lt;/b&gt;" in made and "Loads &amp; shares" in made
    assert made == charts.bars([("<b>A</b>", 3), ("B", 7.5)], title="Loads & shares", reference=(5, "Guard"))
    assert made.count("<rect") == 2 + 0 and 'stroke-dasharray="6 3"' in made  # two bars, the reference line
    grouped = charts.grouped_bars(["x", "y"], [("before", [1, None]), ("after", [2, 3])], title="t",
                                  intervals=[[(0.5, 1.5), None], [(1, 3), (2, 4)]])
    assert grouped.count("<rect") == 3 + 2  # three bars (one missing) and two legend swatches
    assert grouped.count("<path") == 3  # three whiskers
    line = charts.lines(["d1", "d2", "d3"], [("n", [1, None, 3])], title="t")
    assert line.count("<circle") == 2 and "M" in line
    assert charts.lines([], [("n", [])], title="empty").startswith("<svg")
    assert [charts.nice_ceiling(v) for v in (0, 0.7, 3, 34, 120, 12)] == [1.0, 1.0, 5.0, 50.0, 200.0, 20.0]
    assert charts.ticks(50.0) == [0, 10, 20, 30, 40, 50] and charts.ticks(20.0) == [0, 5, 10, 15, 20]
