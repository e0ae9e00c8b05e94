"""A small world and a URL-map walk with real arguments, shared by the hardening tests.

Routes are found by walking `app.url_map`, so new routes are covered without editing a list;
an argument the world has no value for gets a dummy (and usually a 404).
"""
from __future__ import annotations

from datetime import date, timedelta

DUMMY = {"int": "999999", "default": "X", "string": "X", "path": "X/Y"}
SKIP = {"static"}
CODES = {"/alliances/": "alliance_code", "/standards/": "standard_code", "/marks/": "mark_code",
         "/stations/": "station_code"}


def make_world(firm_name: str | None = None, standard_title: str | None = None) -> dict:
    """An alliance, the lock standard, a station with people, a mark, an active licence with its certificate."""
    from compliance import services as catalogue
    from infra.db import db
    from inspections.models import Inspection
    from tests.builders import LOCKS, make_active_licence, make_alliance, make_lock_world, make_mark
    from parties import services as parties
    from certificates.models import Certificate

    make_alliance()
    text = LOCKS.read_text(encoding="utf-8")
    if standard_title:
        text = text.replace("title: 弹子插芯门锁", f'title: "{standard_title}"', 1)
    version = catalogue.import_standard(text)
    make_lock_world()
    mark = make_mark()
    licence = make_active_licence(1, date.today() - timedelta(days=30))
    firm = licence.firm
    if firm_name:
        parties.update_firm(firm.id, firm_name, firm.address, firm.contact)
    inspection = db.session.execute(db.select(Inspection).order_by(Inspection.id.desc())).scalars().first()
    certificate = db.session.execute(db.select(Certificate)).scalars().first()
    return {
        "alliance_id": mark.alliance.id, "alliance_code": mark.alliance.code,
        "standard_code": version.standard.code, "label": version.label, "version_id": version.id,
        "station_code": "ZS-LAB", "mark_id": mark.id, "mark_code": mark.code,
        "firm_id": firm.id, "uscc": firm.uscc, "licence_id": licence.id,
        "inspection_id": inspection.id if inspection else None,
        "certificate_id": certificate.id if certificate else None,
        "token": certificate.token if certificate else None,
    }


def world_args(world: dict, rule) -> dict:
    """Pick a real value for each URL argument of `rule` from `world`, else a dummy."""
    args = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        if name == "code":
            key = next((k for part, k in CODES.items() if part in rule.rule), None)
            value = world.get(key) if key else None
        else:
            value = world.get(name)
        args[name] = str(value) if value is not None else DUMMY.get(kind, "1")
    return args


def walk(app, world: dict, methods=("GET",), prefix: str | None = None):
    """Yield (endpoint, method, url) for every route (under `prefix`), with real arguments where possible."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or (prefix and not rule.rule.startswith(prefix)):
            continue
        url = rule.build(world_args(world, rule), append_unknown=False)[1]
        for method in sorted(rule.methods & set(methods)):
            yield rule.endpoint, method, url
