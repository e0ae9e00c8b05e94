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
CJK_FONT_PATH = Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei.ttc"

_lock = threading.Lock()


def register_cjk_font() -> str:
    """Register the embedded Chinese font with ReportLab once and return its name."""
    # Parsing the 5 MB collection costs ~0.1 s: do it on first use, never at import time.
    if CJK_FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return CJK_FONT_NAME
    with _lock:
        if CJK_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(CJK_FONT_PATH), subfontIndex=0))
    return CJK_FONT_NAME


def use_binary_streams() -> None:
    """Write PDF streams as binary instead of ASCII85 (ReportLab's `rl_config.useA85`)."""
    # ReportLab ASCII85-encodes page contents and images by default, in pure Python unless the
    # optional rl_accel extension is present: a third of a certificate's render time, and 25%
    # more bytes, for a 7-bit safety no PDF consumer of ours needs. Process-wide and idempotent.
    rl_config.useA85 = 0
