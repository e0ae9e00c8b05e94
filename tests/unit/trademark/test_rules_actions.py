"""Which actions staff may take from each licence status: one table for the UI and the rules."""
from datetime import date

import pytest

from trademark.rules import (
    ACTION_LABELS, APPLICATION_ACTIONS, FINAL_STATUSES, IRREVERSIBLE_ACTIONS, LICENCE_ACTIONS,
    MANUAL_ACTIONS, ActionOption, LicenceStatus, RuleError, action_options, allowed_actions,
    grant, manual_action, needs_confirmation,
)

from tests.builders.rules import make_licence

TODAY = date(2024, 3, 1)


def test_an_application_offers_grant_refuse_and_withdraw_only():
    assert allowed_actions("applied") == ("grant", "refuse", "withdraw")


def test_an_active_licence_offers_the_manual_actions_but_never_refuse_or_reinstate():
    assert allowed_actions("active") == (
        "warn", "suspend", "revoke", "refused_sampling", "misuse", "surrender")


def test_a_suspended_licence_also_offers_reinstatement():
    assert allowed_actions(LicenceStatus.SUSPENDED) == (
        "warn", "suspend", "reinstate", "revoke", "refused_sampling", "misuse", "surrender")


def test_a_suspended_licence_past_its_validity_offers_no_reinstatement():
    expires = date(2027, 1, 9)
    assert "reinstate" in allowed_actions("suspended", expires_on=expires, today=expires)
    assert "reinstate" not in allowed_actions("suspended", expires_on=expires,
                                              today=date(2027, 1, 10))


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_a_finished_licence_offers_nothing(status):
    assert allowed_actions(status) == ()
    assert action_options(status) == ()


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        allowed_actions("lost")


@pytest.mark.parametrize("action", ["revoke", "refused_sampling", "surrender", "refuse",
                                    "withdraw"])
def test_an_action_that_ends_the_licence_needs_confirmation(action):
    assert needs_confirmation(action)


@pytest.mark.parametrize("action", ["warn", "suspend", "reinstate", "misuse", "grant"])
def test_an_action_that_can_be_undone_needs_no_confirmation(action):
    assert not needs_confirmation(action)


def test_the_options_carry_label_and_confirmation():
    assert action_options("applied") == (
        ActionOption("grant", "授权", False, True),
        ActionOption("refuse", "不予许可", True, True),
        ActionOption("withdraw", "撤回申请", True, True),
    )
    revoke = {o.action: o for o in action_options("active")}["revoke"]
    assert revoke == ("revoke", "撤销", True, False)


def test_every_action_has_a_label_and_belongs_to_one_group():
    assert set(LICENCE_ACTIONS).isdisjoint(APPLICATION_ACTIONS)
    assert set(ACTION_LABELS) == {*LICENCE_ACTIONS, *APPLICATION_ACTIONS}
    assert IRREVERSIBLE_ACTIONS <= set(ACTION_LABELS)
    assert set(MANUAL_ACTIONS) == set(ACTION_LABELS) - {"grant"}


# manual_action and grant follow the same table.

@pytest.mark.parametrize("status", list(LicenceStatus))
@pytest.mark.parametrize("action", MANUAL_ACTIONS)
def test_manual_action_accepts_exactly_what_the_table_offers(status, action):
    licence = make_licence(status=status)
    if action in allowed_actions(status, expires_on=licence.expires_on, today=TODAY):
        assert manual_action(licence, action, "理由", TODAY).kind
    else:
        with pytest.raises(RuleError):
            manual_action(licence, action, "理由", TODAY)


@pytest.mark.parametrize("status", list(LicenceStatus))
def test_grant_accepts_exactly_what_the_table_offers(status):
    licence = make_licence(status=status)
    if "grant" in allowed_actions(status):
        assert grant(licence, [], TODAY).to_status == "active"
    else:
        with pytest.raises(RuleError, match="只有申请中的许可可以授权"):
            grant(licence, [], TODAY)


@pytest.mark.parametrize("status", list(LicenceStatus))
@pytest.mark.parametrize("action", sorted(IRREVERSIBLE_ACTIONS - {"refused_sampling"}))
def test_an_irreversible_action_leaves_a_final_status(status, action):
    if action in allowed_actions(status):
        result = manual_action(make_licence(status=status), action, "理由", TODAY)
        assert result.to_status in FINAL_STATUSES
