"""Both catalogues are complete: every message in the code is translated, none is fuzzy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = {"zh_CN": "zh_Hans_CN", "en": "en"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "N_": None}
METHOD_MAP = [("trainer/**.py", "python"), ("trainer/**/templates/**.html", "jinja2")]


def code_messages() -> set[str]:
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, options_map={}
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def catalogue(locale: str):
    path = ROOT / "trainer" / "translations" / CATALOGUES[locale] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = code_messages()
    # the extractor really read the Python code, the templates and the N_ markers
    assert {"Skip to content", "Log in", "The file is empty."} <= found
    return found


@pytest.mark.parametrize("locale", CATALOGUES)
def test_every_message_is_translated(locale, messages):
    entries = {message.id: message for message in catalogue(locale) if message.id}
    missing = sorted(messages - entries.keys())
    untranslated = sorted(m for m in messages & entries.keys() if not entries[m].string)
    fuzzy = sorted(m for m in messages & entries.keys() if entries[m].fuzzy)
    assert (missing, untranslated, fuzzy) == ([], [], []), "run `make messages` and translate"


def test_chinese_catalogue_is_actually_chinese(messages):
    entries = {message.id: message.string for message in catalogue("zh_CN") if message.id}
    not_chinese = [msgid for msgid in messages
                   if not any("\u4e00" <= char <= "\u9fff" for char in entries.get(msgid, ""))]
    assert not_chinese == []


@pytest.mark.parametrize("locale", CATALOGUES)
def test_placeholders_survive_translation(locale):
    import re

    for message in catalogue(locale):
        if message.id and message.string:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(
                re.findall(r"%\(\w+\)s", message.string)), message.id


def placeholder_problems(messages: Any) -> list[tuple[str, str]]:
    """What `pybabel compile` would refuse: python-format placeholders that do not match."""
    return [(message.id, str(error)) for message in messages
            if message.id for error in message.check(messages)]


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_catalogue_compiles_without_placeholder_errors(locale: str) -> None:
    assert placeholder_problems(catalogue(locale)) == []


def test_a_percent_sign_in_a_message_is_caught() -> None:
    from babel.messages.catalog import Catalog

    broken = Catalog(locale="zh_Hans_CN")
    broken.add("Left (% of width)", "左边距（宽度）", flags=["python-format"])
    assert placeholder_problems(broken) != []


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_every_translation_survives_formatting(locale: str) -> None:
    """Templates' `_()` always %-formats its text (with no parameters: an empty dict), so a
    bare percent sign in any text, flagged python-format or not, is an error page there."""
    import re

    broken = []
    for message in catalogue(locale):
        if message.id and message.string:
            names = re.findall(r"%\((\w+)\)", message.string)
            try:
                message.string % dict.fromkeys(names, 1)  # 1: as %s and as %d
            except (ValueError, TypeError, KeyError) as error:
                broken.append((message.id, str(error)))
    assert broken == []
