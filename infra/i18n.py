"""Translation of the pure cores' label tables (Chinese source text, English by gettext)."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString, lazy_gettext


def N_(text: str) -> str:
    """Mark a shell's label for the translation catalogue and return it unchanged."""
    return text


class Labels(Mapping):
    """A core's label table, translated at the moment a label is shown; unknown keys show themselves."""

    def __init__(self, source: Mapping[str, str]):
        self._source = source

    def __getitem__(self, key) -> LazyString:
        return lazy_gettext(self._source[key])

    def __iter__(self):
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)

    def word(self, key) -> str:
        """The label of `key`, or `key` itself when the table does not know it."""
        return str(self[key]) if key in self._source else str(key)
