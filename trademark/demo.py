"""The demo world of SPEC §8; seeding twice does no harm."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from accounts import services as accounts
from accounts.models import User
from compliance import services as catalogue
from extensions import db
from inspections import services as stations
from trademark import services
from trademark.uscc import check_character

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

# username, role, password, station code, firm index
USERS = [
    ("admin", "admin", "admin-demo-1", None, None),
    ("staff", "staff", "staff-demo-1", None, None),
    ("tech.zs", "technician", "tech-demo-1", "ZS-LAB", None),
    ("tech2.zs", "technician", "tech-demo-1", "ZS-LAB", None),
    ("review.zs", "reviewer", "review-demo-1", "ZS-LAB", None),
    ("tech.sd", "technician", "tech-demo-1", "SD-LAB", None),
    ("review.sd", "reviewer", "review-demo-1", "SD-LAB", None),
    ("firm.jg", "firm", "firm-demo-1", None, 0),
    ("firm.mc", "firm", "firm-demo-1", None, 4),
]


def seed(today: date | None = None) -> list[str]:
    """Create whatever of the demo world is missing and return what was done, line by line."""
    today = today or date.today()
    out: list[str] = []
    for code, name, secretariat in ALLIANCES:
        if services.find_alliance(code) is None:
            services.create_alliance(code, name, secretariat)
            out.append(f"alliance {code}")
    for path in sorted(STANDARDS_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        import yaml

        head = yaml.safe_load(text)
        if catalogue.find_version(head["code"], str(head["version"])) is None:
            version = catalogue.import_standard(text)
            out.append(f"standard {version.standard.code} {version.label}")
    for code, name, accreditation, scope in STATIONS:
        if stations.find_station(code) is None:
            stations.create_station(code, name, accreditation, scope)
            out.append(f"station {code}")
    for name, code, address, alliance, models in FIRMS:
        firm = services.find_firm(code)
        if firm is None:
            firm = services.create_firm(name, code, address, "张经理 0760-88880000")
            out.append(f"firm {name} {code}")
        for model, category in models:
            if not any(m.model == model for m in firm.models):
                services.add_product_model(code, model, category)
        if alliance and not any(m.alliance.code == alliance for m in firm.memberships):
            services.admit_member(alliance, code, today.replace(year=today.year - 2))
    out.append("")
    out.append("demo users (username / password):")
    for username, role, password, station, firm_index in USERS:
        if db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none() is None:
            accounts.create_user(username, role, password, station_code=station,
                                 firm_uscc=None if firm_index is None else FIRMS[firm_index][1])
        out.append(f"  {username:<10} {password:<14} {role}" + (f" @ {station}" if station else ""))
    return out
