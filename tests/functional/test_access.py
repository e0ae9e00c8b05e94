"""Every route declares who may reach it, and the declaration holds for every role."""
import pytest

from accounts.access import ANY_USER, PUBLIC
from accounts.models import Role
from tests.builders import bearer, login, make_alliance, make_firm, make_station, make_standard, make_user

ALWAYS_PUBLIC = {"static"}
DUMMY = {"int": "999999", "default": "X", "string": "X", "path": "X/Y"}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ALWAYS_PUBLIC:
            continue
        args = {name: DUMMY.get(type(conv).__name__.replace("Converter", "").lower(), "1")
                for name, conv in rule._converters.items()}
        url = rule.build(args, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_declares_its_access(app):
    undeclared = [rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint not in ALWAYS_PUBLIC and not hasattr(app.view_functions[rule.endpoint], "access")]
    assert undeclared == []


def test_anonymous_visitors_reach_only_public_routes(app, client):
    for endpoint, method, url in routes(app):
        access = app.view_functions[endpoint].access
        response = client.open(url, method=method)
        if access == PUBLIC:
            assert response.status_code not in (401, 403), (endpoint, method, url)
        elif url.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method, url, response.status_code)
            assert response.is_json
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, method, url)


@pytest.fixture
def people(app):
    make_alliance()
    make_standard()
    make_station()
    firm = make_firm(1)
    users = {}
    for role in Role:
        users[role] = make_user(f"u-{role}", role, station="ZS-LAB" if role in ("technician", "reviewer") else None,
                                firm_uscc=firm.uscc if role == "firm" else None)
    return users


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_let_in_or_refused_exactly_as_declared(app, people, role):
    web = app.test_client()
    login(web, f"u-{role}")
    headers = bearer(f"u-{role}")
    for endpoint, method, url in routes(app):
        if endpoint in ("accounts.logout", "accounts.login", "accounts.set_language"):
            continue
        access = app.view_functions[endpoint].access
        if url.startswith("/api/"):
            response = app.test_client().open(url, method=method, headers=headers)
        else:
            response = web.open(url, method=method)
        allowed = access in (PUBLIC, ANY_USER) or role in access
        if allowed:
            assert response.status_code not in (401, 403), (role, endpoint, method, url, response.status_code)
            assert response.status_code < 500, (role, endpoint, method, url)
        else:
            assert response.status_code == 403, (role, endpoint, method, url, response.status_code)
