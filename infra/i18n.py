"""Translation of the pure cores' label tables (Chinese source text, English by gettext)."""
from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import LazyString, lazy_gettext, lazy_pgettext
from jinja2.ext import Extension


def N_(text: str) -> str:
    """Mark a shell's label for the translation catalogue and return it unchanged."""
    return text


class Labels(Mapping):
    """A core's label table, translated at the moment a label is shown; unknown keys show themselves."""

    def __init__(self, source: Mapping[str, str], context: str | None = None):
        self._source = source
        self._context = context  # a catalogue context, where the same Chinese word says another thing

    def __getitem__(self, key) -> LazyString:
        word = self._source[key]
        if isinstance(word, LazyString):
            return word
        return lazy_pgettext(self._context, word) if self._context else lazy_gettext(word)

    def __iter__(self):
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)

    def word(self, key) -> str:
        """The label of `key`, or `key` itself when the table does not know it."""
        return str(self[key]) if key in self._source else str(key)


def one_language(message) -> str:
    """The half of a "中文 / English" message in the reader's language; other messages as they are.

    Service errors carry both languages (SPEC: one message for the page, the API and the log); a page
    shows only its own half.
    """
    from flask_babel import get_locale

    text = str(message)
    if " / " not in text:
        return text
    chinese, _sep, english = text.partition(" / ")
    if not str(get_locale() or "zh").startswith("en"):
        return chinese.strip()
    english = english.strip()
    first = english.split(" ", 1)[0].rstrip(":,")
    # The English halves are written short ("unknown firm"); a sentence on a page starts with a capital,
    # but a field name ("sampling.lot_size") stays as the API spells it.
    return english[:1].upper() + english[1:] if first.isalpha() and first.islower() else english


# Full-width punctuation written in the templates' own text is Chinese punctuation: the English
# interface shows its English counterpart (the catalogue says which), so "角色：" reads "Role: ".
PUNCTUATION = (N_("："), N_("，"), N_("、"), N_("；"), N_("（"), N_("）"), N_("《"), N_("》"), N_("。"), N_("？"),
               N_("！"))
_TEMPLATE_CODE = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.S)
_MARKS = re.compile("[" + "".join(PUNCTUATION) + "]")
_JOINED = re.compile(r"join\(['\"]([" + "".join(PUNCTUATION) + r"])['\"]\)")


class PunctuationExtension(Extension):
    """Jinja: translate the full-width punctuation of a template's literal text (never of the data it shows)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        parts = _TEMPLATE_CODE.split(source)
        for i in range(0, len(parts), 2):  # even parts are literal text, odd parts template code
            parts[i] = _MARKS.sub(lambda m: "{{ _('" + m.group(0) + "') }}", parts[i])
        for i in range(1, len(parts), 2):  # a list joined with a Chinese separator: `join('、')`
            parts[i] = _JOINED.sub(lambda m: "join(_('" + m.group(1) + "'))", parts[i])
        return "".join(parts)


def say(text):
    """A core's `Sentence` in the reader's language (its values said too); any other text as it is."""
    from flask_babel import gettext

    from infra.words import Listing, Sentence

    if isinstance(text, Listing):
        return gettext(text.sep).join(str(say(item)) for item in text)
    if isinstance(text, Sentence):
        params = {name: say(value) for name, value in text.params.items()}
        return gettext(text.template, **params) if params else gettext(text.template)
    return text
