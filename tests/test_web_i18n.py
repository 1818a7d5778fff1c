"""The pages' languages: every message translated in Kazakh and Russian with the same placeholders,
catalogues that agree with each other, the language chosen as a reader expects, locale formats."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from casedraw.analytics import indicators
from casedraw.analytics.facts import Outcome
from casedraw.domain.model import Basis, Category, ClaimantKind, DocumentKind, LicenceStatus
from casedraw.domain.procedures import Decision, Grounds, ReleaseCause
from casedraw.domain.proceedings import ClosureReason, Overdue, Stage, Step
from casedraw.domain.routing import Channel
from casedraw.draw.config import CONFIGURATIONS
from casedraw.draw.engine import Reason
from casedraw.ledger.events import EventKind
from casedraw.services.access import Role
from casedraw.services.procedures import ABSENCE_KINDS
from casedraw.web.catalogue import messages
from casedraw.web.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES, Formats, catalogue, missing_translations, negotiate, translations
from casedraw.web.labels import LABELS, label_for
from casedraw.web.pages import environment

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_every_message_of_the_pages_is_translated_in_kazakh_and_russian() -> None:
    found = messages()
    assert len(found) > 40  # the extraction sees the templates and the Python modules
    for lang in ("kk", "ru"):
        missing = missing_translations(lang, found)
        assert not missing, f"{lang}: " + "; ".join(f"{m!r} at {', '.join(found[m][:2])}" for m in missing)


def test_translations_keep_every_placeholder() -> None:
    for lang in ("kk", "ru"):
        for message in catalogue(lang):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
            for string in strings:
                assert set(PLACEHOLDER.findall(string)) <= wanted, (lang, message.id, string)
                assert set(PLACEHOLDER.findall(ids[0])) - {"num"} <= set(PLACEHOLDER.findall(string)), (lang, message.id, string)


def test_no_two_catalogue_files_translate_one_message_differently() -> None:
    for lang in ("kk", "ru"):
        seen: dict[str, dict[str, str]] = defaultdict(dict)
        for po in sorted((LOCALE_DIR / lang).glob("*.po")):
            with po.open("rb") as f:
                for message in read_po(f, locale=lang):
                    if message.id and message.string:
                        key = message.id if isinstance(message.id, str) else message.id[0]
                        seen[key][po.name] = str(message.string)
        clashes = {m: files for m, files in seen.items() if len(set(files.values())) > 1}
        assert not clashes, f"{lang}: {clashes}"


@given(asked=st.one_of(st.none(), st.text(max_size=5), st.sampled_from(LOCALES)),
       cookie=st.one_of(st.none(), st.text(max_size=5), st.sampled_from(LOCALES)),
       accept=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["ru-RU,ru;q=0.9,en;q=0.8", "en-US,en;q=0.5", "kk", "de-DE"])))
def test_the_language_is_asked_then_remembered_then_the_browsers_then_kazakh(asked, cookie, accept) -> None:
    lang = negotiate(asked, cookie, accept)
    assert lang in LOCALES
    if asked in LOCALES:
        assert lang == asked
    elif cookie in LOCALES:
        assert lang == cookie
    elif not accept:
        assert lang == DEFAULT_LOCALE


def test_browser_preferences_pick_our_languages() -> None:
    assert negotiate(None, None, "ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert negotiate(None, None, "de-DE,en;q=0.5") == "en"
    assert negotiate(None, None, "de-DE") == DEFAULT_LOCALE


def test_amounts_and_dates_per_locale() -> None:
    amounts = {lang: Formats(lang).money(123_456_789) for lang in LOCALES}  # tiyn
    assert amounts["en"] == "KZT1,234,567.89"
    assert amounts["ru"].replace("\xa0", " ") == "1 234 567,89 KZT"
    assert amounts["kk"].replace("\xa0", " ") == "1 234 567,89 ₸"
    day = dt.date(2026, 3, 2)
    assert Formats("en").date(day) == "Mar 2, 2026"
    assert "2026" in Formats("ru").date(day) and "мар" in Formats("ru").date(day)
    assert Formats("kk").date("2026-03-02") == Formats("kk").date(day)
    assert Formats("en").date(None) == "—" and Formats("ru").money(None) == "—"
    assert Formats("ru").percent(0.125) == "12,5\xa0%"


# --- the labels of closed sets (web/labels.py) -------------------------------------------------------

ENUM_KINDS = {  # each kind of web/labels.py built from a closed set the domain defines, and the codes it adds
    "channel": (Channel, ()), "claimant_kind": (ClaimantKind, ()), "doc_kind": (DocumentKind, ()), "category": (Category, ()),
    "basis": (Basis, ()), "licence": (LicenceStatus, ("unknown",)), "grounds": (Grounds, ()), "decision": (Decision, ()),
    "application": (Decision, ("review",)), "cause": (ReleaseCause, ("replaced",)), "step": (Step, ()),
    "stage": ([s.name.lower() for s in Stage if s is not Stage.NONE], ("moved",)), "closure": (Outcome, ()),
    "overdue": (Overdue, ()), "pending": (Reason, ("no_bailiff_in_region",)), "event": (EventKind, ("proceeding.assigned", "now")),
    "actor": (Role, ("system", "republican_chamber")), "absence": (ABSENCE_KINDS, ()), "config": (CONFIGURATIONS, ()),
    "period": (indicators.PERIODS, ()), "unit": ({i.unit for i in indicators.DOCUMENT_HEAD + indicators.DOCUMENT_TAIL + indicators.PROCEEDING_INDICATORS
                                                  + indicators.APPLICATION_INDICATORS + indicators.HISTORY_INDICATORS}, ()),
}


def test_every_kind_built_from_the_domain_words_every_code_and_only_those() -> None:
    for kind, (codes, extra) in ENUM_KINDS.items():
        assert set(LABELS[kind]) == {str(c) for c in codes} | set(extra), kind
    assert set(ClosureReason) <= set(LABELS["closure"])


def test_every_statistics_indicator_has_a_label() -> None:
    names = {i.name for i in (*indicators.DOCUMENT_HEAD, *indicators.DOCUMENT_TAIL, *indicators.PROCEEDING_INDICATORS,
                              *indicators.APPLICATION_INDICATORS, *indicators.HISTORY_INDICATORS)}
    names |= {f"pending:{code}" for code in LABELS["pending"]}  # the documents pending, per reason
    assert names <= set(LABELS["indicator"]), sorted(names - set(LABELS["indicator"]))


def test_a_label_in_each_language_an_unknown_code_as_it_is_and_none_as_a_dash() -> None:
    ru = translations("ru").gettext
    assert label_for(ru, "status", "closed") == ru("Closed") != "Closed"
    assert label_for(str, "status", "closed") == "Closed"
    assert label_for(ru, "status", "mystery") == "mystery"
    assert label_for(ru, "status", None) == label_for(ru, "status", "") == "—"
    assert label_for(ru, "application", Decision.GRANTED) == ru(LABELS["application"]["granted"])
    assert environment("kk").globals["label"]("licence", "active") == translations("kk").gettext("Active")


def test_the_labels_translations_are_in_labels_po_only() -> None:
    words = {w for kind in LABELS.values() for w in kind.values()}
    for lang in ("kk", "ru"):
        for po in sorted((LOCALE_DIR / lang).glob("*.po")):
            with po.open("rb") as f:
                ids = {m.id for m in read_po(f, locale=lang) if m.id and isinstance(m.id, str)}
            if po.name == "labels.po":
                assert ids == words, (lang, sorted(ids ^ words))
            else:
                assert not ids & words, (lang, po.name, sorted(ids & words))


def test_no_catalogue_file_keeps_a_message_the_pages_no_longer_use() -> None:
    used = messages()
    for lang in ("kk", "ru"):
        for po in sorted((LOCALE_DIR / lang).glob("*.po")):
            with po.open("rb") as f:
                ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f, locale=lang) if m.id}
            assert not ids - set(used), (lang, po.name, sorted(ids - set(used)))
