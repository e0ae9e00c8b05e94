"""Certificates, their scans and fake reports, and the epoch the verification cache watches."""
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.clock import utcnow
from infra.db import db
from trademark.models import Licence

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
    reason: Mapped[str | None] = mapped_column(Text)  # why it was re-issued (every QR printed before stops)

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
    """One counter, moved by every write a public verification could show (certificates.cache)."""

    __tablename__ = "status_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
