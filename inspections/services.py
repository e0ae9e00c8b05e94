"""Test-station use cases: stations, inspections, results, four-eyes verification, retests, reports.

Each public function is one use case: it loads rows, calls the pure core (compliance.engine,
compliance.sampling), stores the outcome and commits once. Judging is never re-implemented here.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select, update

from accounts.access import alliance_ids, serves
from accounts.models import Role, User
from infra.clock import utcnow
from compliance import engine
from compliance.engine import (AttributeCount, ClauseKind, ClauseSpec, InputError, InspectionType, Measurement,
                               Verdict, VerdictOutcome)
from compliance.models import Standard, StandardVersion, VersionStatus
from compliance.sampling import (
    SEVERITY_NAMES, SamplingError, Severity, SwitchingState, advance, resume, sampling_plan,
)
from compliance.services import clause_spec, standard_for, verdict_rule
from infra.db import db, lock_row, use_case
from infra.downloads import csv_cell
from infra.numbering import highest_suffix, next_number
from inspections.models import (INSPECTION_TYPE_NAMES, Inspection, InspectionStatus, Result, Station,
                                SwitchingRecord, inspection_number, station_scope)
from inspections.report import ReportData, ReportRow, render_report
from parties.models import Firm, ProductModel
from parties.services import tied_firm_ids, visible_firms
from infra.errors import AppError, required_text
from infra.schemas import REASON_LENGTH
from infra.events import publish
from inspections.events import InspectionVerified

# The licence rules register themselves here (SPEC §4: verifying applies the event rules at once).

STAFF_ROLES = (Role.ADMIN, Role.STAFF)
STATION_ROLES = (Role.TECHNICIAN, Role.REVIEWER)
PLACES = ("factory", "market")
CREATABLE_TYPES = ("type", "surveillance", "market", "factory")
MAX_LOT_SIZE = 100_000_000
MAX_VALUE_CHARS = 40  # Result.value column width


# --- stations ---------------------------------------------------------------------------------


def find_station(code: str) -> Station | None:
    return db.session.execute(db.select(Station).where(Station.code == (code or "").strip())).scalar_one_or_none()


@use_case
def create_station(code: str, name: str, accreditation: str | None, scope: list[str], actor=None) -> Station:
    """Create a station allowed to test the standards in `scope` (standard codes)."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise AppError(422, "检测站代码不能为空 / code is required", field="code")
    if not name:
        raise AppError(422, "检测站名称不能为空 / name is required", field="name")
    if find_station(code):
        raise AppError(409, f"检测站代码已存在：{code} / station exists", field="code")
    standards = []
    for item in scope or []:
        standard = standard_for(item.strip(), actor)  # another alliance's standard: as if unknown
        if standard is None:
            raise AppError(404, f"标准不存在：{item} / unknown standard in scope", field="scope")
        standards.append(standard)
    station = Station(code=code, name=name, accreditation=(accreditation or "").strip() or None, scope=standards)
    db.session.add(station)
    return station


# --- who sees what ----------------------------------------------------------------------------


def visible_stations(query, actor):
    """Narrow a query over Station: staff see the stations testing a standard of their alliances."""
    ids = alliance_ids(actor)
    if ids is None:
        return query
    testing = (db.select(station_scope.c.station_id).join(Standard, Standard.id == station_scope.c.standard_id)
               .where(Standard.alliance_id.in_(sorted(ids))))
    return query.where(Station.id.in_(testing))


STATION_SORTS = {"code": (Station.code,), "-code": (Station.code.desc(),), "name": (Station.name, Station.code),
                 "-name": (Station.name.desc(), Station.code)}


def list_stations(actor, args):
    """Return one page of the stations the actor may see, found by code or name (scope loaded with it)."""
    from sqlalchemy.orm import selectinload

    from infra.pagination import paginate

    query = visible_stations(db.select(Station).options(selectinload(Station.scope)), actor)
    if args.q:
        query = query.where(Station.code.contains(args.q.upper(), autoescape=True)
                            | Station.name.contains(args.q, autoescape=True))
    return paginate(query, args, STATION_SORTS, "code")


def visible_scope(station: Station, actor) -> list[Standard]:
    """Return the standards of the station's scope the actor may see."""
    return [standard for standard in station.scope if serves(actor, standard.alliance_id)]


def can_see(actor: User | None, inspection: Inspection) -> bool:
    """Staff see the inspections against their alliances' standards (admin all), station people only
    their station's, a firm only its own verified ones."""
    if actor is None:
        return False
    if actor.role in STAFF_ROLES:
        return serves(actor, inspection.version.standard.alliance_id)
    if actor.role in STATION_ROLES:
        return actor.station_id is not None and actor.station_id == inspection.station_id
    if actor.role == Role.FIRM:
        return actor.firm_id == inspection.firm_id and inspection.status in (
            InspectionStatus.VERIFIED, InspectionStatus.SUPERSEDED)
    return False


def get_inspection(inspection_id: int, actor: User | None, *, for_change: bool = False) -> Inspection:
    """Return an inspection the actor may see; another station's is answered as not found.

    `for_change` locks the row until the use case ends and reads it fresh, so the status checks
    that follow hold on the state being changed.
    """
    row = lock_row(Inspection, inspection_id) if for_change else db.session.get(Inspection, inspection_id)
    # 404 rather than 403: a technician should not learn which ids another station holds.
    if row is None or not can_see(actor, row):
        raise AppError(404, f"检验不存在：{inspection_id} / inspection not found")
    return row


def visible_inspections(query, actor):
    """Narrow a query over Inspection to those against the standards of the actor's alliances."""
    ids = alliance_ids(actor)
    if ids is None:
        return query
    against = (db.select(StandardVersion.id).join(Standard, Standard.id == StandardVersion.standard_id)
               .where(Standard.alliance_id.in_(sorted(ids))))
    return query.where(Inspection.version_id.in_(against))


def offered_products(actor: User, stations: Sequence[Station]) -> list[tuple[ProductModel, Firm]]:
    """The product models offered on the new-inspection page (SPEC §10).

    A station's people are offered the models of firms tied to its scope standards' alliances
    (member, applicant or licensee); staff those of firms tied to their alliances. Any other firm's
    product is opened by its USCC (market sampling).
    """
    query = db.select(ProductModel, Firm).join(Firm).order_by(Firm.name, ProductModel.model)
    if actor.role in STATION_ROLES:
        ids = sorted({standard.alliance_id for station in stations for standard in station.scope})
        query = query.where(Firm.id.in_(tied_firm_ids(ids)))
    else:
        query = visible_firms(query, actor)
    return list(db.session.execute(query).all())


INSPECTION_SORTS = {
    "-id": (Inspection.id.desc(),), "id": (Inspection.id,),
    "sampled": (Inspection.sampled_on, Inspection.id), "-sampled": (Inspection.sampled_on.desc(), Inspection.id.desc()),
    "status": (Inspection.status, Inspection.id.desc()), "-status": (Inspection.status.desc(), Inspection.id.desc()),
    "type": (Inspection.type, Inspection.id.desc()), "-type": (Inspection.type.desc(), Inspection.id.desc()),
    "number": (Inspection.number, Inspection.revision), "-number": (Inspection.number.desc(), Inspection.revision.desc()),
}


def inspections_query(actor: User, status: str | None = None, q: str = ""):
    """Return the inspections the actor may see as a query (None: none at all); filters go here."""
    query = db.select(Inspection)
    if actor.role in STATION_ROLES:
        query = query.where(Inspection.station_id == (actor.station_id or -1))
    elif actor.role == Role.FIRM:
        query = query.where(Inspection.firm_id == (actor.firm_id or -1),
                            Inspection.status.in_([InspectionStatus.VERIFIED, InspectionStatus.SUPERSEDED]))
    elif actor.role not in STAFF_ROLES:
        return None
    query = visible_inspections(query, actor)
    if status:
        query = query.where(Inspection.status == status)
    if q:
        firms = db.select(Firm.id).where(Firm.name.contains(q, autoescape=True) | (Firm.uscc == q.upper()))
        query = query.where(Inspection.firm_id.in_(firms) | Inspection.lot_no.contains(q, autoescape=True)
                            | Inspection.seal_no.contains(q, autoescape=True)
                            | Inspection.number.contains(q.upper(), autoescape=True)
                            | (Inspection.id == (int(q) if q.isdigit() and len(q) < 10 else -1)))
    return query


def list_inspections(actor: User, status: str | None = None, args=None):
    """Return one page of the inspections the actor may see (newest first by default), rows loaded with it."""
    from sqlalchemy.orm import joinedload

    from infra.pagination import ListArgs, Page, paginate

    args = args or ListArgs()
    query = inspections_query(actor, status, args.q)
    if query is None:
        return Page([], 0, 1, args.per_page)
    query = query.options(joinedload(Inspection.firm), joinedload(Inspection.product_model),
                          joinedload(Inspection.station),
                          joinedload(Inspection.version).joinedload(StandardVersion.standard),
                          joinedload(Inspection.submitted_by), joinedload(Inspection.verified_by))
    return paginate(query, args, INSPECTION_SORTS, "-id")


# --- judging (through the engine) -------------------------------------------------------------


def retest_factor(inspection: Inspection) -> int:
    """Return how many times the clauses' units a retest tests (the standard's sample_factor)."""
    if inspection.type != InspectionType.retest:
        return 1
    rule = verdict_rule(inspection.version)
    return rule.retest.sample_factor if rule.retest else 2


def _retest_of_type(inspection: Inspection) -> str | None:
    return inspection.retest_of.type if inspection.type == InspectionType.retest and inspection.retest_of else None


def clause_specs(inspection: Inspection) -> list[ClauseSpec]:
    """Return the engine's clauses of the inspection's version; a retest tests factor × the units."""
    factor = retest_factor(inspection)
    specs = [clause_spec(c) for c in inspection.version.clauses]
    if factor > 1:
        # SPEC §3: a retest is made on a doubled sample; attribute clauses keep their lot's plan.
        specs = [s if s.kind is ClauseKind.attribute else replace(s, units=s.units * factor) for s in specs]
    return specs


def required_specs(inspection: Inspection) -> tuple[ClauseSpec, ...]:
    return engine.required_clauses(clause_specs(inspection), inspection.type, _retest_of_type(inspection))


def _engine_results(rows: Iterable[Result], specs: dict[str, ClauseSpec]) -> dict:
    grouped: dict[str, list] = {}
    counts: dict[str, AttributeCount] = {}
    for row in rows:
        spec = specs.get(row.clause_number)
        if spec is None:
            continue
        if spec.kind is ClauseKind.attribute:
            if row.nonconforming is not None:
                counts[row.clause_number] = AttributeCount(row.nonconforming)
        elif row.value is not None:
            value = (row.value == "true") if spec.kind is ClauseKind.boolean else Decimal(row.value)
            grouped.setdefault(row.clause_number, []).append(Measurement(row.unit, value))
    return {**grouped, **counts}


def judge(inspection: Inspection, specs: list[ClauseSpec] | None = None) -> Verdict:
    """Judge the inspection's stored results with the engine (SPEC §3)."""
    specs = clause_specs(inspection) if specs is None else specs
    required = {s.number: s for s in engine.required_clauses(specs, inspection.type, _retest_of_type(inspection))}
    results = _engine_results(inspection.results, required)
    return engine.judge_sample(specs, verdict_rule(inspection.version), results, inspection.type,
                               inspection.lot_size, dict(inspection.severity or {}),
                               retest_of_type=_retest_of_type(inspection))


def plan_for(inspection: Inspection, spec: ClauseSpec):
    """Return the GB/T 2828.1 plan of an attribute clause, or None when it cannot be set."""
    if spec.kind is not ClauseKind.attribute or not inspection.lot_size:
        return None
    try:
        return sampling_plan(inspection.lot_size, spec.level, spec.aql,
                             (inspection.severity or {}).get(str(spec.category), "normal"))
    except SamplingError:
        return None


def sample_plan(inspection: Inspection, specs: list[ClauseSpec] | None = None) -> dict:
    """Describe what to test: units per clause, GB/T 2828.1 plans and the severity per category."""
    clauses = []
    required = (required_specs(inspection) if specs is None
                else engine.required_clauses(specs, inspection.type, _retest_of_type(inspection)))
    for spec in required:
        item = {"number": spec.number, "title": spec.title, "category": str(spec.category), "kind": str(spec.kind),
                "units": spec.units if spec.kind is not ClauseKind.attribute else None}
        if spec.kind is ClauseKind.attribute:
            plan = plan_for(inspection, spec)
            item.update({"aql": spec.aql, "level": spec.level,
                         **(plan.to_dict() if plan else {"sample_size": None, "ac": None, "re": None})})
        clauses.append(item)
    return {"lot_size": inspection.lot_size, "sample_size": inspection.sample_size,
            "sample_factor": retest_factor(inspection), "severity": dict(inspection.severity or {}),
            "clauses": clauses}


# --- switching (GB/T 2828.1 9.3) ---------------------------------------------------------------


def _switching_record(product_model_id: int, category: str) -> SwitchingRecord | None:
    return db.session.execute(db.select(SwitchingRecord).where(
        SwitchingRecord.product_model_id == product_model_id, SwitchingRecord.category == category)
    ).scalar_one_or_none()


def switching_severity(product_model_id: int) -> dict[str, str]:
    """Return the severity each category's next lot is inspected at (normal unless switched)."""
    return {c: (rec.severity if (rec := _switching_record(product_model_id, c)) else Severity.normal.value)
            for c in ("A", "B", "C")}


def _advance_switching(inspection: Inspection, verdict: Verdict) -> None:
    # GB/T 2828.1 9.3: only original inspections of a lot count; a retest or a revision does not.
    if inspection.type == InspectionType.retest or inspection.supersedes_id is not None:
        return
    by_category: dict[str, bool] = {}
    attribute = {s.number for s in required_specs(inspection) if s.kind is ClauseKind.attribute}
    for cv in verdict.clauses:
        if cv.number in attribute:
            by_category[str(cv.category)] = by_category.get(str(cv.category), True) and cv.outcome == "pass"
    if not by_category:
        return
    # Every category's record in one read, without flushing the verdict first (it is flushed once, after).
    with db.session.no_autoflush:
        records = {r.category: r for r in db.session.execute(db.select(SwitchingRecord).where(
            SwitchingRecord.product_model_id == inspection.product_model_id,
            SwitchingRecord.category.in_(sorted(by_category)))).scalars()}
    for category, accepted in by_category.items():
        record = records.get(category)
        if record is None:
            record = SwitchingRecord(product_model_id=inspection.product_model_id, category=category,
                                     severity=Severity.normal.value, recent=[], rejected_while_tightened=0)
            db.session.add(record)
        state = advance(SwitchingState(record.severity, tuple(record.recent or ()), record.rejected_while_tightened),
                        accepted)
        record.severity = str(state.severity)
        record.recent = list(state.recent)
        record.rejected_while_tightened = state.rejected_while_tightened
        record.last_inspection_id = inspection.id


# --- creating an inspection ------------------------------------------------------------------


@dataclass(frozen=True)
class Sampling:
    """The sampling record (抽样单) of an inspection."""

    sampled_on: date
    place: str = "factory"
    lot_no: str | None = None
    lot_size: int | None = None
    seal_no: str | None = None
    samplers: str | None = None
    sample_size: int | None = None


def _version_for(standard_code: str, label: str | None, actor=None) -> StandardVersion:
    standard = standard_for((standard_code or "").strip(), actor)  # another alliance's: as if unknown
    if standard is None:
        raise AppError(404, f"标准不存在：{standard_code} / unknown standard", field="standard_code")
    if label:
        version = next((v for v in standard.versions if v.label == str(label).strip()), None)
        if version is None:
            raise AppError(404, f"{standard.code} 没有 {label} 版 / unknown standard version", field="standard_version")
        if version.status == VersionStatus.DRAFT:
            raise AppError(409, f"{standard.code} {label} 版尚未发布，不能用于检验 / version is a draft", field="standard_version")
        return version
    version = standard.current_version
    if version is None:
        raise AppError(409, f"{standard.code} 没有现行版本 / no published version", field="standard_code")
    return version


def _check_sampling(sampling: Sampling, today: date) -> None:
    if not isinstance(sampling.sampled_on, date):
        raise AppError(422, "抽样日期无效 / sampling.date is invalid", field="sampling.date")
    if sampling.sampled_on > today:
        # SPEC §6: the sampling date may not be in the future (dates in the alliance's time zone).
        raise AppError(422, f"抽样日期不能晚于今天（{today.isoformat()}）/ the sampling date may not be in the future",
                       field="sampling.date")
    if sampling.lot_size is None:
        # SPEC §6: lot_size is required; without it no attribute clause has a plan and the draft could never be submitted.
        raise AppError(422, "请填写批量（至少为 2）/ sampling.lot_size is required", field="sampling.lot_size")
    if sampling.place not in PLACES:
        raise AppError(422, "抽样地点应为 factory（工厂）或 market（市场）/ sampling.place must be factory or market", field="sampling.place")
    if sampling.lot_size is not None and (isinstance(sampling.lot_size, bool) or not isinstance(sampling.lot_size, int)
                                          or not 2 <= sampling.lot_size <= MAX_LOT_SIZE):
        raise AppError(422, f"批量应为 2 至 {MAX_LOT_SIZE} 的整数 / sampling.lot_size must be an integer ≥ 2", field="sampling.lot_size")
    for name, limit in (("lot_no", 64), ("seal_no", 64), ("samplers", 200)):
        if len(getattr(sampling, name) or "") > limit:
            raise AppError(422, f"sampling.{name} 超过 {limit} 个字符 / sampling.{name} is too long", field=f"sampling.{name}")


def _units_needed(specs: Sequence[ClauseSpec], inspection: Inspection) -> int:
    sizes = [s.units for s in specs if s.kind is not ClauseKind.attribute]
    sizes += [p.sample_size for s in specs if (p := plan_for(inspection, s)) is not None]
    return max(sizes, default=1)


@use_case
def create_inspection(*, type: str, firm_uscc: str, product_model: str, standard_code: str | None,
                      station_code: str, sampling: Sampling, actor: User | None, today: date,
                      standard_version: str | None = None, retest_of: int | None = None) -> Inspection:
    """Open an inspection draft (SPEC §6 POST /inspections); a retest needs `retest_of`."""
    original = None
    if retest_of is not None:
        original = _retest_original(retest_of, actor, today)
        type = InspectionType.retest.value
    if type not in CREATABLE_TYPES and original is None:
        allowed = "、".join(CREATABLE_TYPES)
        message = ("复检须指定原检验 retest_of / a retest needs retest_of" if type == "retest"
                   else f"检验类型应为 {allowed} / type must be one of {allowed}")
        raise AppError(422, message, field="retest_of" if type == "retest" else "type")
    firm = db.session.execute(db.select(Firm).where(Firm.uscc == (firm_uscc or "").strip().upper())).scalar_one_or_none()
    if firm is None:
        raise AppError(404, f"企业不存在：{firm_uscc} / unknown firm", field="firm_uscc")
    model = next((m for m in firm.models if m.model == (product_model or "").strip()), None)
    if model is None:
        raise AppError(404, f"{firm.name} 没有型号 {product_model} / unknown product model", field="product_model")
    station = find_station(station_code)
    if station is None:
        raise AppError(404, f"检测站不存在：{station_code} / unknown station", field="station_code")
    if actor is not None and actor.role in STATION_ROLES and actor.station_id != station.id:
        raise AppError(403, "只能为本检测站开立检验 / you may open inspections only for your own station", field="station_code")
    if original is not None:
        if firm.id != original.firm_id or model.id != original.product_model_id:
            raise AppError(422, "复检的企业和型号须与原检验一致 / a retest must be of the same firm and model", field="retest_of")
        version = original.version
    else:
        version = _version_for(standard_code, standard_version, actor)
    if version.standard not in station.scope:
        # SPEC §10: a station opens inspections only against the standards in its scope.
        raise AppError(422, f"{version.standard.code} 不在检测站 {station.code} 的检测范围内，不能开立检验 / "
                       "the standard is outside the station's scope", field="standard_code")
    _check_sampling(sampling, today)
    severity = dict(original.severity) if original is not None else switching_severity(model.id)
    inspection = Inspection(
        type=type, firm=firm, product_model=model, version=version, station=station, retest_of=original,
        status=InspectionStatus.DRAFT, sampled_on=sampling.sampled_on, place=sampling.place,
        lot_no=(sampling.lot_no or "").strip() or None, lot_size=sampling.lot_size,
        seal_no=(sampling.seal_no or "").strip() or None, samplers=(sampling.samplers or "").strip() or None,
        severity=severity, created_by=actor, lock_version=1,
    )
    specs = required_specs(inspection)
    if not specs:
        raise AppError(422, f"{version.standard.code} 没有适用于该检验类型的条款 / no clause applies", field="type")
    discontinued = sorted({str(s.category) for s in specs if s.kind is ClauseKind.attribute
                           and severity.get(str(s.category)) == Severity.discontinued})
    if discontinued:
        # GB/T 2828.1 9.3.4: no lot is accepted while discontinued, until the authority lets it resume.
        raise AppError(409, f"该型号 {'、'.join(discontinued)} 类计数检验已暂停（GB/T 2828.1 9.3.4），"
                                   "须由协会恢复后才能抽样 / sampling inspection is discontinued", field="product_model")
    inspection.sample_size = sampling.sample_size or _units_needed(specs, inspection)
    # Taken last, once every check has passed: a refused draft takes no number (a rollback gives it back).
    inspection.number = _next_inspection_number(station, today.year)
    db.session.add(inspection)
    db.session.flush()
    return inspection


def _next_inspection_number(station: Station, year: int) -> str:
    """Take the station's next number of the year (infra.numbering), e.g. `ZSSJ-2026-0017`."""
    prefix = f"{station.code}-{year}-"

    def given() -> int:  # numbers stored before this year's counter (migration 0007's back-fill)
        return highest_suffix(db.session.execute(db.select(Inspection.number).where(
            Inspection.station_id == station.id, Inspection.number.startswith(prefix, autoescape=True))).scalars(),
            prefix)

    return inspection_number(station.code, year, next_number("inspection", station.id, year, given))


def _retest_original(inspection_id: int, actor: User | None, today: date) -> Inspection:
    original = db.session.get(Inspection, inspection_id) if 0 < inspection_id < 2**31 else None
    if original is None or (actor is not None and not can_see(actor, original)):
        raise AppError(404, f"原检验不存在：{inspection_id} / retest_of: unknown inspection", field="retest_of")
    allowed, reason = retest_status(original, today)
    if not allowed:
        raise AppError(409, reason, field="retest_of")
    return original


def retest_status(inspection: Inspection, today: date, verdict: Verdict | None = None) -> tuple[bool, str]:
    """Say whether a retest may be opened against this inspection today, and why."""
    if inspection.type == InspectionType.retest:
        return False, "复检结果不能再复检 / a retest cannot be retested"
    if inspection.status != InspectionStatus.VERIFIED:
        return False, "只有已审核的检验才能复检 / only a verified inspection can be retested"
    rule = verdict_rule(inspection.version)
    allowed, reason = engine.retest_allowed(rule, verdict or judge(inspection))
    if not allowed:
        return False, reason
    deadline = engine.retest_deadline(rule.retest, inspection.verified_on)
    if today > deadline:
        # SPEC §3: a retest may be opened only before the deadline (X2's retest window).
        return False, f"复检期限已过（截止 {deadline.isoformat()}）/ the retest deadline {deadline.isoformat()} has passed"
    existing = db.session.execute(db.select(Inspection.id).where(
        Inspection.retest_of_id == inspection.id, Inspection.supersedes_id.is_(None))).first()
    if existing:
        return False, f"已开立复检 {existing[0]} / a retest is already open"
    return True, f"{reason}；截止 {deadline.isoformat()}"


@dataclass(frozen=True)
class InspectionCase:
    """An inspection as a page or an answer shows it, computed once per request."""

    row: Inspection
    specs: list
    verdict: Verdict
    plan: dict
    retest_allowed: bool
    retest_reason: str


def inspection_case(inspection: Inspection, today: date) -> InspectionCase:
    """Build the clause specifications once, judge once, and derive the plan and retest status from them."""
    specs = clause_specs(inspection)
    verdict = judge(inspection, specs)
    allowed, reason = retest_status(inspection, today, verdict)
    return InspectionCase(inspection, specs, verdict, sample_plan(inspection, specs), allowed, reason)


def open_retest(inspection_id: int, actor: User, today: date, sampling: Sampling) -> Inspection:
    """Open a retest on the doubled sample of a failed, verified inspection (SPEC §3 复检)."""
    original = get_inspection(inspection_id, actor)
    return create_inspection(type="retest", firm_uscc=original.firm.uscc, product_model=original.product_model.model,
                             standard_code=None, station_code=original.station.code, sampling=sampling,
                             actor=actor, today=today, retest_of=original.id)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One result as typed or sent: `value` (text, bool) for a unit, or `nonconforming` for an attribute clause."""

    clause: str
    unit: int | None = None
    value: object = None
    nonconforming: object = None


@dataclass(frozen=True)
class EntryProblem:
    """Why one entry was refused; `index` is its position (or CSV line) and `field` the bad input."""

    index: int
    clause: str
    unit: int | None
    field: str
    message: str

    def to_dict(self) -> dict:
        return {"index": self.index, "clause": self.clause, "unit": self.unit, "field": self.field,
                "message": self.message}


YES = {"true", "1", "y", "yes", "是", "合格", "符合", "pass", "ok", "√"}
NO = {"false", "0", "n", "no", "否", "不合格", "不符合", "fail", "×"}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_entry(inspection: Inspection, spec: ClauseSpec | None, entry: Entry) -> tuple[int, str | None, int | None]:
    """Check one entry against its clause; return (unit, stored value, nonconforming) or raise InputError."""
    if spec is None:
        raise InputError(f"条款 {entry.clause} 不属于本次检验 / clause {entry.clause} is not tested here")
    if spec.kind is ClauseKind.attribute:
        raw = entry.nonconforming if entry.nonconforming is not None else entry.value
        if _blank(raw):
            return 1, None, None
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise InputError(f"条款 {spec.number} 应填写不合格品数（整数）/ nonconforming must be an integer")
        value = engine.parse_decimal(raw) if isinstance(raw, str) else Decimal(raw)
        if abs(value) > MAX_LOT_SIZE:
            raise InputError(f"条款 {spec.number} 的不合格品数过大 / nonconforming is too large")
        engine.check_plausible(spec, value)
        plan = plan_for(inspection, spec)
        if plan is not None and value > plan.sample_size:
            raise InputError(f"不合格品数 {value} 超过样本量 {plan.sample_size} / more nonconforming than sampled")
        return 1, None, int(value)
    unit = 1 if entry.unit is None else entry.unit
    if isinstance(unit, bool) or not isinstance(unit, int) or not 1 <= unit <= spec.units:
        raise InputError(f"条款 {spec.number} 应测 {spec.units} 件，没有第 {entry.unit} 件 / unit out of range")
    raw = entry.value
    if _blank(raw):
        return unit, None, None
    if spec.kind is ClauseKind.boolean:
        if isinstance(raw, bool):
            return unit, "true" if raw else "false", None
        text = str(raw).strip().lower()
        if text in YES:
            return unit, "true", None
        if text in NO:
            return unit, "false", None
        raise InputError(f"条款 {spec.number} 应填写“是/1”或“否/0” / expected yes or no")
    if isinstance(raw, bool) or isinstance(raw, float):
        raise InputError("数值请以字符串传递，如 \"12.5\" / numbers travel as strings")
    value = engine.to_decimal(raw) if isinstance(raw, int) else engine.parse_decimal(str(raw))
    engine.check_plausible(spec, value)
    text = engine.fmt_decimal(value)
    if len(text) > MAX_VALUE_CHARS:
        raise InputError(f"数值过长（超过 {MAX_VALUE_CHARS} 位）/ the number is too long")
    return unit, text, None


def _editable(inspection: Inspection) -> None:
    if inspection.status == InspectionStatus.VERIFIED or inspection.status == InspectionStatus.SUPERSEDED:
        raise AppError(409, "已审核的检验结果不可更改；如需更正，请以修订方式提出并说明理由 / "
                                   "verified results never change: open a revision with a reason")
    if inspection.status != InspectionStatus.DRAFT:
        raise AppError(409, "检验已提交审核，不能再修改结果 / the inspection was submitted and is locked")


def _check_entries(inspection: Inspection, entries: Sequence[Entry], first_index: int = 0) -> tuple[list, list]:
    specs = {s.number: s for s in required_specs(inspection)}
    parsed, problems = [], []
    for i, entry in enumerate(entries, start=first_index):
        spec = specs.get(str(entry.clause).strip())
        try:
            parsed.append((spec.number if spec else entry.clause, *parse_entry(inspection, spec, entry)))
        except InputError as err:
            field = "clause" if spec is None else ("unit" if "没有第" in err.message else
                                                   "nonconforming" if spec.kind is ClauseKind.attribute else "value")
            problems.append(EntryProblem(i, str(entry.clause), entry.unit, field, err.message))
    return parsed, problems


def _bump_lock(inspection: Inspection, expected: int | None) -> None:
    """Take the optimistic lock: a save based on a stale version is refused, never merged."""
    wanted = inspection.lock_version if expected is None else expected
    done = db.session.execute(
        update(Inspection).where(Inspection.id == inspection.id, Inspection.lock_version == wanted)
        .values(lock_version=Inspection.lock_version + 1).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise AppError(409, "草稿已被他人修改（您打开的是旧版本），为避免覆盖，本次保存未生效；请刷新后重新录入 / "
                                   "the draft was changed by someone else since you loaded it: reload and enter again", field="lock_version", details={"lock_version": "stale"})
    db.session.expire(inspection, ["lock_version"])


def _store(inspection: Inspection, parsed: Sequence[tuple], actor: User | None, now: datetime) -> None:
    existing = {(r.clause_number, r.unit): r for r in inspection.results}
    for number, unit, value, nonconforming in parsed:
        row = existing.get((number, unit))
        if value is None and nonconforming is None:
            if row is not None:
                inspection.results.remove(row)
            continue
        if row is None:
            row = Result(clause_number=number, unit=unit)
            inspection.results.append(row)
            existing[(number, unit)] = row
        if row.value != value or row.nonconforming != nonconforming or row.id is None:
            row.value, row.nonconforming = value, nonconforming
            row.entered_by = actor
            row.entered_at = now


@use_case
def save_results(inspection_id: int, entries: Sequence[Entry], actor: User | None, *,
                 lock_version: int | None = None, now: datetime | None = None) -> Verdict:
    """Store draft results (a blank value clears one) and return the verdict preview.

    Entries are merged into the draft. Every bad entry is reported at once and nothing is stored.
    `lock_version` is the version the client loaded; a stale one is refused with 409.
    """
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.TECHNICIAN,), "录入结果 / enter results")
    _editable(inspection)
    parsed, problems = _check_entries(inspection, entries)
    if problems:
        raise AppError(422, "有结果未通过检查，均未保存 / some results were refused; nothing was saved", details={"problems": [p.to_dict() for p in problems]})
    _bump_lock(inspection, lock_version)
    _store(inspection, parsed, actor, now or utcnow())
    verdict = judge(inspection)
    return verdict


# --- CSV import ------------------------------------------------------------------------------

CSV_HEADER = ["clause", "unit", "value", "title", "requirement", "measure_unit"]


def csv_template(inspection: Inspection) -> str:
    """Return a CSV template: one row per clause and unit; only clause, unit and value are read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    stored = {(r.clause_number, r.unit): (r.value if r.nonconforming is None else str(r.nonconforming))
              for r in inspection.results}
    for spec in required_specs(inspection):
        units = 1 if spec.kind is ClauseKind.attribute else spec.units
        requirement = engine.requirement_text(spec)
        if spec.kind is ClauseKind.attribute and (plan := plan_for(inspection, spec)):
            requirement += f"; n={plan.sample_size} Ac={plan.ac} Re={plan.re} (填写不合格品数)"
        if spec.kind is ClauseKind.boolean:
            requirement += " (1=是 0=否)"
        for unit in range(1, units + 1):
            writer.writerow([csv_cell(v) for v in (spec.number, unit, stored.get((spec.number, unit)) or "",
                                                   spec.title, requirement, spec.unit or "")])
    return "\ufeff" + out.getvalue()  # BOM: Excel on Chinese Windows opens UTF-8 correctly


def parse_csv(text: str) -> tuple[list[Entry], list[EntryProblem]]:
    """Read CSV text into entries; each malformed line is a problem numbered by its line."""
    text = text.lstrip("\ufeff")
    # Universal newlines: Excel for Mac writes bare CR; csv reads the lines the StringIO splits.
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        rows = list(reader)
    except csv.Error as err:  # e.g. an unbalanced quote
        return [], [EntryProblem(reader.line_num or 1, "", None, "file", f"CSV 格式错误 / malformed CSV: {str(err)[:80]}")]
    if not rows:
        return [], [EntryProblem(1, "", None, "file", "文件为空 / the file is empty")]
    header = [h.strip().lower() for h in rows[0]]
    if "clause" not in header or "value" not in header:
        return [], [EntryProblem(1, "", None, "header", "第 1 行应为表头，至少包含 clause、value 两列 / "
                                                         "line 1 must be a header with clause and value")]
    col = {name: header.index(name) for name in ("clause", "unit", "value") if name in header}
    entries, problems = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda name: row[col[name]].strip() if name in col and col[name] < len(row) else ""  # noqa: E731
        unit_text = cell("unit")
        unit = None
        if unit_text:
            if not (unit_text.isascii() and unit_text.isdigit()) or len(unit_text) > 6:  # not ², not 2^63
                problems.append(EntryProblem(line, cell("clause"), None, "unit",
                                             f"件号“{unit_text}”应为正整数 / unit must be a positive integer"))
                continue
            unit = int(unit_text)
        if not cell("clause"):
            problems.append(EntryProblem(line, "", unit, "clause", "缺少条款号 / clause is missing"))
            continue
        entries.append((line, Entry(clause=cell("clause"), unit=unit, value=cell("value"))))
    return entries, problems


@use_case
def import_csv(inspection_id: int, text: str, actor: User | None, *, lock_version: int | None = None,
               now: datetime | None = None) -> tuple[Verdict, int]:
    """Import results from CSV, all or nothing: every bad line is listed and then nothing is stored."""
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.TECHNICIAN,), "导入结果 / import results")
    _editable(inspection)
    numbered, problems = parse_csv(text)
    parsed = []
    seen: dict[tuple, int] = {}
    for line, entry in numbered:
        ok, bad = _check_entries(inspection, [entry], first_index=line)
        problems.extend(bad)
        for item in ok:
            if not item[2] and item[3] is None:
                problems.append(EntryProblem(line, entry.clause, entry.unit, "value", "缺少结果 / value is missing"))
                continue
            key = item[:2]
            if key in seen:
                problems.append(EntryProblem(line, entry.clause, entry.unit, "unit",
                                             f"与第 {seen[key]} 行重复 / duplicates line {seen[key]}"))
                continue
            seen[key] = line
            parsed.append(item)
    if not problems and not parsed:
        problems.append(EntryProblem(2, "", None, "file", "文件中没有结果 / the file holds no results"))
    if problems:
        problems.sort(key=lambda p: p.index)
        raise AppError(422, f"CSV 有 {len(problems)} 处错误，未导入任何结果 / "
                                   f"{len(problems)} problems: nothing was imported", details={"problems": [{**p.to_dict(), "line": p.index} for p in problems]})
    _bump_lock(inspection, lock_version)
    _store(inspection, parsed, actor, now or utcnow())
    verdict = judge(inspection)
    return verdict, len(parsed)


# --- four eyes -------------------------------------------------------------------------------


def _require_station_member(inspection: Inspection, actor: User | None, roles: tuple, doing: str) -> None:
    if actor is None or actor.role not in roles:
        raise AppError(403, f"您的角色不能{doing} / your role may not do this")
    if actor.station_id != inspection.station_id:
        raise AppError(403, f"只有本检测站人员才能{doing} / only this station's people may do this")


@use_case
def submit(inspection_id: int, actor: User, *, now: datetime | None = None) -> Verdict:
    """Submit a complete draft for verification by a second person (four eyes)."""
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.TECHNICIAN,), "提交检验 / submit")
    _editable(inspection)
    verdict = judge(inspection)
    if verdict.outcome is VerdictOutcome.incomplete:
        # SPEC §3: an incomplete inspection cannot be submitted.
        raise AppError(409, f"结果不完整，不能提交：缺少条款 {'、'.join(verdict.missing)} 的结果 / "
                                   "incomplete: results are missing", field="results", details={"missing": list(verdict.missing)})
    _bump_lock(inspection, None)
    inspection.status = InspectionStatus.SUBMITTED
    inspection.submitted_by = actor
    inspection.submitted_at = now or utcnow()
    return verdict


@use_case
def return_to_draft(inspection_id: int, actor: User, reason: str, *, sampling: bool = False) -> Inspection:
    """Send a submitted inspection back to the technician with the reviewer's reason.

    `sampling` says the sampling record itself is wrong: the draft then asks for it to be corrected.
    """
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.REVIEWER,), "退回检验 / return")
    if inspection.status != InspectionStatus.SUBMITTED:
        raise AppError(409, "只有已提交的检验可以退回 / only a submitted inspection can be returned")
    reason = required_text("reason", reason, "退回理由", REASON_LENGTH)
    _bump_lock(inspection, None)
    inspection.status = InspectionStatus.DRAFT
    inspection.submitted_by = None
    inspection.submitted_at = None
    inspection.return_reason = reason
    inspection.return_sampling = bool(sampling)
    inspection.returned_by = actor
    inspection.revision_reason = ((inspection.revision_reason + "\n") if inspection.revision_reason else "") + \
        f"退回：{reason.strip()}"
    return inspection


def may_verify(inspection: Inspection, actor: User | None) -> tuple[bool, str]:
    """Say whether this actor may verify this inspection now, and why not (the page and the service ask alike)."""
    if actor is None or actor.role != Role.REVIEWER:
        return False, "只有审核员可以审核 / only a reviewer may verify"
    if actor.station_id != inspection.station_id:
        return False, "只有本检测站的审核员可以审核 / only this station's reviewers may verify"
    if inspection.status != InspectionStatus.SUBMITTED:
        return False, "只有已提交的检验可以审核 / only a submitted inspection can be verified"
    entered_by = {r.entered_by_id for r in inspection.results}
    if actor.id == inspection.submitted_by_id or actor.id in entered_by:
        # Four eyes: whoever entered or submitted the results may not also verify them.
        return False, ("四眼原则：审核人不能是提交人或录入人，请由另一位审核员审核 / "
                       "four eyes: the verifier must not be the submitter")
    return True, ""


def awaiting_review(actor: User | None) -> int:
    """Count the submitted inspections this actor could verify (the reviewer's queue)."""
    if actor is None or actor.role != Role.REVIEWER or actor.station_id is None:
        return 0
    entered_by_me = select(Result.inspection_id).where(Result.entered_by_id == actor.id)
    query = db.select(func.count(Inspection.id)).where(
        Inspection.station_id == actor.station_id, Inspection.status == InspectionStatus.SUBMITTED,
        or_(Inspection.submitted_by_id.is_(None), Inspection.submitted_by_id != actor.id),
        Inspection.id.not_in(entered_by_me))
    return db.session.execute(query).scalar_one()


@use_case
def update_sampling(inspection_id: int, actor: User, sampling: Sampling, today: date) -> Inspection:
    """Correct the sampling record (抽样单) of a draft; the sample size follows the new lot size."""
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.TECHNICIAN,), "修改抽样单 / edit the sampling record")
    _editable(inspection)
    _check_sampling(sampling, today)
    _bump_lock(inspection, None)
    inspection.sampled_on = sampling.sampled_on
    inspection.place = sampling.place
    inspection.lot_no = (sampling.lot_no or "").strip() or None
    inspection.lot_size = sampling.lot_size
    inspection.seal_no = (sampling.seal_no or "").strip() or None
    inspection.samplers = (sampling.samplers or "").strip() or None
    inspection.sample_size = sampling.sample_size or _units_needed(required_specs(inspection), inspection)
    inspection.return_sampling = False  # the correction the reviewer asked for is made
    return inspection


@use_case
def void_inspection(inspection_id: int, actor: User, reason: str, *, now: datetime | None = None) -> Inspection:
    """Void a draft opened by mistake: the row stays, marked void with who, when and why."""
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.TECHNICIAN, Role.REVIEWER), "作废检验 / void")
    if inspection.status != InspectionStatus.DRAFT:
        raise AppError(409, "只有草稿可以作废；已提交的请先退回，已审核的请修订 / only a draft can be voided")
    reason = required_text("reason", reason, "作废理由", REASON_LENGTH)
    _bump_lock(inspection, None)
    inspection.status = InspectionStatus.VOID
    inspection.void_reason = reason
    inspection.voided_by = actor
    inspection.voided_at = now or utcnow()
    return inspection


@use_case
def verify_inspection(inspection_id: int, actor: User, today: date, *, now: datetime | None = None) -> Inspection:
    """Verify a submitted inspection as a second person; store the verdict and announce it (the licence rules run in the same transaction)."""
    inspection = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(inspection, actor, (Role.REVIEWER,), "审核检验 / verify")
    if inspection.status != InspectionStatus.SUBMITTED:
        raise AppError(409, "只有已提交的检验可以审核 / only a submitted inspection can be verified")
    allowed, why = may_verify(inspection, actor)
    if not allowed:
        raise AppError(403, why)
    verdict = judge(inspection)
    if verdict.outcome is VerdictOutcome.incomplete:
        raise AppError(409, "结果不完整，不能审核 / incomplete results cannot be verified", details={"missing": list(verdict.missing)})
    _bump_lock(inspection, None)
    inspection.status = InspectionStatus.VERIFIED
    inspection.verified_by = actor
    inspection.verified_at = now or utcnow()
    inspection.verified_on = today
    inspection.outcome = verdict.outcome.value
    inspection.failed_a, inspection.failed_b, inspection.failed_c = (verdict.failed[c] for c in "ABC")
    if inspection.supersedes is not None:
        inspection.supersedes.status = InspectionStatus.SUPERSEDED
    _advance_switching(inspection, verdict)
    db.session.flush()
    publish(InspectionVerified(inspection.id, inspection.firm_id, today))
    return inspection


@use_case
def revise(inspection_id: int, actor: User, reason: str) -> Inspection:
    """Open a correction of a verified inspection: a new draft revision; the verified one stays until replaced."""
    old = get_inspection(inspection_id, actor, for_change=True)
    _require_station_member(old, actor, STATION_ROLES, "修订检验 / revise")
    if old.status != InspectionStatus.VERIFIED:
        raise AppError(409, "只有已审核的检验可以修订 / only a verified inspection can be revised")
    if not (reason or "").strip():
        raise AppError(422, "修订必须说明理由 / a revision needs a reason", field="reason")
    pending = db.session.execute(db.select(Inspection.id).where(Inspection.supersedes_id == old.id)).first()
    if pending:
        raise AppError(409, f"已有修订 {pending[0]} / a revision already exists")
    new = Inspection(
        type=old.type, firm_id=old.firm_id, product_model_id=old.product_model_id, version_id=old.version_id,
        station_id=old.station_id, retest_of_id=old.retest_of_id, supersedes=old, number=old.number,
        revision=old.revision + 1,
        revision_reason=reason.strip(), status=InspectionStatus.DRAFT, sampled_on=old.sampled_on, place=old.place,
        lot_no=old.lot_no, lot_size=old.lot_size, sample_size=old.sample_size, seal_no=old.seal_no,
        samplers=old.samplers, severity=dict(old.severity or {}), created_by=actor, lock_version=1,
    )
    for r in old.results:
        new.results.append(Result(clause_number=r.clause_number, unit=r.unit, value=r.value,
                                  nonconforming=r.nonconforming, entered_by_id=r.entered_by_id,
                                  entered_at=r.entered_at))
    db.session.add(new)
    return new


@use_case
def resume_sampling(product_model_id: int, category: str) -> SwitchingRecord:
    """Let a discontinued product model resume, on tightened inspection (GB/T 2828.1 9.4)."""

    record = _switching_record(product_model_id, category)
    if record is None or record.severity != Severity.discontinued:
        raise AppError(409, "该类别未处于暂停检验状态 / not discontinued")
    state = resume(SwitchingState(record.severity, tuple(record.recent), record.rejected_while_tightened))
    record.severity, record.recent, record.rejected_while_tightened = str(state.severity), [], 0
    return record


def revisions(inspection: Inspection) -> list[Inspection]:
    """Return the chain of revisions this inspection belongs to, oldest first."""
    first = inspection
    while first.supersedes is not None:
        first = first.supersedes
    chain = [first]
    while True:
        nxt = db.session.execute(db.select(Inspection).where(Inspection.supersedes_id == chain[-1].id)
                                 ).scalar_one_or_none()
        if nxt is None:
            return chain
        chain.append(nxt)


# --- the report ------------------------------------------------------------------------------


def report_pdf(inspection_id: int, actor: User | None, today: date) -> tuple[bytes, str]:
    """Render the inspection report (检验报告) PDF; return its bytes and file name."""

    inspection = get_inspection(inspection_id, actor)
    return render_report(report_data(inspection, today)), f"report-{inspection.file_stem}.pdf"


def revision_note(inspection: Inspection) -> str | None:
    """Say what this report replaces or is replaced by, and whether it is a retest."""
    notes = []
    if inspection.supersedes is not None:
        notes.append(f"本报告为第 {inspection.revision} 版，替代报告 {inspection.supersedes.report_no}；"
                     f"修订理由：{inspection.revision_reason or ''}")
    if inspection.status == InspectionStatus.SUPERSEDED:
        newer = db.session.execute(db.select(Inspection).where(Inspection.supersedes_id == inspection.id)
                                   ).scalar_one_or_none()
        notes.append(f"本报告已被报告 {newer.report_no if newer else ''} 替代，已作废。")
    if inspection.retest_of is not None:
        notes.append(f"复检：原检验报告 {inspection.retest_of.report_no}，样本加倍。")
    return "\n".join(notes) or None


OUTCOME_LABELS = {"pass": "合格", "fail": "不合格", "incomplete": "结果不完整，未判定"}


def report_data(inspection: Inspection, today: date):
    """Gather what the report prints; the verdict comes from the engine."""
    verdict = judge(inspection)
    specs = {s.number: s for s in required_specs(inspection)}
    rows = []
    for cv in verdict.clauses:
        measured = "、".join(v for v in cv.values if v) or "—"
        if specs[cv.number].kind is ClauseKind.attribute and cv.plan is not None:
            measured = f"{measured}（n={cv.plan.sample_size}，Ac={cv.plan.ac}）"
        rows.append(ReportRow(clause_number=cv.number, title=cv.title, category=str(cv.category),
                              requirement=cv.requirement, measured=measured, unit=cv.unit or "",
                              rounded="、".join(r for r in cv.rounded if r),
                              result={"pass": "合格", "fail": "不合格"}.get(cv.outcome.value, "未检")))
    severity = inspection.severity or {}
    tightened = "，".join(f"{c} 类{_severity_name(v)}" for c, v in sorted(severity.items()) if v != "normal")
    return ReportData(
        report_no=inspection.report_no,
        station_name=inspection.station.name,
        station_accreditation=inspection.station.accreditation or "—",
        standard_code=inspection.version.standard.code,
        standard_version=inspection.version.label,
        inspection_type_label=INSPECTION_TYPE_NAMES.get(inspection.type, inspection.type),
        firm_name=inspection.firm.name, uscc=inspection.firm.uscc,
        product_model=f"{inspection.product_model.model}（{inspection.product_model.category}）",
        sampling={
            "date": inspection.sampled_on.isoformat(), "place": inspection.place, "lot_no": inspection.lot_no or "—",
            "lot_size": str(inspection.lot_size or "—"),
            "sample_size": str(inspection.sample_size or "—") + (f"（{tightened}）" if tightened else ""),
            "seal_no": inspection.seal_no or "—", "samplers": inspection.samplers or "—",
        },
        rows=tuple(rows),
        verdict_text=f"{OUTCOME_LABELS[verdict.outcome.value]}。{verdict.reason}",
        failed_counts=verdict.failed.to_dict(),
        technician=inspection.submitted_by.name if inspection.submitted_by else "—",
        reviewer=inspection.verified_by.name if inspection.verified_by else "—",
        verified_at=inspection.verified_on.isoformat() if inspection.verified_on else None,
        revision_note=revision_note(inspection),
        generated_on=today,
        outcome=verdict.outcome.value,
        technician_name=inspection.submitted_by.name if inspection.submitted_by else "",
        reviewer_name=inspection.verified_by.name if inspection.verified_by else "",
        supersedes_report_no=inspection.supersedes.report_no if inspection.supersedes is not None else None,
    )


def _severity_name(value: str) -> str:
    try:
        return SEVERITY_NAMES[Severity(value)]
    except ValueError:
        return value


# --- helpers for demo seeding and other areas --------------------------------------------------


def run_inspection(*, firm_uscc: str, product_model: str, standard_code: str, station_code: str,
                   values: dict[str, object], technician: User, reviewer: User, today: date,
                   type: str = "type", lot_size: int = 500, sampled_on: date | None = None) -> Inspection:
    """Create, fill, submit and verify an inspection in one go (demo data and tests).

    `values` maps clause number to one value for every unit (a str number, a bool, or an int
    nonconforming count for attribute clauses) or to a list of values per unit.
    """
    inspection = create_inspection(type=type, firm_uscc=firm_uscc, product_model=product_model,
                                   standard_code=standard_code, station_code=station_code,
                                   sampling=Sampling(sampled_on=sampled_on or today, place="factory",
                                                     lot_no=f"L{today:%Y%m%d}", lot_size=lot_size,
                                                     seal_no=f"F{today:%Y%m%d}", samplers=technician.name),
                                   actor=technician, today=today)
    save_results(inspection.id, entries_for(inspection, values), technician)
    submit(inspection.id, technician)
    return verify_inspection(inspection.id, reviewer, today)


def entries_for(inspection: Inspection, values: dict[str, object]) -> list[Entry]:
    """Spread one value per clause (or a list per unit) over the units the inspection tests."""
    entries = []
    for spec in required_specs(inspection):
        if spec.number not in values:
            continue
        value = values[spec.number]
        if spec.kind is ClauseKind.attribute:
            entries.append(Entry(clause=spec.number, nonconforming=value))
            continue
        per_unit = value if isinstance(value, list) else [value] * spec.units
        entries.extend(Entry(clause=spec.number, unit=u, value=v) for u, v in enumerate(per_unit, start=1))
    return entries


# Short names for seeding scripts.
verify = verify_inspection
