"""Account use cases: create users, issue API tokens, check passwords."""
from __future__ import annotations

import functools
from collections.abc import Sequence
import secrets
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from sqlalchemy import column, select, table

from accounts.models import ApiToken, Role, User
from infra.clock import utcnow
from infra.db import db, transaction, use_case
from infra.errors import AppError

MIN_PASSWORD_LENGTH = 8
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)


@functools.cache
def dummy_hash() -> str:
    """A hash checked when the username is unknown, so a wrong name costs as long as a wrong password."""
    return generate_password_hash("not-a-real-password-0")


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than 8 characters or made of one kind of character."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AppError(422, f"密码至少{MIN_PASSWORD_LENGTH}位 / password: at least {MIN_PASSWORD_LENGTH} characters")
    kinds = [any(c.isdigit() for c in password), any(c.isalpha() for c in password),
             any(not c.isalnum() for c in password)]
    if sum(kinds) < 2:
        raise AppError(422, "密码须包含字母、数字或符号中至少两类 / password: mix letters, digits or symbols")


# Accounts sit below every other area (each view asks them who is calling), so they name the
# tables a user points to instead of importing those areas' models.
_STATIONS = table("stations", column("id"), column("code"))
_FIRMS = table("firms", column("id"), column("uscc"))
_ALLIANCES = table("alliances", column("id"), column("code"))


def _id_of(rows, key: str, value: str) -> int | None:
    return db.session.execute(select(rows.c.id).where(rows.c[key] == value)).scalar_one_or_none()


@use_case
def create_user(username: str, role: str, password: str, *, station_code: str | None = None,
                firm_uscc: str | None = None, display_name: str | None = None,
                alliance_codes: Sequence[str] = ()) -> User:
    """Create a user with a hashed password, tied to a station, firm or alliances where the role needs one."""
    username = (username or "").strip()
    if not username:
        raise AppError(422, "用户名不能为空 / username is required")
    if role not in set(Role):
        raise AppError(422, f"角色无效：{role}（可选 {', '.join(Role)}）/ role is invalid")
    if db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none():
        raise AppError(422, f"用户名已存在：{username} / username is taken")
    check_password_strength(password)
    user = User(username=username, role=role, display_name=display_name,
                password_hash=generate_password_hash(password))
    if role in (Role.TECHNICIAN, Role.REVIEWER):
        if not station_code:
            raise AppError(422, "检测员和审核员必须指定检测站 --station / station is required for this role")
        user.station_id = _id_of(_STATIONS, "code", station_code.strip())
        if user.station_id is None:
            raise AppError(422, f"检测站不存在：{station_code} / unknown station", field="station")
    if role == Role.FIRM:
        if not firm_uscc:
            raise AppError(422, "企业用户必须指定企业 --firm / firm is required for this role")
        user.firm_id = _id_of(_FIRMS, "uscc", firm_uscc.strip().upper())
        if user.firm_id is None:
            raise AppError(422, f"企业不存在：{firm_uscc} / unknown firm", field="firm")
    codes = list(dict.fromkeys(c.strip().upper() for c in alliance_codes or () if c and c.strip()))
    if role == Role.STAFF:
        # SPEC §10: staff serve the alliances they were created for, and see nothing else.
        if not codes:
            raise AppError(422, "协会工作人员必须指定所服务的联盟 --alliance / staff need --alliance", field="alliance")
        user.alliances = [_alliance(code) for code in codes]
    elif codes:
        raise AppError(422, "只有协会工作人员按联盟授权（管理员为全局）/ only staff serve alliances", field="alliance")
    db.session.add(user)
    return user


def _alliance(code: str):
    # The Alliance class comes through the relationship: accounts may not import parties.
    alliance_id = _id_of(_ALLIANCES, "code", code)
    if alliance_id is None:
        raise AppError(422, f"联盟不存在：{code} / unknown alliance", field="alliance")
    return db.session.get(User.alliances.property.mapper.class_, alliance_id)


@use_case
def serve_alliances(username: str, alliance_codes: Sequence[str]) -> User:
    """Let a staff user serve these alliances too (besides those it serves already)."""
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or user.role != Role.STAFF:
        raise AppError(422, f"不是协会工作人员：{username} / not a staff user", field="username")
    for code in alliance_codes:
        alliance = _alliance(code.strip().upper())
        if alliance not in user.alliances:
            user.alliances.append(alliance)
    return user


@use_case
def issue_token(username: str) -> str:
    """Create a new API token for the user and return it; only its hash is stored."""
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise AppError(422, f"用户不存在：{username} / unknown user")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(token)))
    return token


def authenticate(username: str, password: str, now: datetime | None = None) -> User:
    """Return the user for these credentials; lock the account after repeated failures."""
    now = now or utcnow()
    with transaction():  # a failure is counted (committed) before it is reported
        user = db.session.execute(db.select(User).where(User.username == (username or "").strip())).scalar_one_or_none()
        if user is None:
            check_password_hash(dummy_hash(), password or "")
            refused = "用户名或密码错误 / wrong username or password"
        elif user.locked_until and user.locked_until > now:
            refused = "登录失败次数过多，账户已临时锁定，请15分钟后再试 / account locked for 15 minutes"
        elif not user.is_active or not check_password_hash(user.password_hash, password or ""):
            user.failed_logins += 1
            if user.failed_logins >= LOCKOUT_AFTER:
                user.locked_until = now + LOCKOUT_FOR
                user.failed_logins = 0
            refused = "用户名或密码错误 / wrong username or password"
        else:
            user.failed_logins = 0
            user.locked_until = None
            refused = None
    if refused:
        raise AppError(422, refused)
    return user
