"""Builders of the data the browser tests start from, through the project's services only."""
from __future__ import annotations

from datetime import date

from tests.builders import (LOCK_PASS, make_alliance, make_firm, make_product_model, make_standard, make_station,
                            make_user)

STATION = "ZS-LAB"
MARK = "ZSSJ"


def lock_station() -> None:
    """The lock alliance, its standard Q/ZSSJ 001, its test station and two of its people."""
    make_alliance()
    make_standard()
    make_station(STATION)
    make_user("tech1", "technician", station=STATION)
    make_user("rev1", "reviewer", station=STATION)


def member_with_passed_type_inspection(n: int, name: str, model: str, today: date):
    """A member firm whose model passed a verified type inspection today (entry rules E1–E3)."""
    from accounts.models import User
    from infra.db import db
    from inspections import services as inspections
    from parties import services as parties

    firm = make_firm(n, name=name)
    make_product_model(firm, model, "插芯门锁")
    parties.admit_member("ZSSJ", firm.uscc, today)
    people = {u.username: u for u in db.session.execute(db.select(User)).scalars()}
    inspections.run_inspection(firm_uscc=firm.uscc, product_model=model, standard_code="Q/ZSSJ 001",
                               station_code=STATION, values=LOCK_PASS, technician=people["tech1"],
                               reviewer=people["rev1"], today=today)
    return firm


def lock_mark():
    from trademark import services

    return services.find_mark(MARK) or services.create_mark(
        code=MARK, alliance_code="ZSSJ", name="中山锁具", type="collective", registration_no="第12345678号",
        standard_code="Q/ZSSJ 001", validity_years=3)


def granted_licence(firm, model: str, today: date):
    """Apply for and grant the lock mark; the grant issues the certificate (the LicenceGranted event)."""
    from trademark import services

    lock_mark()
    licence = services.apply_for_licence(uscc=firm.uscc, mark_code=MARK, product_models=[model],
                                         commitment_signed=True, today=today)
    return services.grant_licence(licence.id, today)
