"""The messages of the web pages, and which of them a language does not translate yet.

    python -m casedraw.web.catalogue            # every language: the untranslated messages, with where they are
    python -m casedraw.web.catalogue ru         # one language

Messages are what templates pass to `_()` / `gettext()` / `ngettext()` (and `{% trans %}` blocks), and
what the Python modules of this package mark with `_()` or `N_()`.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import extract_from_dir

from casedraw.web.i18n import LOCALES, missing_translations

PACKAGE = Path(__file__).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def messages() -> dict[str, list[str]]:
    """Every message id of the pages, with the places (file:line) that use it."""
    found: dict[str, list[str]] = defaultdict(list)
    for filename, line, message, _comments, _context in extract_from_dir(
            PACKAGE, method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS):
        singular = message[0] if isinstance(message, tuple) else message  # a plural message is kept under its singular
        if singular:
            found[singular].append(f"{filename}:{line}")
    return dict(found)


def main(argv: list[str]) -> int:
    found = messages()
    missing_anywhere = 0
    for lang in argv or [code for code in LOCALES if code != "en"]:
        missing = missing_translations(lang, found)
        missing_anywhere += len(missing)
        print(f"{lang}: {len(found) - len(missing)} of {len(found)} messages translated")
        for message in missing:
            print(f"  {message!r}  ({', '.join(found[message][:3])})")
    return 1 if missing_anywhere else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
