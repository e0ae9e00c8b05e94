"""Alliances, firms, memberships, product models, marks, licences, decisions and certificates."""
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, LargeBinary, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import utcnow
from extensions import db

# The closed vocabularies are the rules engine's own: one definition for the core and the storage.
from trademark.rules import LicenceStatus, MarkType, MembershipStatus  # noqa: F401  (re-exported)

MEMBERSHIP_LABELS = {
    MembershipStatus.APPLICANT: "申请中",
    MembershipStatus.MEMBER: "会员",
    MembershipStatus.SUSPENDED: "暂停",
    MembershipStatus.EXPELLED: "已清退",
    MembershipStatus.WITHDRAWN: "已退出",
}


class Alliance(db.Model):
    __tablename__ = "alliances"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secretariat: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships = relationship("Membership", back_populates="alliance", order_by="Membership.id")


class Firm(db.Model):
    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships = relationship("Membership", back_populates="firm", order_by="Membership.id")
    models = relationship("ProductModel", back_populates="firm", order_by="ProductModel.model")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("alliance_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=MembershipStatus.APPLICANT)
    joined_on: Mapped[date | None]
    expelled_on: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(Text)

    alliance = relationship(Alliance, back_populates="memberships")
    firm = relationship(Firm, back_populates="memberships")


class ProductModel(db.Model):
    __tablename__ = "product_models"
    __table_args__ = (UniqueConstraint("firm_id", "model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    model: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100))

    firm = relationship(Firm, back_populates="models")


class Decision(db.Model):
    """An append-only record of a status change (or a warning) of a licence or a membership."""

    __tablename__ = "decisions"

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




LICENCE_LABELS = {
    LicenceStatus.APPLIED: "申请中",
    LicenceStatus.ACTIVE: "有效",
    LicenceStatus.SUSPENDED: "暂停",
    LicenceStatus.REVOKED: "已撤销",
    LicenceStatus.EXPIRED: "已过期",
    LicenceStatus.SURRENDERED: "已放弃",
    LicenceStatus.REFUSED: "不予许可",
}


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


class Licence(db.Model):
    __tablename__ = "licences"

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


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), index=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # the certificate number
    kid: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(200), unique=True)
    issued_on: Mapped[date]
    expires_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    scan_count: Mapped[int] = mapped_column(default=0)
    first_scan_at: Mapped[datetime | None]

    licence = relationship(Licence)
    superseded_by = relationship("Certificate", remote_side=[id])


class Scan(db.Model):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip_prefix: Mapped[str | None] = mapped_column(String(48))  # /24 (IPv4) or /48 (IPv6) only
    agent_family: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(20))


class FakeReport(db.Model):
    __tablename__ = "fake_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    token: Mapped[str | None] = mapped_column(String(200))
    where_bought: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_type: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StatusEpoch(db.Model):
    """One counter, moved by every write a public verification could show (trademark.verify_cache)."""

    __tablename__ = "status_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
