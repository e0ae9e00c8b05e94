import io
from datetime import date

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from inspections.report import ReportData, ReportRow, conclusion_sentence, render_report


def make_rows(count):
    return tuple(
        ReportRow(
            clause_number=f"5.{i}",
            title=f"锁头耐用度{i}",
            category="ABC"[i % 3],
            requirement="≥ 6000 次 <且> 无损坏 & 可用",
            measured=str(6000 + i),
            unit="次",
            result="不合格" if i % 7 == 0 else "合格",
            rounded=str(6000 + i),
        )
        for i in range(1, count + 1)
    )


ROUNDED_ROW = ReportRow(
    clause_number="5.3", title="锁舌伸出长度偏差", category="B", requirement="≤ 0.2",
    measured="0.205", rounded="0.2", unit="mm", result="合格",
)


def make_report(**overrides):
    fields = dict(
        report_no="ZSJC-2026-0042",
        station_name="中山市锁具产品质量检测站",
        station_accreditation="CNAS L12345",
        standard_code="Q/ZSSJ 001",
        standard_version="2012",
        inspection_type_label="监督抽查",
        firm_name="中山市小榄镇金盾锁业有限公司",
        uscc="91442000MA4UL3XK1X",
        product_model="ZS-A100",
        sampling={
            "date": "2026-03-01", "place": "factory", "lot_no": "L2603", "lot_size": "500",
            "sample_size": "8", "seal_no": "FY-2026-017", "samplers": "张三、李四",
        },
        rows=make_rows(12),
        verdict_text="不合格：B类不合格 1 项，超出判定规则允许的项数",
        failed_counts={"A": 0, "B": 1, "C": 1},
        technician="王五",
        reviewer="赵六",
        verified_at="2026-03-05 10:20",
        revision_note=None,
        generated_on=date(2026, 3, 6),
    )
    fields.update(overrides)
    return ReportData(**fields)


def pdf_text(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(text):
    return text.replace("\n", "")


def test_the_report_holds_the_verdict_and_every_clause_number():
    data = make_report()
    _, text = pdf_text(render_report(data))
    lines = set(text.splitlines())
    for row in data.rows:
        assert row.clause_number in lines
    for expected in ("检验报告", data.station_name, data.firm_name, data.uscc, data.report_no,
                     "FY-2026-017", "王五", "赵六", "检验结论", "≥ 6000 次 <且> 无损坏 & 可用",
                     "判定说明：B类不合格 1 项，超出判定规则允许的项数"):
        assert expected in text
    assert ("经检验，该样品所检项目不符合 Q/ZSSJ 001-2012 的要求，判定为不合格"
            "（A类不合格 0 项，B类 1 项，C类 1 项）。") in flat(text)


def test_the_table_shows_the_rounded_value_between_measured_value_and_unit():
    data = make_report(rows=(ROUNDED_ROW,), verdict_text="合格。所有项目均符合要求",
                       failed_counts={"A": 0, "B": 0, "C": 0})
    _, text = pdf_text(render_report(data))
    lines = [line.strip() for line in text.splitlines()]
    header = [h for h in lines if h in {"条款", "技术要求", "实测值", "修约值", "单位", "结论"}]
    assert header == ["条款", "技术要求", "实测值", "修约值", "单位", "结论"]
    row = lines[lines.index("5.3"):lines.index("5.3") + 8]
    assert row == ["5.3", "锁舌伸出长度偏差", "B类", "≤ 0.2", "0.205", "0.2", "mm", "合格"]


def test_a_row_without_a_rounded_value_shows_a_dash():
    row = ReportRow(clause_number="5.1", title="锁头结构", category="A", requirement="是",
                    measured="是", unit="", result="合格")
    _, text = pdf_text(render_report(make_report(rows=(row,))))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[lines.index("5.1"):lines.index("5.1") + 7] == ["5.1", "锁头结构", "A类", "是", "是", "—", "合格"]


@pytest.mark.parametrize("count", [1, 12, 19, 20, 21, 22, 23, 24, 25, 26, 27, 40, 90])
def test_the_conclusion_is_on_the_same_page_as_the_last_table_row(count):
    data = make_report(rows=make_rows(count))
    reader, _ = pdf_text(render_report(data))
    pages = [page.extract_text() for page in reader.pages]
    last_row = [i for i, text in enumerate(pages) if data.rows[-1].clause_number in text.splitlines()]
    conclusion = [i for i, text in enumerate(pages) if "检验结论" in text]
    assert last_row == conclusion == [len(pages) - 1]
    if count > 1:  # and the conclusion's page carries more of the table than its last row
        assert data.rows[-2].clause_number in pages[-1].splitlines()
    assert "王五" in pages[-1] and "赵六" in pages[-1]


@pytest.mark.parametrize("outcome, counts, expected", [
    ("pass", {"A": 0, "B": 0, "C": 0}, "经检验，该样品所检项目符合 Q/ZSSJ 001-2012 的要求，判定为合格。"),
    ("pass", {"A": 0, "B": 1, "C": 0},
     "经检验，该样品所检项目按 Q/ZSSJ 001-2012 的判定规则判定为合格（A类不合格 0 项，B类 1 项，C类 0 项）。"),
    ("fail", {"A": 1, "B": 0, "C": 2},
     "经检验，该样品所检项目不符合 Q/ZSSJ 001-2012 的要求，判定为不合格（A类不合格 1 项，B类 0 项，C类 2 项）。"),
    ("incomplete", {"A": 0, "B": 0, "C": 0}, "该样品尚有检验项目无结果，未作判定。"),
])
def test_the_conclusion_is_a_sentence_naming_the_standard_and_the_judgement(outcome, counts, expected):
    data = make_report(outcome=outcome, failed_counts=counts, verdict_text="理由")
    assert conclusion_sentence(data) == expected
    _, text = pdf_text(render_report(data))
    assert expected in flat(text)


@pytest.mark.parametrize("verdict_text, outcome", [
    ("合格。所有项目均符合要求", "pass"),
    ("不合格。A 类 5.2 不合格", "fail"),
    ("结果不完整，未判定。缺少 5.4 的结果", "incomplete"),
])
def test_without_an_outcome_the_conclusion_reads_it_from_the_verdict_text(verdict_text, outcome):
    counts = {"A": int(outcome == "fail"), "B": 0, "C": 0}
    inferred = make_report(verdict_text=verdict_text, failed_counts=counts)
    assert conclusion_sentence(inferred) == conclusion_sentence(
        make_report(verdict_text=verdict_text, failed_counts=counts, outcome=outcome))
    _, text = pdf_text(render_report(inferred))
    assert f"判定说明：{verdict_text.split('。', 1)[1]}" in text


def test_a_verdict_text_of_another_shape_is_printed_as_the_conclusion_itself():
    data = make_report(verdict_text="样品封存待复检")
    assert conclusion_sentence(data) == "样品封存待复检"
    _, text = pdf_text(render_report(data))
    assert "样品封存待复检" in text and "判定说明" not in text


def test_people_are_named_by_their_display_names():
    data = make_report(technician="tech1", reviewer="rev1", technician_name="王五", reviewer_name="赵六")
    _, text = pdf_text(render_report(data))
    assert "王五" in text and "赵六" in text
    assert "tech1" not in text and "rev1" not in text


def test_without_display_names_the_user_names_are_printed():
    _, text = pdf_text(render_report(make_report(technician="tech1", reviewer="rev1")))
    assert "tech1" in text and "rev1" in text


def test_failed_results_are_printed_in_red():
    def red_pixels(data):
        image = pdfium.PdfDocument(render_report(data))[0].render(scale=2).to_pil().convert("RGB")
        pixels = image.load()
        return sum(1 for x in range(image.width) for y in range(image.height)
                   if (p := pixels[x, y])[0] > 120 and p[1] < 80 and p[2] < 80)

    assert red_pixels(make_report()) > 20
    passing = tuple(ReportRow(**{**row.__dict__, "result": "合格"}) for row in make_rows(12))
    assert red_pixels(make_report(rows=passing)) == 0


def test_a_long_table_repeats_its_header_on_every_page():
    data = make_report(rows=make_rows(90))
    reader, text = pdf_text(render_report(data))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        page_lines = page.extract_text().splitlines()
        if any(line.startswith("5.") for line in page_lines):  # the page carries table rows
            assert "技术要求" in " ".join(page_lines)
    lines = set(text.splitlines())
    assert all(row.clause_number in lines for row in data.rows)


def test_a_revision_says_which_report_it_supersedes():
    note = "本报告替代报告 ZSJC-2026-0041，原因：实测值录入错误"
    data = make_report(revision_note=note, supersedes_report_no="ZSJC-2026-0041")
    reader, text = pdf_text(render_report(data))
    first = reader.pages[0].extract_text()
    assert "代替报告：ZSJC-2026-0041" in first and note in first


def test_a_revision_note_of_several_lines_keeps_its_lines():
    note = "本报告为第 2 版，替代报告 ZSJC-2026-0041；修订理由：抄录错误\n复检：原检验报告 ZSJC-2026-0040，样本加倍。"
    _, text = pdf_text(render_report(make_report(revision_note=note)))
    assert all(line in text.splitlines() for line in note.splitlines())


def test_an_original_report_has_no_supersedes_line():
    _, text = pdf_text(render_report(make_report()))
    assert "替代" not in text and "代替" not in text


@pytest.mark.parametrize("verified_at, expected", [(None, "未审核"), ("2026-03-05 10:20", "2026-03-05 10:20")])
def test_the_review_time_is_printed(verified_at, expected):
    _, text = pdf_text(render_report(make_report(verified_at=verified_at)))
    assert expected in text


def test_the_chinese_font_is_embedded_in_the_report():
    reader = PdfReader(io.BytesIO(render_report(make_report())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert any(
        "/FontFile2" in font.get_object()["/FontDescriptor"].get_object()
        for font in fonts.values()
        if "/FontDescriptor" in font.get_object()
    )
