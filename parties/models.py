"""The parties: alliances, firms, their memberships and their product models."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.clock import utcnow
from infra.db import db
from infra.i18n import Labels
from parties import membership
from parties.membership import MembershipStatus

MEMBERSHIP_LABELS = Labels(membership.MEMBERSHIP_LABELS)



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
