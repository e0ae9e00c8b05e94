"""The inspection report PDF (检验报告, SPEC §5): A4, Chinese, clause table across pages.

The clause table shows what was measured and the value after GB/T 8170 rounding (修约值), the one
compared with the limit, so "0.205 / 0.20 / ≤ 0.20 / 合格" reads right on paper. The conclusion
(检验结论) and the signatures are the table's last row, bound to the two clause rows before
them: the table may break across pages, but never so that the conclusion stands alone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
_KEEP_WITH_CONCLUSION = 2  # clause rows that stay on the conclusion's page
SEAL_LABEL = "（检验检测专用章）"
# The engine's verdict text starts with the outcome in words (see inspections.services).
_OUTCOME_PREFIX = re.compile(r"^\s*(合格|不合格|结果不完整，未判定)\s*[。：:，,]?\s*")
_OUTCOME_WORDS = {"合格": "pass", "不合格": "fail", "结果不完整，未判定": "incomplete"}


@dataclass(frozen=True)
class ReportRow:
    clause_number: str
    title: str
    category: str  # A | B | C
    requirement: str
    measured: str
    unit: str
    result: str  # e.g. 合格 / 不合格 / 未检
    rounded: str = ""  # GB/T 8170 rounded value(s) compared with the limit; "" prints as —


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
    # People by name; "" falls back to `technician` / `reviewer` (their user names).
    technician_name: str = ""
    reviewer_name: str = ""
    # "pass" | "fail" | "incomplete"; None: read from the first words of verdict_text.
    outcome: str | None = None
    supersedes_report_no: str | None = None  # on a revision: printed as 代替报告 …


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
    ]
    if data.supersedes_report_no:
        story.append(Paragraph(f"代替报告：{escape(data.supersedes_report_no)}", styles["center"]))
    story.append(Spacer(0, 4 * mm))
    if data.revision_note:
        story += [Paragraph(_lines(data.revision_note), styles["revision"]), Spacer(0, 3 * mm)]

    def p(text: object) -> Paragraph:
        return Paragraph(escape(str(text)), styles["cell"])

    info = [
        [p("检验机构"), p(data.station_name), p("资质编号"), p(data.station_accreditation)],
        [p("受检企业"), p(data.firm_name), p("统一社会信用代码"), p(data.uscc)],
        [p("产品型号"), p(data.product_model), p("检验类别"), p(data.inspection_type_label)],
        [p("检验依据"), p(_standard(data)), p("报告日期"), p(_date(data.generated_on))],
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

    head = ["条款", "检验项目", "类别", "技术要求", "实测值", "修约值", "单位", "结论"]
    body: list[list] = [[Paragraph(h, styles["head"]) for h in head]]
    for row in data.rows:
        body.append([
            p(row.clause_number), p(row.title), p(_CATEGORY.get(row.category, row.category)),
            p(row.requirement), p(row.measured), p(row.rounded or "—"), p(row.unit),
            Paragraph(escape(row.result), styles["fail" if row.result in _FAILED_RESULTS else "result"]),
        ])
    widths = [12 * mm, 34 * mm, 11 * mm, 0, 24 * mm, 20 * mm, 12 * mm, 15 * mm]
    widths[3] = width - sum(widths)

    # The conclusion and signatures: one cell spanning the table's last row, holding a table
    # laid out like the facts above (2:3:2:3), so its columns line up with theirs.
    inner = [2 * col, 3 * col, 2 * col, 3 * col]
    conclusion = Table(
        [
            [p("检验结论"), [Paragraph(escape(conclusion_sentence(data)), styles["verdict"]),
                           *([Paragraph(f"判定说明：{escape(reason)}", styles["cell"])]
                             if (reason := _reason(data)) else []),
                           Spacer(0, 8 * mm),  # room for the station's stamp
                           Paragraph(SEAL_LABEL, styles["seal"])],
             "", ""],
            [p("检验员"), p(data.technician_name or data.technician), p("审核员"),
             p(data.reviewer_name or data.reviewer)],
            [p("审核时间"), p(data.verified_at or "未审核"), p("签发日期"), p(_date(data.generated_on))],
        ],
        colWidths=inner,
    )
    conclusion.setStyle(TableStyle([
        ("SPAN", (1, 0), (3, 0)),
        ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (0, -1), _HEADER_BG),
        ("BACKGROUND", (2, 1), (2, -1), _HEADER_BG),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (1, 0), (1, 0), 6),
        ("BOTTOMPADDING", (1, 0), (1, 0), 6),
    ]))
    last = len(body)
    body.append([conclusion] + [""] * (len(head) - 1))
    results = _table(body, widths, header=True)
    results.setStyle(TableStyle(
        [("SPAN", (0, last), (-1, last)),
         ("LEFTPADDING", (0, last), (-1, last), 0), ("RIGHTPADDING", (0, last), (-1, last), 0),
         ("TOPPADDING", (0, last), (-1, last), 0), ("BOTTOMPADDING", (0, last), (-1, last), 0),
         # Never leave the conclusion alone on a page: it goes with the last clause rows.
         ("NOSPLIT", (0, max(1, last - _KEEP_WITH_CONCLUSION)), (-1, last))]
    ))
    story.append(results)

    def footer(canvas, doc_) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(doc_.leftMargin, 12 * mm, f"{data.station_name}  报告编号：{data.report_no}")
        canvas.drawRightString(doc_.leftMargin + doc_.width, 12 * mm, f"第 {doc_.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def conclusion_sentence(data: ReportData) -> str:
    """Say the verdict as a report's 检验结论 does: the standard, the judgement, the failures."""
    outcome = data.outcome or _OUTCOME_WORDS.get(_outcome_word(data.verdict_text) or "")
    standard = _standard(data)
    counts = {c: int(data.failed_counts.get(c, 0)) for c in "ABC"}
    tally = f"A类不合格 {counts['A']} 项，B类 {counts['B']} 项，C类 {counts['C']} 项"
    if outcome == "pass" and not any(counts.values()):
        return f"经检验，该样品所检项目符合 {standard} 的要求，判定为合格。"
    if outcome == "pass":  # the verdict rule tolerates some B/C failures
        return f"经检验，该样品所检项目按 {standard} 的判定规则判定为合格（{tally}）。"
    if outcome == "fail":
        return f"经检验，该样品所检项目不符合 {standard} 的要求，判定为不合格（{tally}）。"
    if outcome == "incomplete":
        return "该样品尚有检验项目无结果，未作判定。"
    return data.verdict_text


def _outcome_word(text: str) -> str | None:
    match = _OUTCOME_PREFIX.match(text)
    return match.group(1) if match else None


def _reason(data: ReportData) -> str:
    # The engine's explanation, without the outcome word the sentence above already says.
    if data.outcome is None and _outcome_word(data.verdict_text) is None:
        return ""  # verdict_text was printed as the conclusion itself
    return _OUTCOME_PREFIX.sub("", data.verdict_text, count=1).strip()


def _standard(data: ReportData) -> str:
    return f"{data.standard_code}-{data.standard_version}"


def _lines(text: str) -> str:
    return "<br/>".join(escape(line) for line in text.splitlines())


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
        "verdict": ParagraphStyle("verdict", base, fontSize=11, leading=17, spaceAfter=2),
        "seal": ParagraphStyle("seal", base, fontSize=9, leading=12, alignment=TA_RIGHT),
        "result": ParagraphStyle("result", base, fontSize=9, leading=12, alignment=TA_CENTER),
        "fail": ParagraphStyle("fail", base, fontSize=9, leading=12, alignment=TA_CENTER, textColor=_FAIL),
        "cell": ParagraphStyle("cell", base, fontSize=9, leading=12),
        "head": ParagraphStyle("head", base, fontSize=9, leading=12, alignment=TA_CENTER),
    }


def _date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
