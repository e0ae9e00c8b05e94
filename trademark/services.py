"""Marks and licences: application, entry (E1–E5), grant, staff actions, the exit rules, fees and queues."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from accounts.access import alliance_ids, serves, within
from accounts.models import Role, User
from infra.db import among, db, exclusive_job_lock, lock_row, lock_rows, transaction, use_case
from infra.numbering import highest_suffix, next_number
from infra import pagination
from infra.pagination import Count, count
from infra.errors import AppError, required_text
from infra.images import check_image
from infra.events import publish
from infra.schemas import column_length
from inspections.events import InspectionVerified
from inspections.models import Inspection, InspectionStatus
from inspections.services import visible_inspections
from compliance.models import Standard, VersionStatus
from parties.events import FirmExpelled, MembershipChanged
from parties.membership import MembershipStatus
from parties.models import Alliance, Firm, Membership
from parties.services import alliance_for, find_firm
from trademark import rules
from trademark.events import LicenceGranted
from trademark.models import Decision, Licence, LicenceStatus, Mark, MarkType, Payment


def record_decision(*, to_status: str, kind: str, rule: str, reason: str, today: date, actor=None,
                    from_status: str | None = None, licence_id: int | None = None,
                    membership: Membership | None = None, evidence=(), deadline: date | None = None) -> Decision:
    """Append a Decision; every status change and warning goes through here."""
    if not (reason or "").strip():
        raise AppError(422, "决定必须写明理由 / a decision needs a reason", field="reason")
    decision = Decision(
        licence_id=licence_id, membership=membership, from_status=from_status, to_status=to_status, kind=kind,
        rule=rule, reason=reason.strip(), evidence=list(evidence), deadline=deadline,
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", None) or "system",
        effective_on=today,
    )
    db.session.add(decision)
    return decision


# =============================================================================================
# Marks (SPEC §2 Mark, §4 usage-rule parameters)

MARK_IMAGE_MAX_BYTES = 1024 * 1024
MARK_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
# A 13000×13000 mark cost the first certificate 6.6 s and 1.5 GB: 16 megapixels are plenty for print.
MARK_IMAGE_MAX_PIXELS = 4096 * 4096


def find_mark(code: str) -> Mark | None:
    return db.session.execute(db.select(Mark).where(Mark.code == (code or "").strip().upper())).scalar_one_or_none()


# --- what a staff user may see: its alliances' marks and their licences (SPEC §10) ------------


def visible_marks(query, actor):
    """Narrow a query over Mark to the marks of the actor's alliances."""
    return within(query, actor, Mark.alliance_id)


def get_mark(mark_id: int, actor) -> Mark:
    """Return a mark the actor may see; another alliance's is answered as not found."""
    mark = db.session.get(Mark, mark_id)
    if mark is None or not serves(actor, mark.alliance_id):
        raise AppError(404, "标志不存在 / unknown mark", field="id")
    return mark


def mark_for(code: str, actor) -> Mark | None:
    """Return the mark of `code` if the actor may see it, else None (as if it did not exist)."""
    mark = find_mark(code)
    return mark if mark is not None and serves(actor, mark.alliance_id) else None


MARK_SORTS = {"code": (Mark.code,), "-code": (Mark.code.desc(),), "name": (Mark.name, Mark.code),
              "-name": (Mark.name.desc(), Mark.code)}


def list_marks(actor, args):
    """Return one page of the actor's marks, found by code or name (alliance and standard loaded with it)."""
    from sqlalchemy.orm import joinedload

    from infra.pagination import paginate

    query = visible_marks(db.select(Mark).options(joinedload(Mark.alliance), joinedload(Mark.standard)), actor)
    if args.q:
        query = query.where(Mark.code.contains(args.q.upper(), autoescape=True)
                            | Mark.name.contains(args.q, autoescape=True))
    return paginate(query, args, MARK_SORTS, "code")


def visible_licences(query, actor):
    """Narrow a query over Licence to the licences of the actor's alliances' marks."""
    ids = alliance_ids(actor)
    if ids is None:
        return query
    return query.where(Licence.mark_id.in_(db.select(Mark.id).where(Mark.alliance_id.in_(sorted(ids)))))


def parse_fee(value) -> str | None:
    """Return a yearly fee as a Decimal string, None for a free mark; refuse floats and negatives."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, float)) or not isinstance(value, (str, int, Decimal)):
        raise AppError(422, "使用费须以字符串形式的金额给出，如 \"5000.00\" / fee_per_year must be a decimal string", field="fee_per_year")
    try:
        fee = Decimal(str(value).strip())
    except InvalidOperation:
        raise AppError(422, "使用费不是有效金额 / fee_per_year is not a number", field="fee_per_year") from None
    if not fee.is_finite() or fee < 0 or fee > Decimal("100000000"):
        raise AppError(422, "使用费须为 0 至 1 亿元之间的金额 / fee_per_year out of range", field="fee_per_year")
    if fee == 0:
        return None
    return str(fee.quantize(Decimal("0.01")))


def ruleset_of(mark: Mark) -> rules.RuleSet:
    """Return the mark's usage-rule parameters (defaults overridden by `mark.rules`)."""
    try:
        return rules.RuleSet.from_overrides(mark.rules or {})
    except rules.RuleConfigError as err:  # stored before SPEC §4 bounded them: say which, never a 500
        raise rule_error(err) from None


def rule_error(err: rules.RuleConfigError) -> AppError:
    """The 422 for a refused rule parameter, naming the rule and the field."""
    where = ".".join(x for x in ("rules", err.rule, err.field) if x)
    return AppError(422, f"使用管理规则参数有误：{err} / invalid rules", field=where, details={
        "rules": str(err), "rule": err.rule, "field": err.field})


def check_rules(overrides) -> dict:
    """Validate rule overrides; a AppError names the bad rule and parameter."""
    try:
        rules.RuleSet.from_overrides(overrides)
    except rules.RuleConfigError as err:
        raise rule_error(err) from None
    return {rule: dict(params) for rule, params in (overrides or {}).items()}


def describe_rules(mark: Mark) -> list[rules.RuleDescription]:
    """Say each usage rule of the mark in plain Chinese (rules.describe)."""
    return rules.describe(ruleset_of(mark), mark.type, mark.fee_per_year is not None, mark.validity_years)


def _validity(value) -> int:
    if value is None:
        return 3
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise AppError(422, "许可有效期须为 1 至 10 年的整数 / validity_years must be 1–10", field="validity_years")
    return value


def _mark_standard(alliance: Alliance, standard_code: str | None):
    if standard_code:
        standard = db.session.execute(db.select(Standard).where(Standard.code == standard_code.strip())).scalar_one_or_none()
        # SPEC §2: a mark certifies one standard of its own alliance; another's is as if unknown.
        if standard is None or standard.alliance_id != alliance.id:
            raise AppError(404, f"本联盟没有标准：{standard_code} / unknown standard of the alliance", field="standard")
        return standard
    # Without a named standard, the alliance's own (first by code) applies.
    return db.session.execute(db.select(Standard).where(Standard.alliance_id == alliance.id)
                              .order_by(Standard.code)).scalars().first()


@use_case
def create_mark(*, code: str, alliance_code: str, name: str, type: str, registration_no: str | None = None,
                standard_code: str | None = None, fee_per_year=None, validity_years: int | None = 3,
                rules_overrides=None, image: bytes | None = None, actor=None) -> Mark:
    """Create a collective or certification mark with its fee, validity and usage-rule overrides."""
    code = required_text("code", code, "标志代码", column_length(Mark.code)).upper()
    if not code.isascii() or not code.replace("-", "").replace("_", "").isalnum():
        raise AppError(422, "标志代码只能包含字母、数字、- 和 _ / code: letters, digits, - and _ only", field="code")
    alliance = alliance_for(alliance_code, actor)  # one the actor does not serve: as if it did not exist
    name = required_text("name", name, "标志名称", column_length(Mark.name))
    if type not in set(MarkType):
        raise AppError(422, "标志类型须为 collective（集体商标）或 certification（证明商标）/ type is invalid", field="type")
    overrides = check_rules(rules_overrides or {})
    fee = parse_fee(fee_per_year)
    validity = _validity(validity_years)
    if find_mark(code):
        raise AppError(409, f"标志代码已存在：{code} / mark code exists", field="code")
    mark = Mark(code=code, alliance=alliance, name=name, type=type, fee_per_year=fee, validity_years=validity,
                registration_no=(registration_no or "").strip() or None,
                standard=_mark_standard(alliance, standard_code), rules=overrides)
    if image:
        mark.image, mark.image_type = check_mark_image(image)
    db.session.add(mark)
    return mark


@use_case
def update_mark(mark_id: int, *, name: str, type: str, registration_no: str | None, standard_code: str | None,
                fee_per_year, validity_years: int | None, rules_overrides=None, image: bytes | None = None,
                actor=None) -> Mark:
    """Change a mark's particulars, fee, validity, rules and (optionally) image; commit once."""
    mark = get_mark(mark_id, actor)
    before = (mark.fee_per_year, mark.standard_id)
    mark.name = required_text("name", name, "标志名称", column_length(Mark.name))
    if type not in set(MarkType):
        raise AppError(422, "标志类型无效 / type is invalid", field="type")
    mark.type = type
    mark.registration_no = (registration_no or "").strip() or None
    mark.fee_per_year = parse_fee(fee_per_year)
    mark.validity_years = _validity(validity_years)
    mark.standard = _mark_standard(mark.alliance, standard_code)
    if rules_overrides is not None:
        mark.rules = check_rules(rules_overrides)
    if image:
        mark.image, mark.image_type = check_mark_image(image)
    db.session.flush()
    if (mark.fee_per_year, mark.standard_id) != before:
        # The fee decides which years are paid, the standard which surveillance counts: every live licence's due dates.
        refresh_due_dates(db.select(Licence).where(Licence.mark_id == mark.id, Licence.status.in_(list(LIVE))))
    return mark


def check_mark_image(data: bytes) -> tuple[bytes, str]:
    """Accept a PNG or JPEG within MARK_IMAGE_MAX_BYTES and MARK_IMAGE_MAX_PIXELS; return it with its MIME type."""
    return data, check_image(data, "image", MARK_IMAGE_MAX_BYTES, MARK_IMAGE_MAX_PIXELS)


# =============================================================================================
# Licences: application, entry (E1–E5), grant, manual actions, event and time rules

LIVE = (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED)
OPEN = (LicenceStatus.APPLIED, *LIVE)



class EntryRefused(AppError):
    """A grant refused because entry rules are unmet; `unmet` lists every one."""

    def __init__(self, unmet: list[rules.Unmet]):
        listed = "；".join(f"{u.rule} {u.reason}" for u in unmet)
        super().__init__(409, f"不符合准入条件：{listed} / entry rules not met", field="entry",
                         details=[{"rule": u.rule, "reason": u.reason} for u in unmet])
        self.unmet = unmet


def can_see_licence(actor, licence: Licence) -> bool:
    """Staff see their alliances' licences (admin all), a firm user its own firm's."""
    if actor is not None and actor.role == Role.FIRM:
        return actor.firm_id == licence.firm_id
    return serves(actor, licence.mark.alliance_id)


def get_licence(licence_id: int, actor=None, *, for_change: bool = False) -> Licence:
    """Return a licence the actor may see ("not yours" and "does not exist" are the same 404);
    `for_change` locks its row until the use case ends and reads it fresh."""
    licence = lock_row(Licence, licence_id) if for_change else db.session.get(Licence, licence_id)
    if licence is None or not can_see_licence(actor, licence):
        raise AppError(404, f"许可不存在：{licence_id} / unknown licence", field="id")
    return licence


@use_case
def apply_for_licence(*, uscc: str, mark_code: str, product_models: list[str], commitment_signed: bool,
                      today: date, actor=None) -> Licence:
    """File a licence application (by staff for a firm, or by the firm itself); status `applied`."""
    firm = find_firm(uscc)
    if firm is None:
        raise AppError(404, f"企业不存在：{uscc} / unknown firm", field="firm_uscc")
    if actor is not None and actor.role == "firm" and actor.firm_id != firm.id:
        raise AppError(403, "企业用户只能为本企业申请 / a firm may apply only for itself", field="firm_uscc")
    mark = mark_for(mark_code, actor)  # another alliance's mark: as if it did not exist
    if mark is None:
        raise AppError(404, f"标志不存在：{mark_code} / unknown mark", field="mark_code")
    wanted = [str(m).strip() for m in product_models or [] if str(m).strip()]
    if not wanted:
        raise AppError(422, "许可范围至少包含一个产品型号 / product_models is empty", field="product_models")
    by_name = {m.model: m for m in firm.models}
    unknown = [m for m in wanted if m not in by_name]
    if unknown:
        raise AppError(404, f"{firm.name} 没有型号：{'、'.join(unknown)} / unknown product models", field="product_models")
    existing = db.session.execute(db.select(Licence).where(
        Licence.firm_id == firm.id, Licence.mark_id == mark.id, Licence.status.in_(list(OPEN)))).scalars().first()
    if existing is not None:
        raise AppError(409, f"该企业已有此标志的许可或申请（#{existing.id}，{existing.status}）/ "
                                      "an open licence exists", field="mark_code")
    licence = Licence(firm=firm, mark=mark, status=LicenceStatus.APPLIED, commitment_signed=bool(commitment_signed),
                      applied_on=today, models=[by_name[m] for m in dict.fromkeys(wanted)])
    db.session.add(licence)
    firm_name, mark_name = firm.name, mark.name  # a failed flush expires them
    try:
        db.session.flush()
    except IntegrityError:
        # Another application for the same firm and mark committed first (uq_licences_open_firm_mark).
        raise AppError(409, f"{firm_name}已有{mark_name}的许可或申请 / an open licence or application "
                            "for this firm and mark exists", field="mark_code") from None
    scope = "、".join(m.model for m in licence.models)
    record_decision(licence_id=licence.id, from_status=None, to_status=LicenceStatus.APPLIED, kind="apply",
                    rule="manual", reason=f"申请使用{mark.name}，范围：{scope}", today=today, actor=actor)
    return licence


@use_case
def record_commitment(licence_id: int, today: date, actor=None) -> Licence:
    """Record the signed commitment (承诺书, E4) on an application that was filed without it."""
    licence = get_licence(licence_id, actor, for_change=True)  # another firm's or alliance's: 404
    if licence.status != LicenceStatus.APPLIED:
        raise AppError(409, "只有申请中的许可可以补交承诺书 / only an application takes the commitment later")
    if licence.commitment_signed:
        return licence  # sent twice: one commitment
    licence.commitment_signed = True
    return licence


@use_case
def withdraw_application(licence_id: int, reason: str, today: date, actor=None) -> Licence:
    """Let a firm (or staff for it) withdraw an application; the firm may then apply again."""
    licence = get_licence(licence_id, actor)
    return act_on_licence(licence.id, "withdraw", reason, today, actor)


# --- facts for the pure rules engine ---------------------------------------------------------


def _membership_of(licence: Licence) -> Membership | None:
    return next((m for m in licence.firm.memberships if m.alliance_id == licence.mark.alliance_id), None)


def licence_decisions(licence: Licence) -> list[Decision]:
    """Return the licence's whole timeline, oldest first."""
    return list(db.session.execute(db.select(Decision).where(Decision.licence_id == licence.id)
                                   .order_by(Decision.effective_on, Decision.id)).scalars())


DECISION_SORTS = {"effective": (Decision.effective_on, Decision.id),
                  "-effective": (Decision.effective_on.desc(), Decision.id.desc()),
                  "kind": (Decision.kind, Decision.effective_on, Decision.id),
                  "rule": (Decision.rule, Decision.effective_on, Decision.id)}


def list_licence_decisions(licence: Licence, args):
    """Return one page of the licence's decision trail (oldest first unless asked), found by reason or rule."""
    from infra.pagination import paginate

    query = db.select(Decision).where(Decision.licence_id == licence.id)
    if args.q:
        query = query.where(Decision.reason.contains(args.q, autoescape=True)
                            | (Decision.rule == args.q.upper()) | Decision.actor_name.contains(args.q, autoescape=True))
    return paginate(query, args, DECISION_SORTS, "effective")


_ACTION_KINDS = frozenset(rules.ActionKind)


def _licence_fact(licence: Licence, decisions: list[Decision]) -> rules.LicenceFact:
    kinds = _ACTION_KINDS
    return rules.LicenceFact(
        id=licence.id, status=licence.status, mark_type=licence.mark.type,
        scope_models=tuple(m.model for m in licence.models), granted_on=licence.granted_on,
        expires_on=licence.expires_on, commitment_signed=licence.commitment_signed,
        fee_per_year=Decimal(licence.mark.fee_per_year) if licence.mark.fee_per_year else None,
        decisions=tuple(rules.DecisionFact(d.kind, d.rule, d.effective_on, tuple(d.evidence or ()), d.deadline)
                        for d in decisions if d.kind in kinds))


def _inspection_facts(firm_id: int) -> list[rules.InspectionFact]:
    rows = db.session.execute(db.select(Inspection).where(
        Inspection.firm_id == firm_id, Inspection.status == InspectionStatus.VERIFIED,
        Inspection.outcome.in_(["pass", "fail"]))).scalars()
    return [rules.InspectionFact(
        id=i.id, type=i.type, product_model=i.product_model.model, standard_version_id=i.version_id,
        standard_version_label=i.version.label, sampled_on=i.sampled_on, verified_on=i.verified_on,
        outcome=i.outcome, failed_a=i.failed_a, failed_b=i.failed_b, failed_c=i.failed_c,
        retest_of=i.retest_of_id, standard_code=i.version.standard.code) for i in rows]


def _standard_fact(mark: Mark) -> rules.StandardFact | None:
    if mark.standard is None:
        return None
    versions = [v for v in mark.standard.versions if v.status != VersionStatus.DRAFT]
    versions.sort(key=lambda v: (v.effective, v.id))
    return rules.StandardFact(mark.standard.code, tuple(
        rules.VersionFact(v.id, v.label, v.effective, v.transition_end) for v in versions))


def _payment_facts(licence: Licence) -> list[rules.PaymentFact]:
    rows = db.session.execute(db.select(Payment).where(Payment.licence_id == licence.id)).scalars()
    return [rules.PaymentFact(p.year, Decimal(p.amount), p.paid_on) for p in rows]


def _event_facts(licence: Licence) -> list[rules.EventFact]:
    # X5: a refused sampling recorded on any licence of the firm under this alliance's marks.
    rows = db.session.execute(db.select(Decision).join(Licence, Decision.licence_id == Licence.id)
                              .join(Mark, Licence.mark_id == Mark.id).where(
        Licence.firm_id == licence.firm_id, Mark.alliance_id == licence.mark.alliance_id,
        Decision.rule == "X5", Decision.kind.in_(["revoke", "warn"]))).scalars()
    return [rules.EventFact(d.id, rules.EventKind.REFUSED_SAMPLING, d.effective_on) for d in rows]


@dataclass
class Facts:
    licence: rules.LicenceFact
    membership: rules.MembershipFact | None
    inspections: list
    payments: list
    events: list
    standard: rules.StandardFact | None
    ruleset: rules.RuleSet
    decisions: list = field(default_factory=list)


def facts_for(licence: Licence) -> Facts:
    """Load everything the rules engine needs about one licence."""
    # Plain rows, as facts_for_many reads them: a trail of thousands costs no ORM object each.
    decisions = list(db.session.execute(db.select(*DECISION_FIELDS).where(Decision.licence_id == licence.id)
                                        .order_by(Decision.effective_on, Decision.id)))
    membership = _membership_of(licence)
    return Facts(
        licence=_licence_fact(licence, decisions),
        membership=None if membership is None else rules.MembershipFact(membership.status, membership.expelled_on),
        inspections=_inspection_facts(licence.firm_id), payments=_payment_facts(licence),
        events=_event_facts(licence), standard=_standard_fact(licence.mark), ruleset=ruleset_of(licence.mark),
        decisions=decisions)


def _chunks(ids: list, size: int = 10000):
    # SQLite (32 766) and psycopg (65 535) cap bound parameters; 10 000 per IN list stays under both.
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


DECISION_FIELDS = (Decision.id, Decision.licence_id, Decision.kind, Decision.rule, Decision.reason,
                   Decision.effective_on, Decision.evidence, Decision.deadline, Decision.from_status,
                   Decision.to_status)


def facts_for_many(licences: list[Licence]) -> dict[int, Facts]:
    """Load the rules engine's facts for many licences at once, in a few IN queries (not per licence)."""
    if not licences:
        return {}
    from compliance.models import StandardVersion
    from parties.models import ProductModel

    licence_ids = [lic.id for lic in licences]
    firm_ids = sorted({lic.firm_id for lic in licences})
    marks = {lic.mark_id: lic.mark for lic in licences}  # loaded with the licences (joinedload)
    decisions: dict[int, list[Decision]] = {i: [] for i in licence_ids}
    payments: dict[int, list[rules.PaymentFact]] = {i: [] for i in licence_ids}
    inspections: dict[int, list[rules.InspectionFact]] = {i: [] for i in firm_ids}
    memberships: dict[tuple[int, int], Any] = {}  # (firm, alliance) → its status and expulsion day
    events: dict[tuple[int, int], list[rules.EventFact]] = {}
    for ids in _chunks(licence_ids):
        # Plain rows, not ORM objects: the rules read five fields, the queues two more.
        for d in db.session.execute(db.select(*DECISION_FIELDS).where(among(Decision.licence_id, ids))
                                    .order_by(Decision.effective_on, Decision.id)):
            decisions[d.licence_id].append(d)
        for p in db.session.execute(db.select(Payment.licence_id, Payment.year, Payment.amount, Payment.paid_on)
                                    .where(among(Payment.licence_id, ids))):
            payments[p.licence_id].append(rules.PaymentFact(p.year, Decimal(p.amount), p.paid_on))
    for ids in _chunks(firm_ids):
        # Each firm's verified inspections once, whatever the number of its licences.
        rows = db.session.execute(
            db.select(Inspection.id, Inspection.firm_id, Inspection.type, ProductModel.model, Inspection.version_id,
                      StandardVersion.label, Inspection.sampled_on, Inspection.verified_on, Inspection.outcome,
                      Inspection.failed_a, Inspection.failed_b, Inspection.failed_c, Inspection.retest_of_id,
                      Standard.code)
            .join(ProductModel, Inspection.product_model_id == ProductModel.id)
            .join(StandardVersion, Inspection.version_id == StandardVersion.id)
            .join(Standard, StandardVersion.standard_id == Standard.id)
            .where(among(Inspection.firm_id, ids), Inspection.status == InspectionStatus.VERIFIED,
                   Inspection.outcome.in_(["pass", "fail"])).order_by(Inspection.id))
        for r in rows:
            inspections[r[1]].append(rules.InspectionFact(
                id=r[0], type=r[2], product_model=r[3], standard_version_id=r[4], standard_version_label=r[5],
                sampled_on=r[6], verified_on=r[7], outcome=r[8], failed_a=r[9], failed_b=r[10], failed_c=r[11],
                retest_of=r[12], standard_code=r[13]))
        for m in db.session.execute(db.select(Membership.firm_id, Membership.alliance_id, Membership.status,
                                              Membership.expelled_on).where(among(Membership.firm_id, ids))
                                    .order_by(Membership.id)):
            memberships.setdefault((m.firm_id, m.alliance_id), m)
        # X5: a refused sampling recorded on any licence of the firm under this alliance's marks.
        for d_id, firm_id, alliance_id, on in db.session.execute(
                db.select(Decision.id, Licence.firm_id, Mark.alliance_id, Decision.effective_on)
                .join(Licence, Decision.licence_id == Licence.id).join(Mark, Licence.mark_id == Mark.id)
                .where(among(Licence.firm_id, ids), Decision.rule == "X5", Decision.kind.in_(["revoke", "warn"]))
                .order_by(Decision.id)):
            events.setdefault((firm_id, alliance_id), []).append(
                rules.EventFact(d_id, rules.EventKind.REFUSED_SAMPLING, on))
    standards = _standard_facts(list(marks.values()))
    rulesets = {mark_id: ruleset_of(mark) for mark_id, mark in marks.items()}
    out = {}
    for lic in licences:
        membership = memberships.get((lic.firm_id, lic.mark.alliance_id))
        out[lic.id] = Facts(
            licence=_licence_fact(lic, decisions[lic.id]),
            membership=None if membership is None else rules.MembershipFact(membership.status, membership.expelled_on),
            inspections=inspections[lic.firm_id], payments=payments[lic.id],
            events=events.get((lic.firm_id, lic.mark.alliance_id), []), standard=standards.get(lic.mark_id),
            ruleset=rulesets[lic.mark_id], decisions=decisions[lic.id])
    return out


def _standard_facts(marks: list[Mark]) -> dict[int, rules.StandardFact | None]:
    from compliance.models import StandardVersion

    standard_ids = {m.standard_id for m in marks if m.standard_id is not None}
    versions: dict[int, list] = {i: [] for i in standard_ids}
    codes: dict[int, str] = {}
    if standard_ids:
        for v, code in db.session.execute(
                db.select(StandardVersion, Standard.code).join(Standard, StandardVersion.standard_id == Standard.id)
                .where(StandardVersion.standard_id.in_(standard_ids))):
            codes[v.standard_id] = code
            if v.status != VersionStatus.DRAFT:
                versions[v.standard_id].append(v)
    out: dict[int, rules.StandardFact | None] = {}
    for m in marks:
        if m.standard_id is None:
            out[m.id] = None
            continue
        vs = sorted(versions[m.standard_id], key=lambda v: (v.effective, v.id))
        out[m.id] = rules.StandardFact(codes.get(m.standard_id) or m.standard.code, tuple(
            rules.VersionFact(v.id, v.label, v.effective, v.transition_end) for v in vs))
    return out


def licences_with_facts(query, models: bool = True):
    """Return the licence query with what facts and list pages read loaded eagerly (firm, mark, models).

    With `models=False` the scope is left for load_scope_models (one query however many licences;
    selectinload would send one per 500).
    """
    from sqlalchemy.orm import joinedload, selectinload

    query = query.options(joinedload(Licence.firm), joinedload(Licence.mark))
    return query.options(selectinload(Licence.models)) if models else query


def load_scope_models(licences: list[Licence]) -> list[Licence]:
    """Fill each licence's product models (its scope) in one query per 10 000 licences."""
    from sqlalchemy.orm.attributes import set_committed_value

    from parties.models import ProductModel
    from trademark.models import licence_models

    scope: dict[int, list] = {lic.id: [] for lic in licences}
    for ids in _chunks(list(scope)):
        for licence_id, model in db.session.execute(
                db.select(licence_models.c.licence_id, ProductModel)
                .join(ProductModel, ProductModel.id == licence_models.c.product_model_id)
                .where(among(licence_models.c.licence_id, ids)).order_by(ProductModel.model)):
            scope[licence_id].append(model)
    for lic in licences:
        set_committed_value(lic, "models", scope[lic.id])
    return licences


def entry_check(licence: Licence, today: date, f: Facts | None = None) -> list[rules.Unmet]:
    """Return the entry rules (E1–E5) the application does not meet."""
    f = f or facts_for(licence)
    return rules.check_entry(f.licence, f.membership, f.inspections, f.payments, f.standard, f.ruleset, today)


# --- what the queues sort by, stored on the licence ---------------------------------------------


def due_dates(f: Facts) -> tuple[date | None, date | None]:
    """Return (X4's base day, the first unpaid fee's due day) as the rules derive them; None unless live."""
    if f.licence.status not in LIVE:
        return None, None
    # Every verified inspection counts (date.max): the stored day does not depend on when it was computed.
    return (rules.surveillance_base(f.licence, f.inspections, date.max, f.standard),
            rules.first_unpaid_fee_due(f.licence, f.payments))


def keep_due_dates(licence: Licence, values: tuple[date | None, date | None]) -> bool:
    """Store the licence's due dates (Licence.surveillance_base, fee_due_on); tell whether they changed."""
    if (licence.surveillance_base, licence.fee_due_on) == values:
        return False
    licence.surveillance_base, licence.fee_due_on = values
    return True


def refresh_due_dates(query, batch_size: int = 1000) -> int:
    """Recompute the stored due dates of the licences of `query` in batches (facts for many); return how many changed.

    Each batch is locked and read fresh first, as every writer of these rows does (in id order, as the sweep).
    """
    last_id, changed = 0, 0
    while True:
        rows = lock_rows(query.where(Licence.id > last_id).order_by(Licence.id).limit(batch_size))
        if not rows:
            return changed
        last_id = rows[-1].id
        facts = facts_for_many(load_scope_models(rows))
        changed += sum(keep_due_dates(lic, due_dates(facts[lic.id])) for lic in rows)
        db.session.flush()


def _store(licence: Licence, action: rules.Action, today: date, actor=None) -> Decision:
    """Store one engine action as a Decision and move the licence to its new status."""
    previous = licence.status
    decision = record_decision(licence_id=licence.id, from_status=previous, to_status=action.to_status,
                               kind=action.kind, rule=action.rule, reason=action.reason, today=today,
                               actor=actor, evidence=action.evidence, deadline=action.deadline)
    licence.status = action.to_status
    if action.kind == rules.ActionKind.SUSPEND and previous != LicenceStatus.SUSPENDED:
        licence.suspended_on = today
    elif action.kind == rules.ActionKind.REINSTATE:
        licence.suspended_on = None
    elif action.to_status in rules.FINAL_STATUSES:
        licence.ended_on = today
    if action.to_status not in LIVE:
        keep_due_dates(licence, (None, None))  # off the queues: nothing more is due
    return decision


@use_case
def grant_licence(licence_id: int, today: date, actor=None) -> Licence:
    """Grant an application that meets every entry rule, or raise EntryRefused listing the unmet ones."""
    licence = get_licence(licence_id, actor, for_change=True)
    if licence.status != LicenceStatus.APPLIED:
        raise AppError(409, f"只有申请中的许可可以授权，当前状态：{licence.status} / not an application", field="status")
    f = facts_for(licence)
    unmet = rules.check_entry(f.licence, f.membership, f.inspections, f.payments, f.standard, f.ruleset, today)
    if unmet:
        raise EntryRefused(unmet)
    evidence = rules.entry_evidence(f.licence, f.inspections, f.standard, f.ruleset, today)
    action = rules.grant(f.licence, unmet, today, evidence)
    _store(licence, action, today, actor)
    licence.granted_on = today
    licence.expires_on = rules.expiry_date(today, licence.mark.validity_years)
    current = f.standard.current(today) if f.standard else None
    licence.version_id = current.id if current else None
    licence.number = _next_licence_number(licence.mark, today.year)
    keep_due_dates(licence, due_dates(replace(f, licence=replace(f.licence, status=licence.status, granted_on=today))))
    db.session.flush()
    publish(LicenceGranted(licence.id, today))
    return licence


def _next_licence_number(mark: Mark, year: int) -> str:
    """Take the mark's next licence number of the year: gapless (an application never granted takes none)."""
    prefix = f"{mark.code}-{year}-"

    def given() -> int:  # numbers given before counters existed (`<mark>-<year>-<licence id>`): go on after them
        return highest_suffix(db.session.execute(db.select(Licence.number).where(
            Licence.mark_id == mark.id, Licence.number.startswith(prefix, autoescape=True))).scalars(), prefix)

    return f"{prefix}{next_number('licence', mark.id, year, given):05d}"


@use_case
def act_on_licence(licence_id: int, action: str, reason: str, today: date, actor) -> Licence:
    """Apply a staff action (warn, suspend, reinstate, revoke, refused_sampling, misuse, surrender, refuse)."""
    licence = get_licence(licence_id, actor, for_change=True)
    f = facts_for(licence)
    try:
        result = rules.manual_action(f.licence, action, reason, today, f.ruleset)
    except rules.RuleError as err:
        status = 422 if action not in rules.MANUAL_ACTIONS or not (reason or "").strip() else 409
        raise AppError(status, str(err), field="reason" if not (reason or "").strip() else "action") from None
    repeated = _same_decision_in_force(f.decisions, result)
    if repeated is not None:
        # SPEC §4: the same manual action with the same reason is one decision (a double click is not a new cause).
        raise AppError(409, f"同一操作与理由已于{repeated.effective_on.isoformat()}记录（决定#{repeated.id}），"
                            f"不重复记录 / the same {action} with the same reason is already recorded",
                       field="action", details={"decision": repeated.id})
    _store(licence, result, today, actor)
    if action == "refused_sampling":
        # X5 concerns the firm: its other licences under this alliance's marks follow at once.
        db.session.flush()
        others = db.session.execute(db.select(Licence).join(Mark).where(
            Licence.firm_id == licence.firm_id, Licence.id != licence.id, Mark.alliance_id == licence.mark.alliance_id,
            Licence.status.in_(list(LIVE)))).scalars().all()
        for other in others:
            evaluate_licence(other, today)
    return licence


def _same_decision_in_force(decisions: list[Decision], action: rules.Action) -> Decision | None:
    """Return an earlier decision equal to `action` (kind, rule, reason) with no status change since."""
    for earlier in reversed(decisions):
        if (earlier.kind, earlier.rule, earlier.reason) == (action.kind, action.rule, action.reason.strip()):
            return earlier
        if earlier.from_status != earlier.to_status:
            return None
    return None


_BATCH = "alliancemark.sweep_batch"


def _new_batch(ids: list[int]) -> dict:
    """A batch of licences to judge together: their ids, read and locked at the first judgement."""
    return {"ids": ids, "wanted": frozenset(ids), "licences": None, "facts": None, "repaired": 0}


def _from_batch(licence_id: int):
    """The sweep's batch: at its first judgement, lock and re-read every row of it, then load their facts.

    Taken under the writers' lock, which no other writer passes until the batch commits, so the
    facts stay true for every licence of the batch; a staff action before it is seen (re-read).
    """
    batch = db.session.info.get(_BATCH)
    if batch is None or licence_id not in batch["wanted"]:
        return None
    if batch["facts"] is None:
        fresh = load_scope_models(lock_rows(db.select(Licence).where(among(Licence.id, batch["ids"]))))
        # Their marks in one query (the rules read each licence's mark: one lazy load per mark otherwise).
        # Kept in the batch: the session holds loaded rows only while someone refers to them.
        batch["marks"] = db.session.execute(db.select(Mark).where(
            Mark.id.in_({row.mark_id for row in fresh}))).scalars().all()
        batch["licences"] = {row.id: row for row in fresh}
        batch["facts"] = facts_for_many(fresh)
    return batch["licences"].get(licence_id), batch["facts"].get(licence_id)


def evaluate_licence(licence: Licence | int, today: date, actor=None, *, flush: bool = True) -> list[Decision]:
    """Run the exit rules X1–X10 and reinstatement for one licence (or licence id) on its locked state;
    store the actions.

    With `flush=False` the caller flushes once after judging many (one INSERT and one audit append for all).
    """
    licence_id = licence if isinstance(licence, int) else licence.id
    prefetched = _from_batch(licence_id)
    if prefetched is not None:
        licence, f = prefetched
    else:
        # Lock and re-read: a staff action or another job may have changed it since it was listed.
        licence, f = lock_row(Licence, licence_id), None
    if licence is None or licence.status not in LIVE:
        return []
    f = f or facts_for(licence)
    # The stored due dates follow the facts (a verified inspection, a payment); the sweep repairs any drift.
    if keep_due_dates(licence, due_dates(f)) and prefetched is not None:
        batch = db.session.info[_BATCH]
        batch["repaired"] = batch.get("repaired", 0) + 1
    actions = rules.evaluate(f.licence, f.membership, f.inspections, f.payments, f.events, f.standard,
                             f.ruleset, today)
    stored = [_store(licence, a, today, actor) for a in actions]
    if stored and flush:
        db.session.flush()
    return stored


def on_inspection_verified(event: InspectionVerified) -> None:
    """Apply the event rules to the inspected firm's licences (runs in the verify transaction).

    The firm's live licences are judged as one batch: locked and read in one query, their facts in a
    few (each firm's inspections once), the decisions written in one flush; so verifying an
    inspection costs the same few queries whatever the number of the firm's licences.
    """
    today = event.today
    ids = db.session.execute(db.select(Licence.id).where(Licence.firm_id == event.firm_id,
                                                         Licence.status.in_(list(LIVE)))
                             .order_by(Licence.id)).scalars().all()
    if not ids:
        return
    outer = db.session.info.get(_BATCH)
    db.session.info[_BATCH] = _new_batch(ids)
    try:
        with db.session.no_autoflush:
            for licence_id in ids:
                licence, _facts = _from_batch(licence_id)
                if licence is not None:
                    evaluate_licence(licence, today, flush=False)
    finally:
        if outer is None:
            db.session.info.pop(_BATCH, None)
        else:
            db.session.info[_BATCH] = outer
    db.session.flush()


@dataclass
class SweepReport:
    today: date
    licences: int = 0
    memberships: int = 0
    decisions: int = 0
    repaired: int = 0  # licences whose stored due dates differed from the facts
    by_rule: dict = field(default_factory=dict)  # "X4 suspend" → count
    skipped: dict = field(default_factory=dict)  # mark code → (licences not judged, why)

    def add(self, decision: Decision) -> None:
        self.decisions += 1
        key = f"{decision.rule} {decision.kind}"
        self.by_rule[key] = self.by_rule.get(key, 0) + 1


SWEEP_BATCH = 500


def count_live_licences() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(Licence)
                              .where(Licence.status.in_(list(LIVE)))).scalar_one()


def sweep(today: date, *, batch_size: int = SWEEP_BATCH, on_batch=None, on_decision=None) -> SweepReport:
    """Apply the time-based rules to every licence and membership as of `today`, one transaction per batch.

    Each batch is judged in its own transaction on rows locked and re-read first, so every licence
    is judged on its current state and memory stays bounded whatever the number of licences.
    `on_batch(n)` is told how many licences each batch held; `on_decision(d)` sees each stored decision.
    """
    report = SweepReport(today)

    def stored(decision: Decision) -> None:
        report.add(decision)
        if on_decision is not None:
            on_decision(decision)

    with transaction():
        exclusive_job_lock("sweep")  # two sweeps never judge at once: the second waits for each batch
        # X10 catch-up: an expelled member's live licences are revoked even if the cascade was missed.
        expelled = db.session.execute(db.select(Membership).where(
            Membership.status == MembershipStatus.EXPELLED)).scalars().all()
        for membership in expelled:
            report.memberships += 1
            for d in revoke_for_expulsion(membership, today, None):
                stored(d)
    # A mark whose stored rule parameters are out of SPEC §4's bounds (stored before they were
    # bounded, or behind the app's back) cannot be judged: its licences are left as they are and
    # named in the report, and every other mark's licences are still judged today.
    unjudgeable = _marks_with_bad_rules()
    for mark_id, (code, why) in unjudgeable.items():
        left = db.session.execute(db.select(db.func.count()).select_from(Licence).where(
            Licence.mark_id == mark_id, Licence.status.in_(list(LIVE)))).scalar_one()
        report.skipped[code] = (left, why)
    last_id = 0
    while True:
        with transaction():
            exclusive_job_lock("sweep")
            # Their ids, listed without a lock: the rows are read once, locked, when the batch's first
            # licence is judged (_from_batch), and their facts loaded then in a few queries.
            batch = db.session.execute(
                db.select(Licence.id).where(Licence.status.in_(list(LIVE)), Licence.id > last_id,
                                            Licence.mark_id.not_in(list(unjudgeable)))
                .order_by(Licence.id).limit(batch_size)).scalars().all()
            if not batch:
                break
            last_id = batch[-1]
            db.session.info[_BATCH] = _new_batch(batch)
            try:
                for licence_id in batch:
                    for decision in evaluate_licence(licence_id, today, flush=False):  # locked and re-read with its batch
                        stored(decision)
                report.repaired += db.session.info[_BATCH]["repaired"]
            finally:
                db.session.info.pop(_BATCH, None)
            report.licences += len(batch)
            db.session.flush()  # the batch's decisions and status changes in one flush
        if on_batch is not None:
            on_batch(len(batch))
        del batch
    return report


def _marks_with_bad_rules() -> dict[int, tuple[str, str]]:
    """Return the marks whose stored rule parameters SPEC §4 refuses: id → (code, what is wrong)."""
    bad = {}
    for mark in db.session.execute(db.select(Mark)).scalars():
        try:
            rules.RuleSet.from_overrides(mark.rules or {})
        except rules.RuleConfigError as err:
            where = ".".join(x for x in ("rules", err.rule, err.field) if x)
            bad[mark.id] = (mark.code, f"{where}: {err}")
    return bad


def _actor(actor_id: int | None) -> User | None:
    return None if actor_id is None else db.session.get(User, actor_id)


def on_membership_changed(event: MembershipChanged) -> None:
    """Record a membership's change of status in the decision trail."""
    membership = db.session.get(Membership, event.membership_id)
    record_decision(membership=membership, from_status=event.from_status, to_status=event.to_status,
                    kind=event.kind, rule="manual", reason=event.reason, today=event.today,
                    actor=_actor(event.actor_id))


def on_firm_expelled(event: FirmExpelled) -> None:
    """X10: the expelled firm's licences of the alliance's marks face the rules at once."""
    membership = db.session.get(Membership, event.membership_id)
    revoke_for_expulsion(membership, event.today, _actor(event.actor_id))


def revoke_for_expulsion(membership: Membership, today: date, actor=None) -> list[Decision]:
    """X10 through the rules core: each open licence of an expelled firm for the alliance's marks."""
    if membership.status != MembershipStatus.EXPELLED:
        return []
    rows = db.session.execute(db.select(Licence).join(Mark).where(
        Licence.firm_id == membership.firm_id, Mark.alliance_id == membership.alliance_id,
        Licence.status.in_(list(OPEN))).order_by(Licence.id)).scalars().all()
    stored = []
    for listed in rows:
        licence = lock_row(Licence, listed.id)  # X10 on the locked, current status
        if licence.status not in OPEN:
            continue
        action = rules.expulsion_action(_licence_fact(licence, licence_decisions(licence)),
                                        membership.expelled_on or today, ruleset_of(licence.mark), membership.reason)
        if action is not None:
            stored.append(_store(licence, action, today, actor))
    return stored


# --- fees (E5, X6) -----------------------------------------------------------------------------


@use_case
def record_payment(licence_id: int, year, amount, today: date, actor=None) -> Payment:
    """Record a fee payment; a licence suspended only for the fee (X6) is reinstated at once."""
    licence = get_licence(licence_id, actor, for_change=True)
    if licence.mark.fee_per_year is None:
        raise AppError(409, f"{licence.mark.name}为免费授权，无需缴费 / this mark is free", field="amount")
    if licence.status not in OPEN:
        raise AppError(409, f"许可状态为 {licence.status}，不能缴费 / licence is closed", field="status")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= today.year + 1:
        raise AppError(422, f"年度须为 2000 至 {today.year + 1} 之间的整数 / year is invalid", field="year")
    if isinstance(amount, (bool, float)) or not isinstance(amount, (str, int, Decimal)):
        raise AppError(422, "金额须为字符串形式的小数，如 \"5000.00\" / amount must be a decimal string", field="amount")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise AppError(422, "金额不是有效数字 / amount is not a number", field="amount") from None
    if not value.is_finite() or value <= 0 or value > Decimal("100000000") or value != value.quantize(Decimal("0.01")):
        raise AppError(422, "金额须为正数，最多两位小数 / amount must be positive with at most 2 decimals", field="amount")
    payment = Payment(licence_id=licence.id, year=year, amount=str(value.quantize(Decimal("0.01"))), paid_on=today,
                      recorded_by_id=getattr(actor, "id", None))
    db.session.add(payment)
    db.session.flush()
    evaluate_licence(licence, today)
    return payment


@dataclass
class FeeDue:
    licence: Licence
    year: int
    due_on: date
    suspend_after: date
    fee: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.fee - self.paid


def _fees_of(licence: Licence, today: date, horizon_days: int, payments=None, ruleset=None) -> list[FeeDue]:
    """The licence's unpaid fees due by `today + horizon_days` (due days by rules.fee_due_on)."""
    if licence.mark.fee_per_year is None or licence.granted_on is None:
        return []
    fee = Decimal(licence.mark.fee_per_year)
    grace = (ruleset or ruleset_of(licence.mark))["X6"]["grace_days"]
    payments = _payment_facts(licence) if payments is None else payments
    out = []
    for year in range(licence.granted_on.year, today.year + 2):
        due = rules.fee_due_on(licence.granted_on, year)
        if due is None or due > today + timedelta(days=horizon_days):
            continue
        paid = rules.paid_amount(payments, year, date.max)  # every payment recorded for that year
        if paid < fee:
            out.append(FeeDue(licence, year, due, due + timedelta(days=grace), fee, paid))
    return out


def _fees_for(rows: list[Licence], today: date, horizon_days: int, payments=None) -> list[FeeDue]:
    payments = _payments_of([r.id for r in rows]) if payments is None else payments
    rulesets = {lic.mark_id: ruleset_of(lic.mark) for lic in rows}
    out = [fee for licence in rows
           for fee in _fees_of(licence, today, horizon_days, payments[licence.id], rulesets[licence.mark_id])]
    return sorted(out, key=lambda f: (f.due_on, f.licence.id))


def _payments_of(licence_ids: list[int]) -> dict[int, list[rules.PaymentFact]]:
    out: dict[int, list[rules.PaymentFact]] = {i: [] for i in licence_ids}
    for ids in _chunks(licence_ids):
        for p in db.session.execute(db.select(Payment).where(among(Payment.licence_id, ids))).scalars():
            out[p.licence_id].append(rules.PaymentFact(p.year, Decimal(p.amount), p.paid_on))
    return out


# --- deadlines, queues and the portal ---------------------------------------------------------


@dataclass
class Deadline:
    licence: Licence
    what: str
    on: date
    rule: str
    evidence: tuple = ()

    def overdue(self, today: date) -> bool:
        return today > self.on


def surveillance_due(licence: Licence, today: date, f: Facts | None = None) -> tuple[date, date, int | None] | None:
    """Return (due, end of grace, last surveillance id) of the licence's next surveillance (X4)."""
    if licence.granted_on is None or licence.status not in LIVE:
        return None
    f = f or facts_for(licence)
    last = rules.last_surveillance(f.licence, f.inspections, today, f.standard)  # as X4 counts it
    params = f.ruleset["X4"]
    due, grace_end = rules.surveillance_due(licence.granted_on, last, params["months"], params["grace_days"])
    counted = last is not None and last.sampled_on >= licence.granted_on  # else it counts from the grant
    return due, grace_end, last.id if counted else None


def deadlines(licence: Licence, today: date, f: Facts | None = None) -> list[Deadline]:
    """Return what the licence must do by when: rectification, retests, surveillance, fees, expiry."""
    if licence.status not in LIVE:
        return []
    f = f or facts_for(licence)
    out: list[Deadline] = []
    if licence.status == LicenceStatus.SUSPENDED:
        causes = rules.open_suspension_causes(f.licence, today)
        for c in causes:
            if c.rule == "X1" and c.deadline:
                out.append(Deadline(licence, _l("整改期满：须通过暂停后重新抽样的监督检验，否则撤销"), c.deadline, "X1",
                                    c.evidence))
        if causes and f.ruleset.enabled("X7"):
            since = min(c.since for c in causes)
            out.append(Deadline(licence, _l("暂停满%(months)s个月仍未恢复将撤销", months=f.ruleset['X7']['months']),
                                rules.add_months(since, f.ruleset["X7"]["months"]), "X7"))
    out += _retest_deadlines(licence, today, f)
    due = surveillance_due(licence, today, f)
    if due and f.ruleset.enabled("X4"):
        out.append(Deadline(licence, _l("监督抽查到期（含宽限期截止）"), due[1], "X4", (due[2],) if due[2] else ()))
    if licence.mark.fee_per_year and f.ruleset.enabled("X6"):
        for fee in _fees_of(licence, today, 60, f.payments, f.ruleset):
            out.append(Deadline(licence, _l("%(year)s年度使用费（应缴%(fee)s元，已缴%(paid)s元）逾期暂停日", year=fee.year, fee=fee.fee, paid=fee.paid),
                                fee.suspend_after, "X6"))
    if licence.expires_on:
        out.append(Deadline(licence, _l("许可有效期届满"), licence.expires_on, "X9"))
    return sorted(out, key=lambda d: d.on)


def _retest_deadlines(licence: Licence, today: date, f: Facts) -> list[Deadline]:
    """X2: each failed inspection's retest deadline not yet followed by a suspension."""
    return [Deadline(licence, _l("检验#%(id)s不合格：复检期限", id=w.inspection_id), w.deadline, "X2", (w.inspection_id,))
            for w in rules.pending_warnings(f.licence, today) if w.deadline]


@dataclass
class SurveillanceRow:
    firm: Firm
    licence: Licence
    models: list
    due: date
    grace_end: date
    last_inspection_id: int | None

    def state(self, today: date) -> str:
        if today > self.grace_end:
            return "overdue"
        return "grace" if today > self.due else "due"


@dataclass
class Queues:
    applications: list
    suspensions: list
    surveillance: list
    retests: list
    fees: list
    open_retests: list
    queue: str | None = None  # the one queue shown page by page, or None for the desk


QUEUE_ROWS = 20  # the desk shows each queue's first rows and its total; each queue pages on its own
QUEUE_PAGE_ROWS = 50  # one queue on its own page (?queue=…&page=…)
QUEUE_NAMES = ("applications", "suspensions", "surveillance", "retests", "fees")


def work_queues(today: date, actor=None, horizon_days: int = 60, queue: str | None = None,
                page: int = 1, exact: bool = False) -> Queues:
    """Return the staff work queues: applications, suspensions, surveillance, retests, fees.

    All of them, their first QUEUE_ROWS rows each (the desk); or one `queue`, one `page` of it.
    A constant number of queries whatever the number of licences: each queue is a count and a page
    of rows read by index (the surveillance and fee queues by the due dates stored on the licence),
    and the exact facts are loaded only for the rows shown. Totals stop at COUNT_LIMIT unless `exact`.
    """
    from infra.pagination import ListArgs, Page, paginate

    size = QUEUE_ROWS if queue is None else QUEUE_PAGE_ROWS
    page = 1 if queue is None else max(1, page)
    offset = (page - 1) * size

    def wanted(name: str) -> bool:
        return queue is None or queue == name

    none = Page([], 0, 1, size)
    limit = None if exact else pagination.COUNT_LIMIT
    first = ListArgs(per_page=size, page=page, count_limit=limit)
    by_applied = {"applied": (Licence.applied_on, Licence.id)}
    applied = paginate(licences_with_facts(licences_query(actor, LicenceStatus.APPLIED)), first, by_applied,
                       "applied", unique=True) if wanted("applications") else Page([], 0, 1, size)
    suspended = paginate(licences_with_facts(licences_query(actor, LicenceStatus.SUSPENDED)), first,
                         {"suspended": (Licence.suspended_on, Licence.id)}, "suspended", unique=True) \
        if wanted("suspensions") else Page([], 0, 1, size)
    horizon = today + timedelta(days=horizon_days)
    marks = db.session.execute(visible_marks(db.select(Mark), actor).order_by(Mark.id)).scalars().all()
    paging = {"offset": offset, "limit": size, "count_limit": limit}
    surveillance_ids, surveillance_total = _surveillance_page(actor, marks, horizon, **paging) \
        if wanted("surveillance") else ([], Count(0))
    fee_ids, fees_total = _fees_page(actor, horizon, **paging) if wanted("fees") else ([], Count(0))
    warnings, retests_total = _retests_page(actor, today, **paging) if wanted("retests") else ([], Count(0))
    # One load of rows and facts for every licence any queue shows.
    ids = set(surveillance_ids) | set(fee_ids) | {w.licence_id for w in warnings}
    shown = {lic.id: lic for lic in load_scope_models(db.session.execute(licences_with_facts(
        db.select(Licence).where(Licence.id.in_(sorted(ids))), models=False)).unique().scalars().all())} if ids else {}
    facts = facts_for_many(applied.items + suspended.items + list(shown.values()))
    applied.items = [(lic, entry_check(lic, today, facts[lic.id])) for lic in applied.items]
    rows = []
    for licence in suspended.items:
        f = facts[licence.id]
        causes = [d for d in f.decisions if d.kind == "suspend"]
        rows.append((licence, causes[-1] if causes else None,
                     [d for d in deadlines(licence, today, f) if d.rule in ("X1", "X7")]))
    suspended.items = rows
    surveillance = []
    for licence in (shown[i] for i in surveillance_ids if i in shown):
        due = surveillance_due(licence, today, facts[licence.id])
        if due and due[0] <= horizon:  # the exact day; a stored day out of date is left out until repaired
            surveillance.append(SurveillanceRow(licence.firm, licence, list(licence.models), due[0], due[1], due[2]))
    surveillance.sort(key=lambda r: (r.due, r.firm.name))
    retests = []
    for w in warnings:
        licence = shown.get(w.licence_id)
        if licence is not None:
            retests += [d for d in _retest_deadlines(licence, today, facts[licence.id])
                        if d.evidence[:1] == tuple(w.evidence or ())[:1]]
    fees = _fees_for([shown[i] for i in fee_ids if i in shown], today, horizon_days,
                     {i: facts[i].payments for i in fee_ids if i in facts})
    # Retests already opened are listed beside the deadlines, on the queue's first page.
    open_retests = paginate(visible_inspections(db.select(Inspection).options(selectinload(Inspection.firm)).where(
        Inspection.type == "retest", Inspection.status.in_([InspectionStatus.DRAFT, InspectionStatus.SUBMITTED])),
        actor), ListArgs(per_page=size, count_limit=limit), {"id": (Inspection.id,)}, "id") if wanted("retests") else none
    if page > 1:
        open_retests.items = []
    def shown_page(items: list, total: Count) -> Page:
        return Page(items, total.n, page, size, more=total.more)

    return Queues(applied, suspended, shown_page(surveillance, surveillance_total),
                  shown_page(sorted(retests, key=lambda d: d.on), retests_total), shown_page(fees, fees_total),
                  open_retests, queue)


RETEST_WINDOW_DAYS = 30


def _latest_base(months: int, horizon: date) -> date:
    """Return the latest day from which X4's next surveillance (`months` later) still falls by `horizon`."""
    day = horizon - timedelta(days=31 * months + 31)
    while rules.add_months(day + timedelta(days=1), months) <= horizon:
        day += timedelta(days=1)
    return day


def _surveillance_page(actor, marks: list[Mark], horizon: date, rows: bool = True, *, offset: int = 0,
                       limit: int = QUEUE_ROWS, count_limit: int | None) -> tuple[list[int], Count]:
    """X4: the live licences whose next surveillance falls by `horizon` (by the stored base day): the
    ids of one page, soonest due first (none unless `rows`), and the number of them all."""
    def due_by_horizon(mark):
        cut = _latest_base(ruleset_of(mark)["X4"]["months"], horizon)
        return db.and_(Licence.mark_id == mark.id, Licence.surveillance_base <= cut)

    if not marks:
        return [], Count(0)
    live = licences_query(actor).where(Licence.status.in_(list(LIVE)))
    total = count(live.with_only_columns(Licence.id).where(db.or_(*(due_by_horizon(m) for m in marks))), count_limit)
    if not rows:
        return [], total
    # Within a mark the due day grows with the base day: the first rows of each mark, merged by their
    # due day (X4's months after the stored base), are the soonest of all.
    soonest: list[tuple[date, int]] = []
    for mark in marks:
        months = ruleset_of(mark)["X4"]["months"]
        soonest += [(rules.add_months(base, months), lid) for lid, base in db.session.execute(
            live.with_only_columns(Licence.id, Licence.surveillance_base).where(due_by_horizon(mark))
            .order_by(Licence.surveillance_base, Licence.id).limit(offset + limit))]
    return [lid for _due, lid in sorted(soonest)[offset:offset + limit]], total


def _fees_page(actor, horizon: date, rows: bool = True, *, offset: int = 0,
               limit: int = QUEUE_ROWS, count_limit: int | None) -> tuple[list[int], Count]:
    """X6/E5: the live licences with a fee not fully paid that falls due by `horizon`, the longest owed first."""
    owing = (licences_query(actor).where(Licence.status.in_(list(LIVE)), Licence.fee_due_on <= horizon)
             .with_only_columns(Licence.id))
    ids = db.session.execute(owing.order_by(Licence.fee_due_on, Licence.id).offset(offset).limit(limit)
                             ).scalars().all() if rows else []
    return ids, count(owing, count_limit)


def queue_counts(today: date, actor=None, horizon_days: int = 60) -> dict[str, Count]:
    """How much waits in each staff queue (the totals of work_queues), counted without loading a row."""
    horizon = today + timedelta(days=horizon_days)
    marks = db.session.execute(visible_marks(db.select(Mark), actor).order_by(Mark.id)).scalars().all()
    return {
        "applications": count(licences_query(actor, LicenceStatus.APPLIED).with_only_columns(Licence.id),
                              pagination.COUNT_LIMIT),
        "suspensions": count(licences_query(actor, LicenceStatus.SUSPENDED).with_only_columns(Licence.id),
                              pagination.COUNT_LIMIT),
        "surveillance": _surveillance_page(actor, marks, horizon, rows=False, count_limit=pagination.COUNT_LIMIT)[1],
        "retests": _retests_page(actor, today, rows=False, count_limit=pagination.COUNT_LIMIT)[1],
        "fees": _fees_page(actor, horizon, rows=False, count_limit=pagination.COUNT_LIMIT)[1],
    }


def _pending_warnings(actor, today: date):
    """X2: the warnings of the last weeks (older ones the daily sweep has judged) whose failed inspection
    has not led to an X2 suspension, on live licences: (a query, not yet run; the warning it selects from).

    The warnings are settled first, on their own partial indexes (migration 0009), and only those still
    pending are joined to their licence: most recent warnings already led to a suspension, and looking
    up each one's licence first cost more than the rest of the queue.
    """
    suspension = db.aliased(Decision)

    def inline(value: str):  # written into the SQL, so PostgreSQL matches the partial indexes of 0009
        return db.literal(value, literal_execute=True)

    pending = (db.select(Decision)
               .where(Decision.rule == inline("X2"), Decision.kind == inline("warn"),
                      Decision.deadline >= today - timedelta(days=RETEST_WINDOW_DAYS),
                      ~db.exists().where(suspension.licence_id == Decision.licence_id, suspension.rule == inline("X2"),
                                         suspension.kind == inline("suspend"),
                                         suspension.effective_on >= Decision.effective_on,
                                         db.cast(suspension.evidence, db.Text) == db.cast(Decision.evidence, db.Text)))
               .offset(0).subquery())  # OFFSET 0: planned on its own, before the join (PostgreSQL and SQLite)
    warning = db.aliased(Decision, pending)
    query = (visible_licences(db.select(warning.id, warning.licence_id, warning.evidence, warning.deadline)
                              .join(Licence, Licence.id == warning.licence_id), actor)
             .where(Licence.status.in_(list(LIVE))))
    return query, warning


def _retests_page(actor, today: date, rows: bool = True, *, offset: int = 0, limit: int = QUEUE_ROWS,
                  count_limit: int | None) -> tuple[list, Count]:
    """X2: the pending warnings (_pending_warnings); the first by deadline and the number of them all."""
    warned, warning = _pending_warnings(actor, today)
    if not rows:
        return [], count(warned, count_limit)
    # The page and the number of them all in one pass: reading the recent warnings is the cost, not counting.
    shown = db.session.execute(warned.add_columns(db.func.count().over().label("total"))
                               .order_by(warning.deadline, warning.id).offset(offset).limit(limit)).all()
    if shown:
        return shown, Count(shown[0].total)
    return shown, count(warned, count_limit) if offset else Count(0)


# The certificates area sits above this one (it signs what this one decides); the app factory
# tells this area how to name a licence's current certificate on its pages and in its API.
CERTIFICATE_OF = "alliancemark.certificate_of"


def certificate_of(licence: Licence):
    """Return the licence's current certificate summary (serial, verify URL), or None."""
    from flask import current_app

    return current_app.extensions[CERTIFICATE_OF](licence)


LICENCE_SORTS = {
    "-id": (Licence.id.desc(),), "id": (Licence.id,),
    "applied": (Licence.applied_on, Licence.id), "-applied": (Licence.applied_on.desc(), Licence.id.desc()),
    "expires": (Licence.expires_on, Licence.id), "-expires": (Licence.expires_on.desc(), Licence.id.desc()),
    "number": (Licence.number, Licence.id), "-number": (Licence.number.desc(), Licence.id.desc()),
    "status": (Licence.status, Licence.id), "-status": (Licence.status.desc(), Licence.id.desc()),
}


def licences_query(actor, status: str | None = None, q: str = "", firm_id: int | None = None):
    """Return the licences the actor may list, filtered; the one place a scoping filter belongs."""
    query = visible_licences(db.select(Licence), actor)
    if actor is not None and actor.role == Role.FIRM:
        query = query.where(Licence.firm_id == (actor.firm_id or -1))
    if firm_id is not None:
        query = query.where(Licence.firm_id == firm_id)
    if status:
        query = query.where(Licence.status == status)
    if q:
        matching = db.select(Firm.id).where(Firm.name.contains(q, autoescape=True) | (Firm.uscc == q.upper()))
        query = query.where(Licence.firm_id.in_(matching) | Licence.number.contains(q.upper(), autoescape=True))
    return query


def list_licences(actor, args, status: str | None = None):
    """Return one page of licences (firm, mark and models loaded with it)."""
    from infra.pagination import paginate

    return paginate(licences_with_facts(licences_query(actor, status, args.q)), args, LICENCE_SORTS, "-id",
                    unique=True)


def licence_export_rows(query):
    """Return every licence of `query` for a CSV/XLSX file in one statement: its firm, mark and models as text.

    A file holds the whole filtered list, so it is read as rows, not objects: one query at any size.
    """
    from parties.models import ProductModel
    from trademark.models import licence_models

    ids = db.select(query.order_by(None).subquery().c.id)
    models = (db.select(db.func.aggregate_strings(ProductModel.model, "\x1e"))
              .select_from(licence_models.join(ProductModel, ProductModel.id == licence_models.c.product_model_id))
              .where(licence_models.c.licence_id == Licence.id).scalar_subquery())
    rows = db.session.execute(
        db.select(Licence.id, Licence.number, Firm.name.label("firm_name"), Firm.uscc, Mark.name.label("mark_name"),
                  models.label("models"), Licence.status, Licence.applied_on, Licence.granted_on, Licence.expires_on)
        .join(Firm, Firm.id == Licence.firm_id).join(Mark, Mark.id == Licence.mark_id)
        .where(Licence.id.in_(ids)).order_by(Licence.id.desc()))
    for row in rows:
        yield SimpleNamespace(**{**row._mapping, "models": sorted(row.models.split("\x1e")) if row.models else []})


def firm_licences_query(actor, q: str = ""):
    """Return the licences a firm user lists on its portal, found by licence number, product model or mark."""
    from parties.models import ProductModel
    from trademark.models import licence_models

    query = licences_query(actor)
    if q:
        by_model = (db.select(licence_models.c.licence_id)
                    .join(ProductModel, ProductModel.id == licence_models.c.product_model_id)
                    .where(ProductModel.model.contains(q, autoescape=True)))
        by_mark = db.select(Mark.id).where(Mark.name.contains(q, autoescape=True) | (Mark.code == q.upper()))
        query = query.where(Licence.number.contains(q.upper(), autoescape=True) | Licence.id.in_(by_model)
                            | Licence.mark_id.in_(by_mark))
    return query


def list_firm_licences(actor, args):
    """Return one page of the firm user's own licences (mark and models loaded with it)."""
    from infra.pagination import paginate

    return paginate(licences_with_facts(firm_licences_query(actor, args.q)), args, LICENCE_SORTS, "-id", unique=True)


PORTAL_DEADLINES = 30  # the portal lists the firm's soonest deadlines; /portal/deadlines pages through all


@dataclass
class SoonestDeadlines:
    items: list  # the soonest deadlines across all the firm's live licences, soonest first
    live: int  # how many live licences the firm has (each of them has something due)
    more: bool  # whether some deadline is not among `items`


def _deadline_candidates(actor, today: date, n: int) -> list[tuple[Licence, list[Deadline]]]:
    """Return the firm's live licences that can hold its `n` soonest deadlines, with their exact deadlines,
    ordered by their soonest one.

    Chosen by index, one statement: for each kind of deadline the `n` licences whose stored day for it
    comes first (X4 by the surveillance base, X6 by the first unpaid fee, X9 by expiry, X1/X7 by the
    suspension day, X2 by the warning's deadline), within each set of usage rules (the day a stored base
    gives depends on the mark's months and grace). A licence among the firm's `n` soonest is among the
    first `n` of the kind of its soonest deadline, so the facts are loaded for at most 5 × `n` licences.
    """
    live = licences_query(actor).where(Licence.status.in_(list(LIVE)))
    marks = db.session.execute(db.select(Mark).where(Mark.id.in_(live.with_only_columns(Licence.mark_id)))
                               .order_by(Mark.id)).scalars().all()
    groups: dict[str, list[int]] = {}
    for mark in marks:
        groups.setdefault(repr(ruleset_of(mark).values), []).append(mark.id)

    def first(query, *order):
        return db.select(query.with_only_columns(Licence.id).order_by(*order, Licence.id).limit(n).subquery().c.id)

    parts = [first(live, Licence.expires_on.is_(None), Licence.expires_on)]
    for mark_ids in groups.values():
        same = live if len(groups) == 1 else live.where(Licence.mark_id.in_(mark_ids))
        parts += [first(same.where(Licence.surveillance_base.is_not(None)), Licence.surveillance_base),
                  first(same.where(Licence.fee_due_on.is_not(None)), Licence.fee_due_on),
                  first(same.where(Licence.status == LicenceStatus.SUSPENDED), Licence.suspended_on)]
    warned, warning = _pending_warnings(actor, today)
    warned = warned.where(Licence.id.in_(live.with_only_columns(Licence.id)))
    parts.append(db.select(warned.with_only_columns(warning.licence_id.label("id"), maintain_column_froms=True)
                           .order_by(warning.deadline, warning.id).limit(n).subquery().c.id))
    ids = sorted(set(db.session.execute(db.union_all(*parts)).scalars()))
    licences = load_scope_models(db.session.execute(licences_with_facts(
        db.select(Licence).where(Licence.id.in_(ids)), models=False)).unique().scalars().all())
    facts = facts_for_many(licences)
    rows = [(lic, deadlines(lic, today, facts[lic.id])) for lic in licences]
    return sorted(rows, key=lambda row: (row[1][0].on if row[1] else date.max, row[0].id))


def _count_live(actor) -> int:
    """The firm user's live licences, counted exactly (one firm's, not an alliance's)."""
    return count(licences_query(actor).where(Licence.status.in_(list(LIVE))).with_only_columns(Licence.id), None).n


def soonest_deadlines(actor, today: date, limit: int = PORTAL_DEADLINES) -> SoonestDeadlines:
    """Return the firm user's `limit` soonest deadlines across all its live licences, and how many it has."""
    live = _count_live(actor)
    rows = _deadline_candidates(actor, today, limit)
    items = sorted((d for _lic, ds in rows for d in ds), key=lambda d: (d.on, d.licence.id))
    return SoonestDeadlines(items[:limit], live, len(items) > limit or live > len(rows))


def deadlines_page(actor, today: date, args):
    """Return one page of the firm user's live licences, the soonest due first, each with its deadlines."""
    from infra.pagination import Page

    live = _count_live(actor)
    offset = (args.page - 1) * args.per_page
    # Past the last page the candidates are every live licence, not ten million of each kind.
    rows = _deadline_candidates(actor, today, max(1, min(offset + args.per_page, live)))
    return Page(rows[offset:offset + args.per_page], live, args.page, args.per_page)


def firm_licences(firm_id: int) -> list[Licence]:
    return list(db.session.execute(licences_with_facts(db.select(Licence).where(Licence.firm_id == firm_id))
                                   .order_by(Licence.id.desc())).unique().scalars())


def list_inspections_of_firm(actor, per_page: int):
    """Return the first page of the inspections a firm user may see (the inspections area decides which)."""
    from infra.pagination import ListArgs
    from inspections import services as inspections

    return inspections.list_inspections(actor, None, ListArgs(sort="-sampled", per_page=per_page))
