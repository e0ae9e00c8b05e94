"""Many licences with a history, inserted in bulk (for query-count tests, not through the services)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, insert, select

from infra.clock import utcnow
from infra.db import db

STATUSES = ("active", "active", "active", "active", "active", "active", "suspended", "applied", "revoked", "active")


def _next_id(table) -> int:
    return db.session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1


def bulk_licences(count: int, *, mark_code: str = "ZSSJ-MARK", today: date | None = None,
                  extra_inspections_for=None, firm=None) -> None:
    """Insert `count` member firms, each with a product model, a licence, decisions, inspections and a payment.

    Needs make_lock_world() and the mark first. Statuses cycle through STATUSES; every fifth surveillance
    inspection fails (B class) with its warning. `extra_inspections_for` (a firm) gets `count` more
    verified inspections, so its portal grows with the rest.

    With `firm`, the `count` licences are that one firm's (a group firm's), on its first product model,
    each under a mark of its own (one open licence per firm and mark), like `mark_code`'s, in an alliance
    of their own that the firm is a member of and that staff made earlier do not serve.
    """
    from compliance.models import StandardVersion
    from inspections.models import Inspection, Station
    from parties.models import Alliance, Firm, Membership, ProductModel
    from parties.uscc import check_character
    from trademark.models import Decision, Licence, Mark, Payment, licence_models

    today = today or date.today()
    granted = today - timedelta(days=200)
    now = utcnow()
    mark = db.session.execute(select(Mark).where(Mark.code == mark_code)).scalar_one()
    alliance = db.session.get(Alliance, mark.alliance_id)
    version = db.session.execute(select(StandardVersion).where(
        StandardVersion.standard_id == mark.standard_id)).scalars().first()
    station = db.session.execute(select(Station)).scalars().first()
    t = {name: model.__table__ for name, model in (
        ("firm", Firm), ("model", ProductModel), ("member", Membership), ("licence", Licence),
        ("decision", Decision), ("inspection", Inspection), ("payment", Payment), ("alliance", Alliance),
        ("mark", Mark))}
    ids = {name: _next_id(table) for name, table in t.items()}
    rows: dict[str, list] = {name: [] for name in t} | {"link": []}
    group = None
    if firm is not None:
        group = ids["alliance"]
        rows["alliance"].append({"id": group, "code": f"BULK{group}", "name": f"批量联盟{group}", "created_at": now})
        rows["member"].append({"id": ids["member"], "alliance_id": group, "firm_id": firm.id, "status": "member",
                               "joined_on": granted - timedelta(days=400)})
        ids["member"] += 1

    def inspection(firm_id, model_id, kind, sampled, outcome="pass", failed_b=0):
        iid = ids["inspection"]
        ids["inspection"] += 1
        rows["inspection"].append({
            # Outside the station's counter (6 digits): numbers the services give later never meet these.
            "id": iid, "number": f"{station.code}-{sampled.year}-{iid:06d}", "type": kind, "firm_id": firm_id, "product_model_id": model_id, "version_id": version.id,
            "station_id": station.id, "revision": 1, "status": "verified", "sampled_on": sampled, "place": "factory",
            "lot_size": 500, "sample_size": 5, "severity": {}, "outcome": outcome, "failed_a": 0,
            "failed_b": failed_b, "failed_c": 0, "verified_on": sampled + timedelta(days=5), "lock_version": 1,
            "created_at": now})
        return iid

    def decision(licence_id, from_status, to_status, kind, rule, reason, on, evidence=(), deadline=None):
        rows["decision"].append({
            "id": ids["decision"], "licence_id": licence_id, "from_status": from_status, "to_status": to_status,
            "kind": kind, "rule": rule, "reason": reason, "evidence": list(evidence), "deadline": deadline,
            "actor_name": "system", "effective_on": on, "at": now})
        ids["decision"] += 1

    if firm is not None:
        # The group firm's licences all cover its first model: one type test and one failed surveillance
        # of it (warned on every fifth licence) serve them all.
        shared_type = inspection(firm.id, firm.models[0].id, "type", granted - timedelta(days=20))
        shared_failed = inspection(firm.id, firm.models[0].id, "surveillance", today - timedelta(days=30), "fail", 2)
    for n in range(count):
        lid = ids["licence"]
        ids["licence"] += 1
        status = STATUSES[n % len(STATUSES)]
        if firm is None:
            fid, mid, mark_id, code = ids["firm"], ids["model"], mark.id, mark.code
            ids["firm"] += 1
            ids["model"] += 1
            first17 = f"9144{fid:013d}"
            rows["firm"].append({"id": fid, "name": f"批量企业{fid:06d}有限公司", "uscc": first17 + check_character(first17),
                                 "address": f"工业路{fid}号", "created_at": now})
            rows["model"].append({"id": mid, "firm_id": fid, "model": f"L-{fid}", "category": "插芯门锁"})
            rows["member"].append({"id": ids["member"], "alliance_id": alliance.id, "firm_id": fid, "status": "member",
                                   "joined_on": granted - timedelta(days=400)})
            ids["member"] += 1
        else:
            fid, mid, mark_id = firm.id, firm.models[0].id, ids["mark"]
            ids["mark"] += 1
            code = f"BULK-{mark_id}"
            rows["mark"].append({"id": mark_id, "alliance_id": group, "code": code, "name": f"批量标志{mark_id}",
                                 "type": mark.type, "standard_id": mark.standard_id, "fee_per_year": mark.fee_per_year,
                                 "validity_years": mark.validity_years, "rules": {}, "created_at": now})
        type_id = inspection(fid, mid, "type", granted - timedelta(days=20)) if firm is None else shared_type
        is_granted = status != "applied"
        rows["licence"].append({
            "id": lid, "number": f"{code}-{granted.year}-{lid:06d}" if is_granted else None, "firm_id": fid,
            "mark_id": mark_id, "version_id": version.id, "status": status, "commitment_signed": True,
            "applied_on": granted - timedelta(days=3), "granted_on": granted if is_granted else None,
            "expires_on": granted + timedelta(days=3 * 365) if is_granted else None,
            "suspended_on": today - timedelta(days=10) if status == "suspended" else None,
            "ended_on": today - timedelta(days=5) if status == "revoked" else None, "created_at": now})
        rows["link"].append({"licence_id": lid, "product_model_id": mid})
        decision(lid, None, "applied", "apply", "manual", "申请使用标志", granted - timedelta(days=3))
        if not is_granted:
            continue
        decision(lid, "applied", "active", "grant", "manual", "符合全部准入条件，准予使用", granted, (type_id,))
        if n % 5 == 4:
            failed = inspection(fid, mid, "surveillance", today - timedelta(days=30), "fail", 2) \
                if firm is None else shared_failed
            decision(lid, "active", "active", "warn", "X2", "监督抽查不合格，允许复检", today - timedelta(days=25),
                     (failed,), today + timedelta(days=5))
        elif firm is None:
            inspection(fid, mid, "surveillance", today - timedelta(days=60))
        if status == "suspended":
            decision(lid, "active", "suspended", "suspend", "manual", "暂停", today - timedelta(days=10))
        if status == "revoked":
            decision(lid, "active", "revoked", "revoke", "manual", "撤销", today - timedelta(days=5))
        if mark.fee_per_year:
            rows["payment"].append({"id": ids["payment"], "licence_id": lid, "year": granted.year,
                                    "amount": mark.fee_per_year, "paid_on": granted})
            ids["payment"] += 1
    if extra_inspections_for is not None:
        model = extra_inspections_for.models[0]
        for n in range(count):
            inspection(extra_inspections_for.id, model.id, "market", today - timedelta(days=1 + n % 300))
    for name in ("alliance", "mark", "firm", "model", "member", "licence"):
        if rows[name]:
            db.session.execute(insert(t[name]), rows[name])
    if rows["link"]:
        db.session.execute(insert(licence_models), rows["link"])
    for name in ("decision", "inspection", "payment"):
        if rows[name]:
            db.session.execute(insert(t[name]), rows[name])
    if db.engine.dialect.name == "postgresql":
        for table in t.values():
            db.session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                                  select(func.max(table.c.id)).scalar_subquery())))
    # What the app stores on each licence for its queues, as every write through it would.
    from trademark import services

    first = ids["licence"] - count
    services.refresh_due_dates(select(Licence).where(Licence.id >= first, Licence.status.in_(list(services.LIVE))))
    db.session.commit()


def _insert(table, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(table), rows)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                              select(func.max(table.c.id)).scalar_subquery())))
    db.session.commit()


def bulk_certificates() -> None:
    """Give every granted licence without a certificate one (a fake token: these are never scanned)."""
    from certificates.models import Certificate
    from trademark.models import Licence

    table = Certificate.__table__
    have = select(Certificate.licence_id)
    licences = db.session.execute(select(Licence.id, Licence.number, Licence.granted_on, Licence.expires_on).where(
        Licence.number.is_not(None), Licence.id.not_in(have))).all()
    next_id = _next_id(table)
    _insert(table, [{"id": next_id + n, "licence_id": row.id, "serial": f"BULK-{next_id + n:08d}", "kid": "bulk",
                     "token": f"BULKTOKEN{next_id + n:08d}", "issued_on": row.granted_on, "expires_on": row.expires_on,
                     "issued_at": utcnow(), "scan_count": n % 7}
                    for n, row in enumerate(licences)])


def bulk_scans(certificate_id: int, count: int) -> None:
    """Insert `count` scans of one certificate, a minute apart, from rotating networks."""
    from certificates.models import Scan

    table = Scan.__table__
    start = utcnow() - timedelta(minutes=count + 1)
    next_id = _next_id(table)
    _insert(table, [{"id": next_id + n, "certificate_id": certificate_id, "at": start + timedelta(minutes=n),
                     "ip_prefix": f"10.{n % 200}.{n % 7}.0/24", "agent_family": ("WeChat", "Safari", "Chrome")[n % 3],
                     "outcome": "valid"} for n in range(count)])


def bulk_fake_reports(count: int, certificate_id: int | None = None) -> None:
    """Insert `count` unhandled reports of suspected fakes (every third without a matching certificate)."""
    from certificates.models import FakeReport

    table = FakeReport.__table__
    now = utcnow()
    next_id = _next_id(table)
    _insert(table, [{"id": next_id + n, "certificate_id": certificate_id if n % 3 else None,
                     "token": f"FAKE{next_id + n:08d}", "where_bought": f"批量市场{next_id + n}号摊位",
                     "note": "包装可疑", "at": now - timedelta(minutes=n)} for n in range(count)])


def bulk_decisions(licence_id: int, count: int, today: date | None = None) -> None:
    """Insert `count` staff warnings into one licence's decision trail, one a day going back.

    Manual warnings citing an inspection id: they lengthen the trail without opening a deadline each
    (an X2 warning stays open until a retest or a suspension, which bulk rows would not bring).
    """
    from trademark.models import Decision

    table = Decision.__table__
    today = today or date.today()
    next_id = _next_id(table)
    _insert(table, [{"id": next_id + n, "licence_id": licence_id, "from_status": "active", "to_status": "active",
                     "kind": "warn", "rule": "manual", "reason": f"批量警告 {n}", "evidence": [n + 1],
                     "deadline": None, "actor_name": "secretary",
                     "effective_on": today - timedelta(days=1 + n % 300), "at": utcnow()} for n in range(count)])


def bulk_users(count: int) -> None:
    """Insert `count` enabled firm users, tied to no firm (a password no one knows), named bulk-user-<id>."""
    from accounts.models import User

    table = User.__table__
    next_id = _next_id(table)
    _insert(table, [{"id": next_id + n, "username": f"bulk-user-{next_id + n:07d}", "display_name": f"批量用户{n}",
                     "password_hash": "!", "role": ("firm", "firm", "staff", "technician")[n % 4],
                     "is_enabled": n % 9 != 8, "created_at": utcnow()} for n in range(count)])
