"""Small builders for test data, on the real database."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from accounts import services as accounts
from compliance import services as catalogue
from inspections import services as stations
from parties import services as parties
from trademark import services
from parties.uscc import check_character

REFERENCE = Path(__file__).resolve().parents[2] / "compliance" / "demo_standards"
LOCKS = REFERENCE / "zssj-locks.yaml"
COOKERS = REFERENCE / "sd-pressure-cooker.yaml"
PASSWORD = "brass-key-7391"


def make_uscc(n: int) -> str:
    first17 = f"914420000{n:08d}"
    return first17 + check_character(first17)


# Staff made by `make_user` without `alliances=` serve every alliance, including those made later by
# `make_alliance`, so tests about something else need not care about tenancy (SPEC §10).
_SERVE_ALL: set[str] = set()


def make_alliance(code="ZSSJ", name="中山市锁具产业联盟"):
    existing = parties.find_alliance(code)
    if existing is not None:
        return existing
    alliance = parties.create_alliance(code, name)
    _serve_everything()
    return alliance


def _serve_everything() -> None:
    from accounts.models import User
    from infra.db import db
    from parties.models import Alliance

    if not _SERVE_ALL:
        return
    everything = db.session.execute(db.select(Alliance)).scalars().all()
    for user in db.session.execute(db.select(User).where(User.username.in_(sorted(_SERVE_ALL)),
                                                          User.role == "staff")).scalars():
        user.alliances = list(everything)
    db.session.commit()


def make_firm(n: int = 1, name: str | None = None, **kw):
    return parties.create_firm(name or f"测试企业{n}有限公司", make_uscc(n), kw.get("address", "中山市"))


def make_standard(path: Path = LOCKS, alliance_code: str | None = None):
    text = path.read_text(encoding="utf-8")
    make_alliance("SDDYLG", "顺德电压力锅产业联盟") if "SDDYLG" in text else make_alliance()
    return catalogue.import_standard(text)


def make_station(code="ZS-LAB", scope=("Q/ZSSJ 001",)):
    return stations.find_station(code) or stations.create_station(code, f"{code} 检测站", "CNAS L0001", list(scope))


def make_user(username: str, role: str, station: str | None = None, firm_uscc: str | None = None,
              alliances: tuple[str, ...] | None = None):
    """A user with the test password; staff serve `alliances` (default: every alliance, now and later)."""
    if role == "staff" and alliances is None:
        from infra.db import db
        from parties.models import Alliance

        codes = db.session.execute(db.select(Alliance.code)).scalars().all()
        _SERVE_ALL.add(username)
        return _staff_of_everything(username, codes)
    _SERVE_ALL.discard(username)
    return accounts.create_user(username, role, PASSWORD, station_code=station, firm_uscc=firm_uscc,
                                alliance_codes=alliances or ())


def _staff_of_everything(username: str, codes: list[str]):
    from accounts.models import User
    from infra.db import db
    from werkzeug.security import generate_password_hash

    if codes:
        return accounts.create_user(username, "staff", PASSWORD, alliance_codes=codes)
    # Before any alliance exists a staff user cannot be created through the service (it needs one).
    user = User(username=username, role="staff", password_hash=generate_password_hash(PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def bearer(username: str) -> dict:
    return {"Authorization": f"Bearer {accounts.issue_token(username)}"}


# --- inspections (appended by the inspections area) ----------------------------------------------

# A passing result for every clause of Q/ZSSJ 001 2012 (one value per clause, spread over its units).
LOCK_PASS = {
    "5.1": True, "5.2": "6500", "5.3": "0.020", "5.4": "21.0", "5.5": "3200", "5.6": "6500", "5.7": True,
    "5.8": "6.0", "5.9": "16.0", "5.10": "12.0", "5.11": "1100", "5.12": True, "5.13": "600", "5.14": "0.15",
    "5.15": "120000", "5.16": "1.20", "5.17": "48", "7.1": 0,
}


def make_product_model(firm, model="ZS-100", category="弹子插芯门锁"):

    existing = next((m for m in firm.models if m.model == model), None)
    return existing or parties.add_product_model(firm.uscc, model, category)


def make_station_people(station="ZS-LAB", prefix=""):
    """Return (technician, second technician, reviewer, second reviewer) of a station."""
    return tuple(make_user(f"{prefix}{name}", role, station=station) for name, role in (
        ("tech1", "technician"), ("tech2", "technician"), ("rev1", "reviewer"), ("rev2", "reviewer")))


def make_inspection(technician, firm=None, *, type="type", lot_size=500, station="ZS-LAB", sampled_on=None,
                    model="ZS-100"):
    """Open a draft inspection of the lock standard through the service."""
    from datetime import date

    from inspections import services as inspections

    firm = firm or parties.find_firm(make_uscc(1)) or make_firm(1)
    make_product_model(firm, model)
    day = sampled_on or date(2024, 3, 1)
    return inspections.create_inspection(
        type=type, firm_uscc=firm.uscc, product_model=model, standard_code="Q/ZSSJ 001", station_code=station,
        sampling=inspections.Sampling(sampled_on=day, place="factory", lot_no="L1", lot_size=lot_size,
                                      seal_no="F1", samplers="张三、李四"),
        actor=technician, today=day)


def lock_entries(inspection, overrides=None):
    from inspections import services as inspections

    return inspections.entries_for(inspection, {**LOCK_PASS, **(overrides or {})})


# --- marks, licences and verified inspections (trademark licences) ------------------------------

LICENCE_LOCK_PASS = {"5.1": True, "5.2": "6500", "5.3": "0.01", "5.4": "22", "5.5": "3500", "5.6": "6500", "5.7": True,
             "5.8": "6", "5.9": "20", "5.10": "12", "5.11": "1200", "5.12": True, "5.13": "600", "5.14": "0.1",
             "5.15": "120000", "5.16": "1.0", "5.17": "48", "7.1": 0}
LICENCE_LOCK_A_FAIL = {**LICENCE_LOCK_PASS, "5.2": "5000"}  # key differences below 6000: an A-class failure
LICENCE_LOCK_B_FAIL = {**LICENCE_LOCK_PASS, "5.11": "900", "5.13": "400"}  # two B-class failures, no A


def make_lock_world():
    """Alliance ZSSJ, the lock standard, station ZS-LAB with a technician and a reviewer; return both people."""
    from accounts.models import User
    from infra.db import db

    make_alliance()
    if catalogue.find_version("Q/ZSSJ 001", "2012") is None:
        make_standard()
    make_station()
    people = []
    for username, role in (("lab-tech", "technician"), ("lab-review", "reviewer")):
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
        people.append(user or make_user(username, role, station="ZS-LAB"))
    return tuple(people)


def make_mark(code="ZSSJ-MARK", type="collective", fee=None, rules=None, alliance="ZSSJ", validity_years=3):
    return services.find_mark(code) or services.create_mark(
        code=code, alliance_code=alliance, name=f"{code} 标志", type=type, fee_per_year=fee,
        validity_years=validity_years, rules_overrides=rules or {})


def make_member_firm(n: int, joined, models=("L-100",), alliance="ZSSJ"):
    firm = make_firm(n)
    for model in models:
        parties.add_product_model(firm.uscc, model, "插芯门锁")
    if alliance:
        parties.admit_member(alliance, firm.uscc, joined)
    return firm


def lock_inspection(firm, on, *, type="surveillance", values=None, model="L-100", sampled_on=None, retest_of=None):
    """Create, fill, submit and verify a lock inspection on day `on`; verifying runs the event rules."""
    from inspections import services as inspections

    tech, reviewer = make_lock_world()
    if retest_of is None:
        return inspections.run_inspection(firm_uscc=firm.uscc, product_model=model, standard_code="Q/ZSSJ 001",
                                          station_code="ZS-LAB", values=values or LICENCE_LOCK_PASS, technician=tech,
                                          reviewer=reviewer, today=on, type=type, sampled_on=sampled_on)
    row = inspections.create_inspection(type="retest", firm_uscc=firm.uscc, product_model=model, standard_code=None,
                                        station_code="ZS-LAB", retest_of=retest_of, actor=tech, today=sampled_on or on,
                                        sampling=inspections.Sampling(sampled_on=sampled_on or on, lot_size=500))
    inspections.save_results(row.id, inspections.entries_for(row, values or LICENCE_LOCK_PASS), tech)
    inspections.submit(row.id, tech)
    return inspections.verify_inspection(row.id, reviewer, on)


def make_active_licence(n: int, granted, *, mark_code="ZSSJ-MARK", models=("L-100",), member=True, fee=None):
    """A firm with a passed type test, licensed for `mark_code` on day `granted`."""
    from datetime import timedelta

    firm = make_member_firm(n, granted - timedelta(days=400), models, "ZSSJ" if member else None)
    for model in models:
        lock_inspection(firm, granted - timedelta(days=5), type="type", model=model,
                        sampled_on=granted - timedelta(days=20))
    licence = services.apply_for_licence(uscc=firm.uscc, mark_code=mark_code, product_models=list(models),
                                         commitment_signed=True, today=granted - timedelta(days=3))
    if fee:
        services.record_payment(licence.id, granted.year, fee, granted)
    return services.grant_licence(licence.id, granted)


# --- certificates and verification (appended by the certificates area) ---------------------------


def make_certified_licence(n: int = 1, granted=None, **kw):
    """A granted licence of the lock mark with its certificate; return (licence, certificate)."""
    from datetime import date

    from certificates import services as certs

    make_lock_world()
    make_mark()
    licence = make_active_licence(n, granted or date.today(), **kw)
    return licence, certs.current_certificate(licence)


def staff_user(username: str = "staff-cert"):
    from accounts.models import User
    from infra.db import db

    return (db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
            or make_user(username, "staff"))


@contextmanager
def subscribed(event_type, handler):
    """Subscribe an extra handler to the test app's event bus for the length of the block."""
    from infra import events

    bus = events.bus()
    bus.subscribe(event_type, handler)
    try:
        yield
    finally:
        bus.unsubscribe(event_type, handler)
