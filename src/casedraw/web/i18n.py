"""Languages of the web pages: Kazakh, Russian and English.

English is the source text (the message ids). Each other language's catalogue is the union of the
`.po` files under locale/<lang>/, one per area of the site so each can be kept on its own; they are
compiled in memory when first needed, so no generated `.mo` file is kept in the repository. Dates,
numbers and amounts are formatted per locale with Babel's CLDR data.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("kk", "ru", "en")
DEFAULT_LOCALE = "kk"  # the state language
LANG_COOKIE = "casedraw_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}  # each in its own language


def catalogue(lang: str) -> Catalog:
    """Every translated message of `lang`, from all of its .po files (fuzzy entries are not used)."""
    merged = Catalog(locale=lang, domain="messages")
    for po in sorted((LOCALE_DIR / lang).glob("*.po")):
        with po.open("rb") as f:
            part = read_po(f, locale=lang)
        for message in part:
            if message.id and _translated(message.string) and not message.fuzzy:
                merged.add(message.id, message.string, locations=message.locations)
    return merged


def _translated(string: str | tuple[str, ...] | None) -> bool:
    """A translation, with every plural form where the message has several."""
    return bool(string) and (all(string) if isinstance(string, tuple) else True)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LOCALES:
        raise ValueError(f"lang: one of {', '.join(LOCALES)}")
    if lang == "en":
        return gettext.NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(lang))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: asked for in the query, else remembered in the cookie, else the browser's
    first preference among ours, else Kazakh."""
    for choice in (asked, cookie):
        if choice in LOCALES:
            return choice  # type: ignore[return-value]
    if accept_language:
        wanted = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
        try:
            found = Locale.negotiate([w for w in wanted if w], list(LOCALES), sep="_")
        except (ValueError, UnknownLocaleError):
            found = None
        if found is not None and found.language in LOCALES:
            return found.language
    return DEFAULT_LOCALE


class Formats:
    """Dates, numbers and amounts as a reader of `lang` expects them."""

    def __init__(self, lang: str):
        self.lang = lang
        self.locale = Locale.parse(lang)

    def date(self, value: dt.date | str | None, format: str = "medium") -> str:
        if value in (None, ""):
            return "—"
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        return babel_dates.format_date(value, format=format, locale=self.locale)

    def datetime(self, value: dt.datetime | str | None, format: str = "medium") -> str:
        if value in (None, ""):
            return "—"
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return babel_dates.format_datetime(value, format=format, tzinfo=dt.timezone(dt.timedelta(hours=5)), locale=self.locale)

    def number(self, value: float | int | Decimal | None, digits: int | None = None) -> str:
        if value is None:
            return "—"
        if digits is not None:
            return babel_numbers.format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.locale)
        return babel_numbers.format_decimal(value, locale=self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        # The locale's own pattern (its spacing and sign), with up to `digits` decimals kept.
        return babel_numbers.format_percent(round(value, digits + 2), locale=self.locale, decimal_quantization=False)

    def money(self, tiyn: int | None) -> str:
        """An amount kept in tiyn, shown in tenge with the locale's currency format."""
        if tiyn is None:
            return "—"
        return babel_numbers.format_currency(Decimal(tiyn) / 100, "KZT", locale=self.locale)


def missing_translations(lang: str, message_ids: Iterable[str]) -> list[str]:
    """The message ids (the singular of a plural message) that `lang` does not translate in every form."""
    known = catalogue(lang)
    return sorted({m for m in message_ids if m and (known.get(m) is None or not _translated(known.get(m).string))})
