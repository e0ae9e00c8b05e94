"""Usage rules of a mark (SPEC §4): entry conditions E1–E5, exit rules X1–X10.

Pure core: frozen facts in, a list of actions out, each with a rule id and a Chinese reason.
Nothing here reads the clock, a database or Flask; ``today`` is always a parameter.

State and idempotency
---------------------
The engine keeps no state of its own. Everything it has done before reaches it again as the
licence's ``decisions`` (one ``DecisionFact`` per stored Decision: kind, rule, date, evidence,
deadline). From them it derives

* the open suspension causes (every ``suspend`` since the last ``reinstate``),
* the pending X2 warnings (retest deadlines), and
* which triggers were already handled. Event triggers are keyed by ``(rule, evidence)``: X1 and
  X2 by the failed inspection, X4 by the last surveillance inspection (or none), X8 by the last
  passed inspection. X6 is keyed by the fee year: an X6 decision dated on or after the year's
  due date has handled it.

So a caller that stores every returned action as a Decision and passes the decisions back gets
no action on a second evaluation the same day.

Conventions chosen here (SPEC is silent)
----------------------------------------
* A deadline day is still in time: an action for a missed deadline fires the day after it.
* ``expires_on`` is the last valid day (``expiry_date()``); X9 fires the day after.
* The annual fee (paid marks) is for the calendar year: due on 1 January, or on the grant day
  in the year of grant. E5 asks for the fee of ``today``'s year.
* Only inspections verified on or before ``today``, of a model in the licence's scope and against
  the mark's standard count (``StandardFact.covers``: SPEC §4, E2, X1–X4, X8).
  Exit rules X1–X3 look only at inspections verified on or after the grant day (X1 a type
  inspection only if also sampled on or after it: before, it was the admission evidence); E2
  and X8 look at all. A verified retest replaces the verdict of the inspection it retests
  (SPEC §3).
* "Surveillance" for X4 means a ``surveillance`` or ``market`` inspection; X1 is cleared only by
  a passed ``surveillance`` inspection of the same product model sampled on or after the
  suspension day and verified by the deadline.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

# Pure cores share their vocabularies: one InspectionType and one outcome for judging and the rules.
from compliance.engine import InspectionType
from compliance.engine import VerdictOutcome as Outcome
from parties import membership as party_rules
from parties.membership import MembershipStatus
from infra.words import Sentence

MANUAL = "manual"


class RuleError(ValueError):
    """An action that the rules do not allow (the message is for staff, in Chinese)."""


class RuleConfigError(ValueError):
    """A bad ``rules`` override; ``rule`` and ``field`` name what is wrong."""

    def __init__(self, message: str, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.rule = rule
        self.field = field


# ---------------------------------------------------------------------------------------------
# Vocabularies


class LicenceStatus(StrEnum):
    APPLIED = "applied"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SURRENDERED = "surrendered"
    REFUSED = "refused"


# Revocation, expiry, surrender and refusal are final: the firm must apply again.
FINAL_STATUSES = frozenset({LicenceStatus.REVOKED, LicenceStatus.EXPIRED,
                            LicenceStatus.SURRENDERED, LicenceStatus.REFUSED})


class MarkType(StrEnum):
    COLLECTIVE = "collective"
    CERTIFICATION = "certification"


class ActionKind(StrEnum):
    GRANT = "grant"
    WARN = "warn"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"
    EXPIRE = "expire"
    SURRENDER = "surrender"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"  # the firm withdraws its application (to ``surrendered``)


class EventKind(StrEnum):
    REFUSED_SAMPLING = "refused_sampling"
    MISUSE = "misuse"


# ---------------------------------------------------------------------------------------------
# Words: the one place for the Chinese labels of statuses, actions, decisions and rules.
#
# Plain strings, so the core stays pure. ``N_`` only marks them: pybabel's default keywords
# include it, so the shell's catalogue picks them up and the shell translates them with
# (lazy_)gettext where it shows them.


def N_(text: str) -> str:
    """Mark a label for translation and return it unchanged."""
    return text


STATUS_LABELS: Mapping[str, str] = MappingProxyType({
    LicenceStatus.APPLIED: N_("申请中"),
    LicenceStatus.ACTIVE: N_("有效"),
    LicenceStatus.SUSPENDED: N_("已暂停"),
    LicenceStatus.REVOKED: N_("已撤销"),
    LicenceStatus.EXPIRED: N_("已过期"),
    LicenceStatus.SURRENDERED: N_("已放弃"),  # given up by the firm, or its application withdrawn
    LicenceStatus.REFUSED: N_("不予许可"),
})

MEMBERSHIP_LABELS = party_rules.MEMBERSHIP_LABELS

# What staff may do (the buttons): manual actions on a licence and actions on an application.
ACTION_LABELS: Mapping[str, str] = MappingProxyType({
    "warn": N_("警告"),
    "suspend": N_("暂停"),
    "reinstate": N_("恢复"),
    "revoke": N_("撤销"),
    "refused_sampling": N_("记录拒绝抽样"),
    "misuse": N_("记录违规使用"),
    "surrender": N_("放弃许可"),
    "grant": N_("授权"),
    "refuse": N_("不予许可"),
    "withdraw": N_("撤回申请"),
})

# What a stored Decision records, by its kind (every ActionKind, and the shell's own kinds).
DECISION_LABELS: Mapping[str, str] = MappingProxyType({
    "apply": N_("申请"),
    ActionKind.GRANT: N_("授权"),
    ActionKind.WARN: N_("警告"),
    ActionKind.SUSPEND: N_("暂停"),
    ActionKind.REINSTATE: N_("恢复"),
    ActionKind.REVOKE: N_("撤销"),
    ActionKind.EXPIRE: N_("到期"),
    ActionKind.SURRENDER: N_("放弃"),
    ActionKind.REFUSE: N_("不予许可"),
    ActionKind.WITHDRAW: N_("撤回申请"),
    "admit": N_("准予入会"),
    "expel": N_("清退"),
})

# A short name of each rule, for lists and histories (``describe`` says the whole rule).
RULE_LABELS: Mapping[str, str] = MappingProxyType({
    "E1": N_("会员资格"),
    "E2": N_("型式检验"),
    "E3": N_("清退冷静期"),
    "E4": N_("承诺书"),
    "E5": N_("年度使用费"),
    "X1": N_("A类不合格"),
    "X2": N_("一般不合格"),
    "X3": N_("累计不合格"),
    "X4": N_("监督抽查逾期"),
    "X5": N_("拒绝抽样"),
    "X6": N_("使用费逾期"),
    "X7": N_("长期暂停"),
    "X8": N_("标准换版"),
    "X9": N_("有效期届满"),
    "X10": N_("清退"),
    MANUAL: N_("手工操作"),
})

PARAMETER_LABELS: Mapping[str, str] = MappingProxyType({
    "enabled": N_("启用"),
    "months": N_("月数"),
    "deadline_days": N_("期限（天）"),
    "count": N_("次数"),
    "grace_days": N_("宽限期（天）"),
})


# ---------------------------------------------------------------------------------------------
# Rule parameters

RULE_IDS = ("E1", "E2", "E3", "E4", "E5",
            "X1", "X2", "X3", "X4", "X5", "X6", "X7", "X8", "X9", "X10")

DEFAULT_RULES: Mapping[str, Mapping[str, bool | int]] = MappingProxyType({
    "E1": {"enabled": True},
    "E2": {"enabled": True, "months": 12},
    "E3": {"enabled": True, "months": party_rules.COOL_OFF_MONTHS},
    "E4": {"enabled": True},
    "E5": {"enabled": True},
    "X1": {"enabled": True, "deadline_days": 90},
    "X2": {"enabled": True, "deadline_days": 30},
    "X3": {"enabled": True, "count": 2, "months": 12},
    "X4": {"enabled": True, "months": 12, "grace_days": 30},
    "X5": {"enabled": True},
    "X6": {"enabled": True, "grace_days": 30},
    "X7": {"enabled": True, "months": 6},
    "X8": {"enabled": True},
    "X9": {"enabled": True},
    "X10": {"enabled": True},
})

# SPEC §4: months and days between 0 and 120 months (120 months are at most 3653 days), counts
# between 1 and 20. A value outside is refused, never clamped.
PARAMETER_BOUNDS: Mapping[str, tuple[int, int]] = MappingProxyType({
    "months": (0, 120), "deadline_days": (0, 3653), "grace_days": (0, 3653), "count": (1, 20)})


@dataclass(frozen=True)
class RuleSet:
    """The usage-rule parameters of one mark: ``(rule, field, value)`` for every rule."""

    values: tuple[tuple[str, str, bool | int], ...]
    # Each rule's parameters, read-only, built once (the sweep asks for them a few times per licence).
    _by_rule: Mapping[str, Mapping[str, bool | int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        table: dict[str, dict[str, bool | int]] = {}
        for rule, name, value in self.values:
            table.setdefault(rule, {})[name] = value
        object.__setattr__(self, "_by_rule", {rule: MappingProxyType(params) for rule, params in table.items()})

    @classmethod
    def default(cls) -> RuleSet:
        """Return the defaults of SPEC §4."""
        return cls.from_overrides({})

    @classmethod
    def from_overrides(cls, overrides: Mapping | None) -> RuleSet:
        """Build the defaults overridden by ``{"X1": {"deadline_days": 60}, ...}``."""
        if overrides is None:
            overrides = {}
        if not isinstance(overrides, Mapping):
            raise RuleConfigError("规则参数必须是以规则编号为键的对象")
        table = {rule: dict(params) for rule, params in DEFAULT_RULES.items()}
        for rule, params in overrides.items():
            if rule not in table:
                raise RuleConfigError(f"未知规则编号 {rule}，可用：{'、'.join(RULE_IDS)}", rule=str(rule))
            if not isinstance(params, Mapping):
                raise RuleConfigError(f"规则 {rule} 的参数必须是对象", rule=rule)
            for name, value in params.items():
                if name not in table[rule]:
                    known = "、".join(table[rule])
                    raise RuleConfigError(f"规则 {rule} 没有参数 {name}，可用：{known}",
                                          rule=rule, field=str(name))
                if name == "enabled":
                    if not isinstance(value, bool):
                        raise RuleConfigError(f"规则 {rule} 的 enabled 必须是 true 或 false",
                                              rule=rule, field=name)
                else:
                    if isinstance(value, bool) or not isinstance(value, int):
                        raise RuleConfigError(f"规则 {rule} 的 {name} 必须是整数",
                                              rule=rule, field=name)
                    low, high = PARAMETER_BOUNDS[name]
                    if value < low:
                        raise RuleConfigError(f"规则 {rule} 的 {name} 不能小于 {low}"
                                              f"（允许 {low}–{high}）", rule=rule, field=name)
                    if value > high:
                        raise RuleConfigError(f"规则 {rule} 的 {name} 不能大于 {high}"
                                              f"（允许 {low}–{high}）", rule=rule, field=name)
                table[rule][name] = value
        return cls(tuple((rule, name, value)
                         for rule in RULE_IDS for name, value in table[rule].items()))

    def __getitem__(self, rule: str) -> Mapping[str, bool | int]:
        return self._by_rule[rule]  # KeyError for an unknown rule

    def enabled(self, rule: str) -> bool:
        """Tell whether a rule is switched on."""
        return bool(self[rule]["enabled"])

    def to_dict(self) -> dict[str, dict[str, bool | int]]:
        """Return every rule with every parameter (JSON-ready; ``from_overrides`` reads it back)."""
        out: dict[str, dict[str, bool | int]] = {}
        for rule, name, value in self.values:
            out.setdefault(rule, {})[name] = value
        return out


class RuleDescription(NamedTuple):
    rule: str
    enabled: bool
    sentence: str


def describe(ruleset: RuleSet, mark_type: MarkType | str, paid: bool,
             validity_years: int = 3) -> list[RuleDescription]:
    """Say every rule of a mark in one plain Chinese sentence, in rule order.

    ``enabled`` is whether the rule applies to this mark: E1, E3 and X10 (membership) never
    apply to a certification mark, E5 and X6 only to a paid one.
    """
    r = ruleset
    collective = MarkType(mark_type) == MarkType.COLLECTIVE
    S = Sentence
    sentences = {
        "E1": (S(N_("集体商标：申请企业须为联盟在册会员，且会员资格正常")) if collective else
               S(N_("证明商标：不以联盟会员资格为条件，凡符合条件的企业均可申请使用"))),
        "E2": S(N_("许可范围内每个产品型号须有%(months)s个月内抽样、依据现行标准版本"
                   "（新版本过渡期内亦可依据上一版本）、经审核合格的型式检验"), months=r["E2"]["months"]),
        "E3": (S(N_("%(months)s个月内被本联盟清退的企业不得申请"), months=r["E3"]["months"]) if collective else
               S(N_("证明商标：不因企业曾被联盟清退而拒绝申请"))),
        "E4": S(N_("须提交已签署的承诺书")),
        "E5": S(N_("须缴清当年使用费")) if paid else S(N_("本标志免费授权，无需缴费")),
        "X1": S(N_("监督抽查、市场抽样或授权后抽样的型式检验出现A类不合格：立即暂停，"
                   "整改期%(days)s天；期满前未通过暂停后重新抽样的监督检验则撤销"), days=r["X1"]["deadline_days"]),
        "X2": S(N_("检验不合格但无A类不合格：发出警告，%(days)s天内可复检；复检不合格或逾期未复检则暂停"),
                days=r["X2"]["deadline_days"]),
        "X3": S(N_("%(months)s个月内累计%(count)s次检验不合格：撤销"), months=r["X3"]["months"],
                count=r["X3"]["count"]),
        "X4": S(N_("超过%(months)s个月未完成监督抽查（另有宽限期%(days)s天）：暂停"), months=r["X4"]["months"],
                days=r["X4"]["grace_days"]),
        "X5": S(N_("企业拒绝抽样：撤销")),
        "X6": (S(N_("使用费逾期%(days)s天未缴：暂停；缴清后自动恢复"), days=r["X6"]["grace_days"]) if paid else
               S(N_("本标志免费授权，不因缴费暂停"))),
        "X7": S(N_("暂停超过%(months)s个月仍未恢复：撤销"), months=r["X7"]["months"]),
        "X8": S(N_("标准新版本过渡期结束后，最近一次合格检验仍依据旧版本：暂停，依据新版本检验合格后自动恢复")),
        "X9": S(N_("许可有效期%(years)s年，期满即失效，须重新申请"), years=validity_years),
        "X10": (S(N_("企业被联盟清退：撤销其在本联盟集体商标下的全部许可")) if collective else
                S(N_("证明商标：许可不以会员资格为条件，企业被联盟清退不撤销许可"))),
    }
    applies = {"E1": collective, "E3": collective, "X10": collective, "E5": paid, "X6": paid}
    return [RuleDescription(rule, r.enabled(rule) and applies.get(rule, True), sentences[rule])
            for rule in RULE_IDS]


# ---------------------------------------------------------------------------------------------
# Facts


@dataclass(frozen=True)
class InspectionFact:
    """A verified (or not yet verified) inspection of one of the firm's product models.

    ``standard_code`` is the code of the standard it was made against; ``None`` when the caller
    does not say, and then the version id alone tells (see ``StandardFact.covers``).
    """

    id: int
    type: InspectionType
    product_model: str
    standard_version_id: int
    standard_version_label: str
    sampled_on: date
    verified_on: date | None
    outcome: Outcome
    failed_a: int = 0
    failed_b: int = 0
    failed_c: int = 0
    retest_of: int | None = None
    standard_code: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "type", InspectionType(self.type))
        object.__setattr__(self, "outcome", Outcome(self.outcome))


@dataclass(frozen=True)
class PaymentFact:
    year: int
    amount: Decimal
    paid_on: date


@dataclass(frozen=True)
class MembershipFact:
    """The firm's membership of the mark's alliance; ``expelled_on`` is the latest expulsion."""

    status: MembershipStatus
    expelled_on: date | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", MembershipStatus(self.status))


@dataclass(frozen=True)
class VersionFact:
    """A published (or superseded) version; ``transition_end``: until when the previous counts."""

    id: int
    label: str
    effective: date | None = None
    transition_end: date | None = None


@dataclass(frozen=True)
class StandardFact:
    """The licence's standard: its published versions, oldest first (drafts left out)."""

    code: str
    versions: tuple[VersionFact, ...]

    def __post_init__(self):
        object.__setattr__(self, "versions", tuple(self.versions))

    def covers(self, inspection: InspectionFact) -> bool:
        """Tell whether an inspection is against this standard (SPEC §4: only those count).

        Its version must be one of this standard's versions, and its standard code, when given,
        this standard's code.
        """
        if inspection.standard_code is not None and inspection.standard_code != self.code:
            return False
        return any(v.id == inspection.standard_version_id for v in self.versions)

    def current(self, today: date) -> VersionFact | None:
        """Return the newest version in effect on ``today``."""
        in_force = [v for v in self.versions if v.effective is None or v.effective <= today]
        return in_force[-1] if in_force else None

    def admitting(self, today: date) -> tuple[VersionFact, ...]:
        """E2: the versions whose type inspections admit on ``today``, current first.

        The current version, and until the current version's transition ends (that day
        included) the version before it. No transition end: the current version alone.
        """
        current = self.current(today)
        if current is None:
            return ()
        position = self.versions.index(current)
        if position > 0 and current.transition_end is not None and today <= current.transition_end:
            return current, self.versions[position - 1]
        return (current,)

    def stops_counting(self, version_id: int) -> tuple[date, VersionFact] | None:
        """Return when a version stops counting and the version that replaces it, if known.

        The next version's transition end, or without one its effective date; with neither the
        end is unknown and X8 does not fire.
        """
        ids = [v.id for v in self.versions]
        if version_id not in ids:
            return None
        position = ids.index(version_id)
        if position + 1 == len(ids):
            return None
        successor = self.versions[position + 1]
        end = successor.transition_end or successor.effective
        return (end, successor) if end is not None else None


@dataclass(frozen=True)
class EventFact:
    """A staff-recorded event about the firm (X5 refused sampling; misuse)."""

    id: int
    kind: EventKind
    on: date

    def __post_init__(self):
        object.__setattr__(self, "kind", EventKind(self.kind))


@dataclass(frozen=True)
class DecisionFact:
    """A stored Decision of this licence, passed back so the engine knows what it already did."""

    kind: ActionKind
    rule: str
    on: date
    evidence: tuple[int, ...] = ()
    deadline: date | None = None

    def __post_init__(self):
        object.__setattr__(self, "kind", ActionKind(self.kind))
        object.__setattr__(self, "evidence", tuple(self.evidence))


@dataclass(frozen=True)
class LicenceFact:
    id: int
    status: LicenceStatus
    mark_type: MarkType
    scope_models: tuple[str, ...]
    granted_on: date | None = None
    expires_on: date | None = None
    commitment_signed: bool = False
    fee_per_year: Decimal | None = None
    decisions: tuple[DecisionFact, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "status", LicenceStatus(self.status))
        object.__setattr__(self, "mark_type", MarkType(self.mark_type))
        object.__setattr__(self, "scope_models", tuple(self.scope_models))
        object.__setattr__(self, "decisions", tuple(self.decisions))

    @property
    def paid(self) -> bool:
        return self.fee_per_year is not None and self.fee_per_year > 0


@dataclass(frozen=True)
class SuspensionCause:
    rule: str
    since: date
    deadline: date | None = None
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True)
class PendingWarning:
    rule: str
    inspection_id: int
    on: date
    deadline: date | None


# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Unmet:
    rule: str
    reason: str


@dataclass(frozen=True)
class Action:
    """One decision to store; a warning keeps the status (``to_status`` = status before)."""

    kind: ActionKind
    rule: str
    reason: str
    to_status: LicenceStatus
    evidence: tuple[int, ...] = ()
    deadline: date | None = None

    def as_decision(self, on: date) -> DecisionFact:
        """Return the fact to pass back once this action is stored on ``on``."""
        return DecisionFact(self.kind, self.rule, on, self.evidence, self.deadline)


# ---------------------------------------------------------------------------------------------
# Dates


def add_months(day: date, months: int) -> date:
    """Add calendar months, keeping the day or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def fee_due_on(granted_on: date | None, year: int) -> date | None:
    """E5/X6: a year's fee falls due on the grant day in the year of grant, then on 1 January."""
    if granted_on is None or year < granted_on.year:
        return None
    return granted_on if year == granted_on.year else date(year, 1, 1)


def surveillance_due(granted_on: date | None, last: InspectionFact | None, months: int,
                     grace_days: int) -> tuple[date, date] | None:
    """X4: when the next surveillance is due and when its grace ends, counted from the grant or the last one."""
    base = granted_on
    if last is not None and (base is None or last.sampled_on >= base):
        base = last.sampled_on
    if base is None:
        return None
    due = add_months(base, months)
    return due, due + timedelta(days=grace_days)


readmission_from = party_rules.readmission_from  # E3: one definition, the parties' own


def expiry_date(granted_on: date, validity_years: int) -> date:
    """Return the last valid day of a licence granted on ``granted_on``."""
    return add_months(granted_on, 12 * validity_years) - timedelta(days=1)


def _d(day: date) -> str:
    return day.isoformat()


# ---------------------------------------------------------------------------------------------
# State derived from the decisions


def _decisions_until(licence: LicenceFact, today: date) -> list[DecisionFact]:
    # Stable: decisions of one day keep the caller's (storage) order.
    return sorted((d for d in licence.decisions if d.on <= today), key=lambda d: d.on)


def open_suspension_causes(licence: LicenceFact, today: date) -> tuple[SuspensionCause, ...]:
    """Return the causes of the current suspension: every suspend since the last reinstate."""
    causes: list[SuspensionCause] = []
    for d in _decisions_until(licence, today):
        if d.kind == ActionKind.SUSPEND:
            causes.append(SuspensionCause(d.rule, d.on, d.deadline, d.evidence))
        elif d.kind in (ActionKind.REINSTATE, ActionKind.GRANT, ActionKind.REVOKE,
                        ActionKind.EXPIRE, ActionKind.SURRENDER):
            causes = []
    return tuple(causes)


def pending_warnings(licence: LicenceFact, today: date) -> tuple[PendingWarning, ...]:
    """Return the X2 warnings not yet followed by an X2 suspension for the same inspection."""
    decisions = _decisions_until(licence, today)
    suspended = {d.evidence for d in decisions
                 if d.rule == "X2" and d.kind == ActionKind.SUSPEND}
    return tuple(PendingWarning(d.rule, d.evidence[0], d.on, d.deadline) for d in decisions
                 if d.rule == "X2" and d.kind == ActionKind.WARN and d.evidence
                 and d.evidence not in suspended)


def _handled(decisions: Iterable[DecisionFact], rule: str, evidence: tuple[int, ...],
             kinds: Iterable[ActionKind] = (ActionKind.WARN, ActionKind.SUSPEND)) -> bool:
    kinds = tuple(kinds)
    return any(d.rule == rule and d.evidence == evidence and d.kind in kinds for d in decisions)


# ---------------------------------------------------------------------------------------------
# Inspections as the licence rules see them


@dataclass(frozen=True)
class _Verdict:
    """An inspection with its effective verdict: a verified retest replaces the original's."""

    inspection: InspectionFact
    outcome: Outcome
    failed_a: int
    on: date  # verification day of the effective verdict
    retest: InspectionFact | None

    @property
    def failed(self) -> bool:
        return self.outcome == Outcome.failed


def _visible(licence: LicenceFact, inspections: Iterable[InspectionFact], today: date,
             standard: StandardFact | None) -> list[InspectionFact]:
    scope = set(licence.scope_models)
    # SPEC §4: an inspection against another standard changes nothing for this mark. Without a
    # standard fact there is nothing to compare with (E2 refuses such a licence anyway).
    return sorted((i for i in inspections
                   if i.verified_on is not None and i.verified_on <= today
                   and (not scope or i.product_model in scope)
                   and (standard is None or standard.covers(i))),
                  key=lambda i: (i.verified_on, i.id))


def _verdicts(visible: Sequence[InspectionFact]) -> list[_Verdict]:
    latest_retest: dict[int, InspectionFact] = {}
    for i in visible:  # sorted by verification, so the last retest wins
        if i.type == InspectionType.retest and i.retest_of is not None:
            latest_retest[i.retest_of] = i
    out = []
    for i in visible:
        if i.type == InspectionType.retest:
            continue
        r = latest_retest.get(i.id)
        effective = r or i
        out.append(_Verdict(i, effective.outcome, effective.failed_a,
                            effective.verified_on, r))
    return out


def _latest_surveillance(verdicts: Iterable[_Verdict]) -> InspectionFact | None:
    found = [v.inspection for v in verdicts if v.inspection.type in (InspectionType.surveillance, InspectionType.market)]
    return max(found, key=lambda i: (i.sampled_on, i.id)) if found else None


def last_surveillance(licence: LicenceFact, inspections: Iterable[InspectionFact], today: date,
                      standard: StandardFact | None = None) -> InspectionFact | None:
    """X4: the latest verified surveillance or market inspection of the licence's scope by `today`.

    Give the mark's ``standard`` so that inspections against another standard are left out.
    """
    return _latest_surveillance(_verdicts(_visible(licence, inspections, today, standard)))


def surveillance_base(licence: LicenceFact, inspections: Iterable[InspectionFact], today: date,
                      standard: StandardFact | None = None) -> date | None:
    """X4: the day the next surveillance is counted from, the later of the grant and the last surveillance.

    What `surveillance_due` adds the months to; None before the grant.
    """
    if licence.granted_on is None:
        return None
    last = last_surveillance(licence, inspections, today, standard)
    return last.sampled_on if last is not None and last.sampled_on >= licence.granted_on else licence.granted_on


def first_unpaid_fee_due(licence: LicenceFact, payments: Iterable[PaymentFact]) -> date | None:
    """E5/X6: the due day of the earliest year whose fee is not fully paid (every payment recorded counts).

    None for a free mark or before the grant. Due days grow with the year, so no unpaid fee is due earlier.
    """
    if not licence.fee_per_year or licence.granted_on is None:  # no fee (a zero fee is none)
        return None
    payments = tuple(payments)
    year = licence.granted_on.year
    while paid_amount(payments, year, date.max) >= licence.fee_per_year:
        year += 1
    return fee_due_on(licence.granted_on, year)


def _describe_inspection(i: InspectionFact) -> str:
    return (f"检验#{i.id}（型号{i.product_model}，{_d(i.sampled_on)}抽样，"
            f"依据{i.standard_version_label}版）")


def _failed_counts(v: _Verdict) -> str:
    i = v.retest or v.inspection
    return f"A类{i.failed_a}项、B类{i.failed_b}项、C类{i.failed_c}项不合格"


# ---------------------------------------------------------------------------------------------
# Entry


def check_entry(licence: LicenceFact, membership: MembershipFact | None,
                inspections: Iterable[InspectionFact], payments: Iterable[PaymentFact],
                standard: StandardFact | None, ruleset: RuleSet,
                today: date) -> list[Unmet]:
    """Return the entry rules E1–E5 that a licence application does not meet (empty: grant)."""
    unmet: list[Unmet] = []
    if ruleset.enabled("E1") and licence.mark_type == MarkType.COLLECTIVE:
        # E1: a certification mark must not require membership, so only collective marks ask.
        if membership is None or membership.status != MembershipStatus.MEMBER:
            state = Sentence(N_("非联盟会员")) if membership is None else Sentence({
                MembershipStatus.APPLICANT: N_("入会申请尚未批准"),
                MembershipStatus.SUSPENDED: N_("会员资格已暂停"),
                MembershipStatus.EXPELLED: N_("已被联盟清退"),
                MembershipStatus.WITHDRAWN: N_("已退出联盟"),
            }[membership.status])
            unmet.append(Unmet("E1", Sentence(N_("集体商标仅限联盟会员使用，该企业%(state)s"), state=state)))

    if ruleset.enabled("E2"):
        unmet.extend(_check_e2(licence, inspections, standard, ruleset["E2"]["months"], today))

    # E3: a cool-off after expulsion is about membership, so it too asks only for collective marks.
    if (ruleset.enabled("E3") and licence.mark_type == MarkType.COLLECTIVE
            and membership is not None and membership.expelled_on is not None):
        months = ruleset["E3"]["months"]
        until = readmission_from(membership.expelled_on, months)
        if membership.expelled_on <= today < until:
            unmet.append(Unmet("E3", Sentence(N_("该企业于%(on)s被联盟清退，%(months)s个月内（%(until)s前）不得申请"),
                                              on=_d(membership.expelled_on), months=months, until=_d(until))))

    if ruleset.enabled("E4") and not licence.commitment_signed:
        unmet.append(Unmet("E4", Sentence(N_("尚未提交已签署的承诺书"))))

    if ruleset.enabled("E5") and licence.paid:
        paid = paid_amount(payments, today.year, today)
        if paid < licence.fee_per_year:
            unmet.append(Unmet("E5", Sentence(N_("%(year)s年度使用费应缴%(fee)s元，已缴%(paid)s元"),
                                              year=today.year, fee=licence.fee_per_year, paid=paid)))
    return unmet


def _e2_versions_words(versions: Sequence[VersionFact]) -> str:
    current, *previous = versions
    if previous:
        return Sentence(N_("现行%(label)s版（过渡期至%(until)s，%(previous)s版亦可）"), label=current.label,
                        until=_d(current.transition_end), previous=previous[0].label)
    return Sentence(N_("现行%(label)s版"), label=current.label)


def _check_e2(licence: LicenceFact, inspections: Iterable[InspectionFact],
              standard: StandardFact | None, months: int, today: date) -> list[Unmet]:
    if not licence.scope_models:
        return [Unmet("E2", Sentence(N_("许可范围内没有产品型号")))]
    versions = standard.admitting(today) if standard is not None else ()
    if not versions:
        return [Unmet("E2", Sentence(N_("该标志尚无现行的联盟标准版本")))]
    ids = {v.id for v in versions}
    words = _e2_versions_words(versions)
    verdicts = _verdicts(_visible(licence, inspections, today, standard))
    unmet = []
    for model in licence.scope_models:
        if _e2_passing(verdicts, model, versions, months, today):
            continue
        older = [v for v in verdicts if v.inspection.product_model == model
                 and v.inspection.type == InspectionType.type]
        if not older:
            why = Sentence(N_("没有经审核的型式检验"))
        elif not any(v.inspection.standard_version_id in ids for v in older):
            why = Sentence(N_("没有依据%(versions)s标准的型式检验"), versions=words)
        elif not any(v.outcome == Outcome.passed and v.inspection.standard_version_id in ids
                     for v in older):
            why = Sentence(N_("依据%(versions)s标准的型式检验不合格"), versions=words)
        else:
            why = Sentence(N_("合格的型式检验已超过%(months)s个月"), months=months)
        unmet.append(Unmet("E2", Sentence(N_("型号%(model)s：%(why)s（须有%(months)s个月内抽样、"
                                             "依据%(versions)s标准并经审核合格的型式检验）"),
                                          model=model, why=why, months=months, versions=words)))
    return unmet


def _e2_passing(verdicts, model: str, versions: Sequence[VersionFact], months: int,
                today: date) -> list:
    """The verified, passed type inspections of `model` that satisfy E2 today, newest last."""
    ids = {v.id for v in versions}
    return [v for v in verdicts
            if v.inspection.product_model == model
            and v.inspection.type == InspectionType.type
            and v.inspection.standard_version_id in ids
            and v.outcome == Outcome.passed
            and today <= add_months(v.inspection.sampled_on, months)]


def entry_evidence(licence: LicenceFact, inspections: Iterable[InspectionFact], standard: StandardFact | None,
                   ruleset: RuleSet, today: date) -> tuple[int, ...]:
    """Return the ids of the type inspections a grant rests on (E2): one passing one per model.

    The latest against the current version, or in the transition without one the latest
    against the previous version.
    """
    versions = standard.admitting(today) if standard is not None else ()
    if not versions:
        return ()
    current_id = versions[0].id
    verdicts = _verdicts(_visible(licence, inspections, today, standard))
    evidence = []
    for model in licence.scope_models:
        passing = _e2_passing(verdicts, model, versions, ruleset["E2"]["months"], today)
        if passing:
            latest = max(passing, key=lambda v: (v.inspection.standard_version_id == current_id,
                                                 v.inspection.sampled_on, v.inspection.id))
            evidence.append(latest.inspection.id)
    return tuple(sorted(set(evidence)))


def paid_amount(payments: Iterable[PaymentFact], year: int, today: date) -> Decimal:
    """What was paid towards `year`'s fee by `today`."""
    return sum((p.amount for p in payments if p.year == year and p.paid_on <= today),
               Decimal(0))


# ---------------------------------------------------------------------------------------------
# Exit and surveillance


_ORDER = {rule: n for n, rule in enumerate(RULE_IDS)}
_ORDER[MANUAL] = len(RULE_IDS)


def evaluate(licence: LicenceFact, membership: MembershipFact | None,
             inspections: Iterable[InspectionFact], payments: Iterable[PaymentFact],
             events: Iterable[EventFact], standard: StandardFact | None, ruleset: RuleSet,
             today: date) -> list[Action]:
    """Apply X1–X10 and automatic reinstatement to a licence as of ``today``.

    Returns nothing for a licence that is not granted yet or whose status is final. A
    revocation or expiry comes alone (it ends the licence); otherwise a reinstatement or the
    new suspensions come first, then the warnings, each group in rule order.
    """
    if licence.status not in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED):
        return []
    inspections = tuple(inspections)
    payments = tuple(payments)
    ctx = _Context(licence, membership, inspections, payments, tuple(events), standard,
                   ruleset, today)

    final = ctx.revocations() + ctx.expiry()
    if final:
        return [final[0]]

    suspensions = ctx.suspensions()
    status = LicenceStatus.SUSPENDED if suspensions else licence.status
    actions: list[Action] = list(suspensions)
    if not suspensions and licence.status == LicenceStatus.SUSPENDED:
        reinstate = ctx.reinstatement()
        if reinstate:
            actions.append(reinstate)
            status = LicenceStatus.ACTIVE
    actions.extend(replace(w, to_status=status) for w in ctx.warnings())
    return actions


@dataclass
class _Context:
    licence: LicenceFact
    membership: MembershipFact | None
    inspections: tuple[InspectionFact, ...]
    payments: tuple[PaymentFact, ...]
    events: tuple[EventFact, ...]
    standard: StandardFact | None
    rules: RuleSet
    today: date
    decisions: list[DecisionFact] = field(init=False)
    causes: tuple[SuspensionCause, ...] = field(init=False)
    unknown_cause: bool = field(init=False)
    all_verdicts: list[_Verdict] = field(init=False)
    verdicts: list[_Verdict] = field(init=False)

    def __post_init__(self):
        self.decisions = _decisions_until(self.licence, self.today)
        self.causes = (open_suspension_causes(self.licence, self.today)
                       if self.licence.status == LicenceStatus.SUSPENDED else ())
        # Suspended with no recorded cause (e.g. imported data): only staff may lift it.
        self.unknown_cause = self.licence.status == LicenceStatus.SUSPENDED and not self.causes
        self.all_verdicts = _verdicts(_visible(self.licence, self.inspections, self.today,
                                               self.standard))
        granted = self.licence.granted_on
        # X1–X3 judge what happened while the licence existed, not the admission tests.
        self.verdicts = [v for v in self.all_verdicts
                         if granted is None or v.inspection.verified_on >= granted]

    def on(self, rule: str) -> bool:
        return self.rules.enabled(rule)

    def param(self, rule: str, name: str) -> int:
        return int(self.rules[rule][name])

    # -- terminal ------------------------------------------------------------------------

    def revocations(self) -> list[Action]:
        found = []
        for rule, check in (("X1", self._x1_revoke), ("X3", self._x3), ("X5", self._x5),
                            ("X7", self._x7), ("X10", self._x10)):
            if self.on(rule):
                action = check()
                if action:
                    found.append(action)
        return found

    def _revoke(self, rule: str, reason: str, evidence: tuple[int, ...] = ()) -> Action:
        return Action(ActionKind.REVOKE, rule, reason, LicenceStatus.REVOKED, evidence)

    def _x1_revoke(self) -> Action | None:
        for cause in self.causes:
            if cause.rule != "X1":
                continue
            deadline = cause.deadline or cause.since + timedelta(
                days=self.param("X1", "deadline_days"))
            if self.today > deadline and not self._x1_cleared(cause, deadline):
                return self._revoke("X1", f"A类不合格暂停后，整改期至{_d(deadline)}届满，"
                                          "期内未通过暂停后重新抽样的监督检验", cause.evidence)
        return None

    def _x3_counts(self, v: _Verdict) -> bool:
        """Tell whether a failed verdict is final enough for X3."""
        if v.retest is not None or v.inspection.failed_a > 0 or not self.on("X2"):
            return True
        # X2 gives the firm a retest whose verdict replaces this one (SPEC §3): the failure
        # counts once that chance is gone, i.e. after the retest deadline.
        key = (v.inspection.id,)
        if _handled(self.decisions, "X2", key, (ActionKind.SUSPEND,)):
            return True
        days = self.param("X2", "deadline_days")
        return any(self.today > (w.deadline or w.on + timedelta(days=days))
                   for w in pending_warnings(self.licence, self.today)
                   if w.inspection_id == v.inspection.id)

    def _x3(self) -> Action | None:
        # X3: any K failed verdicts whose span is within W months, so a late sweep still sees it.
        count, months = self.param("X3", "count"), self.param("X3", "months")
        failed = sorted((v for v in self.verdicts if v.failed and self._x3_counts(v)),
                        key=lambda v: (v.on, v.inspection.id))
        for start in range(len(failed) - count + 1):
            window = failed[start:start + count]
            if window[-1].on <= add_months(window[0].on, months):
                ids = tuple(v.inspection.id for v in window)
                listed = "、".join(f"#{v.inspection.id}（{_d(v.on)}）" for v in window)
                return self._revoke("X3", f"{months}个月内累计{count}次检验不合格：{listed}", ids)
        return None

    def _x5(self) -> Action | None:
        granted = self.licence.granted_on
        for e in sorted(self.events, key=lambda e: (e.on, e.id)):
            if (e.kind == EventKind.REFUSED_SAMPLING and e.on <= self.today
                    and (granted is None or e.on >= granted)):
                return self._revoke("X5", f"企业于{_d(e.on)}拒绝抽样")
        return None

    def _x7(self) -> Action | None:
        if not self.causes or self.licence.status != LicenceStatus.SUSPENDED:
            return None
        since = min(c.since for c in self.causes)
        months = self.param("X7", "months")
        if self.today > add_months(since, months):
            return self._revoke("X7", f"自{_d(since)}暂停已超过{months}个月仍未恢复")
        return None

    def _x10(self) -> Action | None:
        m = self.membership
        if m is None or m.status != MembershipStatus.EXPELLED:
            return None
        if m.expelled_on is not None and m.expelled_on > self.today:
            return None
        return expulsion_action(self.licence, m.expelled_on, self.rules)

    def expiry(self) -> list[Action]:
        expires = self.licence.expires_on
        if self.on("X9") and expires is not None and self.today > expires:
            return [Action(ActionKind.EXPIRE, "X9", f"许可有效期至{_d(expires)}，已届满",
                           LicenceStatus.EXPIRED)]
        return []

    # -- suspension ------------------------------------------------------------------------

    def _suspend(self, rule: str, reason: str, evidence: tuple[int, ...] = (),
                 deadline: date | None = None) -> Action:
        return Action(ActionKind.SUSPEND, rule, reason, LicenceStatus.SUSPENDED, evidence,
                      deadline)

    def suspensions(self) -> list[Action]:
        found: list[Action] = []
        for rule, check in (("X1", self._x1), ("X2", self._x2_suspend), ("X4", self._x4),
                            ("X6", self._x6), ("X8", self._x8)):
            if self.on(rule):
                found.extend(check())
        return found

    def _x1(self) -> list[Action]:
        days = self.param("X1", "deadline_days")
        out = []
        for v in self.verdicts:
            i = v.inspection
            if (self._x1_kind(i) and i.failed_a > 0 and v.failed
                    and not _handled(self.decisions, "X1", (i.id,))):
                deadline = self.today + timedelta(days=days)
                out.append(self._suspend(
                    "X1", f"{_describe_inspection(i)}{_failed_counts(v)}，出现A类不合格，"
                          f"立即暂停；须在{_d(deadline)}前通过重新抽样的监督检验，否则撤销",
                    (i.id,), deadline))
        return out

    def _x1_kind(self, i: InspectionFact) -> bool:
        """Tell whether an inspection is one X1 judges: surveillance, market, or a later type test."""
        if i.type in (InspectionType.surveillance, InspectionType.market):
            return True
        # X1: a type inspection sampled on or after the grant day tests the licensed product like
        # a surveillance does; one sampled before it was the admission evidence (E2).
        granted = self.licence.granted_on
        return i.type == InspectionType.type and granted is not None and i.sampled_on >= granted

    def _x2_candidates(self) -> list[_Verdict]:
        # X2: a failed inspection without an A-class failure (X1 takes those).
        return [v for v in self.verdicts
                if v.inspection.outcome == Outcome.failed and v.inspection.failed_a == 0]

    def _x2_suspend(self) -> list[Action]:
        days = self.param("X2", "deadline_days")
        warned = {w.inspection_id: w for w in pending_warnings(self.licence, self.today)}
        out = []
        for v in self._x2_candidates():
            i = v.inspection
            if _handled(self.decisions, "X2", (i.id,), (ActionKind.SUSPEND,)):
                continue
            if v.retest is not None:
                if v.failed:
                    out.append(self._suspend(
                        "X2", f"{_describe_inspection(i)}的复检#{v.retest.id}仍不合格"
                              f"（{_failed_counts(v)}）", (i.id,)))
                continue
            w = warned.get(i.id)
            if w is None:
                continue  # not warned yet: warnings() does that first
            deadline = w.deadline or w.on + timedelta(days=days)
            if self.today > deadline:
                out.append(self._suspend(
                    "X2", f"{_describe_inspection(i)}不合格，复检期限{_d(deadline)}已过，"
                          "未取得合格的复检结果", (i.id,)))
        return out

    def _x4_overdue(self) -> tuple[date, InspectionFact | None] | None:
        last = _latest_surveillance(self.all_verdicts)
        schedule = surveillance_due(self.licence.granted_on, last, self.param("X4", "months"),
                                    self.param("X4", "grace_days"))
        if schedule is None:
            return None
        _due, grace_end = schedule
        return (grace_end, last) if self.today > grace_end else None

    def _x4(self) -> list[Action]:
        overdue = self._x4_overdue()
        if overdue is None:
            return []
        due, last = overdue
        evidence = (last.id,) if last is not None else ()
        # X4: keyed by the last surveillance, so it fires once per missed round.
        if _handled(self.decisions, "X4", evidence, (ActionKind.SUSPEND,)):
            return []
        months = self.param("X4", "months")
        since = (f"上次监督抽查{_describe_inspection(last)}" if last is not None
                 else f"自{_d(self.licence.granted_on)}授权以来")
        return [self._suspend("X4", f"{since}已超过{months}个月未完成监督抽查，"
                                    f"宽限期至{_d(due)}已过", evidence)]

    def _fee_overdue(self) -> list[tuple[int, date]]:
        """Return (year, due day) of each fee unpaid beyond the grace period."""
        granted = self.licence.granted_on
        if not self.licence.paid or granted is None:
            return []
        grace = timedelta(days=self.param("X6", "grace_days"))
        out = []
        for year in range(granted.year, self.today.year + 1):
            due = fee_due_on(granted, year)
            if (self.today > due + grace
                    and paid_amount(self.payments, year, self.today) < self.licence.fee_per_year):
                out.append((year, due))
        return out

    def _x6(self) -> list[Action]:
        overdue = self._fee_overdue()
        if not overdue:
            return []
        # X6: a fee year is handled once an X6 suspension dated after its due day exists.
        fresh = [(year, due) for year, due in overdue
                 if not any(d.rule == "X6" and d.kind == ActionKind.SUSPEND and d.on >= due
                            for d in self.decisions)]
        if not fresh:
            return []
        years = "、".join(str(y) for y, _ in overdue)
        grace = self.param("X6", "grace_days")
        return [self._suspend("X6", f"{years}年度使用费逾期{grace}天以上未缴清"
                                    f"（应缴{self.licence.fee_per_year}元/年）")]

    def _x8_stale(self) -> tuple[_Verdict, date, VersionFact] | None:
        if self.standard is None:
            return None
        passed = [v for v in self.all_verdicts if v.outcome == Outcome.passed]
        if not passed:
            return None
        last = max(passed, key=lambda v: (v.on, v.inspection.id))
        stop = self.standard.stops_counting(last.inspection.standard_version_id)
        if stop is None or self.today <= stop[0]:
            return None
        return last, stop[0], stop[1]

    def _x8(self) -> list[Action]:
        stale = self._x8_stale()
        if stale is None:
            return []
        last, end, successor = stale
        evidence = (last.inspection.id,)
        if _handled(self.decisions, "X8", evidence, (ActionKind.SUSPEND,)):
            return []
        return [self._suspend(
            "X8", f"标准{successor.label}版过渡期已于{_d(end)}结束，最近一次合格检验"
                  f"{_describe_inspection(last.inspection)}仍依据旧版本", evidence)]

    # -- reinstatement -----------------------------------------------------------------------

    def _x1_cleared(self, cause: SuspensionCause, deadline: date) -> bool:
        models = {v.inspection.product_model for v in self.all_verdicts
                  if v.inspection.id in cause.evidence}
        for v in self.all_verdicts:
            i = v.inspection
            if i.id in cause.evidence and v.outcome == Outcome.passed:
                return True  # a passed retest replaces the failed verdict (SPEC §3)
            if (i.type == InspectionType.surveillance and v.outcome == Outcome.passed
                    and i.sampled_on >= cause.since and v.on <= deadline
                    and (not models or i.product_model in models)):
                return True
        return False

    def _cleared(self, cause: SuspensionCause) -> bool:
        if cause.rule == "X1":
            deadline = cause.deadline or cause.since + timedelta(
                days=self.param("X1", "deadline_days"))
            return self._x1_cleared(cause, min(deadline, self.today))
        if cause.rule == "X2":
            return any(v.inspection.id in cause.evidence and v.outcome == Outcome.passed
                       for v in self.all_verdicts)
        if cause.rule == "X4":
            return self._x4_overdue() is None
        if cause.rule == "X6":
            return not self._fee_overdue()
        if cause.rule == "X8":
            return self._x8_stale() is None
        return False  # manual (or unknown): only staff lift it

    def reinstatement(self) -> Action | None:
        expires = self.licence.expires_on
        if self.unknown_cause or (expires is not None and self.today > expires):
            return None
        if not self.causes or not all(self._cleared(c) for c in self.causes):
            return None
        rules = sorted({c.rule for c in self.causes}, key=_ORDER.get)
        # A Decision names one rule: the first cause; the reason lists them all.
        return Action(ActionKind.REINSTATE, rules[0],
                      f"暂停原因（{'、'.join(rules)}）均已消除，自动恢复", LicenceStatus.ACTIVE,
                      tuple(sorted({e for c in self.causes for e in c.evidence})))

    # -- warnings ----------------------------------------------------------------------------

    def warnings(self) -> list[Action]:
        if not self.on("X2"):
            return []
        days = self.param("X2", "deadline_days")
        out = []
        for v in self._x2_candidates():
            i = v.inspection
            if v.retest is not None or _handled(self.decisions, "X2", (i.id,)):
                continue  # retested (a pass settles it, a fail suspends) or already warned
            deadline = self.today + timedelta(days=days)
            out.append(Action(ActionKind.WARN, "X2",
                              f"{_describe_inspection(i)}{_failed_counts(v)}（无A类不合格），"
                              f"予以警告；可在{_d(deadline)}前复检，复检不合格或逾期未复检将暂停",
                              self.licence.status, (i.id,), deadline))
        return out


def expulsion_action(licence: LicenceFact, expelled_on: date | None, ruleset: RuleSet,
                     why: str | None = None) -> Action | None:
    """X10: return what the firm's expulsion does to this licence (None: nothing).

    A collective mark's application is refused and its licence in use revoked; a certification
    mark does not depend on membership, so nothing happens to it. An expulsion before the
    grant was for the entry rules (E3) to judge. ``why`` is the expulsion's own reason.
    """
    if not ruleset.enabled("X10") or licence.mark_type != MarkType.COLLECTIVE:
        return None
    if licence.status in FINAL_STATUSES:
        return None
    granted = licence.granted_on
    if expelled_on is not None and granted is not None and expelled_on < granted:
        return None
    said = "企业已被联盟清退" if expelled_on is None else f"企业于{_d(expelled_on)}被联盟清退"
    if why and why.strip():
        said += f"（{why.strip()}）"
    if licence.status == LicenceStatus.APPLIED:
        return Action(ActionKind.REFUSE, "X10", said + "，申请不予许可", LicenceStatus.REFUSED)
    return Action(ActionKind.REVOKE, "X10", said + "，撤销其在本联盟集体商标下的许可",
                  LicenceStatus.REVOKED)


# ---------------------------------------------------------------------------------------------
# Staff actions

# Manual actions on a licence in use, and actions on an application (SPEC §4), display order.
LICENCE_ACTIONS = ("warn", "suspend", "reinstate", "revoke", "refused_sampling", "misuse",
                   "surrender")
APPLICATION_ACTIONS = ("grant", "refuse", "withdraw")
# What manual_action takes: every action with a staff reason. A grant goes through grant(),
# after the entry rules.
MANUAL_ACTIONS = (*LICENCE_ACTIONS, "refuse", "withdraw")
# Actions that end the licence or the application for good: the UI asks staff to confirm.
IRREVERSIBLE_ACTIONS = frozenset({"revoke", "refused_sampling", "surrender", "refuse",
                                  "withdraw"})

_IN_USE = (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED)
# The one table of which action is allowed from which status (manual_action, grant, the UI).
_ALLOWED_FROM: Mapping[str, tuple[LicenceStatus, ...]] = MappingProxyType({
    "warn": _IN_USE,
    "suspend": _IN_USE,  # on a suspended licence: adds a cause that only staff can lift
    "reinstate": (LicenceStatus.SUSPENDED,),
    "revoke": _IN_USE,
    "refused_sampling": _IN_USE,
    "misuse": _IN_USE,
    "surrender": _IN_USE,  # an application is withdrawn instead
    "grant": (LicenceStatus.APPLIED,),
    "refuse": (LicenceStatus.APPLIED,),
    "withdraw": (LicenceStatus.APPLIED,),
})


class ActionOption(NamedTuple):
    action: str
    label: str
    irreversible: bool  # ends the licence or application for good: ask for confirmation
    on_application: bool  # grant, refuse, withdraw (the rest act on a licence in use)


def _expired(expires_on: date | None, today: date | None) -> bool:
    return expires_on is not None and today is not None and today > expires_on


def allowed_actions(status: LicenceStatus | str, *, expires_on: date | None = None,
                    today: date | None = None) -> tuple[str, ...]:
    """Return the actions staff may take on a licence in ``status``, in display order.

    Given ``expires_on`` and ``today``, a licence past its validity offers no reinstatement.
    """
    status = LicenceStatus(status)
    return tuple(a for a in (*LICENCE_ACTIONS, *APPLICATION_ACTIONS)
                 if status in _ALLOWED_FROM[a]
                 and not (a == "reinstate" and _expired(expires_on, today)))


def action_options(status: LicenceStatus | str, *, expires_on: date | None = None,
                   today: date | None = None) -> tuple[ActionOption, ...]:
    """Return the allowed actions with their label and whether each needs confirmation."""
    return tuple(ActionOption(a, ACTION_LABELS[a], a in IRREVERSIBLE_ACTIONS,
                              a in APPLICATION_ACTIONS)
                 for a in allowed_actions(status, expires_on=expires_on, today=today))


def needs_confirmation(action: str) -> bool:
    """Tell whether an action is irreversible, so staff must confirm it."""
    return action in IRREVERSIBLE_ACTIONS


def _not_allowed(status: LicenceStatus, action: str) -> RuleError:
    allowed = "、".join(ACTION_LABELS[a] for a in allowed_actions(status)) or "无"
    return RuleError(f"许可当前状态为“{STATUS_LABELS[status]}”，不能{ACTION_LABELS[action]}"
                     f"（可以：{allowed}）")


def manual_action(licence: LicenceFact, action: str, reason: str, today: date,
                  ruleset: RuleSet | None = None) -> Action:
    """Turn a staff action on a licence into the Action to store, or raise ``RuleError``.

    ``refused_sampling`` revokes under X5 (a warning only if the mark switched X5 off);
    ``misuse`` is recorded as a warning, the status stays, and staff decide any sanction;
    ``withdraw`` ends an application the firm no longer wants (status ``surrendered``).
    """
    if action == "grant":
        raise RuleError("授权须先审查准入条件（E1–E5），不能作为手工操作")
    if action not in MANUAL_ACTIONS:
        raise RuleError(f"未知操作：{action}（可用：{'、'.join(MANUAL_ACTIONS)}）")
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(f"{ACTION_LABELS[action]}必须填写理由")
    status = licence.status
    if status in FINAL_STATUSES:
        raise RuleError(f"许可状态为“{STATUS_LABELS[status]}”，这是最终状态，"
                        f"不能再{ACTION_LABELS[action]}；企业须重新申请")
    if action not in allowed_actions(status):
        raise _not_allowed(status, action)
    if action not in allowed_actions(status, expires_on=licence.expires_on, today=today):
        raise RuleError(f"许可有效期已于{_d(licence.expires_on)}届满，不能恢复")

    if action == "warn":
        return Action(ActionKind.WARN, MANUAL, reason, status)
    if action == "misuse":
        return Action(ActionKind.WARN, MANUAL, f"违规使用标志：{reason}", status)
    if action == "suspend":
        return Action(ActionKind.SUSPEND, MANUAL, reason, LicenceStatus.SUSPENDED)
    if action == "reinstate":
        return Action(ActionKind.REINSTATE, MANUAL, reason, LicenceStatus.ACTIVE)
    if action == "revoke":
        return Action(ActionKind.REVOKE, MANUAL, reason, LicenceStatus.REVOKED)
    if action == "refused_sampling":
        if ruleset is not None and not ruleset.enabled("X5"):
            return Action(ActionKind.WARN, "X5", f"企业拒绝抽样（本标志未启用X5，不撤销）：{reason}",
                          status)
        return Action(ActionKind.REVOKE, "X5", f"企业拒绝抽样：{reason}", LicenceStatus.REVOKED)
    if action == "surrender":
        return Action(ActionKind.SURRENDER, MANUAL, reason, LicenceStatus.SURRENDERED)
    if action == "withdraw":
        return Action(ActionKind.WITHDRAW, MANUAL, f"企业撤回申请：{reason}",
                      LicenceStatus.SURRENDERED)
    return Action(ActionKind.REFUSE, MANUAL, reason, LicenceStatus.REFUSED)


def grant(licence: LicenceFact, unmet: Sequence[Unmet], today: date, evidence: tuple[int, ...] = ()) -> Action:
    """Return the grant of an application that meets every entry rule, or raise ``RuleError``."""
    if "grant" not in allowed_actions(licence.status):
        raise RuleError(f"许可当前状态为“{STATUS_LABELS[licence.status]}”，"
                        "只有申请中的许可可以授权")
    if unmet:
        listed = "；".join(f"{u.rule} {u.reason}" for u in unmet)
        raise RuleError(f"不符合准入条件：{listed}")
    return Action(ActionKind.GRANT, MANUAL, f"{_d(today)} 审查符合全部准入条件（E1–E5），予以授权",
                  LicenceStatus.ACTIVE, evidence=evidence)


def apply_actions(licence: LicenceFact, actions: Iterable[Action], today: date,
                  validity_years: int | None = None) -> LicenceFact:
    """Return the licence as it is once ``actions`` are stored as Decisions on ``today``."""
    for action in actions:
        changes: dict = {}
        if action.kind == ActionKind.GRANT:
            changes["granted_on"] = today
            if validity_years is not None:
                changes["expires_on"] = expiry_date(today, validity_years)
        licence = replace(licence, status=action.to_status,
                          decisions=licence.decisions + (action.as_decision(today),), **changes)
    return licence
