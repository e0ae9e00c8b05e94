"""The authorization certificate PDF (商标使用授权证书, SPEC §5): A4, Chinese, with a QR code.

Speed matters (certificates are printed in batches and on demand), so this module
- draws the QR code as vector rectangles, one per run of dark modules, straight into the page
  content, instead of rasterising it with PIL and embedding a bitmap;
- registers the embedded font once per process (`compliance.fonts`);
- normalises a mark image once (flattened, bounded size, JPEG) and reuses it, so ReportLab
  passes the JPEG through instead of re-compressing pixels for every certificate.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_ALPHA_NUM, QRData, mask_func
from PIL import Image
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from infra.pdf import register_cjk_font, use_binary_streams
from certificates.tokens import is_qr_alphanumeric

QR_QUIET_ZONE = 4  # modules, ISO/IEC 18004 minimum
QR_SIZE = 46 * mm  # the symbol including its quiet zone
URL_FONT = "Courier"  # a base-14 font: present in every PDF reader, needs no embedding
SCAN_PROMPT = "扫码核验授权状态"
TITLE = "商标使用授权证书"

_INK = Color(0.55, 0.07, 0.07)  # seal red for the frame and title
_GREY = Color(0.35, 0.35, 0.35)
_MAX_VALUE_LINES = 4
_MARK_IMAGE_MAX_PX = 600  # ~ 430 dpi at the 35 mm it is printed: plenty


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


def render_certificate(data: CertificateData) -> bytes:
    """Render the certificate as a one-page A4 PDF with the Chinese font embedded."""
    font = register_cjk_font()
    use_binary_streams()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"{TITLE} {data.certificate_no}")
    c.setAuthor(data.alliance_name)
    c.setCreator("AllianceMark")
    width, height = A4

    _frame(c, width, height)

    c.setFillColor(_INK)
    c.setFont(font, 30)
    c.drawCentredString(width / 2, height - 40 * mm, TITLE)
    c.setFillColor(_GREY)
    c.setFont(font, 11)
    c.drawCentredString(width / 2, height - 48 * mm, f"证书编号：{data.certificate_no}")

    # The mark: image (if any) above its name.
    top = height - 56 * mm
    mark_box = 32 * mm
    reader = _mark_reader(data.mark_image) if data.mark_image else None
    if reader is not None:
        c.drawImage(
            reader, (width - mark_box) / 2, top - mark_box, mark_box, mark_box,
            preserveAspectRatio=True, anchor="c",
        )
        top -= mark_box + 4 * mm
    c.setFillColor(black)
    c.setFont(font, 18)
    c.drawCentredString(width / 2, top - 6 * mm, f"「{data.mark_name}」")
    top -= 16 * mm

    left = 30 * mm
    label_w = 40 * mm
    value_w = width - 2 * left - label_w
    rows = (
        ("被许可企业", data.firm_name),
        ("统一社会信用代码", data.uscc),
        ("企业地址", data.address),
        ("许可使用范围", "、".join(data.scope) if data.scope else "—"),
        ("依据标准", f"{data.standard_code}—{data.standard_version}"),
        ("发证日期", _cn_date(data.issued_on)),
        ("有效期至", _cn_date(data.expires_on)),
        ("发证单位", data.alliance_name),
    )
    size, leading = 12, 18
    for label, value in rows:
        c.setFillColor(_GREY)
        c.setFont(font, size)
        c.drawString(left, top, f"{label}：")
        c.setFillColor(black)
        lines = _wrap(value, font, size, value_w)
        if len(lines) > _MAX_VALUE_LINES:  # keep clear of the QR code; the page lists them all
            lines = lines[:_MAX_VALUE_LINES]
            lines[-1] = lines[-1][:-10] + "…（详见扫码核验页面）"
        for line in lines:
            c.drawString(left + label_w, top, line)
            top -= leading
        top -= 4

    top -= 4 * mm
    c.setFont(font, 11)
    statement = (
        f"经审核，上述企业的上述产品符合 {data.standard_code}—{data.standard_version} 的要求，"
        f"准予在许可范围内的产品上使用「{data.mark_name}」标志。本证书的有效状态以扫码核验结果为准。"
    )
    for line in _wrap(statement, font, 11, width - 2 * left):
        c.drawString(left, top, line)
        top -= 16

    # QR block at the bottom, centred: symbol, prompt, the URL in text.
    qr_bottom = 44 * mm
    _draw_qr(c, data.verify_url, (width - QR_SIZE) / 2, qr_bottom, QR_SIZE)
    c.setFont(font, 11)
    c.setFillColor(black)
    c.drawCentredString(width / 2, qr_bottom - 5 * mm, SCAN_PROMPT)
    c.setFont(URL_FONT, 6.5)
    c.setFillColor(_GREY)
    y = qr_bottom - 10 * mm
    for line in _wrap(data.verify_url, URL_FONT, 6.5, width - 2 * left):
        c.drawCentredString(width / 2, y, line)
        y -= 8

    c.setFont(font, 11)
    c.setFillColor(black)
    c.drawRightString(width - left, 24 * mm, f"{data.alliance_name}（盖章）")

    c.showPage()
    c.save()
    return buf.getvalue()


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


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than width; Chinese may break between any characters."""
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for ch in text:
        w = _char_width(font, ch) * size  # no kerning here, so widths add up
        if current and used + w > width:
            lines.append("".join(current))
            current, used = [], 0.0
        current.append(ch)
        used += w
    if current:
        lines.append("".join(current))
    return lines or [""]


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

