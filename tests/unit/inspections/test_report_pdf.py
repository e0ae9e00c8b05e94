import io
from datetime import date

import pytest
from pypdf import PdfReader

from inspections.report import ReportData, ReportRow, render_report


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
        )
        for i in range(1, count + 1)
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


def test_the_report_holds_the_verdict_and_every_clause_number():
    data = make_report()
    _, text = pdf_text(render_report(data))
    assert data.verdict_text in text
    lines = set(text.splitlines())
    for row in data.rows:
        assert row.clause_number in lines
    for expected in ("检验报告", data.station_name, data.firm_name, data.uscc, data.report_no,
                     "FY-2026-017", "王五", "赵六", "A类不合格 0 项", "B类不合格 1 项", "C类不合格 1 项",
                     "≥ 6000 次 <且> 无损坏 & 可用"):
        assert expected in text


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
    _, text = pdf_text(render_report(make_report(revision_note=note)))
    assert note in text


def test_an_original_report_has_no_supersedes_line():
    _, text = pdf_text(render_report(make_report()))
    assert "替代" not in text


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
