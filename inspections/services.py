"""Test-station use cases (inspections build on these)."""
from __future__ import annotations

from compliance.models import Standard
from extensions import db
from inspections.models import Station
from trademark.services import FieldError


def find_station(code: str) -> Station | None:
    return db.session.execute(db.select(Station).where(Station.code == (code or "").strip())).scalar_one_or_none()


def create_station(code: str, name: str, accreditation: str | None, scope: list[str], *, commit: bool = True) -> Station:
    """Create a station allowed to test the standards in `scope` (standard codes)."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise FieldError("code", "检测站代码不能为空 / code is required")
    if not name:
        raise FieldError("name", "检测站名称不能为空 / name is required")
    if find_station(code):
        raise FieldError("code", f"检测站代码已存在：{code} / station exists", status=409)
    standards = []
    for item in scope or []:
        standard = db.session.execute(db.select(Standard).where(Standard.code == item.strip())).scalar_one_or_none()
        if standard is None:
            raise FieldError("scope", f"标准不存在：{item} / unknown standard in scope")
        standards.append(standard)
    station = Station(code=code, name=name, accreditation=(accreditation or "").strip() or None, scope=standards)
    db.session.add(station)
    if commit:
        db.session.commit()
    return station
