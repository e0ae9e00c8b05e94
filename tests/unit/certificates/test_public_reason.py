"""The public page says a decision's reason in words: no internal ids, no rule codes (SPEC §5)."""
import pytest

from certificates.services import _short, public_reason


@pytest.mark.parametrize(("stored", "shown"), [
    ("12个月内累计2次检验不合格：#7（2026-05-15）、#9（2026-08-01）", "12个月内累计2次检验不合格：2026-05-15、2026-08-01"),
    ("2026-01-02 审查符合全部准入条件（E1–E5），予以授权", "2026-01-02 审查符合全部准入条件，予以授权"),
    ("X1：检验#12（型号ZS-100，2026-03-01抽样）A类不合格", "检验（型号ZS-100，2026-03-01抽样）A类不合格"),
    ("X4", "监督抽查逾期"),
    ("市场抽查发现标志使用不规范", "市场抽查发现标志使用不规范"),
])
def test_the_public_reason_drops_ids_and_rule_codes(stored, shown):
    assert public_reason(stored) == shown


def test_a_long_reason_is_cut_between_clauses_never_inside_a_word():
    reason = "；".join(["第一项原因说明文字比较长" * 3] * 6)
    short = _short(reason)
    assert len(short) <= 120 and not short.endswith("…") and reason.startswith(short)
