"""Marks, licences, fee payments and the decision trail."""
from datetime import date, datetime

from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.clock import utcnow
from infra.db import db
from parties.models import Alliance, Firm, Membership, ProductModel
# The closed vocabularies are the rules engine's own: one definition for the core and the storage.
from trademark import rules
from trademark.rules import LicenceStatus, MarkType  # noqa: F401  (re-exported)
from infra.i18n import Labels

# The words of the rules core, translated when shown (one vocabulary: rules.py holds the Chinese).
LICENCE_LABELS = Labels(rules.STATUS_LABELS)
ACTION_LABELS = Labels(rules.ACTION_LABELS)
# A decision is a noun ("Suspension") where an action is a verb ("Suspend"), though Chinese says "暂停"
# for both: the decision words have their own catalogue context. The calls below only put them in the
# catalogue (tests/unit/test_catalogue.py checks they match rules.DECISION_LABELS).
DECISION_LABELS = Labels(rules.DECISION_LABELS, context="decision")
DECISION_CATALOGUE = (
    lazy_pgettext("decision", "申请"), lazy_pgettext("decision", "授权"), lazy_pgettext("decision", "警告"),
    lazy_pgettext("decision", "暂停"), lazy_pgettext("decision", "恢复"), lazy_pgettext("decision", "撤销"),
    lazy_pgettext("decision", "到期"), lazy_pgettext("decision", "放弃"), lazy_pgettext("decision", "不予许可"),
    lazy_pgettext("decision", "撤回申请"), lazy_pgettext("decision", "准予入会"), lazy_pgettext("decision", "清退"),
)
RULE_LABELS = Labels(rules.RULE_LABELS)
PARAMETER_LABELS = Labels(rules.PARAMETER_LABELS)

X2_WARNING_SQL = "rule = 'X2' AND kind = 'warn'"
X2_SUSPENSION_SQL = "rule = 'X2' AND kind = 'suspend'"


class Decision(db.Model):
    """An append-only record of a status change (or a warning) of a licence or a membership."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_rule_deadline", "rule", "deadline"),
        # The retest queue (services._retests_page): the recent X2 warnings in deadline order, and for
        # each the X2 suspensions of its licence that settle it.
        Index("ix_decisions_x2_warnings", "deadline", "id",
              postgresql_where=text(X2_WARNING_SQL), sqlite_where=text(X2_WARNING_SQL)),
        Index("ix_decisions_x2_suspensions", "licence_id", "effective_on",
              postgresql_where=text(X2_SUSPENSION_SQL), sqlite_where=text(X2_SUSPENSION_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("licences.id"), index=True)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # grant, warn, suspend, reinstate, revoke, expel, admit …
    rule: Mapped[str] = mapped_column(String(16))  # rule id (E1…X10) or "manual"
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # inspection ids
    deadline: Mapped[date | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))  # username, or "system"
    effective_on: Mapped[date]  # the rules' `today`
    at: Mapped[datetime] = mapped_column(default=utcnow)

    membership = relationship(Membership)


class Mark(db.Model):
    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    registration_no: Mapped[str | None] = mapped_column(String(64))
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_type: Mapped[str | None] = mapped_column(String(32))
    standard_id: Mapped[int | None] = mapped_column(ForeignKey("standards.id"))
    fee_per_year: Mapped[str | None] = mapped_column(String(20))  # Decimal as text; None = free
    validity_years: Mapped[int] = mapped_column(default=3)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)  # overrides of the rule defaults by rule id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    alliance = relationship(Alliance)
    standard = relationship("Standard")


licence_models = Table(
    "licence_models",
    db.metadata,
    Column("licence_id", ForeignKey("licences.id"), primary_key=True),
    Column("product_model_id", ForeignKey("product_models.id"), primary_key=True),
)


# At most one open application or licence per firm and mark (SPEC §4): a database constraint, so
# that two requests at once cannot both pass the service's check.
OPEN_STATUS_SQL = "status IN ('applied', 'active', 'suspended')"


class Licence(db.Model):
    __tablename__ = "licences"
    __table_args__ = (
        Index("uq_licences_open_firm_mark", "firm_id", "mark_id", unique=True,
              postgresql_where=text(OPEN_STATUS_SQL), sqlite_where=text(OPEN_STATUS_SQL)),
        # The work queues read a page of these in order (services.work_queues), never every licence.
        # In the queues' order, with what they filter by after it (an index-only count once vacuumed).
        Index("ix_licences_surveillance_base", "mark_id", "surveillance_base", "id", "status"),
        Index("ix_licences_fee_due_on", "fee_due_on", "id", "mark_id", "status"),
        # The applications and suspensions queues: one status, oldest first.
        Index("ix_licences_status_applied_on", "status", "applied_on", "id"),
        Index("ix_licences_status_suspended_on", "status", "suspended_on", "id"),
        # The licence list's orders by expiry and by application day (services.LICENCE_SORTS).
        Index("ix_licences_expires_on", "expires_on", "id"),
        Index("ix_licences_applied_on", "applied_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("marks.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("standard_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default=LicenceStatus.APPLIED, index=True)
    commitment_signed: Mapped[bool] = mapped_column(default=False)
    applied_on: Mapped[date]
    granted_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    suspended_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    # What the queues sort and filter by, as the rules derive it from the facts (services.due_dates):
    # X4's base day (the later of the grant and the last counted surveillance) and the due day of the
    # first fee not fully paid. Kept by every write that changes them, repaired by the daily sweep;
    # None while the licence is not live.
    surveillance_base: Mapped[date | None]
    fee_due_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    firm = relationship(Firm)
    mark = relationship(Mark)
    version = relationship("StandardVersion")
    models = relationship(ProductModel, secondary=licence_models, order_by=ProductModel.model)


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), index=True)
    year: Mapped[int]
    amount: Mapped[str] = mapped_column(String(20))  # Decimal as text
    paid_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    licence = relationship(Licence)
