"""End to end in a browser: Debian's chromium, driven by Playwright, against `casedraw serve`.

What people do with the pages: log in and out, switch language, and every page of every role renders
in Kazakh, Russian and English with nothing left untranslated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser import Site, chromium_or_skip, log_in, site
from factories import bailiff_row, document_row

from casedraw.web.catalogue import messages
from casedraw.web.i18n import LOCALES, translations

ROLES = ("claimant", "bailiff", "chamber_head", "chamber", "commission", "ministry", "auditor")
MAX_PAGES_PER_ROLE = 40
SKIPPED_PATHS = ("/api/", "/static/", "/logout", "/login")
# Words in Latin letters that may stay as they are in a Kazakh or Russian page: names of things, formats, units.
TECHNICAL = {"casedraw", "API", "JSON", "CSV", "XLSX", "SVG", "SHA", "HTTP", "HTTPS", "URL", "Merkle", "RFC", "English", "drand",
             "Ed25519", "PB", "KZ", "KZT", "OpenAPI", "ISO", "UTF",
             "Certificate", "Transparency", "Lines"}  # proper names: Certificate Transparency (RFC 9162), JSON Lines


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    with site(f"sqlite:///{tmp_path / 'casedraw.db'}", tmp_path) as s:
        yield s


def _data_words() -> set[str]:
    """Latin words the world's own data holds (names of banks, bailiffs, courts): shown as given."""
    text = " ".join(str(v) for row in (document_row(0), bailiff_row(0)) for v in row.values()) + " Other Bank Nothing happened"
    return set(re.findall(r"[A-Za-z]+", text))


def visible_words(page: Any) -> str:
    """The page's visible text without what is data by nature: codes, hashes and JSON (`pre`, `code`, `.mono`),
    whatever is marked translate="no", and the language switch (each name in its own language)."""
    return page.evaluate("""() => {
        const body = document.body.cloneNode(true);
        body.querySelectorAll('pre, code, .mono, [translate=no], [lang], script, style, svg text').forEach(e => e.remove());
        return body.innerText;
    }""")


def untranslated(page: Any, lang: str) -> list[str]:
    """English left in a Kazakh or Russian page: message ids shown as they are, or Latin words outside
    the data and the technical names."""
    text = visible_words(page)
    gettext = translations(lang).gettext
    found = []
    for message in messages():
        if gettext(message) == message:
            continue
        for piece in re.split(r"%\(\w+\)[sd]|%[sd]", message):
            piece = piece.strip(" .,:;()")
            if len(piece) >= 8 and " " in piece and piece in text:
                found.append(f"message {message!r}")
    allowed = TECHNICAL | _data_words()
    found += sorted({f"word {w!r}" for w in re.findall(r"\b[A-Za-z][A-Za-z]+\b", text) if w not in allowed})
    return found


def _page_kind(path: str) -> str:
    """Pages that differ only by a number are one kind of page: the crawl opens one of each."""
    return re.sub(r"\d+", "#", path)


def crawl(page: Any, site: Site, start: list[str], lang: str) -> list[str]:
    """Open every page reachable by links from `start`, one of each kind, and say what is wrong with any:
    an HTTP error, another language than `lang`, or words left untranslated."""
    seen_kinds: set[str] = set()
    problems: list[str] = []
    queue = list(start)
    while queue and len(seen_kinds) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        if _page_kind(path) in seen_kinds:
            continue
        seen_kinds.add(_page_kind(path))
        fetched = page.request.get(site.url(path))  # downloads (a CSV, the log) are checked, not opened
        if fetched.status != 200:
            problems.append(f"{path}: HTTP {fetched.status}")
        if "text/html" not in fetched.headers.get("content-type", ""):
            continue
        page.goto(site.url(path))
        if page.get_attribute("html", "lang") != lang:
            problems.append(f"{path}: html lang is {page.get_attribute('html', 'lang')}")
        if lang != "en":
            problems += [f"{path}: {u}" for u in untranslated(page, lang)]
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIPPED_PATHS) or "lang=" in parts.query:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if _page_kind(target) not in seen_kinds:
                queue.append(target)
    return problems


def test_a_person_logs_in_switches_language_and_it_stays(page: Any, sqlite_site: Site) -> None:
    log_in(page, sqlite_site, "claimant", lang="en")
    assert urlsplit(page.url).path == "/claimant/documents"
    page.click("a[hreflang=ru]")
    assert page.get_attribute("html", "lang") == "ru"
    page.click("nav a[href='/claimant/applications']")  # another page: the language is remembered
    assert page.get_attribute("html", "lang") == "ru"
    assert page.locator("nav").inner_text().count("Заявления") == 1
    page.click("form[action='/logout'] button")
    assert urlsplit(page.url).path == "/"
    assert page.locator("a[href='/login']").count() == 1
    page.goto(sqlite_site.url("/claimant/documents"))  # logged out: the page asks to log in again
    assert urlsplit(page.url).path == "/login"


def test_wrong_password_is_refused_in_the_chosen_language(page: Any, sqlite_site: Site) -> None:
    page.goto(sqlite_site.url("/login?lang=kk"))
    page.fill("input[name=username]", "claimant-user")
    page.fill("input[name=password]", "not the password")
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == translations("kk").gettext(
        "Wrong username or password, or the account is locked for a while after repeated failures.")


def test_every_page_of_every_role_in_every_language(browser: Any, sqlite_site: Site) -> None:
    problems: list[str] = []
    for role in (None, *ROLES):
        context = browser.new_context()
        page = context.new_page()
        if role is not None:
            log_in(page, sqlite_site, role)
        start = ["/"] + [a for a in page.eval_on_selector_all("nav a[href]", "els => els.map(e => e.getAttribute('href'))")]
        for lang in LOCALES:
            page.goto(sqlite_site.url(f"/?lang={lang}"))  # the switch: remembered for the rest of the crawl
            problems += [f"{role or 'public'} {lang} {p}" for p in crawl(page, sqlite_site, start, lang)]
        context.close()
    assert not problems, "\n".join(problems)
