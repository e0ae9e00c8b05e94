"""Test stations, inspections and their results."""
import enum
from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import JSON, false as sa_false, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.clock import utcnow
from infra.db import db
from compliance.models import INSPECTION_TYPE_NAMES, INSPECTION_TYPE_LABELS  # noqa: F401 (one vocabulary)
from infra.i18n import Labels, N_

station_scope = Table(
    "station_scope",
    db.metadata,
    Column("station_id", ForeignKey("stations.id"), primary_key=True),
    Column("standard_id", ForeignKey("standards.id"), primary_key=True),
)


class Station(db.Model):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    accreditation: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scope = relationship("Standard", secondary=station_scope, order_by="Standard.code")


class InspectionStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    SUPERSEDED = "superseded"  # a verified inspection replaced by a revision
    VOID = "void"  # a draft opened by mistake: kept with its reason, never deleted


# Chinese source words; the pages show them through Labels (translated), the PDF report as they are.
INSPECTION_STATUS_NAMES = {
    InspectionStatus.DRAFT: N_("草稿"),
    InspectionStatus.SUBMITTED: N_("已提交待审核"),
    InspectionStatus.VERIFIED: N_("已审核"),
    InspectionStatus.SUPERSEDED: N_("已被修订替代"),
    InspectionStatus.VOID: N_("作废"),
}


PLACE_NAMES = {"factory": N_("工厂"), "market": N_("市场")}

INSPECTION_STATUS_LABELS = Labels(INSPECTION_STATUS_NAMES)
PLACE_LABELS = Labels(PLACE_NAMES)


class Inspection(db.Model):
    """One sampling inspection; verified rows never change, a correction is a new revision."""

    __tablename__ = "inspections"
    # The staff queue of open retests reads them by type and status (trademark.services.work_queues);
    # a revision keeps its inspection's number, so the pair is what tells two rows apart.
    __table_args__ = (Index("ix_inspections_type_status", "type", "status"),
                      UniqueConstraint("number", "revision", name="uq_inspections_number_revision"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # `<station>-<year>-<nnnn>`, gapless per station and year of creation (infra.numbering)
    number: Mapped[str] = mapped_column(String(48))
    type: Mapped[str] = mapped_column(String(16))  # type | surveillance | retest | market | factory
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    product_model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_versions.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    retest_of_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    revision: Mapped[int] = mapped_column(default=1)
    revision_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=InspectionStatus.DRAFT)
    # sampling record
    sampled_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(16))  # factory | market
    lot_no: Mapped[str | None] = mapped_column(String(64))
    lot_size: Mapped[int | None]
    sample_size: Mapped[int | None]
    seal_no: Mapped[str | None] = mapped_column(String(64))
    samplers: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[dict] = mapped_column(JSON, default=dict)  # GB/T 2828.1 severity per category
    # verdict, stored when verified (judged live before that)
    outcome: Mapped[str | None] = mapped_column(String(16))  # pass | fail | incomplete
    failed_a: Mapped[int] = mapped_column(default=0)
    failed_b: Mapped[int] = mapped_column(default=0)
    failed_c: Mapped[int] = mapped_column(default=0)
    # four eyes
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    verified_on: Mapped[date | None]
    lock_version: Mapped[int] = mapped_column(default=1)  # optimistic lock for concurrent saves
    # the reviewer's last return (shown to everyone involved); `return_sampling` reopens the sampling record
    return_reason: Mapped[str | None] = mapped_column(Text)
    return_sampling: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # a voided draft keeps its row and says why
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    firm = relationship("Firm")
    product_model = relationship("ProductModel")
    version = relationship("StandardVersion")
    station = relationship(Station)
    retest_of = relationship("Inspection", remote_side=[id], foreign_keys=[retest_of_id])
    supersedes = relationship("Inspection", remote_side=[id], foreign_keys=[supersedes_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    returned_by = relationship("User", foreign_keys=[returned_by_id])
    voided_by = relationship("User", foreign_keys=[voided_by_id])
    results = relationship("Result", back_populates="inspection", cascade="all, delete-orphan",
                           order_by="Result.id")

    @property
    def report_no(self) -> str:
        """Return the number as the (Chinese) report prints it: the number, then the revision after the first."""
        return report_no(self.number, self.revision)

    @property
    def shown_number(self) -> str:
        """Return the number as a page shows it, the revision in the reader's language (`… rev. 2`)."""
        if self.revision <= 1:
            return self.number
        # Outside the f-string, where the catalogue's extractor can see it (Python 3.11 tokenizes an
        # f-string whole).
        revision = gettext("第%(revision)s版", revision=self.revision)
        return f"{self.number} {revision}"

    @property
    def file_stem(self) -> str:
        """Return the number as a download's file name carries it (ASCII: `ZSSJ-2026-0017-rev2`)."""
        return self.number + (f"-rev{self.revision}" if self.revision > 1 else "")


def report_no(number: str, revision: int) -> str:
    """Print a report number with its revision (`ZSSJ-2026-0017 第2版`); the first revision is the number alone."""
    return number if revision <= 1 else f"{number} 第{revision}版"


def inspection_number(station_code: str, year: int, sequence: int) -> str:
    """Spell the sequence'th inspection of a station in a year: `ZSSJ-2026-0001`."""
    return f"{station_code}-{year}-{sequence:04d}"


class Result(db.Model):
    """One clause's result on one sample unit: a decimal string, a boolean, or a nonconforming count."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("inspection_id", "clause_number", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    clause_number: Mapped[str] = mapped_column(String(32))
    unit: Mapped[int] = mapped_column(default=1)
    value: Mapped[str | None] = mapped_column(String(40))  # Decimal as text, or "true"/"false"
    nonconforming: Mapped[int | None]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)

    inspection = relationship(Inspection, back_populates="results")
    entered_by = relationship("User")


class SwitchingRecord(db.Model):
    """GB/T 2828.1 9.3 switching state of one firm's product model in one clause category."""

    __tablename__ = "switching_records"
    __table_args__ = (UniqueConstraint("product_model_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"), index=True)
    category: Mapped[str] = mapped_column(String(1))
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    recent: Mapped[list] = mapped_column(JSON, default=list)  # lot outcomes since the last switch, True = accepted
    rejected_while_tightened: Mapped[int] = mapped_column(default=0)
    last_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product_model = relationship("ProductModel")
