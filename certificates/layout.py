"""The authorization certificate PDF (商标使用授权证书, SPEC §5): A4, Chinese, with a QR code.

The page, top to bottom: title and certificate number; the mark (image, name, 商标注册号); the
licence facts as a ruled form; the grant statement; then a bottom band with the QR code and its
prompt on the left and the issuing alliance's seal and signature area on the right; last, for
a person who checks by hand, where to look the certificate number up and the verification URL in
readable groups. An archive copy (`archive_status`, for a licence that is
no longer active) carries that status across the page and in a ribbon at the top, and has no QR
code: it must never pass for a live certificate (SPEC §5).

Speed matters (certificates are printed in batches and on demand), so this module
- draws the QR code as vector rectangles, one per run of dark modules, straight into the page
  content, instead of rasterising it with PIL and embedding a bitmap;
- registers the embedded font once per process (`infra.pdf`);
- normalises a mark image once (flattened, bounded size, JPEG) and reuses it, so ReportLab
  passes the JPEG through instead of re-compressing pixels for every certificate.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_ALPHA_NUM, QRData, mask_func
from PIL import Image
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from infra.pdf import register_cjk_font, use_binary_streams
from certificates.tokens import is_qr_alphanumeric

QR_QUIET_ZONE = 4  # modules, ISO/IEC 18004 minimum
QR_SIZE = 44 * mm  # the symbol including its quiet zone
SCAN_PROMPT = "扫码核验授权状态"
TITLE = "商标使用授权证书"
SEAL_LABEL = "联盟（盖章）"
SIGNATURE_LABEL = "授权代表签字"
ARCHIVE_LABEL = "存档副本"
MORE_ON_VERIFY_PAGE = "…（详见扫码核验页面）"

_INK = Color(0.55, 0.07, 0.07)  # seal red for the frame, title and archive marks
_TEXT = Color(0.08, 0.08, 0.08)
_LABEL = Color(0.3, 0.3, 0.3)
_RULE = Color(0.78, 0.72, 0.72)
_FAINT = Color(0.55, 0.55, 0.55)
_MARK_IMAGE_MAX_PX = 600  # ~ 400 dpi at the 38 mm it is printed: plenty

_WIDTH, _HEIGHT = A4
_LEFT = 25 * mm  # text column; the frame's inner line is at 15 mm
_RIGHT = _WIDTH - 25 * mm
_FIELD_SIZE, _FIELD_LEADING = 12, 17
_LABEL_W = 38 * mm
_MAX_VALUE_LINES = 3  # per field (the scope: _MAX_SCOPE_LINES); the verification page lists all
_MAX_SCOPE_LINES = 5
_MIN_ROW_PAD, _MAX_ROW_PAD = 3, 11  # points above and below a field's text
# The verification URL is printed for a person who checks by hand: dark, at least _URL_MIN_SIZE
# points, the token in groups of _URL_GROUP characters (the verification page ignores the spaces)
# on at most _URL_MAX_LINES lines, under a line that names the shorter way (the registry and the
# certificate number). The embedded font only: a second face would cost ~40% more render time.
_URL_WIDTH = _WIDTH - 2 * 22 * mm
_URL_SIZE, _URL_MIN_SIZE, _URL_LEADING = 9.0, 8.0, 1.32
_URL_GROUP, _URL_MAX_LINES = 5, 3
_HINT_SIZE = 9.5

# Bottom band, in points from the page's bottom edge: the URL's last line, the hint above its
# first, the scan prompt under the QR code, the QR code with the seal and signature beside it.
_URL_BASELINE = 20 * mm
_HINT_BASELINE = _URL_BASELINE + (_URL_MAX_LINES - 1) * _URL_SIZE * _URL_LEADING + 5.5 * mm
_PROMPT_BASELINE = _HINT_BASELINE + 6.5 * mm
_QR_BOTTOM = _PROMPT_BASELINE + 3.5 * mm
_QR_TOP = _QR_BOTTOM + QR_SIZE
_STATEMENT_SIZE, _STATEMENT_LEADING = 11, 17


@dataclass(frozen=True)
class CertificateData:
    certificate_no: str
    mark_name: str
    mark_image: bytes | None  # PNG or JPEG
    firm_name: str
    uscc: str
    address: str
    scope: tuple[str, ...]  # product models
    standard_code: str
    standard_version: str
    issued_on: date
    expires_on: date
    alliance_name: str
    verify_url: str
    registration_no: str = ""  # the mark's 商标注册号, as registered (e.g. "第12345678号")
    # where a person may look the certificate number up instead (e.g. "mark.example.org/registry")
    registry_url: str = ""
    # None: the live certificate. Otherwise the licence's status in words (已暂停, 已撤销, …):
    # an archive copy, with that status across the page and no QR code.
    archive_status: str | None = None


def render_certificate(data: CertificateData) -> bytes:
    """Render the certificate as a one-page A4 PDF with the Chinese font embedded."""
    archive = data.archive_status is not None
    suffix = f"（{ARCHIVE_LABEL}：{data.archive_status}）" if archive else ""
    return _render([data], f"{TITLE} {data.certificate_no}{suffix}", data.alliance_name)


def render_certificates(certificates: Sequence[CertificateData], title: str) -> bytes:
    """Render several certificates into one A4 PDF, one a page, in the order given (the font embedded once)."""
    alliances = sorted({data.alliance_name for data in certificates})
    return _render(certificates, title, "、".join(alliances))


def _render(certificates: Sequence[CertificateData], title: str, author: str) -> bytes:
    font = register_cjk_font()
    use_binary_streams()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setCreator("AllianceMark")
    for data in certificates:
        _page(c, font, data)
        c.showPage()
    c.save()
    return buf.getvalue()


def _page(c: Canvas, font: str, data: CertificateData) -> None:
    """Draw one certificate on the canvas's current page."""
    archive = data.archive_status is not None
    _frame(c, _WIDTH, _HEIGHT)
    if archive:
        _archive_ribbon(c, font, data.archive_status or "")
    top = _header(c, font, data)
    statement_top = _statement(c, font, data, bottom=_QR_TOP + 9 * mm)
    _fields(c, font, data, top=top, bottom=statement_top + 5 * mm)
    if archive:
        _archive_box(c, font, data.archive_status or "")
    else:
        _draw_qr(c, data.verify_url, _LEFT, _QR_BOTTOM, QR_SIZE)
        c.setFont(font, 11)
        c.setFillColor(_TEXT)
        c.drawCentredString(_LEFT + QR_SIZE / 2, _PROMPT_BASELINE, SCAN_PROMPT)
    _seal_and_signature(c, font, data.alliance_name)
    _check_by_hand(c, font, data)
    if archive:
        _archive_watermark(c, font, data.archive_status or "")


# --- layout -------------------------------------------------------------------------------


def _header(c: Canvas, font: str, data: CertificateData) -> float:
    """Draw title, certificate number and the mark; return the y where the fields may start."""
    centre = _WIDTH / 2
    c.setFillColor(_INK)
    c.setFont(font, 30)
    c.drawCentredString(centre, _HEIGHT - 40 * mm, TITLE)
    c.setFillColor(_LABEL)
    c.setFont(font, 11)
    c.drawCentredString(centre, _HEIGHT - 48 * mm, f"证书编号：{data.certificate_no}")

    y = _HEIGHT - 54 * mm
    box = 38 * mm
    reader = _mark_reader(data.mark_image) if data.mark_image else None
    if reader is not None:
        c.drawImage(reader, centre - box / 2, y - box, box, box, preserveAspectRatio=True, anchor="c")
        y -= box + 3 * mm
    name = f"「{data.mark_name}」"
    c.setFillColor(_TEXT)
    c.setFont(font, _fit_size(name, font, 18, _RIGHT - _LEFT))
    c.drawCentredString(centre, y - 7 * mm, name)
    registration = f"商标注册号：{data.registration_no.strip() or '—'}"
    c.setFillColor(_LABEL)
    c.setFont(font, _fit_size(registration, font, 11, _RIGHT - _LEFT))
    c.drawCentredString(centre, y - 14 * mm, registration)
    return y - 20 * mm


def _fields(c: Canvas, font: str, data: CertificateData, *, top: float, bottom: float) -> None:
    """Draw the licence facts as a ruled form filling the space between top and bottom."""
    value_x = _LEFT + _LABEL_W
    value_w = _RIGHT - value_x
    half = (_RIGHT - _LEFT) / 2 + 6 * mm  # where the second pair of the dates row starts
    rows: list[tuple[str, list[str]] | tuple[str, str, str, str]] = [
        ("被许可企业", _wrap(data.firm_name, font, _FIELD_SIZE, value_w)),
        ("统一社会信用代码", [data.uscc]),
        ("企业地址", _wrap(data.address or "—", font, _FIELD_SIZE, value_w)),
        ("许可使用范围", _wrap("、".join(data.scope) or "—", font, _FIELD_SIZE, value_w)),
        ("依据标准", [_standard(data)]),
        ("发证日期", _cn_date(data.issued_on), "有效期至", _cn_date(data.expires_on)),
    ]
    room = top - bottom

    def height(pad: float, lines: list[int]) -> float:
        return sum(n * _FIELD_LEADING + 2 * pad for n in lines)

    counts = [len(r[1]) if len(r) == 2 else 1 for r in rows]
    counts = [min(n, _MAX_SCOPE_LINES if r[0] == "许可使用范围" else _MAX_VALUE_LINES)
              for r, n in zip(rows, counts)]
    while height(_MIN_ROW_PAD, counts) > room and max(counts) > 1:  # a long scope gives way first
        counts[counts.index(max(counts))] -= 1
    pad = (room - height(0, counts)) / (2 * len(rows))
    pad = max(_MIN_ROW_PAD, min(_MAX_ROW_PAD, pad))
    y = top - (room - height(pad, counts)) / 2  # centre the form in its space

    c.setLineWidth(0.6)
    c.setStrokeColor(_RULE)
    c.line(_LEFT, y, _RIGHT, y)
    for row, count in zip(rows, counts):
        baseline = y - pad - _FIELD_SIZE * 0.95
        c.setFont(font, _FIELD_SIZE)
        if len(row) == 4:
            label, value, label2, value2 = row
            _label(c, label, _LEFT, baseline)
            c.drawString(value_x, baseline, value)
            _label(c, label2, _LEFT + half, baseline)
            c.drawString(_LEFT + half + 24 * mm, baseline, value2)
        else:
            label, lines = row
            if len(lines) > count:
                lines = lines[:count]
                lines[-1] = _cut(lines[-1], MORE_ON_VERIFY_PAGE, font, _FIELD_SIZE, value_w)
            _label(c, label, _LEFT, baseline)
            for i, line in enumerate(lines):
                c.drawString(value_x, baseline - i * _FIELD_LEADING, line)
        y -= count * _FIELD_LEADING + 2 * pad
        c.setStrokeColor(_RULE)
        c.line(_LEFT, y, _RIGHT, y)


def _label(c: Canvas, text: str, x: float, baseline: float) -> None:
    c.setFillColor(_LABEL)
    c.drawString(x, baseline, text)
    c.setFillColor(_TEXT)


def _statement(c: Canvas, font: str, data: CertificateData, *, bottom: float) -> float:
    """Draw the grant statement with its last line at bottom; return the y of its top."""
    text = (
        f"经审核，上述企业的上述产品符合 {_standard(data)} 的要求，准予在许可使用范围内的产品上"
        f"使用「{data.mark_name}」标志。本证书的有效状态以扫码核验结果为准。"
    )
    lines = _wrap(text, font, _STATEMENT_SIZE, _RIGHT - _LEFT)
    c.setFont(font, _STATEMENT_SIZE)
    c.setFillColor(_TEXT)
    y = bottom + (len(lines) - 1) * _STATEMENT_LEADING
    for line in lines:
        c.drawString(_LEFT, y, line)
        y -= _STATEMENT_LEADING
    return bottom + (len(lines) - 1) * _STATEMENT_LEADING + _STATEMENT_SIZE


def _seal_and_signature(c: Canvas, font: str, alliance: str) -> None:
    """Draw the issuer, a dashed seal circle and the signature and date lines (right of the QR)."""
    x = _LEFT + QR_SIZE + 14 * mm
    seal_r = 17 * mm
    seal_x, seal_y = _RIGHT - seal_r - 1 * mm, _QR_BOTTOM + QR_SIZE / 2 + 1 * mm

    c.setFillColor(_LABEL)
    c.setFont(font, 11)
    c.drawString(x, _QR_TOP - 6 * mm, "发证单位")
    c.setFillColor(_TEXT)
    issuer_w = seal_x - x  # the seal may cover the end of the name, as a stamp does
    lines = _wrap(alliance, font, 14, issuer_w)
    size = 14.0
    if len(lines) > 2:  # a very long name: two lines, smaller
        size = _fit_size(alliance, font, 14, 2 * issuer_w * 0.97)
        lines = _wrap(alliance, font, size, issuer_w)[:2]
    c.setFont(font, size)
    for i, line in enumerate(lines):
        c.drawString(x, _QR_TOP - 13 * mm - i * size * 1.3, line)

    c.saveState()
    c.setStrokeColor(_FAINT)
    c.setLineWidth(0.7)
    c.setDash(3, 2)
    c.circle(seal_x, seal_y, seal_r, stroke=1, fill=0)
    c.restoreState()
    c.setFillColor(_FAINT)
    c.setFont(font, 9)
    c.drawCentredString(seal_x, seal_y - 3, SEAL_LABEL)

    c.setFont(font, 11)
    line_end = seal_x - seal_r - 4 * mm
    for label, baseline in ((f"{SIGNATURE_LABEL}：", _QR_BOTTOM + 17 * mm), ("日期：", _QR_BOTTOM + 5 * mm)):
        c.setFillColor(_LABEL)
        c.drawString(x, baseline, label)
        start = x + stringWidth(f"{SIGNATURE_LABEL}：", font, 11) + 1 * mm
        c.setStrokeColor(_TEXT)
        c.setLineWidth(0.5)
        c.line(start, baseline - 2, line_end, baseline - 2)


def _check_by_hand(c: Canvas, font: str, data: CertificateData) -> None:
    """Draw the hint (registry and certificate number) and the URL in grouped lines, centred as a block."""
    if data.archive_status is not None:  # no QR code on an archive copy: where its current status is
        hint = (f"查询当前状态：访问 {data.registry_url} 输入证书编号 {data.certificate_no}，或在浏览器输入以下网址："
                if data.registry_url else "查询当前状态：在浏览器输入以下网址：")
    else:
        hint = (f"扫码或访问 {data.registry_url} 输入证书编号 {data.certificate_no} 核验；也可在浏览器输入以下网址："
                if data.registry_url else "扫码核验，也可在浏览器输入以下网址：")
    c.setFillColor(_LABEL)
    c.setFont(font, _fit_size(hint, font, _HINT_SIZE, _URL_WIDTH))
    c.drawCentredString(_WIDTH / 2, _HINT_BASELINE, hint)

    size, lines = url_lines(data.verify_url, font)
    leading = size * _URL_LEADING
    widest = max(stringWidth(line, font, size) for line in lines)
    x = (_WIDTH - widest) / 2
    text = c.beginText(x, _URL_BASELINE + (len(lines) - 1) * leading)
    text.setFont(font, size, leading)
    text.setFillColor(_TEXT)
    for line in lines:
        text.textLine(line)
    c.drawText(text)


def url_lines(url: str, font: str) -> tuple[float, list[str]]:
    """Break a URL for reading: the address whole, then the token in groups; return the size and the lines.

    The lines fit _URL_WIDTH at _URL_SIZE on at most _URL_MAX_LINES lines, or at the size (not below
    _URL_MIN_SIZE) at which they do; a URL longer still takes more lines rather than smaller letters.
    """
    cut = url.rfind("/") + 1
    head, token = url[:cut], url[cut:]
    groups = [token[i:i + _URL_GROUP] for i in range(0, len(token), _URL_GROUP)]
    size = _URL_SIZE
    while True:
        lines = _fill([head + groups[0]] + groups[1:] if groups else [head], font, size)
        if len(lines) <= _URL_MAX_LINES or size <= _URL_MIN_SIZE:
            return size, lines
        size = max(_URL_MIN_SIZE, size - 0.25)


def _fill(words: list[str], font: str, size: float) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and stringWidth(f"{lines[-1]} {word}", font, size) <= _URL_WIDTH:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _archive_ribbon(c: Canvas, font: str, status: str) -> None:
    """Draw a red ribbon under the frame's top edge saying this is an archive copy."""
    inner = 15 * mm
    h = 8 * mm
    c.saveState()
    c.setFillColor(_INK)
    c.rect(inner, _HEIGHT - inner - h, _WIDTH - 2 * inner, h, stroke=0, fill=1)
    c.setFillColor(white)
    c.setFont(font, 12)
    c.drawCentredString(_WIDTH / 2, _HEIGHT - inner - h + 2.6 * mm,
                        f"{ARCHIVE_LABEL}　当前状态：{status}　不作授权证明")
    c.restoreState()


def _archive_box(c: Canvas, font: str, status: str) -> None:
    """Take the QR code's place with a box that says why there is none."""
    inset = 3 * mm  # where the QR symbol itself would start, inside its quiet zone
    c.saveState()
    c.setStrokeColor(_INK)
    c.setLineWidth(0.8)
    c.setDash(4, 2)
    c.rect(_LEFT + inset, _QR_BOTTOM + inset, QR_SIZE - 2 * inset, QR_SIZE - 2 * inset, stroke=1, fill=0)
    c.restoreState()
    centre = _LEFT + QR_SIZE / 2
    middle = _QR_BOTTOM + QR_SIZE / 2
    c.setFillColor(_INK)
    c.setFont(font, 16)
    c.drawCentredString(centre, middle + 6 * mm, ARCHIVE_LABEL)
    c.setFont(font, _fit_size(f"状态：{status}", font, 12, QR_SIZE - 4 * mm))
    c.drawCentredString(centre, middle - 1 * mm, f"状态：{status}")
    c.setFillColor(_LABEL)
    c.setFont(font, 9)
    c.drawCentredString(centre, middle - 8 * mm, "不含核验二维码")
    c.setFont(font, 11)
    c.setFillColor(_TEXT)
    c.drawCentredString(centre, _PROMPT_BASELINE, "本副本不作授权证明")


def _archive_watermark(c: Canvas, font: str, status: str) -> None:
    """Write the status diagonally across the page's middle, over everything, translucent."""
    note = f"{ARCHIVE_LABEL}　不作授权证明"
    c.saveState()
    c.translate(_WIDTH / 2, _HEIGHT / 2 - 5 * mm)
    c.rotate(40)
    c.setFillColor(_INK)
    c.setFillAlpha(0.15)
    size = _fit_size(status, font, 140, _WIDTH * 0.9)
    c.setFont(font, size)
    c.drawCentredString(0, 0, status)
    c.setFont(font, 30)
    c.drawCentredString(0, -16 * mm, note)
    c.restoreState()


def _standard(data: CertificateData) -> str:
    return f"{data.standard_code}-{data.standard_version}"

# --- QR ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Return the QR modules (no quiet zone) of a URL, error correction Q."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    # An upper-case URL fits alphanumeric mode (5.5 bits a character instead of 8): a smaller
    # symbol that scans more easily. Anything else falls back to qrcode's own mode choice.
    if is_qr_alphanumeric(url):
        qr.add_data(QRData(url, mode=MODE_ALPHA_NUM))
    else:
        qr.add_data(url)
    qr.best_fit()
    # qrcode picks the mask (ISO/IEC 18004 §7.8.3) by laying out the symbol eight times and
    # scoring each layout in pure Python: ~75% of a certificate's time. Lay it out once, derive
    # the other seven by XOR on packed bits and score those: the same choice, much faster.
    qr.makeImpl(True, 0)
    best = min(range(8), key=mask_penalties(qr.modules, qr.version).__getitem__)
    modules = qr.modules
    for i, j in _mask_flips(qr.version)[best]:
        modules[i][j] = not modules[i][j]
    qr.setup_type_info(False, best)
    if qr.version >= 7:
        qr.setup_type_number(False)
    return tuple(tuple(bool(m) for m in row) for row in modules)


def mask_penalties(modules: Sequence[Sequence[bool]], version: int) -> list[int]:
    """Score all eight masks of a symbol laid out with mask 0 and blank format information.

    The scores equal `qrcode.util.lost_point` of `QRCode.makeImpl(True, k)` for each k.
    """
    layout = _layout(version)
    rows = _pack(modules, layout.stride)
    cols = _pack(list(zip(*modules)), layout.stride)
    return [
        _penalty(rows ^ xor_rows, cols ^ xor_cols, layout)
        for xor_rows, xor_cols in layout.xors
    ]


@dataclass(frozen=True)
class _Layout:
    """Per-version constants: every row (or column) packed into one int, `stride` bits apart."""

    n: int
    stride: int
    xors: tuple[tuple[int, int], ...]  # per mask: bits turning mask 0 into it (rows, columns)
    flips: tuple[tuple[tuple[int, int], ...], ...]  # the same, as (row, column) positions
    pairs: int  # valid starts of a 2-module window in each line
    fives: int  # ... of a 5-module window
    elevens: int  # ... of an 11-module window
    blocks: int  # valid top-left corners of a 2x2 block (rows)


def _pack(lines: Sequence[Sequence[bool]], stride: int) -> int:
    # bit (i * stride + j) = module j of line i; the padding between lines stays 0
    return int(
        "".join(("0" * (stride - len(line))) + "".join("1" if m else "0" for m in reversed(line))
                for line in reversed(lines)),
        2,
    )


def _repeat(bits: int, count: int, stride: int) -> int:
    return sum(bits << (i * stride) for i in range(count))


@functools.lru_cache(maxsize=40)
def _layout(version: int) -> _Layout:
    n = version * 4 + 17
    stride = n + 16  # padding wider than any window, so no pattern spans two lines
    blank = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_Q, border=0)
    blank.modules_count = n
    blank.modules = [[None] * n for _ in range(n)]
    blank.setup_position_probe_pattern(0, 0)
    blank.setup_position_probe_pattern(n - 7, 0)
    blank.setup_position_probe_pattern(0, n - 7)
    blank.setup_position_adjust_pattern()
    blank.setup_timing_pattern()
    blank.setup_type_info(True, 0)
    if version >= 7:
        blank.setup_type_number(True)
    data = [[m is None for m in row] for row in blank.modules]  # where map_data writes
    funcs = [mask_func(k) for k in range(8)]
    xors, flips = [], []
    for k in range(8):
        grid = [
            [data[i][j] and (funcs[0](i, j) != funcs[k](i, j)) for j in range(n)]
            for i in range(n)
        ]
        xors.append((_pack(grid, stride), _pack(list(zip(*grid)), stride)))
        flips.append(tuple((i, j) for i in range(n) for j in range(n) if grid[i][j]))
    return _Layout(
        n=n,
        stride=stride,
        xors=tuple(xors),
        flips=tuple(flips),
        pairs=_repeat((1 << (n - 1)) - 1, n, stride),
        fives=_repeat((1 << (n - 4)) - 1, n, stride),
        elevens=_repeat((1 << (n - 10)) - 1, n, stride),
        blocks=_repeat((1 << (n - 1)) - 1, n - 1, stride),
    )


def _mask_flips(version: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    return _layout(version).flips


def _penalty(rows: int, cols: int, layout: _Layout) -> int:
    """ISO/IEC 18004 mask penalty N1..N4, as qrcode computes it, on packed rows and columns."""
    points = 0
    for x in (rows, cols):
        inv = ~x
        same = ~(x ^ (x >> 1)) & layout.pairs  # bit j: module j equals module j+1
        # N1: a run of L >= 5 costs L - 2 = (its 5-windows) + 2.
        win = same & (same >> 1) & (same >> 2) & (same >> 3) & layout.fives
        points += win.bit_count() + 2 * (win & ~(win << 1)).bit_count()
        # N3: 1:1:3:1:1 finder-like patterns with 4 light modules on one side, 40 each.
        core = (inv >> 1) & (x >> 4) & (inv >> 5) & (x >> 6) & (inv >> 9) & layout.elevens
        light_after = x & (x >> 2) & (x >> 3) & (inv >> 7) & (inv >> 8) & (inv >> 10)
        light_before = inv & (inv >> 2) & (inv >> 3) & (x >> 7) & (x >> 8) & (x >> 10)
        points += 40 * (core & (light_after | light_before)).bit_count()
    # N2: 2x2 blocks of one colour, 3 each.
    vertical = ~(rows ^ (rows >> layout.stride))
    block = vertical & (vertical >> 1) & ~(rows ^ (rows >> 1)) & layout.blocks
    points += 3 * block.bit_count()
    # N4: 10 per full 5% that the dark share departs from 50%.
    points += int(abs(float(rows.bit_count()) / (layout.n**2) * 100 - 50) / 5) * 10
    return points


def _draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the symbol with its quiet zone into the square (x, y, size) as vector runs."""
    matrix = qr_matrix(url)
    n = len(matrix)
    total = n + 2 * QR_QUIET_ZONE
    module = size / total
    c.saveState()
    c.setFillColor(white)
    c.rect(x, y, size, size, stroke=0, fill=1)  # the quiet zone stays light on any background
    # Work in module units with the origin at the symbol's top-left corner, y growing down:
    # every coordinate is then a small integer.
    c.transform(module, 0, 0, -module, x + QR_QUIET_ZONE * module, y + size - QR_QUIET_ZONE * module)
    ops = []
    for r, row in enumerate(matrix):
        start = None
        for col, dark in enumerate(row):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                ops.append(f"{start} {r} {col - start} 1 re")
                start = None
        if start is not None:
            ops.append(f"{start} {r} {n - start} 1 re")
    # One path, filled once: adjacent runs merge without hairline seams when rasterised.
    c.addLiteral("0 g\n" + "\n".join(ops) + "\nf")
    c.restoreState()


# --- helpers ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _mark_jpeg(image: bytes) -> bytes:
    # Flatten onto white and bound the size once; JPEG passes through ReportLab unchanged.
    with Image.open(io.BytesIO(image)) as im:
        im.load()
        im.thumbnail((_MARK_IMAGE_MAX_PX, _MARK_IMAGE_MAX_PX))
        if im.mode in ("RGBA", "LA", "P"):
            rgba = im.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = im.convert("RGB")
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=92)
    return out.getvalue()


def _mark_reader(image: bytes) -> ImageReader | None:
    try:
        jpeg = _mark_jpeg(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # an unreadable mark image must not stop the certificate
    # A fresh reader each time: ImageReader keeps a file position, so it is not shared.
    return ImageReader(io.BytesIO(jpeg))


# A run of Latin letters, digits and joiners stays whole (a model such as "ZS-A100", a USCC);
# everything else, Chinese included, may break before any character.
_WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-_./:]*|.", re.S)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than width, between words or Chinese characters."""
    lines: list[str] = []
    current = ""
    used = 0.0
    for word in _WORD.findall(text):
        w = sum(_char_width(font, ch) for ch in word) * size  # no kerning here, so widths add up
        if current and used + w > width:
            lines.append(current.rstrip())
            current, used = "", 0.0
            if word == " ":
                continue
        if w > width:  # a word wider than the line breaks where it must
            for ch in word:
                cw = _char_width(font, ch) * size
                if current and used + cw > width:
                    lines.append(current)
                    current, used = "", 0.0
                current += ch
                used += cw
            continue
        current += word
        used += w
    if current:
        lines.append(current)
    return lines or [""]


def _cut(line: str, tail: str, font: str, size: float, width: float) -> str:
    """Shorten line until line + tail fits width, and append tail."""
    while line and stringWidth(line + tail, font, size) > width:
        line = line[:-1]
    return line.rstrip("、，, ") + tail


def _fit_size(text: str, font: str, size: float, width: float) -> float:
    """Return size, or the smaller size at which text fits width."""
    natural = stringWidth(text, font, size)
    return size if natural <= width else size * width / natural


@functools.lru_cache(maxsize=4096)
def _char_width(font: str, ch: str) -> float:
    return stringWidth(ch, font, 1)


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _frame(c: Canvas, width: float, height: float) -> None:
    c.saveState()
    c.setStrokeColor(_INK)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm, stroke=1, fill=0)
    c.setLineWidth(0.8)
    c.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm, stroke=1, fill=0)
    c.restoreState()

