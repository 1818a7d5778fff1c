"""What every page shares: logging in and out, being sent to the login form and back, errors shown as
pages in the reader's language, forms from other sites refused, the language remembered."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from api_world import api_world
from starlette.testclient import TestClient

from casedraw.api.app import create_app
from casedraw.services.access import create_account
from casedraw.web.i18n import LANG_COOKIE, translations

PASSWORD = "a long enough password"


def test_login_sends_a_person_back_where_they_were_going(db_url) -> None:
    with api_world(db_url) as w:
        create_account(w.store, "bank-clerk", PASSWORD, "claimant", "940140000385")
        asked = w.client.get("/claimant/applications?status=review", follow_redirects=False)
        assert asked.status_code == 303
        target = urlsplit(asked.headers["location"])
        assert target.path == "/login" and parse_qs(target.query)["next"] == ["/claimant/applications?status=review"]
        form = w.client.get(asked.headers["location"])
        assert 'name="next" value="/claimant/applications?status=review"' in form.text
        done = w.client.post("/login", data={"username": "bank-clerk", "password": PASSWORD, "next": "/claimant/applications?status=review"},
                             follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/claimant/applications?status=review"
        assert "casedraw_session" in done.cookies
        assert w.client.get("/claimant/applications").status_code == 200
        out = w.client.post("/logout", follow_redirects=False)
        assert out.status_code == 303
        assert w.client.get("/claimant/applications", follow_redirects=False).status_code == 303  # the session ended


def test_login_never_sends_a_person_to_another_site(db_url) -> None:
    with api_world(db_url) as w:
        create_account(w.store, "bank-clerk", PASSWORD, "claimant", "940140000385")
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            done = w.client.post("/login", data={"username": "bank-clerk", "password": PASSWORD, "next": target}, follow_redirects=False)
            assert done.headers["location"] == "/claimant/documents", target


def test_a_wrong_password_shows_the_form_again_with_the_username(db_url) -> None:
    with api_world(db_url) as w:
        create_account(w.store, "bank-clerk", PASSWORD, "claimant", "940140000385")
        refused = w.client.post("/login?lang=ru", data={"username": "bank-clerk", "password": "wrong", "next": ""})
        assert refused.status_code == 401
        assert 'value="bank-clerk"' in refused.text
        assert translations("ru").gettext("Wrong username or password, or the account is locked for a while after repeated failures.") in refused.text
        assert "casedraw_session" not in refused.cookies


def test_errors_are_pages_in_the_readers_language_and_api_errors_stay_problem_details(db_url) -> None:
    with api_world(db_url) as w:
        w.client.cookies.set("casedraw_session", w.tokens["bailiff"])
        forbidden = w.client.get("/ministry/config?lang=kk")
        assert forbidden.status_code == 403 and forbidden.headers["content-type"].startswith("text/html")
        assert translations("kk").gettext("Your role may not open this page.") in forbidden.text
        missing = w.client.get("/no/such/page")
        assert missing.status_code == 404 and '<html lang="kk">' in missing.text  # the language is remembered
        assert "/bailiff/assignments" in missing.text  # the caller's own menu, even on an unknown path
        api = w.client.get("/api/v1/no/such/endpoint")
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_a_form_posted_from_another_site_changes_nothing(db_url) -> None:
    with api_world(db_url) as w:
        w.client.cookies.set("casedraw_session", w.tokens["chamber_head"])
        before = w.client.get("/api/v1/bailiffs?region=KZ-75").json()
        refused = w.client.post("/chamber/suspension", data={"suspended": "true", "reason": "holiday"},
                                headers={"origin": "https://evil.example"})
        assert refused.status_code == 403
        assert w.client.get("/api/v1/bailiffs?region=KZ-75").json() == before


def test_the_language_asked_for_is_remembered_and_an_unknown_one_ignored(db_url) -> None:
    with api_world(db_url) as w:
        first = w.client.get("/?lang=en")
        assert first.headers["content-language"] == "en" and first.cookies.get(LANG_COOKIE) == "en"
        assert w.client.get("/regions").headers["content-language"] == "en"
        assert w.client.get("/regions?lang=xx").headers["content-language"] == "en"
        w.client.cookies.clear()
        assert w.client.get("/", headers={"accept-language": "ru-RU,ru;q=0.9"}).headers["content-language"] == "ru"


def test_an_oversized_upload_is_a_page_not_json(tmp_path) -> None:
    with api_world(f"sqlite:///{tmp_path / 'w.db'}") as w:
        small = create_app(w.store, max_body=10_000)
        with TestClient(small) as client:
            client.cookies.set("casedraw_session", w.tokens["claimant"])
            answer = client.post("/claimant/upload?lang=en", files={"file": ("big.csv", b"x" * 20_000, "text/csv")})
            assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
            assert "The file or form is too large" in answer.text
