"""Staff actions on a licence: always with a reason, only where the status allows."""
from datetime import date

import pytest

from trademark.rules import MANUAL_ACTIONS, RuleError, RuleSet, apply_actions, manual_action

from tests.builders.rules import day, make_application, make_licence, run

TODAY = day(60)


def act(action, status="active", reason="抽查发现问题", **overrides):
    return manual_action(make_licence(status=status, **overrides), action, reason, TODAY)


@pytest.mark.parametrize("action", MANUAL_ACTIONS)
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_every_staff_action_needs_a_reason(action, reason):
    with pytest.raises(RuleError, match="必须填写理由"):
        act(action, reason=reason)


@pytest.mark.parametrize(("action", "status", "kind", "rule", "to_status"), [
    ("warn", "active", "warn", "manual", "active"),
    ("warn", "suspended", "warn", "manual", "suspended"),
    ("suspend", "active", "suspend", "manual", "suspended"),
    ("reinstate", "suspended", "reinstate", "manual", "active"),
    ("revoke", "active", "revoke", "manual", "revoked"),
    ("revoke", "suspended", "revoke", "manual", "revoked"),
    ("refused_sampling", "active", "revoke", "X5", "revoked"),
    ("misuse", "active", "warn", "manual", "active"),
    ("surrender", "active", "surrender", "manual", "surrendered"),
    ("surrender", "suspended", "surrender", "manual", "surrendered"),
    ("withdraw", "applied", "withdraw", "manual", "surrendered"),
    ("refuse", "applied", "refuse", "manual", "refused"),
])
def test_a_staff_action_becomes_a_decision(action, status, kind, rule, to_status):
    result = act(action, status=status)
    assert (result.kind, result.rule, result.to_status) == (kind, rule, to_status)
    assert "抽查发现问题" in result.reason


def test_a_recorded_misuse_says_so_and_keeps_the_status():
    result = act("misuse", reason="在未获许可的型号上使用标志")
    assert result.reason == "违规使用标志：在未获许可的型号上使用标志"


def test_refused_sampling_only_warns_when_the_mark_switched_x5_off():
    rules = RuleSet.from_overrides({"X5": {"enabled": False}})
    result = manual_action(make_licence(), "refused_sampling", "拒绝抽样员进厂", TODAY, rules)
    assert (result.kind, result.to_status) == ("warn", "active")


def test_an_active_licence_cannot_be_reinstated():
    with pytest.raises(RuleError, match="许可当前状态为“有效”，不能恢复"):
        act("reinstate")


@pytest.mark.parametrize("status", ["revoked", "expired", "surrendered", "refused"])
@pytest.mark.parametrize("action", MANUAL_ACTIONS)
def test_nothing_can_be_done_to_a_finished_licence(status, action):
    with pytest.raises(RuleError, match="这是最终状态"):
        act(action, status=status)


@pytest.mark.parametrize("action", ["warn", "suspend", "reinstate", "revoke", "misuse",
                                    "refused_sampling"])
def test_a_licence_not_yet_granted_cannot_be_sanctioned(action):
    with pytest.raises(RuleError, match="许可当前状态为“申请中”"):
        manual_action(make_application(), action, "理由", TODAY)


def test_a_withdrawn_application_says_so_and_ends_as_surrendered():
    result = manual_action(make_application(), "withdraw", "企业转产，不再申请", TODAY)
    assert (result.kind, result.to_status) == ("withdraw", "surrendered")
    assert result.reason == "企业撤回申请：企业转产，不再申请"
    assert apply_actions(make_application(), [result], TODAY).status == "surrendered"


def test_an_application_is_withdrawn_not_surrendered():
    with pytest.raises(RuleError, match="不能放弃许可（可以：授权、不予许可、撤回申请）"):
        manual_action(make_application(), "surrender", "企业不再申请", TODAY)


@pytest.mark.parametrize("status", ["active", "suspended"])
@pytest.mark.parametrize("action", ["refuse", "withdraw"])
def test_a_licence_in_use_cannot_be_refused_or_withdrawn(status, action):
    with pytest.raises(RuleError, match="不能"):
        act(action, status=status)


def test_a_grant_is_not_a_manual_action():
    with pytest.raises(RuleError, match="授权须先审查准入条件"):
        manual_action(make_application(), "grant", "材料齐全", TODAY)


def test_a_licence_past_its_validity_cannot_be_reinstated():
    with pytest.raises(RuleError, match="不能恢复"):
        manual_action(make_licence(status="suspended"), "reinstate", "整改完成", date(2027, 1, 10))


def test_an_unknown_action_is_refused():
    with pytest.raises(RuleError, match="未知操作"):
        act("expel")


def test_a_revoked_licence_stays_revoked_whatever_happens_next():
    licence = make_licence()
    licence = apply_actions(licence, [act("revoke")], TODAY)
    assert licence.status == "revoked"
    assert run(licence, TODAY) == []
    with pytest.raises(RuleError):
        manual_action(licence, "reinstate", "企业申诉", TODAY)
