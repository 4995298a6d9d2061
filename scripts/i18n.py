"""Keep the translation catalogues in step with the code.

    python scripts/i18n.py update   extract messages, update zh_CN and en catalogues,
                                    fill the English catalogue (msgstr = msgid)
    python scripts/i18n.py check    list untranslated or fuzzy messages (exit 1 if any)

Chinese translations are written by hand in trainer/translations/zh_Hans_CN/LC_MESSAGES/messages.po.
`make install` compiles the catalogues; `tests/test_translations.py` fails when a message in
the code has no translation in either catalogue.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "trainer" / "translations"
POT = TRANSLATIONS / "messages.pot"
# The interface's zh_CN is CLDR's zh_Hans_CN, the name Babel resolves it to at run time.
LOCALES = ("zh_Hans_CN", "en")
KEYWORDS = ["-k", "_l", "-k", "N_"]


def catalogue_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def update() -> None:
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--no-location",
            "--sort-output", "--project", "Census Enumerator Trainer", "-o", str(POT), str(ROOT))
    for locale in LOCALES:
        if not catalogue_path(locale).exists():
            pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)
        pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale,
                "--no-fuzzy-matching", "--ignore-obsolete")
    path = catalogue_path("en")
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    for message in catalogue:
        if message.id and not message.string:
            message.string = message.id
    with path.open("wb") as handle:
        write_po(handle, catalogue, omit_header=False, sort_output=True)


def check() -> int:
    problems = 0
    for locale in LOCALES:
        with catalogue_path(locale).open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        for message in catalogue:
            if message.id and (not message.string or message.fuzzy):
                print(f"{locale}: {'fuzzy' if message.fuzzy else 'untranslated'}: {message.id!r}")
                problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "update"
    if action == "update":
        update()
        sys.exit(check())
    sys.exit(check())
