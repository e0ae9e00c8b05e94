"""The Chinese font shared by every PDF the project prints (certificates, inspection reports).

SPEC §5: the font is embedded, so a certificate renders on a machine with no Chinese font.
ReportLab embeds a TrueType font as per-document subsets (/FontFile2), holding only the glyphs
the document uses.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_FONT_NAME = "WQYMicroHei"
CJK_MONO_FONT_NAME = "WQYMicroHeiMono"  # the collection's second face: fixed-width Latin, for codes
CJK_FONT_PATH = Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei.ttc"

_lock = threading.Lock()


def register_cjk_font() -> str:
    """Register the embedded Chinese font with ReportLab once and return its name."""
    return _register(CJK_FONT_NAME, 0)


def register_cjk_mono_font() -> str:
    """Register the fixed-width face of the same collection once and return its name."""
    # A URL or serial a person may have to type is easier to read, and count, in fixed width.
    return _register(CJK_MONO_FONT_NAME, 1)


def _register(name: str, subfont: int) -> str:
    # Parsing the 5 MB collection costs ~0.1 s: do it on first use, never at import time.
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    with _lock:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(CJK_FONT_PATH), subfontIndex=subfont))
    return name


def use_binary_streams() -> None:
    """Write PDF streams as binary instead of ASCII85 (ReportLab's `rl_config.useA85`)."""
    # ReportLab ASCII85-encodes page contents and images by default, in pure Python unless the
    # optional rl_accel extension is present: a third of a certificate's render time, and 25%
    # more bytes, for a 7-bit safety no PDF consumer of ours needs. Process-wide and idempotent.
    rl_config.useA85 = 0
