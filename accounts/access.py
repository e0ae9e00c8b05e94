"""Who may reach which route: every view declares `public` or `allow(roles…)`.

The URL-map walk test (tests/functional/test_access.py) fails for any view without a
declaration, so a new route cannot slip through unguarded.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user

from accounts import services
from accounts.models import Role, User
from infra.api import is_api_request
from infra.extensions import login_manager
from infra.errors import AppError

PUBLIC = "public"
ANY_USER = "any_user"

STAFF = (Role.ADMIN, Role.STAFF)
STATION = (Role.TECHNICIAN, Role.REVIEWER)


def public(view):
    """Mark a view as reachable without logging in."""
    view.access = PUBLIC
    return view


def bearer_user() -> User | None:
    """The user of the request's bearer token, if it is live (not revoked, not expired, user enabled)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return services.user_for_token(token.strip())


def current_actor() -> User | None:
    """Return the signed-in user: bearer token for the API, session for the web."""
    # Cached per request (not on `g`: an app context can outlive one request, as in tests).
    cache = request.environ
    if "alliancemark.actor" in cache:
        return cache["alliancemark.actor"]
    if is_api_request():
        # The API takes bearer tokens only, so it can skip CSRF without being open to it.
        actor = bearer_user()
    else:
        actor = current_user if current_user.is_authenticated else None
    cache["alliancemark.actor"] = actor
    return actor


def allow(*roles: str):
    """Let in signed-in users with one of `roles` (any signed-in user when none are given)."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                if is_api_request():
                    raise AppError(401, "需要登录或 API 令牌 / authentication required")
                return login_manager.unauthorized()
            if roles and actor.role not in roles:
                if is_api_request():
                    raise AppError(403, "无权执行此操作 / your role may not do this")
                abort(403)
            return view(*args, **kwargs)

        guarded.access = frozenset(roles) if roles else ANY_USER
        return guarded

    return decorate


# --- alliances as tenants (SPEC §10) -------------------------------------------------------------


def alliance_ids(actor: User | None) -> set[int] | None:
    """Return the ids of the alliances whose rows `actor` may see; None when no alliance limits it.

    Staff: the alliances it serves (none served: an empty set, it sees nothing). Admin, and calls
    without an actor (CLI, sweep, scripts): None, global. Station and firm people are limited by
    their station or firm instead (inspections.services.can_see, the firm portal), so None here.
    """
    if actor is None or actor.role != Role.STAFF:
        return None
    return {alliance.id for alliance in actor.alliances}


def serves(actor: User | None, alliance_id: int | None) -> bool:
    """Whether the actor may see a row of alliance `alliance_id`."""
    ids = alliance_ids(actor)
    return ids is None or alliance_id in ids


def within(query, actor: User | None, alliance_column):
    """Narrow `query` to the rows whose `alliance_column` is one of the actor's alliances."""
    ids = alliance_ids(actor)
    return query if ids is None else query.where(alliance_column.in_(sorted(ids)))


def current_actor_name() -> str:
    """Return the username of the request's actor, `anonymous` without one; `cli` or `system` outside requests."""
    from flask import has_request_context

    if has_request_context():
        actor = current_actor()
        return actor.username if actor is not None else "anonymous"
    import click

    return "cli" if click.get_current_context(silent=True) is not None else "system"
