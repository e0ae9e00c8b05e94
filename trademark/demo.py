"""The demo world of SPEC §8; seeding twice does no harm."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml

from accounts import services as accounts
from accounts.models import User
from compliance import services as catalogue
from infra import clock
from infra.db import db
from inspections import services as stations
from parties import services as parties
from trademark import services
from trademark.models import LICENCE_LABELS, Licence
from parties.uscc import check_character

STANDARDS_DIR = Path(__file__).resolve().parent.parent / "compliance" / "demo_standards"

ALLIANCES = [
    ("ZSSJ", "中山市锁具产业联盟", "中山市五金商会锁具分会秘书处"),
    ("SDDYLG", "顺德电压力锅产业联盟", "顺德区家用电器商会秘书处"),
]

STATIONS = [
    ("ZS-LAB", "中山市质量计量监督检测所锁具检测站", "CNAS L1234", ["Q/ZSSJ 001"]),
    ("SD-LAB", "顺德区家电产品质量检测站", "CNAS L5678", ["Q/SDDYLG 001"]),
]


def uscc(first17: str) -> str:
    return first17 + check_character(first17)


# (name, USCC, address, alliance to join or None, models [(model, category)])
FIRMS = [
    ("中山市坚固锁业有限公司", uscc("91442000MA4UJ1K2X"), "广东省中山市小榄镇锁城路1号", "ZSSJ",
     [("JG-8801", "插芯门锁"), ("JG-8802", "插芯门锁")]),
    ("中山市金盾五金制品有限公司", uscc("91442000MA4UK3L5Y"), "广东省中山市东凤镇五金大道8号", "ZSSJ",
     [("JD-360", "插芯门锁")]),
    ("中山市宏达锁具厂", uscc("91442000MA4UL7M9T"), "广东省中山市小榄镇工业大道12号", "ZSSJ",
     [("HD-100", "插芯门锁")]),
    ("中山市新锐智能锁具有限公司", uscc("91442000MA4UN2P4H"), "广东省中山市南头镇智造园3栋", None,
     [("XR-A1", "插芯门锁")]),
    ("佛山市顺德区美厨电器有限公司", uscc("91440606MA4UQ8R1C"), "广东省佛山市顺德区容桂街道电器路6号", "SDDYLG",
     [("MC-YL50", "电压力锅"), ("MC-YL60", "电压力锅")]),
    ("佛山市顺德区安煲电器有限公司", uscc("91440606MA4UT5W3D"), "广东省佛山市顺德区勒流街道家电城2号", None,
     [("AB-Y5", "电压力锅")]),
]

# username, role, password, station code, firm index, alliances served (SPEC §8: demo staff serve
# their own alliance only; admin is global)
USERS = [
    ("admin", "admin", "mark-office-01", None, None, ()),
    ("staff", "staff", "mark-office-02", None, None, ("ZSSJ",)),
    ("staff.sd", "staff", "mark-office-03", None, None, ("SDDYLG",)),
    ("tech.zs", "technician", "lab-bench-01", "ZS-LAB", None, ()),
    ("tech2.zs", "technician", "lab-bench-01", "ZS-LAB", None, ()),
    ("review.zs", "reviewer", "lab-bench-02", "ZS-LAB", None, ()),
    ("tech.sd", "technician", "lab-bench-01", "SD-LAB", None, ()),
    ("review.sd", "reviewer", "lab-bench-02", "SD-LAB", None, ()),
    ("firm.jg", "firm", "firm-desk-01", None, 0, ()),
    ("firm.mc", "firm", "firm-desk-01", None, 4, ()),
]


def seed(today: date | None = None) -> list[str]:
    """Create whatever of the demo world is missing and return what was done, line by line."""
    today = today or clock.today()
    out: list[str] = []
    for code, name, secretariat in ALLIANCES:
        if parties.find_alliance(code) is None:
            parties.create_alliance(code, name, secretariat)
            out.append(f"alliance {code}")
    for path in sorted(STANDARDS_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        head = yaml.safe_load(text)
        if catalogue.find_version(head["code"], str(head["version"])) is None:
            version = catalogue.import_standard(text)
            out.append(f"standard {version.standard.code} {version.label}")
    for code, name, accreditation, scope in STATIONS:
        if stations.find_station(code) is None:
            stations.create_station(code, name, accreditation, scope)
            out.append(f"station {code}")
    for name, code, address, alliance, models in FIRMS:
        firm = parties.find_firm(code)
        if firm is None:
            firm = parties.create_firm(name, code, address, "张经理 0760-88880000")
            out.append(f"firm {name} {code}")
        for model, category in models:
            if not any(m.model == model for m in firm.models):
                parties.add_product_model(code, model, category)
        if alliance and not any(m.alliance.code == alliance for m in firm.memberships):
            parties.admit_member(alliance, code, today.replace(year=today.year - 2))
    lines = []
    for username, role, password, station, firm_index, served in USERS:
        if db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none() is None:
            accounts.create_user(username, role, password, station_code=station,
                                 firm_uscc=None if firm_index is None else FIRMS[firm_index][1], alliance_codes=served)
        where = station or "、".join(served)
        lines.append(f"  {username:<10} {password:<14} {role}" + (f" @ {where}" if where else ""))
    out.extend(seed_marks_and_licences(today))
    out.append("")
    out.append("demo users (username / password):")
    out.extend(lines)
    return out


# --- marks, licences and the inspections behind them (SPEC §8) -----------------------------------

# The demo marks' images (drawn for the demo; a real alliance uploads its registered mark).
MARK_IMAGES = {"ZSSJ": Path(__file__).resolve().parent.parent / "static" / "marks" / "zssj.png",
               "SDDYLG": Path(__file__).resolve().parent.parent / "static" / "marks" / "sdylg.png"}

# code, alliance, name, type, registration number, standard, yearly fee
MARKS = [
    ("ZSSJ", "ZSSJ", "中山锁具", "collective", "第12345678号", "Q/ZSSJ 001", None),
    ("ZSSJ-ZM", "ZSSJ", "中山锁具品质认证", "certification", "第12345679号", "Q/ZSSJ 001", None),
    ("SDDYLG", "SDDYLG", "顺德电压力锅", "collective", "第23456789号", "Q/SDDYLG 001", "5000.00"),
]

LOCK_PASS = {"5.1": True, "5.2": "6500", "5.3": "0.01", "5.4": "22.0", "5.5": "3500", "5.6": "6500", "5.7": True,
             "5.8": "6.0", "5.9": "20.0", "5.10": "12.0", "5.11": "1200", "5.12": True, "5.13": "600",
             "5.14": "0.10", "5.15": "120000", "5.16": "1.00", "5.17": "48", "7.1": 0}
LOCK_A_FAIL = {**LOCK_PASS, "5.2": "5200"}  # too few key differences: an A-class failure
LOCK_B_FAIL = {**LOCK_PASS, "5.11": "900", "5.13": "420"}  # two B-class failures
COOKER_PASS = {"5.1": "80", "5.2": "1.00", "5.3": "1.20", "5.4": "2.5", "5.5": "1000", "5.6": True, "5.7": True,
               "5.8": True, "5.9": "5.0", "5.10": "0.30", "5.11": "0.050", "5.12": "40", "5.13": "0.0",
               "5.14": "2", "7.1": 0}


def _people(station: str) -> tuple[User, User]:
    suffix = "zs" if station == "ZS-LAB" else "sd"
    find = lambda name: db.session.execute(db.select(User).where(User.username == name)).scalar_one()  # noqa: E731
    return find(f"tech.{suffix}"), find(f"review.{suffix}")


def _inspect(firm_index: int, model: str, verified: date, *, type: str = "surveillance", values=None):
    """Create, fill, submit and verify an inspection sampled ten days before `verified`."""
    _, uscc, _, alliance, _ = FIRMS[firm_index]
    lock = alliance == "ZSSJ" or firm_index == 3
    station = "ZS-LAB" if lock else "SD-LAB"
    tech, reviewer = _people(station)
    return stations.run_inspection(
        firm_uscc=uscc, product_model=model, standard_code="Q/ZSSJ 001" if lock else "Q/SDDYLG 001",
        station_code=station, values=values or (LOCK_PASS if lock else COOKER_PASS), technician=tech,
        reviewer=reviewer, today=verified, type=type, sampled_on=verified - timedelta(days=10))


def _licensed(firm_index: int, mark: str, models: list[str], granted: date, fee: str | None = None):
    """Pass a type test for every model, apply, pay (paid marks) and grant on `granted`."""
    uscc = FIRMS[firm_index][1]
    for model in models:
        _inspect(firm_index, model, granted - timedelta(days=7), type="type")
    licence = services.apply_for_licence(uscc=uscc, mark_code=mark, product_models=models, commitment_signed=True,
                                         today=granted - timedelta(days=5))
    if fee:
        services.record_payment(licence.id, granted.year, fee, granted - timedelta(days=1))
    return services.grant_licence(licence.id, granted)


def _has_licence(firm_index: int) -> bool:
    firm = parties.find_firm(FIRMS[firm_index][1])
    return db.session.execute(db.select(Licence.id).where(Licence.firm_id == firm.id)).first() is not None


def seed_marks_and_licences(today: date) -> list[str]:
    """Create the marks and, for each demo firm without a licence yet, its story up to `today`."""
    out: list[str] = []
    for code, alliance, name, type_, reg_no, standard, fee in MARKS:
        if services.find_mark(code) is None:
            image = MARK_IMAGES.get(alliance)
            services.create_mark(code=code, alliance_code=alliance, name=name, type=type_, registration_no=reg_no,
                                 standard_code=standard, fee_per_year=fee, validity_years=3,
                                 image=image.read_bytes() if image else None)
            out.append(f"mark {code} {name}")
    stories = [
        (0, _active_lock_maker), (1, _suspended_after_a_critical_failure), (2, _revoked_after_repeated_failures),
        (3, _certified_non_member), (4, _paid_cooker_licensee), (5, _applicant_waiting_for_type_test),
    ]
    for index, story in stories:
        if not _has_licence(index):
            out.append(f"licence story: {FIRMS[index][0]} — {story(today)}")
    return out


def _active_lock_maker(t: date) -> str:
    licence = _licensed(0, "ZSSJ", ["JG-8801", "JG-8802"], t - timedelta(days=300))
    _inspect(0, "JG-8801", t - timedelta(days=100))
    return f"有效 ({licence.number})"


def _suspended_after_a_critical_failure(t: date) -> str:
    # X1: an A-class failure in surveillance suspends at once; rectification deadline 90 days.
    licence = _licensed(1, "ZSSJ", ["JD-360"], t - timedelta(days=280))
    _inspect(1, "JD-360", t - timedelta(days=40), values=LOCK_A_FAIL)
    return f"暂停 X1 ({licence.number})"


def _revoked_after_repeated_failures(t: date) -> str:
    # X2 warning → missed retest → X2 suspension (sweep) → second failure → X3 revocation.
    licence = _licensed(2, "ZSSJ", ["HD-100"], t - timedelta(days=330))
    first = _inspect(2, "HD-100", t - timedelta(days=200), values=LOCK_B_FAIL)
    services.sweep(first.verified_on + timedelta(days=31))
    _inspect(2, "HD-100", t - timedelta(days=120), values=LOCK_A_FAIL)
    return f"{LICENCE_LABELS[licence.status]} X3 ({licence.number})"


def _certified_non_member(t: date) -> str:
    # E1 does not apply to a certification mark: a non-member that meets the conditions is licensed.
    licence = _licensed(3, "ZSSJ-ZM", ["XR-A1"], t - timedelta(days=150))
    return f"证明商标，有效 ({licence.number})"


def _paid_cooker_licensee(t: date) -> str:
    granted = t - timedelta(days=200)
    licence = _licensed(4, "SDDYLG", ["MC-YL50"], granted, fee="5000.00")
    if t.year != granted.year:
        services.record_payment(licence.id, t.year, "5000.00", date(t.year, 1, 1))
    _inspect(4, "MC-YL50", t - timedelta(days=60))
    return f"付费标志，有效 ({licence.number})"


def _applicant_waiting_for_type_test(t: date) -> str:
    uscc = FIRMS[5][1]
    firm = parties.find_firm(uscc)
    if not any(m.alliance.code == "SDDYLG" for m in firm.memberships):
        parties.admit_member("SDDYLG", uscc, t - timedelta(days=30))
    licence = services.apply_for_licence(uscc=uscc, mark_code="SDDYLG", product_models=["AB-Y5"],
                                         commitment_signed=True, today=t - timedelta(days=10))
    return f"申请中，等待型式检验 (#{licence.id})"
