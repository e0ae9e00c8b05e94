"""Small builders for test data, on the real database."""
from __future__ import annotations

from pathlib import Path

from accounts import services as accounts
from compliance import services as catalogue
from inspections import services as stations
from trademark import services
from trademark.uscc import check_character

REFERENCE = Path(__file__).resolve().parent.parent / "compliance" / "demo_standards"
LOCKS = REFERENCE / "zssj-locks.yaml"
COOKERS = REFERENCE / "sd-pressure-cooker.yaml"
PASSWORD = "pass-word-1"


def make_uscc(n: int) -> str:
    first17 = f"914420000{n:08d}"
    return first17 + check_character(first17)


def make_alliance(code="ZSSJ", name="中山市锁具产业联盟"):
    return services.find_alliance(code) or services.create_alliance(code, name)


def make_firm(n: int = 1, name: str | None = None, **kw):
    return services.create_firm(name or f"测试企业{n}有限公司", make_uscc(n), kw.get("address", "中山市"))


def make_standard(path: Path = LOCKS, alliance_code: str | None = None):
    text = path.read_text(encoding="utf-8")
    make_alliance("SDDYLG", "顺德电压力锅产业联盟") if "SDDYLG" in text else make_alliance()
    return catalogue.import_standard(text)


def make_station(code="ZS-LAB", scope=("Q/ZSSJ 001",)):
    return stations.find_station(code) or stations.create_station(code, f"{code} 检测站", "CNAS L0001", list(scope))


def make_user(username: str, role: str, station: str | None = None, firm_uscc: str | None = None):
    return accounts.create_user(username, role, PASSWORD, station_code=station, firm_uscc=firm_uscc)


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def bearer(username: str) -> dict:
    return {"Authorization": f"Bearer {accounts.issue_token(username)}"}
