"""The parties' use cases: alliances, firms, memberships and product models."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from sqlalchemy import column, func, select, table, union

from accounts.access import alliance_ids, serves, within
from infra.db import db, lock_row, use_case
from infra.errors import AppError, required_text
from infra.events import publish
from infra.schemas import column_length
from parties import membership as rules
from parties.events import FirmExpelled, MembershipChanged
from parties.membership import MembershipStatus
from parties.models import Alliance, Firm, Membership, ProductModel
from parties.uscc import UsccError, normalize_uscc


def find_alliance(code: str) -> Alliance | None:
    return db.session.execute(db.select(Alliance).where(Alliance.code == (code or "").strip().upper())).scalar_one_or_none()


def find_firm(uscc: str) -> Firm | None:
    return db.session.execute(db.select(Firm).where(Firm.uscc == (uscc or "").strip().upper())).scalar_one_or_none()


# --- what a staff user may see: its alliances, and the firms tied to them (SPEC §10) -----------

# The trademark area sits above this one; a firm is tied to an alliance by a licence of its marks
# too, so these two tables are named here rather than imported.
_LICENCES = table("licences", column("firm_id"), column("mark_id"))
_MARKS = table("marks", column("id"), column("alliance_id"))


def visible_alliances(query, actor):
    """Narrow a query over Alliance to the alliances the actor serves."""
    return within(query, actor, Alliance.id)


def get_alliance(alliance_id: int, actor) -> Alliance:
    """Return an alliance the actor serves; another alliance is answered as not found."""
    alliance = db.session.get(Alliance, alliance_id)
    if alliance is None or not serves(actor, alliance.id):
        raise AppError(404, "联盟不存在 / unknown alliance", field="alliance")
    return alliance


def alliance_for(code: str, actor) -> Alliance:
    """Return the alliance of `code` if the actor serves it, else the same 404 as an unknown code."""
    alliance = find_alliance(code)
    if alliance is None or not serves(actor, alliance.id):
        raise AppError(404, f"联盟不存在：{code} / unknown alliance", field="alliance")
    return alliance


def tied_firm_ids(ids):
    """A select of the ids of firms that are members of, applicants to or licensees of alliances `ids`."""
    members = select(Membership.firm_id).where(Membership.alliance_id.in_(ids))
    licensees = (select(_LICENCES.c.firm_id).join(_MARKS, _MARKS.c.id == _LICENCES.c.mark_id)
                 .where(_MARKS.c.alliance_id.in_(ids)))
    return union(members, licensees)


def visible_firms(query, actor):
    """Narrow a query over Firm to the firms tied to the actor's alliances, and to firms tied to none
    (just created, before admission or an application: any staff user may find it, add its models
    and admit it into its own alliance).

    Tested per firm, by the firm_id indexes of its memberships and licences, not by IN over every
    tied firm; and as "the first such row, if any" rather than EXISTS, which PostgreSQL answers by
    hashing every licensee of the alliance (100 000 rows) before it looks at the first firm. A page
    of 50 firms in name order then reads about 50 firms' rows.
    """
    ids = alliance_ids(actor)
    if ids is None:
        return query
    ids = sorted(ids)

    def first(rows):
        return rows.limit(1).scalar_subquery()

    member = first(select(Membership.id).where(Membership.firm_id == Firm.id, Membership.alliance_id.in_(ids)))
    licensee = first(select(_LICENCES.c.firm_id).join(_MARKS, _MARKS.c.id == _LICENCES.c.mark_id)
                     .where(_LICENCES.c.firm_id == Firm.id, _MARKS.c.alliance_id.in_(ids)))
    any_membership = first(select(Membership.id).where(Membership.firm_id == Firm.id))
    any_licence = first(select(_LICENCES.c.firm_id).where(_LICENCES.c.firm_id == Firm.id))
    return query.where(member.is_not(None) | licensee.is_not(None) | (any_membership.is_(None) & any_licence.is_(None)))


def get_firm(firm_id: int, actor) -> Firm:
    """Return a firm the actor may see; any other is answered as not found."""
    firm = db.session.execute(visible_firms(select(Firm).where(Firm.id == firm_id), actor)).scalar_one_or_none()
    if firm is None:
        raise AppError(404, "企业不存在 / unknown firm", field="id")
    return firm


def firm_for(uscc: str, actor) -> Firm:
    """Return the firm of `uscc` if the actor may see it, else the same 404 as an unknown USCC."""
    firm = db.session.execute(visible_firms(select(Firm).where(Firm.uscc == (uscc or "").strip().upper()),
                                            actor)).scalar_one_or_none()
    if firm is None:
        raise AppError(404, f"企业不存在：{uscc} / unknown firm", field="uscc")
    return firm


def visible_memberships(firm: Firm, actor) -> list[Membership]:
    """Return the firm's memberships of the alliances the actor serves."""
    return [m for m in firm.memberships if serves(actor, m.alliance_id)]


@use_case
def create_alliance(code: str, name: str, secretariat: str | None = None, actor=None) -> Alliance:
    """Create an alliance with a unique upper-case code; a staff user creating it serves it."""
    code = required_text("code", code, "联盟代码", column_length(Alliance.code)).upper()
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise AppError(422, "联盟代码只能包含字母、数字、- 和 _ / code: letters, digits, - and _ only", field="code")
    name = required_text("name", name, "联盟名称", column_length(Alliance.name))
    if find_alliance(code):
        raise AppError(409, f"联盟代码已存在：{code} / alliance code exists", field="code")
    alliance = Alliance(code=code, name=name, secretariat=(secretariat or "").strip() or None)
    db.session.add(alliance)
    if alliance_ids(actor) is not None:
        actor.alliances.append(alliance)  # else its creator could not see what it just made
    return alliance


@use_case
def update_alliance(alliance_id: int, name: str, secretariat: str | None, actor=None) -> Alliance:
    alliance = get_alliance(alliance_id, actor)
    alliance.name = required_text("name", name, "联盟名称", column_length(Alliance.name))
    alliance.secretariat = (secretariat or "").strip() or None
    return alliance


def _uscc(value: str) -> str:
    try:
        return normalize_uscc(value)
    except UsccError as err:
        raise AppError(422, f"统一社会信用代码：{err}", field="uscc") from None


@use_case
def create_firm(name: str, uscc: str, address: str | None = None, contact: str | None = None) -> Firm:
    """Create a firm after checking its USCC (GB 32100-2015 check character)."""
    name = required_text("name", name, "企业名称", column_length(Firm.name))
    code = _uscc(uscc)
    if find_firm(code):
        raise AppError(409, f"该统一社会信用代码的企业已存在：{code} / firm exists", field="uscc")
    firm = Firm(name=name, uscc=code, address=(address or "").strip() or None,
                contact=(contact or "").strip() or None)
    db.session.add(firm)
    return firm


@use_case
def update_firm(firm_id: int, name: str, address: str | None, contact: str | None, actor=None) -> Firm:
    firm = get_firm(firm_id, actor)
    firm.name = required_text("name", name, "企业名称", column_length(Firm.name))
    firm.address = (address or "").strip() or None
    firm.contact = (contact or "").strip() or None
    return firm


@use_case
def add_product_model(uscc: str, model: str, category: str, actor=None) -> ProductModel:
    """Register a product model of a firm."""
    firm = firm_for(uscc, actor)
    model = required_text("model", model, "产品型号", column_length(ProductModel.model))
    category = required_text("category", category, "产品类别", column_length(ProductModel.category))
    if any(m.model == model for m in firm.models):
        raise AppError(409, f"型号已存在：{model} / model exists", field="model")
    row = ProductModel(firm=firm, model=model, category=category)
    db.session.add(row)
    return row


# E3: an expelled firm may not rejoin the alliance for the default cool-off; a mark's own E3 setting
# applies again when the firm applies for that mark.
DEFAULT_COOL_OFF_MONTHS = rules.COOL_OFF_MONTHS


def _membership_for_change(firm: Firm, alliance: Alliance) -> Membership | None:
    """Lock the firm's row (admissions and expulsions of one firm queue) and read its membership fresh."""
    lock_row(Firm, firm.id)
    return db.session.execute(db.select(Membership).where(
        Membership.firm_id == firm.id, Membership.alliance_id == alliance.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()


@use_case
def admit_member(alliance_code: str, uscc: str, today: date, actor=None) -> Membership:
    """Make the firm a member of the alliance (from applicant, new, suspended or withdrawn)."""
    alliance = alliance_for(alliance_code, actor)  # staff admit only into the alliances they serve
    # By USCC any firm may be admitted (a firm may belong to several alliances); the answer names
    # only this alliance's membership.
    firm = find_firm(uscc)
    if firm is None:
        raise AppError(404, f"企业不存在：{uscc} / unknown firm", field="uscc")
    membership = _membership_for_change(firm, alliance)
    if membership is None:
        membership = Membership(alliance=alliance, firm=firm)
        db.session.add(membership)
    elif membership.status == MembershipStatus.MEMBER:
        raise AppError(409, "该企业已是会员 / already a member", field="uscc")
    elif membership.status == MembershipStatus.EXPELLED and membership.expelled_on:
        if today < rules.readmission_from(membership.expelled_on, DEFAULT_COOL_OFF_MONTHS):
            raise AppError(409, f"该企业于 {membership.expelled_on} 被清退，{DEFAULT_COOL_OFF_MONTHS}个月内不得重新入会"
                                     f" / expelled firms may not re-enter for {DEFAULT_COOL_OFF_MONTHS} months", field="uscc")
    previous = membership.status
    membership.status = MembershipStatus.MEMBER
    membership.joined_on = today
    membership.reason = None
    db.session.flush()
    publish(MembershipChanged(membership.id, previous, MembershipStatus.MEMBER, "admit", "准予入会", today,
                              getattr(actor, "id", None)))
    return membership

@use_case
def expel_member(alliance_code: str, uscc: str, reason: str, today: date, actor=None) -> Membership:
    """Expel (清退) a member; its licences for the alliance's marks are revoked by X10."""
    alliance = alliance_for(alliance_code, actor)
    firm = find_firm(uscc)
    membership = None if firm is None else _membership_for_change(firm, alliance)
    if membership is None:
        raise AppError(404, f"该企业不是 {alliance.code} 的会员 / not a member", field="uscc")
    if membership.status == MembershipStatus.EXPELLED:
        raise AppError(409, "该企业已被清退 / already expelled", field="uscc")
    reason = (reason or "").strip()
    if not reason:
        raise AppError(422, "清退必须写明理由 / reason is required", field="reason")
    previous = membership.status
    membership.status = MembershipStatus.EXPELLED
    membership.expelled_on = today
    membership.reason = reason
    db.session.flush()
    publish(MembershipChanged(membership.id, previous, MembershipStatus.EXPELLED, "expel", reason, today,
                              getattr(actor, "id", None)))
    publish(FirmExpelled(membership.id, today, getattr(actor, "id", None)))
    return membership




FIRM_SORTS = {"name": (Firm.name, Firm.id), "-name": (Firm.name.desc(), Firm.id.desc()),
              "uscc": (Firm.uscc,), "-uscc": (Firm.uscc.desc(),),
              "-id": (Firm.id.desc(),), "id": (Firm.id,)}


def firms_query(actor, q: str = ""):
    """Return the firms the actor may list, filtered by name or USCC; the one place a scoping filter belongs."""
    query = visible_firms(db.select(Firm), actor)
    if q:
        query = query.where(Firm.name.contains(q, autoescape=True) | Firm.uscc.contains(q.upper(), autoescape=True))
    return query


ALLIANCE_SORTS = {"code": (Alliance.code,), "-code": (Alliance.code.desc(),), "name": (Alliance.name, Alliance.code),
                  "-name": (Alliance.name.desc(), Alliance.code)}


def list_alliances(actor, args):
    """Return one page of the alliances the actor serves, found by code or name."""
    from infra.pagination import paginate

    query = visible_alliances(select(Alliance), actor)
    if args.q:
        query = query.where(Alliance.code.contains(args.q.upper(), autoescape=True)
                            | Alliance.name.contains(args.q, autoescape=True))
    return paginate(query, args, ALLIANCE_SORTS, "code")


def membership_counts(alliance_ids_: list[int]) -> dict[int, dict[str, int]]:
    """Count each alliance's memberships by status, for all the alliances in one query."""
    counts: dict[int, dict[str, int]] = {i: {} for i in alliance_ids_}
    if alliance_ids_:
        for alliance_id, status, n in db.session.execute(
                select(Membership.alliance_id, Membership.status, func.count())
                .where(Membership.alliance_id.in_(alliance_ids_)).group_by(Membership.alliance_id, Membership.status)):
            counts[alliance_id][status] = n
    return counts


def firm_export_rows(actor, q: str = ""):
    """Return every firm the actor may list, for a CSV/XLSX file, in one statement.

    Memberships (of the actor's alliances only) and product models come as text aggregated per firm.
    """
    sep, rec = "\x1f", "\x1e"
    ids = select(firms_query(actor, q).order_by(None).subquery().c.id)
    memberships = within(select(func.aggregate_strings(Alliance.code + sep + Membership.status, rec))
                         .select_from(Membership).join(Alliance, Alliance.id == Membership.alliance_id)
                         .where(Membership.firm_id == Firm.id), actor, Membership.alliance_id).scalar_subquery()
    models = select(func.aggregate_strings(ProductModel.model, rec)).where(
        ProductModel.firm_id == Firm.id).scalar_subquery()
    rows = db.session.execute(select(Firm.name, Firm.uscc, Firm.address, Firm.contact,
                                     memberships.label("memberships"), models.label("models"))
                              .where(Firm.id.in_(ids)).order_by(Firm.name, Firm.id))
    for row in rows:
        yield SimpleNamespace(**{
            **row._mapping,
            "memberships": sorted(tuple(m.split(sep)) for m in row.memberships.split(rec)) if row.memberships else [],
            "models": sorted(row.models.split(rec)) if row.models else []})


def list_firms(actor, args):
    """Return one page of firms with their memberships and product models loaded."""
    from sqlalchemy.orm import selectinload

    from infra.pagination import paginate

    query = firms_query(actor, args.q).options(
        selectinload(Firm.memberships).joinedload(Membership.alliance), selectinload(Firm.models))
    return paginate(query, args, FIRM_SORTS, "name")
