"""Cross-area behaviour is wired by the app factory, whatever a caller imports (infra.events).

- Every event an area announces has its subscriber in a built app.
- A script that imports one service module and verifies an inspection through it gets the exit
  rules applied, exactly as the web does (the `python -c` of the restructure issue).
- A GET never writes: walking every GET route of the staff and portal side leaves the database
  as it was (the audit trail records every ORM write).
"""
from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from infra import events
from infra.audit import AuditEntry
from infra.db import db
from tests.builders import (
    LICENCE_LOCK_A_FAIL, bearer, login, make_active_licence, make_lock_world, make_mark, make_user,
)
from tests.functional.routes import make_world, walk

ROOT = Path(__file__).resolve().parents[2]


def announced_events() -> list[type]:
    """Every Event subclass defined in an area's events.py, found by reading the files."""
    found = []
    for path in sorted(ROOT.glob("*/events.py")):
        if path.parent.name == "infra":
            continue
        module = importlib.import_module(f"{path.parent.name}.events")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                found.append(getattr(module, node.name))
    return found


def test_the_areas_announce_events():
    assert {e.__name__ for e in announced_events()} >= {"InspectionVerified", "LicenceGranted", "FirmExpelled"}


@pytest.mark.parametrize("event_type", announced_events(), ids=lambda e: e.__name__)
def test_every_announced_event_has_a_subscriber_in_the_built_app(app, event_type):
    assert events.bus().handlers(event_type)


def test_an_event_nobody_subscribed_to_is_refused_loudly(app):
    class Unheard(events.Event):
        pass

    with pytest.raises(RuntimeError, match="no handler subscribed for Unheard"):
        events.publish(Unheard())


SCRIPT = """
import json, sys
from datetime import date

import inspections.services as inspections   # the one service module the script knows
from app import create_app
from accounts.models import User
from infra.db import db

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "KEYS_DIR": sys.argv[2], "SECRET_KEY": "script"})
with app.app_context():
    reviewer = db.session.execute(db.select(User).where(User.username == "lab-review")).scalar_one()
    row = inspections.verify_inspection(int(sys.argv[3]), reviewer, date.fromisoformat(sys.argv[4]))
    print(json.dumps({"status": row.status, "outcome": row.outcome}))
"""


def test_a_script_verifying_through_one_service_module_applies_the_exit_rules(app, tmp_path):
    from inspections import services as inspections
    from trademark import services
    from trademark.models import Licence

    tech, _reviewer = make_lock_world()
    make_mark()
    granted = date(2024, 6, 1)
    licence = make_active_licence(1, granted)
    day = granted + timedelta(days=60)
    row = inspections.create_inspection(type="surveillance", firm_uscc=licence.firm.uscc, product_model="L-100",
                                        standard_code="Q/ZSSJ 001", station_code="ZS-LAB", actor=tech, today=day,
                                        sampling=inspections.Sampling(sampled_on=day, lot_size=500))
    inspections.save_results(row.id, inspections.entries_for(row, LICENCE_LOCK_A_FAIL), tech)
    inspections.submit(row.id, tech)
    inspection_id, licence_id = row.id, licence.id
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    db.engine.dispose()

    result = subprocess.run([sys.executable, "-c", SCRIPT, url, str(tmp_path / "keys"), str(inspection_id), day.isoformat()],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": "verified", "outcome": "fail"}
    licence = db.session.get(Licence, licence_id)
    assert licence.status == "suspended"
    assert [(d.rule, d.to_status) for d in services.licence_decisions(licence)][-1] == ("X1", "suspended")


def audit_rows() -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


# The public verification routes record a scan by design (SPEC §5: scan count and first scan).
RECORDS_SCANS = ("certificates.verify", "certificates_api.verify_api")


@pytest.mark.parametrize("who", ["admin", "staff", "firm"])
def test_a_get_never_writes(app, who):
    world = make_world()
    make_mark("ZSSJ-CERT", type="certification")
    user = {"admin": lambda: make_user("root", "admin"), "staff": lambda: make_user("secretary", "staff"),
            "firm": lambda: make_user("firm-user", "firm", firm_uscc=world["uscc"])}[who]()
    client = app.test_client()
    login(client, user.username)
    headers = bearer(user.username)
    db.session.commit()
    before = audit_rows()
    walked = 0
    for endpoint, method, url in walk(app, world):
        if endpoint in RECORDS_SCANS:
            continue
        client.get(url, headers=headers if url.startswith("/api/") else None)
        walked += 1
    db.session.rollback()
    assert walked > 40
    assert audit_rows() == before
