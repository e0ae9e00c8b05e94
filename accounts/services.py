"""Account use cases: users, passwords, sign-in with throttling, server-side sessions, API tokens (SPEC §10)."""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from limits import parse_many
from sqlalchemy import column, select, table, update
from werkzeug.security import check_password_hash, generate_password_hash

from accounts.models import ApiToken, Role, User, UserSession, digest
from infra.clock import utcnow
from infra.db import db, use_case
from infra.errors import AppError
from infra.extensions import limiter

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
# Sign-in throttling (SPEC §10). Failures are counted in the rate-limit storage (Redis when there
# are several machines), per client address and per account. The per-account count applies only to
# browsers that have never signed in to that account, so nobody can lock the real user out: a
# browser that signed in before carries a signed device cookie and is judged by its address alone.
LOGIN_CLIENT_LIMIT = "20/minute;200/day"
LOGIN_ACCOUNT_LIMIT = "5/15minute;30/day"
SESSION_MAX_AGE = timedelta(days=7)
SESSION_KEY = "sk"  # where the Flask session keeps the server-side session's key
DEFAULT_TOKEN_DAYS = 90


@functools.cache
def dummy_hash() -> str:
    """A hash checked when the username is unknown, so a wrong name costs as long as a wrong password."""
    return generate_password_hash("not-a-real-password-0")


@functools.cache
def common_passwords() -> frozenset[str]:
    """Passwords people pick most (lower-case), shipped with the app: refused whatever their length."""
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


def _sequence(password: str) -> bool:
    """True for one repeated character or a run like 1234567890 / abcdefghij / qwertyuiop."""
    lowered = password.lower()
    if len(set(lowered)) <= 2:
        return True
    for run in ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
                "1qaz2wsx3edc4rfv5tgb6yhn7ujm"):
        if lowered in run or lowered in run[::-1]:
            return True
    return False


def check_password_strength(password: str, username: str | None = None) -> None:
    """Refuse a password under 10 characters, a common one, a run of keys, or one made of the username."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AppError(422, f"密码至少{MIN_PASSWORD_LENGTH}个字符 / password: at least {MIN_PASSWORD_LENGTH} characters",
                       field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AppError(422, f"密码不能超过{MAX_PASSWORD_LENGTH}个字符 / password is too long", field="password")
    bare = re.sub(r"[^a-z0-9]", "", password.lower())
    if (password.lower() in common_passwords() or bare in common_passwords() or _sequence(password)
            or (username and username.lower() in password.lower())):
        raise AppError(422, "密码过于常见或容易猜到，请换一个 / password: too common or too easy to guess",
                       field="password")


# Accounts sit below every other area (each view asks them who is calling), so they name the
# tables a user points to instead of importing those areas' models.
_STATIONS = table("stations", column("id"), column("code"), column("name"))
_FIRMS = table("firms", column("id"), column("uscc"), column("name"))
_ALLIANCES = table("alliances", column("id"), column("code"))


def _id_of(rows, key: str, value: str) -> int | None:
    return db.session.execute(select(rows.c.id).where(rows.c[key] == value)).scalar_one_or_none()


def station_choices() -> list[tuple[str, str]]:
    """(code, "code name") of every station, for the admin page."""
    return [(code, f"{code} {name}") for code, name in
            db.session.execute(select(_STATIONS.c.code, _STATIONS.c.name).order_by(_STATIONS.c.code))]


USER_SORTS = {
    "username": (User.username,), "-username": (User.username.desc(),),
    "role": (User.role, User.username), "-role": (User.role.desc(), User.username),
    "created": (User.created_at, User.id), "-created": (User.created_at.desc(), User.id.desc()),
}


def list_users(args, role: str | None = None):
    """Return one page of users, found by username or name, of one role if given (every firm may have one)."""
    from infra.pagination import paginate

    query = db.select(User)
    if role:
        query = query.where(User.role == role)
    if args.q:
        query = query.where(User.username.contains(args.q, autoescape=True)
                            | User.display_name.contains(args.q, autoescape=True))
    return paginate(query, args, USER_SORTS, "username")


def station_code_of(user: User) -> str | None:
    if user.station_id is None:
        return None
    return db.session.execute(select(_STATIONS.c.code).where(_STATIONS.c.id == user.station_id)).scalar_one_or_none()


def firm_uscc_of(user: User) -> str | None:
    if user.firm_id is None:
        return None
    return db.session.execute(select(_FIRMS.c.uscc).where(_FIRMS.c.id == user.firm_id)).scalar_one_or_none()


def find_user(username: str) -> User:
    user = db.session.execute(db.select(User).where(User.username == (username or "").strip())).scalar_one_or_none()
    if user is None:
        raise AppError(404, f"用户不存在：{username} / unknown user", field="username")
    return user


def _attach(user: User, role: str, station_code: str | None, firm_uscc: str | None,
            alliance_codes: Sequence[str] = ()) -> None:
    """Tie the user to the station, firm or alliances its role needs (and to nothing its role does not)."""
    if role not in set(Role):
        raise AppError(422, f"角色无效：{role}（可选 {', '.join(Role)}）/ role is invalid", field="role")
    user.role = role
    user.station_id = user.firm_id = None
    if role in (Role.TECHNICIAN, Role.REVIEWER):
        if not station_code:
            raise AppError(422, "检测员和审核员必须指定检测站 --station / station is required for this role",
                           field="station")
        user.station_id = _id_of(_STATIONS, "code", station_code.strip())
        if user.station_id is None:
            raise AppError(422, f"检测站不存在：{station_code} / unknown station", field="station")
    if role == Role.FIRM:
        if not firm_uscc:
            raise AppError(422, "企业用户必须指定企业 --firm / firm is required for this role", field="firm")
        user.firm_id = _id_of(_FIRMS, "uscc", firm_uscc.strip().upper())
        if user.firm_id is None:
            raise AppError(422, f"企业不存在：{firm_uscc} / unknown firm", field="firm")
    codes = list(dict.fromkeys(c.strip().upper() for c in alliance_codes or () if c and c.strip()))
    if role == Role.STAFF:
        # SPEC §10: staff serve the alliances they were created for, and see nothing else.
        if not codes:
            raise AppError(422, "协会工作人员必须指定所服务的联盟 --alliance / staff need --alliance", field="alliance")
        user.alliances = [_alliance(code) for code in codes]
    else:
        if codes:
            raise AppError(422, "只有协会工作人员按联盟授权（管理员为全局）/ only staff serve alliances", field="alliance")
        user.alliances = []


@use_case
def create_user(username: str, role: str, password: str, *, station_code: str | None = None,
                firm_uscc: str | None = None, display_name: str | None = None,
                alliance_codes: Sequence[str] = ()) -> User:
    """Create a user with a hashed password, tied to a station, firm or alliances where the role needs one."""
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise AppError(422, "用户名须为 2–64 个字母、数字、点、- 或 _ / username: 2–64 letters, digits, . - _",
                       field="username")
    if db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none():
        raise AppError(409, f"用户名已存在：{username} / username is taken", field="username")
    check_password_strength(password, username)
    if display_name and len(display_name.strip()) > 100:
        raise AppError(422, "姓名不能超过100个字符 / name is too long", field="display_name")
    user = User(username=username, display_name=(display_name or "").strip() or None,
                password_hash=generate_password_hash(password))
    _attach(user, role, station_code, firm_uscc, alliance_codes)
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
def update_user(username: str, *, role: str, station_code: str | None, firm_uscc: str | None,
                display_name: str | None, alliance_codes: Sequence[str] = ()) -> User:
    """Change a user's role, station, firm or alliances and name (the admin page)."""
    user = find_user(username)
    _attach(user, role, station_code, firm_uscc, alliance_codes)
    user.display_name = (display_name or "").strip()[:100] or None
    return user


@use_case
def set_password(username: str, password: str) -> User:
    """Reset a user's password; every session and token of the old one ends with it."""
    user = find_user(username)
    check_password_strength(password, user.username)
    user.password_hash = generate_password_hash(password)
    _end_everything(user)
    return user


def _end_everything(user: User) -> None:
    now = utcnow()
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(ended_at=now))
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))


@use_case
def set_enabled(username: str, enabled: bool) -> User:
    """Disable (every session and token stops at once) or enable a user."""
    user = find_user(username)
    user.is_enabled = enabled
    if not enabled:
        _end_everything(user)
    return user


# --- API tokens ------------------------------------------------------------------------------------


@use_case
def issue_token(username: str, days: int | None = DEFAULT_TOKEN_DAYS, keep_others: bool = False) -> str:
    """Create an API token valid `days` days (None: no expiry) and return it; the user's older ones retire."""
    user = find_user(username)
    if days is not None and not 1 <= days <= 3650:
        raise AppError(422, "有效天数须为 1 至 3650 / days must be 1–3650", field="days")
    now = utcnow()
    if not keep_others:
        db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=now))
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(token), created_at=now,
                            expires_at=None if days is None else now + timedelta(days=days)))
    return token


def tokens_of(username: str) -> list[ApiToken]:
    """The user's tokens, newest first (only their ids and dates: the secret was shown once)."""
    user = find_user(username)
    return list(db.session.execute(db.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())).scalars())


@use_case
def revoke_tokens(username: str, token_id: int | None = None) -> int:
    """Revoke one token of the user (by id) or all of them; return how many were revoked."""
    user = find_user(username)
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    revoked = db.session.execute(query.values(revoked_at=utcnow())).rowcount
    if token_id is not None and not revoked:
        raise AppError(404, f"该用户没有有效的令牌 #{token_id} / no such live token", field="token_id")
    return revoked


def user_for_token(token: str) -> User | None:
    """The enabled user of a live (unrevoked, unexpired) bearer token, else None."""
    row = db.session.execute(db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token))
                             ).scalar_one_or_none()
    if row is None or row.state(utcnow()) != "active" or not row.user.is_active:
        return None
    return row.user


# --- sessions --------------------------------------------------------------------------------------


@use_case
def start_session(user: User) -> str:
    """Open a server-side session for a signed-in browser; return the key its cookie carries."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=digest(key), created_at=utcnow()))
    return key


@use_case
def end_session(key: str | None) -> None:
    """End the session of this key (logout): the old cookie no longer works, even if copied."""
    if key:
        db.session.execute(update(UserSession).where(UserSession.key_hash == digest(key),
                                                     UserSession.ended_at.is_(None)).values(ended_at=utcnow()))


def user_for_session(user_id: str, key: str | None) -> User | None:
    """The user of a live session: its key matches, it has not ended or grown too old, the user is enabled."""
    if not key or not str(user_id).isdigit():
        return None
    row = db.session.execute(db.select(UserSession).where(UserSession.key_hash == digest(key))).scalar_one_or_none()
    if (row is None or row.user_id != int(user_id) or row.ended_at is not None
            or row.created_at < utcnow() - SESSION_MAX_AGE or not row.user.is_active):
        return None
    return row.user


# --- sign-in ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    client: str  # the client's address (after the trusted proxies)
    trusted_device: bool  # this browser signed in to this account before (signed device cookie)


REFUSED = "用户名或密码错误 / wrong username or password"
THROTTLED = "登录尝试过多，请稍后再试 / too many sign-in attempts, try again later"


@functools.lru_cache(maxsize=8)
def _limits(text: str) -> tuple:
    return tuple(parse_many(text))


def _within(scope: str, key: str, setting: str, default: str) -> bool:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    return all(limiter.limiter.test(item, scope, key) for item in _limits(current_app.config.get(setting, default)))


def _count_failure(scope: str, key: str, setting: str, default: str) -> None:
    if current_app.config.get("RATELIMIT_ENABLED", True):
        for item in _limits(current_app.config.get(setting, default)):
            limiter.limiter.hit(item, scope, key)  # atomic in the storage: parallel guesses all count


def authenticate(attempt: LoginAttempt) -> User:
    """Return the user for these credentials, or refuse alike whether or not the user exists.

    Every attempt costs one password hash (a dummy one for an unknown name), and a throttled one
    is answered the same way for every name, so neither the answer nor its timing tells who exists.
    """
    name = (attempt.username or "").strip()[:64]
    account_key = name.lower()
    throttled = (not _within("login-client", attempt.client, "LOGIN_CLIENT_RATE_LIMIT", LOGIN_CLIENT_LIMIT)
                 or (not attempt.trusted_device
                     and not _within("login-account", account_key, "LOGIN_ACCOUNT_RATE_LIMIT", LOGIN_ACCOUNT_LIMIT)))
    user = db.session.execute(db.select(User).where(User.username == name)).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user is not None else dummy_hash(), attempt.password or "")
    if throttled:
        raise AppError(429, THROTTLED)
    if user is None or not ok or not user.is_active:
        _count_failure("login-client", attempt.client, "LOGIN_CLIENT_RATE_LIMIT", LOGIN_CLIENT_LIMIT)
        if not attempt.trusted_device:
            _count_failure("login-account", account_key, "LOGIN_ACCOUNT_RATE_LIMIT", LOGIN_ACCOUNT_LIMIT)
        raise AppError(401, REFUSED)
    return user
