"""Answers that are files: a Content-Disposition any filename survives, and CSV cells a spreadsheet will not run."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/;]")  # controls (CR/LF), quotes and separators never reach a header


def content_disposition(filename: str, inline: bool = False) -> str:
    """Return a Content-Disposition value for any filename (RFC 6266 with an RFC 5987 `filename*`)."""
    name = _UNSAFE.sub("_", filename).strip() or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", fallback).strip() or "download"
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def download(data: bytes | str, filename: str, mimetype: str, inline: bool = False) -> Response:
    """Answer `data` as a file named `filename`, whatever characters the name holds."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, inline)
    return response


# OWASP CSV injection: a cell starting with one of these is a formula to Excel and LibreOffice.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # -0.3 is a measurement, not a formula


def csv_cell(value) -> str:
    """Return the cell's text with a leading quote where a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
