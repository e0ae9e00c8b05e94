"""Alliance, firm, membership and product-model use cases (marks and licences build on these)."""
from __future__ import annotations

from datetime import date

from extensions import db
from trademark.models import Alliance, Decision, Firm, Membership, MembershipStatus, ProductModel
from trademark.uscc import UsccError, normalize_uscc


class FieldError(ValueError):
    """A refused input, naming the field (`field`) it concerns."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def _required(field: str, value: str | None, label: str, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldError(field, f"{label}不能为空 / {field} is required")
    if len(value) > max_len:
        raise FieldError(field, f"{label}不能超过{max_len}个字符 / {field} is too long")
    return value


def find_alliance(code: str) -> Alliance | None:
    return db.session.execute(db.select(Alliance).where(Alliance.code == (code or "").strip().upper())).scalar_one_or_none()


def find_firm(uscc: str) -> Firm | None:
    return db.session.execute(db.select(Firm).where(Firm.uscc == (uscc or "").strip().upper())).scalar_one_or_none()


def create_alliance(code: str, name: str, secretariat: str | None = None, *, commit: bool = True) -> Alliance:
    """Create an alliance with a unique upper-case code."""
    code = _required("code", code, "联盟代码", 32).upper()
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise FieldError("code", "联盟代码只能包含字母、数字、- 和 _ / code: letters, digits, - and _ only")
    name = _required("name", name, "联盟名称", 200)
    if find_alliance(code):
        raise FieldError("code", f"联盟代码已存在：{code} / alliance code exists", status=409)
    alliance = Alliance(code=code, name=name, secretariat=(secretariat or "").strip() or None)
    db.session.add(alliance)
    if commit:
        db.session.commit()
    return alliance


def update_alliance(alliance_id: int, name: str, secretariat: str | None) -> Alliance:
    alliance = db.session.get(Alliance, alliance_id)
    if alliance is None:
        raise FieldError("id", "联盟不存在 / unknown alliance", status=404)
    alliance.name = _required("name", name, "联盟名称", 200)
    alliance.secretariat = (secretariat or "").strip() or None
    db.session.commit()
    return alliance


def _uscc(value: str) -> str:
    try:
        return normalize_uscc(value)
    except UsccError as err:
        raise FieldError("uscc", f"统一社会信用代码：{err}") from None


def create_firm(name: str, uscc: str, address: str | None = None, contact: str | None = None,
                *, commit: bool = True) -> Firm:
    """Create a firm after checking its USCC (GB 32100-2015 check character)."""
    name = _required("name", name, "企业名称", 200)
    code = _uscc(uscc)
    if find_firm(code):
        raise FieldError("uscc", f"该统一社会信用代码的企业已存在：{code} / firm exists", status=409)
    firm = Firm(name=name, uscc=code, address=(address or "").strip() or None,
                contact=(contact or "").strip() or None)
    db.session.add(firm)
    if commit:
        db.session.commit()
    return firm


def update_firm(firm_id: int, name: str, address: str | None, contact: str | None) -> Firm:
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise FieldError("id", "企业不存在 / unknown firm", status=404)
    firm.name = _required("name", name, "企业名称", 200)
    firm.address = (address or "").strip() or None
    firm.contact = (contact or "").strip() or None
    db.session.commit()
    return firm


def add_product_model(uscc: str, model: str, category: str, *, commit: bool = True) -> ProductModel:
    """Register a product model of a firm."""
    firm = find_firm(uscc)
    if firm is None:
        raise FieldError("uscc", f"企业不存在：{uscc} / unknown firm", status=404)
    model = _required("model", model, "产品型号", 100)
    category = _required("category", category, "产品类别", 100)
    if any(m.model == model for m in firm.models):
        raise FieldError("model", f"型号已存在：{model} / model exists", status=409)
    row = ProductModel(firm=firm, model=model, category=category)
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


# E3: an expelled firm may not come back for this long (months); the mark's rule may say otherwise.
DEFAULT_COOL_OFF_MONTHS = 24


def admit_member(alliance_code: str, uscc: str, today: date, actor=None, *, commit: bool = True) -> Membership:
    """Make the firm a member of the alliance (from applicant, new, suspended or withdrawn)."""
    alliance = find_alliance(alliance_code)
    if alliance is None:
        raise FieldError("alliance", f"联盟不存在：{alliance_code} / unknown alliance", status=404)
    firm = find_firm(uscc)
    if firm is None:
        raise FieldError("uscc", f"企业不存在：{uscc} / unknown firm", status=404)
    membership = next((m for m in firm.memberships if m.alliance_id == alliance.id), None)
    if membership is None:
        membership = Membership(alliance=alliance, firm=firm)
        db.session.add(membership)
    elif membership.status == MembershipStatus.MEMBER:
        raise FieldError("uscc", "该企业已是会员 / already a member", status=409)
    elif membership.status == MembershipStatus.EXPELLED and membership.expelled_on:
        months = (today.year - membership.expelled_on.year) * 12 + today.month - membership.expelled_on.month
        if today.day < membership.expelled_on.day:
            months -= 1
        if months < DEFAULT_COOL_OFF_MONTHS:
            raise FieldError("uscc", f"该企业于 {membership.expelled_on} 被清退，{DEFAULT_COOL_OFF_MONTHS}个月内不得重新入会"
                                     f" / expelled firms may not re-enter for {DEFAULT_COOL_OFF_MONTHS} months", status=409)
    previous = membership.status
    membership.status = MembershipStatus.MEMBER
    membership.joined_on = today
    membership.reason = None
    record_decision(membership=membership, from_status=previous, to_status=MembershipStatus.MEMBER,
                    kind="admit", rule="manual", reason="准予入会", today=today, actor=actor)
    if commit:
        db.session.commit()
    return membership


def record_decision(*, to_status: str, kind: str, rule: str, reason: str, today: date, actor=None,
                    from_status: str | None = None, licence_id: int | None = None,
                    membership: Membership | None = None, evidence=(), deadline: date | None = None) -> Decision:
    """Append a Decision; every status change and warning goes through here."""
    if not (reason or "").strip():
        raise FieldError("reason", "决定必须写明理由 / a decision needs a reason")
    decision = Decision(
        licence_id=licence_id, membership=membership, from_status=from_status, to_status=to_status, kind=kind,
        rule=rule, reason=reason.strip(), evidence=list(evidence), deadline=deadline,
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", None) or "system",
        effective_on=today,
    )
    db.session.add(decision)
    return decision


def expel_member(alliance_code: str, uscc: str, reason: str, today: date, actor=None, *,
                 commit: bool = True) -> Membership:
    """Expel (清退) a member; its licences for the alliance's marks are revoked by X10."""
    alliance = find_alliance(alliance_code)
    if alliance is None:
        raise FieldError("alliance", f"联盟不存在：{alliance_code} / unknown alliance", status=404)
    firm = find_firm(uscc)
    membership = None if firm is None else next((m for m in firm.memberships if m.alliance_id == alliance.id), None)
    if membership is None:
        raise FieldError("uscc", f"该企业不是 {alliance.code} 的会员 / not a member", status=404)
    if membership.status == MembershipStatus.EXPELLED:
        raise FieldError("uscc", "该企业已被清退 / already expelled", status=409)
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "清退必须写明理由 / reason is required")
    previous = membership.status
    membership.status = MembershipStatus.EXPELLED
    membership.expelled_on = today
    membership.reason = reason
    record_decision(membership=membership, from_status=previous, to_status=MembershipStatus.EXPELLED,
                    kind="expel", rule="manual", reason=reason, today=today, actor=actor)
    for hook in EXPULSION_HOOKS:
        hook(membership, today, actor)
    if commit:
        db.session.commit()
    return membership


# X10: the licences module registers the cascade that revokes the firm's licences here.
EXPULSION_HOOKS: list = []
