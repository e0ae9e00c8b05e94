"""Rule parameters of a mark: overrides, validation and plain-language descriptions."""
import pytest

from trademark.rules import (
    DEFAULT_RULES, PARAMETER_BOUNDS, RULE_IDS, RuleConfigError, RuleSet, describe,
)


def sentences(ruleset=None, mark_type="collective", paid=False, **kwargs):
    return {d.rule: d for d in describe(ruleset or RuleSet.default(), mark_type, paid, **kwargs)}


def test_the_defaults_are_those_of_the_spec():
    rules = RuleSet.default()
    assert rules["X1"]["deadline_days"] == 90
    assert rules["X2"]["deadline_days"] == 30
    assert dict(rules["X3"]) == {"enabled": True, "count": 2, "months": 12}
    assert dict(rules["X4"]) == {"enabled": True, "months": 12, "grace_days": 30}
    assert rules["X6"]["grace_days"] == 30
    assert rules["X7"]["months"] == 6
    assert (rules["E2"]["months"], rules["E3"]["months"]) == (12, 24)
    assert all(rules.enabled(rule) for rule in RULE_IDS)


def test_overrides_change_only_what_they_name():
    rules = RuleSet.from_overrides({"X1": {"deadline_days": 60}, "X3": {"count": 3},
                                    "E3": {"enabled": False}})
    assert rules["X1"]["deadline_days"] == 60
    assert dict(rules["X3"]) == {"enabled": True, "count": 3, "months": 12}
    assert not rules.enabled("E3")
    assert rules["E3"]["months"] == 24
    assert rules.to_dict()["X2"] == dict(DEFAULT_RULES["X2"])


def test_to_dict_reads_back_into_the_same_ruleset():
    rules = RuleSet.from_overrides({"X4": {"months": 6, "grace_days": 0}})
    assert RuleSet.from_overrides(rules.to_dict()) == rules
    assert hash(rules) == hash(RuleSet.from_overrides(rules.to_dict()))


def test_no_overrides_give_the_defaults():
    assert RuleSet.from_overrides(None) == RuleSet.from_overrides({}) == RuleSet.default()


@pytest.mark.parametrize(("overrides", "rule", "field", "words"), [
    ({"X11": {"enabled": True}}, "X11", None, "未知规则编号 X11"),
    ({"X1": {"days": 60}}, "X1", "days", "规则 X1 没有参数 days"),
    ({"X1": {"deadline_days": "60"}}, "X1", "deadline_days", "必须是整数"),
    ({"X1": {"deadline_days": 60.0}}, "X1", "deadline_days", "必须是整数"),
    ({"X3": {"count": True}}, "X3", "count", "必须是整数"),
    ({"X3": {"count": 0}}, "X3", "count", "不能小于 1"),
    ({"X4": {"grace_days": -1}}, "X4", "grace_days", "不能小于 0"),
    ({"E3": {"enabled": "no"}}, "E3", "enabled", "true 或 false"),
    ({"E3": False}, "E3", None, "必须是对象"),
])
def test_a_bad_override_is_refused_naming_the_rule_and_field(overrides, rule, field, words):
    with pytest.raises(RuleConfigError, match=words) as caught:
        RuleSet.from_overrides(overrides)
    assert (caught.value.rule, caught.value.field) == (rule, field)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("rule", "field", "value"), [
    ("X4", "months", 100000),
    ("X4", "months", 121),
    ("E2", "months", -1),
    ("X1", "deadline_days", 3654),
    ("X2", "deadline_days", -1),
    ("X6", "grace_days", 3654),
    ("X3", "count", 21),
    ("X3", "count", 0),
    ("X3", "months", 10**30),
])
def test_a_parameter_outside_the_spec_bounds_is_refused_naming_the_rule_and_field(rule, field,
                                                                                  value):
    with pytest.raises(RuleConfigError, match=f"规则 {rule} 的 {field} 不能[小大]于") as caught:
        RuleSet.from_overrides({rule: {field: value}})
    assert (caught.value.rule, caught.value.field) == (rule, field)


@pytest.mark.parametrize(("rule", "field", "value"), [
    ("X4", "months", 120), ("E2", "months", 0), ("X7", "months", 0),
    ("X1", "deadline_days", 3653), ("X1", "deadline_days", 0), ("X6", "grace_days", 3653),
    ("X3", "count", 20), ("X3", "count", 1),
])
def test_a_parameter_on_a_bound_is_accepted(rule, field, value):
    assert RuleSet.from_overrides({rule: {field: value}})[rule][field] == value


@pytest.mark.parametrize("value", [True, False, 1.0, "12", None, [12], 12.5])
def test_a_parameter_that_is_not_a_plain_integer_is_refused(value):
    with pytest.raises(RuleConfigError, match="必须是整数") as caught:
        RuleSet.from_overrides({"X4": {"months": value}})
    assert (caught.value.rule, caught.value.field) == ("X4", "months")


def test_every_numeric_parameter_has_bounds_and_every_default_lies_within_them():
    for rule, params in DEFAULT_RULES.items():
        for name, value in params.items():
            if name != "enabled":
                low, high = PARAMETER_BOUNDS[name]
                assert low <= value <= high, (rule, name)


def test_overrides_must_be_an_object():
    with pytest.raises(RuleConfigError):
        RuleSet.from_overrides([("X1", {})])


def test_every_rule_is_described_in_rule_order():
    described = describe(RuleSet.default(), "collective", paid=False)
    assert [d.rule for d in described] == list(RULE_IDS)
    assert all(d.sentence for d in described)


def test_the_x1_sentence_says_what_happens_and_the_deadline():
    assert sentences()["X1"].sentence.startswith(
        "监督抽查、市场抽样或授权后抽样的型式检验出现A类不合格：立即暂停，整改期90天")
    changed = RuleSet.from_overrides({"X1": {"deadline_days": 60}})
    assert "整改期60天" in sentences(changed)["X1"].sentence


def test_the_sentences_carry_the_mark_parameters():
    rules = RuleSet.from_overrides({"X3": {"count": 3, "months": 24}, "X4": {"grace_days": 15}})
    said = sentences(rules, validity_years=5)
    assert said["X3"].sentence == "24个月内累计3次检验不合格：撤销"
    assert "宽限期15天" in said["X4"].sentence
    assert said["X9"].sentence.startswith("许可有效期5年")
    assert said["E3"].sentence == "24个月内被本联盟清退的企业不得申请"


def test_a_certification_mark_does_not_ask_for_membership():
    said = sentences(mark_type="certification")
    assert said["E1"].enabled is False
    assert "不以联盟会员资格为条件" in said["E1"].sentence
    assert sentences(mark_type="collective")["E1"].enabled is True


@pytest.mark.parametrize("rule", ["E3", "X10"])
def test_the_expulsion_rules_apply_only_to_a_collective_mark(rule):
    collective, certification = sentences()[rule], sentences(mark_type="certification")[rule]
    assert (collective.enabled, certification.enabled) == (True, False)
    assert "证明商标" in certification.sentence and "证明商标" not in collective.sentence


def test_fee_rules_apply_only_to_a_paid_mark():
    free, paid = sentences(paid=False), sentences(paid=True)
    assert (free["E5"].enabled, free["X6"].enabled) == (False, False)
    assert (paid["E5"].enabled, paid["X6"].enabled) == (True, True)
    assert paid["X6"].sentence.startswith("使用费逾期30天未缴：暂停")


def test_a_switched_off_rule_is_described_as_off():
    said = sentences(RuleSet.from_overrides({"X3": {"enabled": False}}))
    assert said["X3"].enabled is False
    assert said["X3"] == ("X3", False, said["X3"].sentence)


def test_the_e2_sentence_says_the_previous_version_counts_in_the_transition():
    assert "新版本过渡期内亦可依据上一版本" in sentences()["E2"].sentence
