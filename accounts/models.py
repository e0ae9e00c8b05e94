"""Users, roles, their sessions and API tokens."""
import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.clock import utcnow
from infra.db import db
from infra.i18n import Labels, N_


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    TECHNICIAN = "technician"
    REVIEWER = "reviewer"
    FIRM = "firm"


ROLE_LABELS = Labels({
    Role.ADMIN: N_("系统管理员"),
    Role.STAFF: N_("协会工作人员"),
    Role.TECHNICIAN: N_("检测员"),
    Role.REVIEWER: N_("审核员"),
    Role.FIRM: N_("企业用户"),
})


# SPEC §10: a staff user serves one or more alliances; admin is global and serves none by name.
user_alliances = Table(
    "user_alliances",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("alliance_id", ForeignKey("alliances.id"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    station = relationship("Station", foreign_keys=[station_id])
    firm = relationship("Firm", foreign_keys=[firm_id])
    alliances = relationship("Alliance", secondary=user_alliances, order_by="Alliance.code")

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def digest(secret: str) -> str:
    """The SHA-256 of a session key or token: only this is stored, so a database leak opens nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


class UserSession(db.Model):
    """A signed-in browser. The cookie carries a random key; logging out or disabling ends the row."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    user = relationship(User)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user = relationship(User)

    @staticmethod
    def hash(token: str) -> str:
        return digest(token)

    def state(self, now: datetime) -> str:
        """`active`, `expired` or `revoked`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
