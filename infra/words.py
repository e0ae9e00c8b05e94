"""Sentences a pure core makes in Chinese, kept with their catalogue template so a shell can say them in English.

Pure: the standard library only (the cores import it; the translation itself happens in the shell,
`infra.i18n.say`). A `Sentence` *is* the Chinese text (a `str`), so a core's callers and its tests
read it as before.
"""
from __future__ import annotations


def N_(text: str) -> str:
    """Mark a template for the translation catalogue and return it unchanged."""
    return text


class Sentence(str):
    """The Chinese text made from `template % params`; `template` is a catalogue message id."""

    template: str
    params: dict

    def __new__(cls, template: str, **params) -> "Sentence":
        shown = {name: str(value) if isinstance(value, Listing) else value
                 for name, value in params.items()}
        text = super().__new__(cls, template % shown if params else template)
        text.template = template
        text.params = params
        return text

    def __reduce__(self):
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict) -> Sentence:
    return Sentence(template, **params)


class Listing(tuple):
    """Items a sentence lists, joined with `sep` (a catalogue message id: "、" reads ", " in English)."""

    sep: str

    def __new__(cls, items, sep: str = "、") -> "Listing":
        listing = super().__new__(cls, items)
        listing.sep = sep
        return listing

    def __str__(self) -> str:
        return self.sep.join(map(str, self))

    def __reduce__(self):
        return (Listing, (tuple(self), self.sep))


# The separators sentences list with, for the catalogue.
SEPARATORS = (N_("、"), N_("，"), N_("；"), N_("”或“"))
