"""The staff side at scale: seed N licences with a history, then time the sweep and the staff pages.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/am_bench \\
        .venv/bin/python bench/staff.py --licences 1000 --licences 100000 [--requests 20]

For each N, in one run: drop and re-create the tables (refused unless the database name holds
"bench" or "test"); time bench/seed.py creating N firms, licences and certificates (the
baseline); add a history in bulk (grants spread over three years, a passed type inspection per
licence, surveillance inspections for most — one in seven failed with its X2 warning — yearly fee
payments for most years); then
- the pure rules alone: `rules.evaluate` over every live licence's facts, already in memory;
- the sweep: `services.sweep` (what `flask sweep` runs) in a fresh child process: its wall time
  without the app's start-up, and the process's RSS before and at its peak, with how many
  licences' stored queue days it had to repair (the seeded ones are what the rules derive, so 0);
  then a second run that must store nothing (idempotent);
- the pages of PAGES (/queues, /licences, /inspections, the firm portal, then the staff home
  page, /firms, /certificates and the licences by expiry) through the app in this process (the
  Flask test client, no network), after a VACUUM ANALYZE of what the sweep changed (what
  autovacuum does within the minute): median and p95 of --requests requests each.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "ledger-brass-4817"  # neither common nor made of a username


def _history(n_licences: int, today: date) -> None:
    """Spread the grants over three years and add inspections, warnings and payments in bulk."""
    from sqlalchemy import func, insert, select, text

    from compliance.models import StandardVersion
    from infra.clock import utcnow
    from infra.db import db
    from inspections.models import Inspection, Station
    from trademark.models import Decision, Licence, Mark, Payment, licence_models

    import seed as base

    mark = db.session.execute(select(Mark).where(Mark.code == base.MARK)).scalar_one()
    version = db.session.execute(select(StandardVersion).where(StandardVersion.standard_id == mark.standard_id)).scalars().first()
    station = db.session.execute(select(Station)).scalars().first()
    now = utcnow()
    rows = db.session.execute(select(Licence.id, Licence.firm_id, licence_models.c.product_model_id)
                              .join(licence_models, licence_models.c.licence_id == Licence.id)
                              .where(Licence.mark_id == mark.id).order_by(Licence.id)).all()
    inspections, decisions, payments, grants = [], [], [], []
    iid = db.session.execute(select(func.coalesce(func.max(Inspection.id), 0))).scalar_one()
    did = db.session.execute(select(func.coalesce(func.max(Decision.id), 0))).scalar_one()
    pid = db.session.execute(select(func.coalesce(func.max(Payment.id), 0))).scalar_one()
    for k, (lid, fid, mid) in enumerate(rows):
        granted = today - timedelta(days=30 + (k * 7) % 1000)
        # What the app stores for its queues (services.due_dates); the sweep counts any it must repair.
        unpaid = today.year if k % 20 == 7 else today.year + 1
        grant = {"b_id": lid, "granted_on": granted, "expires_on": granted + timedelta(days=3 * 365),
                 "applied_on": granted - timedelta(days=3), "surveillance_base": granted,
                 "fee_due_on": granted if unpaid == granted.year else date(unpaid, 1, 1)}
        grants.append(grant)

        def inspection(kind, sampled, outcome="pass", failed_b=0):
            nonlocal iid
            iid += 1
            inspections.append({
                # six digits: outside what the station's counter gives (four), so later numbers never meet these
                "id": iid, "number": f"{station.code}-{sampled.year}-{iid:06d}", "type": kind, "firm_id": fid, "product_model_id": mid, "version_id": version.id,
                "station_id": station.id, "revision": 1, "status": "verified", "sampled_on": sampled,
                "place": "factory", "lot_size": 500, "sample_size": 5, "severity": {}, "outcome": outcome,
                "failed_a": 0, "failed_b": failed_b, "failed_c": 0, "verified_on": sampled + timedelta(days=5),
                "lock_version": 1, "created_at": now})
            return iid

        inspection("type", granted - timedelta(days=20))
        if k % 10 != 3:  # nine in ten had their yearly surveillance; the rest are due or overdue (X4)
            sampled = max(granted + timedelta(days=1), today - timedelta(days=40 + k % 300))
            if sampled < today - timedelta(days=5):
                failed = k % 7 == 0
                sid = inspection("surveillance", sampled, "fail" if failed else "pass", 2 if failed else 0)
                grant["surveillance_base"] = max(granted, sampled)
                if failed:
                    did += 1
                    decisions.append({
                        "id": did, "licence_id": lid, "from_status": "active", "to_status": "active", "kind": "warn",
                        "rule": "X2", "reason": "监督抽查不合格（B类2项），允许复检", "evidence": [sid],
                        "deadline": sampled + timedelta(days=35), "actor_name": "system",
                        "effective_on": sampled + timedelta(days=5), "at": now})
        for year in range(granted.year, today.year + 1):
            if k % 20 == 7 and year == today.year:
                continue  # one in twenty has not paid this year's fee (X6)
            pid += 1
            payments.append({"id": pid, "licence_id": lid, "year": year, "amount": mark.fee_per_year,
                             "paid_on": granted})
    from sqlalchemy import bindparam, update

    table = Licence.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
        granted_on=bindparam("granted_on"), expires_on=bindparam("expires_on"), applied_on=bindparam("applied_on"),
        surveillance_base=bindparam("surveillance_base"), fee_due_on=bindparam("fee_due_on")),
        grants, execution_options={"synchronize_session": False})
    for t, batch in ((Inspection.__table__, inspections), (Decision.__table__, decisions),
                     (Payment.__table__, payments)):
        for i in range(0, len(batch), 5000):
            db.session.execute(insert(t), batch[i:i + 5000])
    base._fix_sequences(db, [Inspection.__table__, Decision.__table__, Payment.__table__])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: statistics, and the update's dead rows cleared
        # (the visibility map lets the queues count from their indexes alone).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _world() -> None:
    """The lock standard, a station, a paid certification mark of it, and a staff user."""
    from accounts import services as accounts
    from compliance import services as catalogue
    from inspections import services as stations
    from parties import services as parties
    from trademark import services

    import seed as base

    parties.create_alliance("ZSSJ", "中山市锁具产业联盟")
    catalogue.import_standard((ROOT / "compliance" / "demo_standards" / "zssj-locks.yaml").read_text(encoding="utf-8"))
    stations.create_station("ZS-LAB", "中山检测站", "CNAS L0001", ["Q/ZSSJ 001"])
    services.create_mark(code=base.MARK, alliance_code="ZSSJ", name="基准标志", type="certification",
                         standard_code="Q/ZSSJ 001", fee_per_year="1000.00", validity_years=3)
    accounts.create_user("bench-staff", "staff", PASSWORD, alliance_codes=["ZSSJ"])


def _latency(app, path: str, username: str, requests: int) -> tuple[float, float]:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    timings = []
    for _ in range(requests + 1):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings = sorted(timings[1:])  # the first request warms the templates
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    return statistics.median(timings), p95


SWEEP_CHILD = """
import sys, time
from datetime import date
sys.path.insert(0, sys.argv[1])
from app import create_app
from trademark import services

def high_water_mb():
    # This process's own peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that across
    # fork and exec, so a child started by a large parent reports the parent's size.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

app = create_app()
with app.app_context():
    base = high_water_mb()
    started = time.perf_counter()
    report = services.sweep(date.fromisoformat(sys.argv[2]))
    took = time.perf_counter() - started
    peak = high_water_mb()
print(took, base, peak, report.licences, report.decisions, report.repaired)
"""


def _sweep_in_child(today: date) -> tuple[float, float, float, str]:
    """Run services.sweep in a fresh process: its wall time (app start excluded) and peak RSS."""
    done = subprocess.run([sys.executable, "-c", SWEEP_CHILD, str(ROOT), today.isoformat()], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    took, base, peak, licences, decisions, repaired = done.stdout.split()[-6:]
    return (float(took), float(base), float(peak),
            f"{licences} licences, {decisions} decisions, {repaired} stored due dates repaired")


# The four pages first; then the staff home page and the other large lists.
PAGES = ("/queues", "/licences", "/inspections", "/portal", "/", "/firms", "/certificates", "/licences?sort=-expires")


def measure(n: int, requests: int) -> dict:
    from app import create_app
    from infra.db import db
    from trademark import rules, services
    from trademark.models import Licence

    import seed as base

    today = date.today()
    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    out: dict = {"N": n}
    with app.app_context():
        name = db.engine.url.database or ""
        if "bench" not in name and "test" not in name:
            sys.exit(f"refusing to drop tables of {name!r}: its name has neither 'bench' nor 'test'")
        db.drop_all()
        db.create_all()
        _world()
        started = time.perf_counter()
        base.seed(n, today)
        out["seed_s"] = time.perf_counter() - started
        _history(n, today)
        from accounts import services as accounts
        from parties.models import Firm

        firm = db.session.execute(db.select(Firm).where(Firm.name.like("基准企业%")).order_by(Firm.id)).scalars().first()
        accounts.create_user("bench-firm", "firm", PASSWORD, firm_uscc=firm.uscc)
        # The pure rules alone, on the facts of every live licence already in memory.
        live = db.session.execute(services.licences_with_facts(
            db.select(Licence).where(Licence.status.in_(list(services.LIVE))), models=False)
            .order_by(Licence.id)).unique().scalars().all()
        facts = services.facts_for_many(services.load_scope_models(live))
        started = time.perf_counter()
        for f in facts.values():
            rules.evaluate(f.licence, f.membership, f.inspections, f.payments, f.events, f.standard, f.ruleset, today)
        out["rules_s"] = time.perf_counter() - started
        del live, facts
        db.session.remove()
    sweeps = [_sweep_in_child(today) for _ in range(2)]
    (out["sweep_s"], out["sweep_base_mb"], out["sweep_peak_mb"], out["sweep_summary"]) = sweeps[0]
    (out["resweep_s"], _, _, out["resweep_summary"]) = sweeps[1]
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(db.text("VACUUM ANALYZE"))
        for path in PAGES:
            out[path] = _latency(app, path, "bench-firm" if path.startswith("/portal") else "bench-staff", requests)
        db.session.remove()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, action="append", required=True)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    results = [measure(n, args.requests) for n in args.licences]
    print("| N | seed.py s | sweep s | sweep / seed | pure rules s | sweep / rules | sweep RSS MB (start → peak) | 2nd sweep |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['N']} | {r['seed_s']:.2f} | {r['sweep_s']:.2f} | {r['sweep_s'] / r['seed_s']:.2f} | "
              f"{r['rules_s']:.2f} | {r['sweep_s'] / max(r['rules_s'], 1e-9):.1f} | {r['sweep_base_mb']:.0f} → {r['sweep_peak_mb']:.0f} | "
              f"{r['resweep_s']:.2f} s |")
    print()
    heads = " | ".join(f"N = {r['N']}: median / p95 ms" for r in results)
    ratio = f" | median at {results[-1]['N']} / at {results[0]['N']}" if len(results) > 1 else ""
    print(f"| page | {heads}{ratio} |")
    print("|---|" + "---|" * (len(results) + (1 if ratio else 0)))
    for path in PAGES:
        cells = " | ".join(f"{r[path][0]:.0f} / {r[path][1]:.0f}" for r in results)
        times = f" | {results[-1][path][0] / results[0][path][0]:.2f}" if ratio else ""
        print(f"| `{path}` | {cells}{times} |")
    for r in results:
        print(f"N={r['N']}: {r['sweep_summary']}  /  again: {r['resweep_summary']}")


if __name__ == "__main__":
    main()
