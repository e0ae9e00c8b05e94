"""One vocabulary: the Chinese labels of statuses, actions, decisions and rules live in the core."""
import ast
from pathlib import Path

import pytest

import parties.membership
import trademark.rules
from trademark.rules import (
    ACTION_LABELS, DECISION_LABELS, MANUAL, MEMBERSHIP_LABELS, PARAMETER_BOUNDS, PARAMETER_LABELS,
    RULE_IDS, RULE_LABELS, STATUS_LABELS, ActionKind, LicenceStatus, MembershipStatus, N_, RuleError,
    manual_action,
)

from tests.builders.rules import day, make_licence

LABELS = {"STATUS_LABELS": STATUS_LABELS, "MEMBERSHIP_LABELS": MEMBERSHIP_LABELS,
          "ACTION_LABELS": ACTION_LABELS, "DECISION_LABELS": DECISION_LABELS,
          "RULE_LABELS": RULE_LABELS, "PARAMETER_LABELS": PARAMETER_LABELS}


def test_every_licence_status_has_one_label():
    assert set(STATUS_LABELS) == set(LicenceStatus)


def test_every_membership_status_has_one_label():
    assert set(MEMBERSHIP_LABELS) == set(MembershipStatus)


def test_every_decision_the_engine_makes_has_a_label():
    assert set(ActionKind) <= set(DECISION_LABELS)


def test_every_rule_and_the_manual_decisions_have_a_label():
    assert set(RULE_LABELS) == {*RULE_IDS, MANUAL}


def test_every_rule_parameter_has_a_label():
    assert set(PARAMETER_LABELS) == {"enabled", *PARAMETER_BOUNDS}


def test_surrender_has_one_wording():
    assert STATUS_LABELS["surrendered"] == "已放弃"
    assert ACTION_LABELS["surrender"] == "放弃许可"
    assert DECISION_LABELS["surrender"] == "放弃"


@pytest.mark.parametrize("name", LABELS)
def test_labels_are_plain_non_empty_strings_and_cannot_be_changed(name):
    labels = LABELS[name]
    assert all(type(label) is str and label.strip() for label in labels.values())
    with pytest.raises(TypeError):
        labels["new"] = "新"


@pytest.mark.parametrize("name", LABELS)
def test_every_label_is_marked_for_the_translation_catalogue(name):
    """pybabel extracts N_("…") with its default keywords; an unmarked label would stay Chinese."""
    # The membership words are the parties' own (parties.membership); the rules core re-exports them.
    module = parties.membership if name == "MEMBERSHIP_LABELS" else trademark.rules
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    [table] = [node.value for node in ast.walk(tree)
               if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name]
    values = table.args[0].values
    assert values and all(isinstance(v, ast.Call) and v.func.id == "N_" for v in values)


def test_the_translation_marker_returns_its_text_unchanged():
    assert N_("已放弃") == "已放弃"


def test_the_staff_messages_use_the_same_words():
    with pytest.raises(RuleError, match="许可状态为“已放弃”，这是最终状态，不能再警告"):
        manual_action(make_licence(status="surrendered"), "warn", "理由", day(10))
