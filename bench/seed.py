"""Fill the database of DATABASE_URL with N firms, licences and certificates, fast (for benchmarks).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/alliancemark_bench \\
        .venv/bin/python bench/seed.py --licences 100000 [--reset]

Rows go in with bulk inserts (SQLAlchemy `insert()` with lists of parameters: executemany /
insertmanyvalues), explicit ids, and tokens signed in-process with the active key of KEYS_DIR
(generated when there is none), so the certificates verify on the running app. Every licence is
active except every tenth (suspended) and has one product model, a grant decision and one current
certificate. `--reset` drops and re-creates every table first (refused unless the database name
contains "bench" or "test").
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5000
ALLIANCE = "BENCH"
MARK = "BENCH-MARK"


def _max_id(db, table) -> int:
    from sqlalchemy import func, select

    return db.session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()


def _insert(db, table, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[i:i + BATCH])


def _fix_sequences(db, tables) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


def seed(licences: int, today: date) -> dict:
    """Insert `licences` firms with one licence and certificate each; return counts and timings."""
    from sqlalchemy import text

    from infra.clock import utcnow
    from infra.db import db
    from certificates import services as certs
    from parties import services as parties
    from trademark import services
    from parties.models import Firm, ProductModel
    from trademark.models import Decision, Licence, licence_models
    from certificates.models import Certificate
    from certificates.tokens import Claims, sign_token
    from parties.uscc import check_character

    started = time.perf_counter()
    alliance = parties.find_alliance(ALLIANCE) or parties.create_alliance(ALLIANCE, "基准测试产业联盟")
    mark = services.find_mark(MARK) or services.create_mark(
        code=MARK, alliance_code=ALLIANCE, name="基准标志", type="certification", validity_years=3)
    kid, key = certs.signing_key(utcnow())
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    expires = today + timedelta(days=3 * 365)
    tables = [t.__table__ for t in (Firm, ProductModel, Licence, Certificate, Decision)]
    firm0, model0, licence0, cert0, decision0 = (_max_id(db, t) for t in tables)

    firms, models, links, lics, certificates, decisions = [], [], [], [], [], []
    for i in range(1, licences + 1):
        fid, mid, lid, cid, did = firm0 + i, model0 + i, licence0 + i, cert0 + i, decision0 + i
        first17 = f"9133{fid:013d}"
        uscc = first17 + check_character(first17)
        number = f"{MARK}-{today.year}-{lid:06d}"
        suspended = i % 10 == 0
        firms.append({"id": fid, "name": f"基准企业{fid:07d}有限公司", "uscc": uscc, "address": f"基准市工业路{fid}号",
                      "created_at": now})
        models.append({"id": mid, "firm_id": fid, "model": f"BM-{fid}", "category": "基准产品"})
        lics.append({"id": lid, "number": number, "firm_id": fid, "mark_id": mark.id, "status":
                     "suspended" if suspended else "active", "commitment_signed": True, "applied_on": today,
                     "granted_on": today, "expires_on": expires, "suspended_on": today if suspended else None,
                     "surveillance_base": today, "fee_due_on": today if mark.fee_per_year else None,
                     "created_at": now})
        links.append({"licence_id": lid, "product_model_id": mid})
        token = sign_token(Claims(1, kid, number, uscc, today, expires), key)
        certificates.append({"id": cid, "licence_id": lid, "serial": number, "kid": kid, "token": token,
                             "issued_on": today, "expires_on": expires, "issued_at": now, "scan_count": 0})
        decisions.append({"id": did, "licence_id": lid, "from_status": "applied", "to_status": "active",
                          "kind": "grant", "rule": "manual", "reason": "符合全部准入条件，准予使用", "evidence": [],
                          "actor_name": "system", "effective_on": today, "at": now})
    signed = time.perf_counter()
    for table, rows in zip(tables, (firms, models, lics, certificates, decisions)):
        _insert(db, table, rows)
        if table.name == "licences":
            _insert(db, licence_models, links)
    _fix_sequences(db, tables)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh planner statistics, as autovacuum would gather shortly after a bulk load.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    done = time.perf_counter()
    return {"licences": licences, "sign_s": signed - started, "insert_s": done - signed, "alliance": alliance.code,
            "tokens": [c["token"] for c in certificates]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, required=True)
    parser.add_argument("--reset", action="store_true", help="drop and re-create every table first")
    parser.add_argument("--tokens-out", help="write a random sample of up to 1000 tokens there, one a line")
    args = parser.parse_args()
    from app import create_app
    from infra.db import db

    app = create_app()
    with app.app_context():
        if args.reset:
            name = db.engine.url.database or ""
            if "bench" not in name and "test" not in name:
                sys.exit(f"refusing to drop tables of {name!r}: its name has neither 'bench' nor 'test'")
            db.drop_all()
        db.create_all()
        result = seed(args.licences, date.today())
    if args.tokens_out:
        import random

        tokens = result["tokens"]
        Path(args.tokens_out).write_text("\n".join(random.sample(tokens, min(1000, len(tokens)))) + "\n")
    print(f"seeded {result['licences']} firms/licences/certificates: signing {result['sign_s']:.1f} s, "
          f"inserts {result['insert_s']:.1f} s ({app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]})")


if __name__ == "__main__":
    main()
