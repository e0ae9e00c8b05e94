"""Account use cases: create users, issue API tokens, check passwords."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from accounts.models import ApiToken, Role, User, utcnow
from extensions import db

MIN_PASSWORD_LENGTH = 8
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
# Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


class AccountError(ValueError):
    """A refused account operation, with a message naming the field."""


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than 8 characters or made of one kind of character."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少{MIN_PASSWORD_LENGTH}位 / password: at least {MIN_PASSWORD_LENGTH} characters")
    kinds = [any(c.isdigit() for c in password), any(c.isalpha() for c in password),
             any(not c.isalnum() for c in password)]
    if sum(kinds) < 2:
        raise AccountError("密码须包含字母、数字或符号中至少两类 / password: mix letters, digits or symbols")


def create_user(username: str, role: str, password: str, *, station_code: str | None = None,
                firm_uscc: str | None = None, display_name: str | None = None,
                commit: bool = True) -> User:
    """Create a user with a hashed password, tied to a station or firm where the role needs one."""
    from inspections.models import Station
    from trademark.models import Firm

    username = (username or "").strip()
    if not username:
        raise AccountError("用户名不能为空 / username is required")
    if role not in set(Role):
        raise AccountError(f"角色无效：{role}（可选 {', '.join(Role)}）/ role is invalid")
    if db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none():
        raise AccountError(f"用户名已存在：{username} / username is taken")
    check_password_strength(password)
    user = User(username=username, role=role, display_name=display_name,
                password_hash=generate_password_hash(password))
    if role in (Role.TECHNICIAN, Role.REVIEWER):
        if not station_code:
            raise AccountError("检测员和审核员必须指定检测站 --station / station is required for this role")
        station = db.session.execute(db.select(Station).where(Station.code == station_code)).scalar_one_or_none()
        if station is None:
            raise AccountError(f"检测站不存在：{station_code} / unknown station")
        user.station = station
    if role == Role.FIRM:
        if not firm_uscc:
            raise AccountError("企业用户必须指定企业 --firm / firm is required for this role")
        firm = db.session.execute(db.select(Firm).where(Firm.uscc == firm_uscc.strip().upper())).scalar_one_or_none()
        if firm is None:
            raise AccountError(f"企业不存在：{firm_uscc} / unknown firm")
        user.firm = firm
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def issue_token(username: str) -> str:
    """Create a new API token for the user and return it; only its hash is stored."""
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise AccountError(f"用户不存在：{username} / unknown user")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(token)))
    db.session.commit()
    return token


def authenticate(username: str, password: str, now: datetime | None = None) -> User:
    """Return the user for these credentials; lock the account after repeated failures."""
    now = now or utcnow()
    user = db.session.execute(db.select(User).where(User.username == (username or "").strip())).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise AccountError("用户名或密码错误 / wrong username or password")
    if user.locked_until and user.locked_until > now:
        raise AccountError("登录失败次数过多，账户已临时锁定，请15分钟后再试 / account locked for 15 minutes")
    if not user.is_active or not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= LOCKOUT_AFTER:
            user.locked_until = now + LOCKOUT_FOR
            user.failed_logins = 0
        db.session.commit()
        raise AccountError("用户名或密码错误 / wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    return user
