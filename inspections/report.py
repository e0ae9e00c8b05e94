"""The inspection report PDF (检验报告, SPEC §5): A4, Chinese, clause table across pages."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from infra.pdf import register_cjk_font, use_binary_streams

TITLE = "检验报告"

# Sampling record keys in print order, with their labels.
SAMPLING_FIELDS = (
    ("date", "抽样日期"),
    ("place", "抽样地点"),
    ("lot_no", "批号"),
    ("lot_size", "批量"),
    ("sample_size", "样本量"),
    ("seal_no", "封样编号"),
    ("samplers", "抽样人员"),
)
_PLACES = {"factory": "生产企业", "market": "市场"}
_CATEGORY = {"A": "A类", "B": "B类", "C": "C类"}
_HEADER_BG = colors.Color(0.9, 0.9, 0.9)
_FAIL = colors.Color(0.7, 0.05, 0.05)
_FAILED_RESULTS = frozenset({"不合格", "fail"})  # printed in red


@dataclass(frozen=True)
class ReportRow:
    clause_number: str
    title: str
    category: str  # A | B | C
    requirement: str
    measured: str
    unit: str
    result: str  # e.g. 合格 / 不合格 / 未检


@dataclass(frozen=True)
class ReportData:
    report_no: str
    station_name: str
    station_accreditation: str
    standard_code: str
    standard_version: str
    inspection_type_label: str
    firm_name: str
    uscc: str
    product_model: str
    sampling: Mapping[str, str]
    rows: tuple[ReportRow, ...]
    verdict_text: str
    failed_counts: Mapping[str, int]  # {"A": 0, "B": 1, "C": 0}
    technician: str
    reviewer: str
    verified_at: str | None
    revision_note: str | None  # e.g. "本报告替代报告 …，原因：…"
    generated_on: date


def render_report(data: ReportData) -> bytes:
    """Render the inspection report as an A4 PDF with the Chinese font embedded."""
    font = register_cjk_font()
    use_binary_streams()
    styles = _styles(font)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{TITLE} {data.report_no}",
        author=data.station_name,
        creator="AllianceMark",
    )
    width = doc.width
    story = [
        Paragraph(escape(data.station_name), styles["station"]),
        Paragraph(TITLE, styles["title"]),
        Paragraph(f"报告编号：{escape(data.report_no)}", styles["center"]),
        Spacer(0, 4 * mm),
    ]
    if data.revision_note:
        story += [Paragraph(escape(data.revision_note), styles["revision"]), Spacer(0, 3 * mm)]

    def p(text: object) -> Paragraph:
        return Paragraph(escape(str(text)), styles["cell"])

    info = [
        [p("检验机构"), p(data.station_name), p("资质编号"), p(data.station_accreditation)],
        [p("受检企业"), p(data.firm_name), p("统一社会信用代码"), p(data.uscc)],
        [p("产品型号"), p(data.product_model), p("检验类别"), p(data.inspection_type_label)],
        [p("检验依据"), p(f"{data.standard_code}—{data.standard_version}"), p("报告日期"),
         p(_date(data.generated_on))],
    ]
    sampling = [(label, data.sampling.get(key, "")) for key, label in SAMPLING_FIELDS]
    sampling = [(label, _PLACES.get(value, value) if label == "抽样地点" else value)
                for label, value in sampling]
    for left, right in zip(sampling[0::2], sampling[1::2] + [("", "")]):
        info.append([p(left[0]), p(left[1]), p(right[0]), p(right[1])])
    col = width / 10
    story += [
        _table(info, [2 * col, 3 * col, 2 * col, 3 * col], header=False),
        Spacer(0, 5 * mm),
        Paragraph("检验结果", styles["heading"]),
    ]

    head = ["条款", "检验项目", "类别", "技术要求", "实测值", "单位", "结论"]
    body = [[Paragraph(h, styles["head"]) for h in head]]
    fails = []
    for i, row in enumerate(data.rows, start=1):
        body.append([
            p(row.clause_number), p(row.title), p(_CATEGORY.get(row.category, row.category)),
            p(row.requirement), p(row.measured), p(row.unit), p(row.result),
        ])
        if row.result in _FAILED_RESULTS:
            fails.append(i)
    widths = [14 * mm, 36 * mm, 12 * mm, 0, 26 * mm, 14 * mm, 16 * mm]
    widths[3] = width - sum(widths)
    results = _table(body, widths, header=True)
    for i in fails:
        results.setStyle(TableStyle([("TEXTCOLOR", (6, i), (6, i), _FAIL)]))
    story += [results, Spacer(0, 5 * mm)]

    counts = "，".join(f"{_CATEGORY[c]}不合格 {int(data.failed_counts.get(c, 0))} 项" for c in "ABC")
    # The verdict and the signatures stay together on one page.
    story.append(KeepTogether([
        Paragraph("检验结论", styles["heading"]),
        Paragraph(escape(data.verdict_text), styles["verdict"]),
        Paragraph(counts, styles["body"]),
        Spacer(0, 8 * mm),
        _table(
            [[p("检验员"), p(data.technician), p("审核员"), p(data.reviewer)],
             [p("审核时间"), p(data.verified_at or "未审核"), p("签发日期"),
              p(_date(data.generated_on))]],
            [2 * col, 3 * col, 2 * col, 3 * col],
            header=False,
        ),
    ]))

    def footer(canvas, doc_) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(doc_.leftMargin, 12 * mm, f"{data.station_name}  报告编号：{data.report_no}")
        canvas.drawRightString(doc_.leftMargin + doc_.width, 12 * mm, f"第 {doc_.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _table(rows: list[list], widths: list[float], *, header: bool) -> Table:
    # LongTable lays out long tables in linear time; repeatRows carries the header to each page.
    table = LongTable(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG))
    else:
        style += [("BACKGROUND", (0, 0), (0, -1), _HEADER_BG), ("BACKGROUND", (2, 0), (2, -1), _HEADER_BG)]
    table.setStyle(TableStyle(style))
    return table


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    return {
        "body": base,
        "station": ParagraphStyle("station", base, fontSize=13, leading=18, alignment=TA_CENTER),
        "title": ParagraphStyle("title", base, fontSize=22, leading=30, alignment=TA_CENTER),
        "center": ParagraphStyle("center", base, alignment=TA_CENTER),
        "heading": ParagraphStyle("heading", base, fontSize=12, leading=18, spaceAfter=2),
        "revision": ParagraphStyle("revision", base, textColor=_FAIL),
        "verdict": ParagraphStyle("verdict", base, fontSize=12, leading=18),
        "cell": ParagraphStyle("cell", base, fontSize=9, leading=12),
        "head": ParagraphStyle("head", base, fontSize=9, leading=12, alignment=TA_CENTER),
    }


def _date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
