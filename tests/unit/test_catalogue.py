"""The English catalogue is complete: every message the code and templates mark is translated, in English."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
HOW_TO = ("run `pybabel extract -F babel.cfg -o /tmp/messages.pot . && pybabel update -i /tmp/messages.pot "
          "-d translations` and translate the new entries")


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def marked() -> set[tuple[str | None, str]]:
    """Every (context, message) the sources mark, found as `pybabel extract` finds them (babel.cfg)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map,
            callback=None, strip_comment_tags=True):
        found.add((context, message if isinstance(message, str) else message[0]))
    return {(c, m) for c, m in found if not m.startswith(".venv")}


def entries(catalogue):
    return [m for m in catalogue if m.id]


def test_every_marked_message_is_in_the_catalogue(catalogue, marked):
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in entries(catalogue)}
    missing = sorted(marked - known, key=str)
    assert not missing, f"{len(missing)} messages are not in messages.po ({HOW_TO}): {missing[:20]}"
    assert len(marked) > 500


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [m.id for m in entries(catalogue) if not (m.string if isinstance(m.string, str) else m.string[0])]
    fuzzy = [m.id for m in entries(catalogue) if m.fuzzy]
    assert not untranslated and not fuzzy, (untranslated[:20], fuzzy[:20])


def test_the_translations_are_english_with_the_same_placeholders(catalogue):
    for m in entries(catalogue):
        assert not HAN.search(m.string), (m.id, m.string)
        assert set(PLACEHOLDER.findall(m.id)) == set(PLACEHOLDER.findall(m.string)), (m.id, m.string)


def test_licence_is_spelt_the_british_way(catalogue):
    # "licensed" (the verb) is British too; the noun is "licence".
    american = [m.string for m in entries(catalogue) if re.search(r"\blicenses?\b", m.string, re.I)]
    assert not american


def test_every_decision_word_has_its_noun_in_the_decision_context(catalogue):
    from trademark.rules import DECISION_LABELS

    in_context = {m.id for m in entries(catalogue) if m.context == "decision"}
    assert set(DECISION_LABELS.values()) <= in_context, set(DECISION_LABELS.values()) - in_context
