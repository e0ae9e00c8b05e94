"""`users create … --alliance CODE` (repeatable): staff serve the alliances named, admin none (SPEC §6, §10)."""
from accounts.access import alliance_ids
from accounts.models import User
from infra.db import db
from tests.builders import make_alliance

PW = "Tenancy-pass-9"


def create(app, *args):
    return app.test_cli_runner().invoke(args=["users", "create", *args, "--password", PW])


def user(name: str) -> User:
    return db.session.execute(db.select(User).where(User.username == name)).scalar_one()


def test_a_staff_user_serves_every_alliance_named_with_a_repeated_option(app):
    lock, cooker = make_alliance(), make_alliance("SDDYLG", "顺德电压力锅产业联盟")
    make_alliance("OTHER", "另一个联盟")
    result = create(app, "clerk", "--role", "staff", "--alliance", "ZSSJ", "--alliance", "sddylg")
    assert result.exit_code == 0, result.output
    assert alliance_ids(user("clerk")) == {lock.id, cooker.id}


def test_staff_without_an_alliance_are_refused(app):
    make_alliance()
    result = create(app, "clerk", "--role", "staff")
    assert result.exit_code != 0 and "--alliance" in result.output
    assert db.session.execute(db.select(User)).scalars().all() == []


def test_an_unknown_alliance_is_refused_by_name(app):
    make_alliance()
    result = create(app, "clerk", "--role", "staff", "--alliance", "NOPE")
    assert result.exit_code != 0 and "NOPE" in result.output


def test_only_staff_take_alliances_admin_is_global(app):
    make_alliance()
    result = create(app, "someone", "--role", "admin", "--alliance", "ZSSJ")
    assert result.exit_code != 0 and "only staff serve alliances" in result.output
    assert db.session.execute(db.select(User)).scalars().all() == []


def test_an_admin_created_without_alliances_sees_every_alliance(app):
    result = create(app, "root", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert alliance_ids(user("root")) is None


def test_a_staff_user_who_creates_an_alliance_serves_it(app, client):
    from tests.builders import bearer, make_user

    make_alliance()
    make_user("clerk", "staff", alliances=("ZSSJ",))
    response = client.post("/api/v1/alliances", headers=bearer("clerk"), json={"code": "NEWA", "name": "新联盟"})
    assert response.status_code == 201
    assert sorted(a.code for a in user("clerk").alliances) == ["NEWA", "ZSSJ"]
