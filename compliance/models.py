"""Standards, their versions and clauses, as stored."""
import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.clock import utcnow
from infra.db import db
from infra.i18n import Labels, N_


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


VERSION_STATUS_NAMES = {
    VersionStatus.DRAFT: N_("草案"),
    VersionStatus.PUBLISHED: N_("现行"),
    VersionStatus.SUPERSEDED: N_("已被替代"),
}
VERSION_STATUS_LABELS = Labels(VERSION_STATUS_NAMES)

# The kinds of inspection a clause applies to (its `inspections` list); the inspections area uses the same words.
INSPECTION_TYPE_NAMES = {
    "type": N_("型式检验"),
    "surveillance": N_("监督抽查"),
    "retest": N_("复检"),
    "market": N_("市场抽样"),
    "factory": N_("出厂检验"),
}
INSPECTION_TYPE_LABELS = Labels(INSPECTION_TYPE_NAMES)


class Standard(db.Model):
    __tablename__ = "standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))

    alliance = relationship("Alliance")
    versions = relationship("StandardVersion", back_populates="standard",
                            order_by="StandardVersion.effective")

    @property
    def current_version(self):
        """Return the published version in force (the latest published one)."""
        published = [v for v in self.versions if v.status == VersionStatus.PUBLISHED]
        return published[-1] if published else None


class StandardVersion(db.Model):
    __tablename__ = "standard_versions"
    __table_args__ = (UniqueConstraint("standard_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standards.id"))
    label: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT)
    effective: Mapped[date]
    transition_end: Mapped[date | None]
    verdict_rule: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    standard = relationship(Standard, back_populates="versions")
    clauses = relationship("Clause", back_populates="version", order_by="Clause.position",
                           cascade="all, delete-orphan")


class Clause(db.Model):
    """One requirement of a version; limits are kept as decimal strings, never floats."""

    __tablename__ = "clauses"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_versions.id"), index=True)
    position: Mapped[int]
    number: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(32))
    comparator: Mapped[str | None] = mapped_column(String(8))
    limit: Mapped[str | None] = mapped_column(String(40))
    low: Mapped[str | None] = mapped_column(String(40))
    high: Mapped[str | None] = mapped_column(String(40))
    low_inclusive: Mapped[bool] = mapped_column(default=True)
    high_inclusive: Mapped[bool] = mapped_column(default=True)
    digits: Mapped[int | None]
    interval: Mapped[str | None] = mapped_column(String(40))  # GB/T 8170 rounding interval instead of digits
    minimum: Mapped[str | None] = mapped_column(String(40))  # a physical lower bound the file declares
    comparison: Mapped[str] = mapped_column(String(8), default="rounded")
    units: Mapped[int] = mapped_column(default=1)
    inspections: Mapped[list] = mapped_column(JSON)
    method: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[bool | None]
    aql: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(8))

    version = relationship(StandardVersion, back_populates="clauses")
