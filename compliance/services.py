"""Standards catalogue use cases: import, publish, supersede, export, judge."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from infra.clock import utcnow
from compliance.engine import ClauseSpec, RetestPolicy, VerdictRule
from compliance.models import Clause, Standard, StandardVersion, VersionStatus
from compliance.standard_file import (Problem, StandardDoc, StandardFileError, StandardStatus, dump_standard,
                                      parse_standard)
from infra.errors import AppError
from parties.models import Alliance
from accounts.access import serves, within
from infra.db import db, over_length, use_case


def _refused(message: str, problems=(), status: int = 422) -> AppError:
    """A refused catalogue operation; `details["problems"]` lists each one by clause and field."""
    return AppError(status, message, details={"problems": [
        {"where": p.where, "field": p.field, "message": p.message} for p in problems]})


def _dec(value) -> str | None:
    return None if value is None else str(value)


def clause_spec(row: Clause) -> ClauseSpec:
    """Return the engine's view of a stored clause."""
    return ClauseSpec(
        number=row.number, title=row.title, category=row.category, kind=row.kind, unit=row.unit,
        comparator=row.comparator,
        limit=None if row.limit is None else Decimal(row.limit),
        low=None if row.low is None else Decimal(row.low),
        high=None if row.high is None else Decimal(row.high),
        low_inclusive=row.low_inclusive, high_inclusive=row.high_inclusive,
        digits=row.digits, comparison=row.comparison, units=row.units,
        interval=None if row.interval is None else Decimal(row.interval),
        minimum=None if row.minimum is None else Decimal(row.minimum),
        inspections=tuple(row.inspections or ()), method=row.method, expected=row.expected,
        aql=row.aql, level=row.level,
    )


def verdict_rule(version: StandardVersion) -> VerdictRule:
    """Return the engine's view of a version's verdict rule."""
    data = version.verdict_rule or {}
    retest = data.get("retest")
    return VerdictRule(
        pass_if_any=tuple({k: int(v) for k, v in alt.items()} for alt in data.get("pass_if_any", [])),
        retest=None if not retest else RetestPolicy(
            categories=tuple(retest["categories"]), sample_factor=int(retest["sample_factor"]),
            deadline_days=int(retest["deadline_days"])),
    )


def _rule_json(rule: VerdictRule) -> dict:
    return {
        "pass_if_any": [{str(k): int(v) for k, v in dict(alt).items()} for alt in rule.pass_if_any],
        "retest": None if rule.retest is None else {
            "categories": [str(c) for c in rule.retest.categories],
            "sample_factor": rule.retest.sample_factor,
            "deadline_days": rule.retest.deadline_days,
        },
    }


def version_doc(version: StandardVersion) -> StandardDoc:
    """Return a stored version as the document it was imported from."""
    return StandardDoc(
        code=version.standard.code, title=version.title, alliance=version.standard.alliance.code,
        version=version.label, effective=version.effective, transition_end=version.transition_end,
        status=StandardStatus.draft if version.status == VersionStatus.DRAFT else StandardStatus.published,
        verdict_rule=verdict_rule(version),
        clauses=tuple(clause_spec(c) for c in version.clauses),
    )


def export_yaml(version: StandardVersion) -> str:
    return dump_standard(version_doc(version))


def find_standard(code: str) -> Standard | None:
    return db.session.execute(db.select(Standard).where(Standard.code == code.strip())).scalar_one_or_none()


def find_version(code: str, label: str) -> StandardVersion | None:
    standard = find_standard(code)
    if standard is None:
        return None
    return next((v for v in standard.versions if v.label == label), None)


# --- what a staff user may see: its alliances' standards (SPEC §10) ---------------------------


def visible_standards(query, actor):
    """Narrow a query over Standard (or joined to it) to the standards of the actor's alliances."""
    return within(query, actor, Standard.alliance_id)


STANDARD_SORTS = {"code": (Standard.code,), "-code": (Standard.code.desc(),),
                  "title": (Standard.title, Standard.code), "-title": (Standard.title.desc(), Standard.code)}


def list_standards(actor, args):
    """Return one page of the actor's standards, found by code or title (alliance and versions loaded with it)."""
    from sqlalchemy.orm import joinedload, selectinload

    from infra.pagination import paginate

    query = visible_standards(db.select(Standard).options(joinedload(Standard.alliance),
                                                           selectinload(Standard.versions)), actor)
    if args.q:
        query = query.where(Standard.code.contains(args.q, autoescape=True)
                            | Standard.title.contains(args.q, autoescape=True))
    return paginate(query, args, STANDARD_SORTS, "code")


def standard_for(code: str, actor) -> Standard | None:
    """Return the standard of `code` if the actor may see it, else None (as if it did not exist)."""
    standard = find_standard(code or "")
    return standard if standard is not None and serves(actor, standard.alliance_id) else None


def get_version(version_id: int, actor) -> StandardVersion:
    """Return a version the actor may see; another alliance's is answered as not found."""
    version = db.session.get(StandardVersion, version_id)
    if version is None or not serves(actor, version.standard.alliance_id):
        raise _refused("版本不存在 / unknown version", status=404)
    return version


def version_for(code: str, label: str, actor) -> StandardVersion:
    """Return the version `code` `label` if the actor may see it, else 404."""
    version = find_version(code, label)
    if version is None or not serves(actor, version.standard.alliance_id):
        raise AppError(404, f"标准版本不存在：{code} {label} / unknown standard version")
    return version


@use_case
def import_standard(source, actor=None) -> StandardVersion:
    """Store a standard version from YAML text or a mapping; refuse the whole file on any problem."""
    try:
        doc = parse_standard(source)
    except StandardFileError as err:
        raise _refused("标准文件有错误，未导入 / the standard file was refused", err.problems) from None
    alliance = db.session.execute(db.select(Alliance).where(Alliance.code == doc.alliance)).scalar_one_or_none()
    if alliance is None or not serves(actor, alliance.id):  # another alliance's: as if it did not exist
        raise _refused("联盟不存在 / unknown alliance",
                       [Problem(where="文件", field="alliance", message=f"联盟 {doc.alliance} 不存在，请先创建联盟")],
                       status=404)
    standard = find_standard(doc.code)
    if standard is None:
        standard = Standard(code=doc.code, title=doc.title, alliance=alliance)
        db.session.add(standard)
    elif standard.alliance_id != alliance.id:
        raise _refused("标准属于其他联盟 / standard belongs to another alliance",
                             [Problem(where="文件", field="alliance", message=f"{doc.code} 已属于联盟 {standard.alliance.code}"
                                      if serves(actor, standard.alliance_id) else f"{doc.code} 已属于其他联盟")],
                       status=409)
    if any(v.label == doc.version for v in standard.versions):
        raise _refused(f"版本 {doc.version} 已存在 / version exists",
                             [Problem(where="文件", field="version", message=f"{doc.code} 的 {doc.version} 版已导入，不能覆盖")],
                             status=409)
    version = StandardVersion(
        standard=standard, label=doc.version, title=doc.title, status=VersionStatus.DRAFT,
        effective=doc.effective, transition_end=doc.transition_end, verdict_rule=_rule_json(doc.verdict_rule),
    )
    for position, spec in enumerate(doc.clauses):
        version.clauses.append(Clause(
            position=position, number=spec.number, title=spec.title, category=str(spec.category),
            kind=str(spec.kind), unit=spec.unit, comparator=None if spec.comparator is None else str(spec.comparator),
            limit=_dec(spec.limit), low=_dec(spec.low), high=_dec(spec.high),
            low_inclusive=spec.low_inclusive, high_inclusive=spec.high_inclusive, digits=spec.digits,
            interval=_dec(spec.interval), minimum=_dec(spec.minimum), comparison=str(spec.comparison), units=spec.units, inspections=[str(t) for t in spec.inspections],
            method=spec.method, expected=spec.expected, aql=spec.aql, level=spec.level,
        ))
    # The columns say how long each text may be: list every over-long one by clause and field.
    too_long = [Problem(where="文件", field=key, message=f"{key} 不能超过 {length} 个字符 / at most {length} characters")
                for row in (standard, version) for key, length in over_length(row)]
    too_long += [Problem(where=f"条款 {clause.number[:32]}", field=key,
                         message=f"{key} 不能超过 {length} 个字符 / at most {length} characters")
                 for clause in version.clauses for key, length in over_length(clause)]
    if too_long:
        raise _refused("标准文件有错误，未导入 / the standard file was refused", too_long)
    db.session.add(version)
    db.session.flush()
    if doc.status != "draft":
        _publish(version)
    return version


def _publish(version: StandardVersion) -> None:
    # A newer version supersedes the published one; the old still counts until transition_end (X8).
    now = utcnow()
    for other in version.standard.versions:
        if other is not version and other.status == VersionStatus.PUBLISHED:
            if other.effective > version.effective:
                raise _refused("已有更新的现行版本 / a newer version is published",
                                     [Problem(where="文件", field="effective",
                                              message=f"{other.label} 版生效日期更晚，不能用旧版替代它")], status=409)
            other.status = VersionStatus.SUPERSEDED
            other.superseded_at = now
    version.status = VersionStatus.PUBLISHED
    version.published_at = now


@use_case
def publish(version_id: int, transition_end: date | None = None, actor=None) -> StandardVersion:
    """Publish a draft version, superseding the one in force."""
    version = get_version(version_id, actor)
    if version.status != VersionStatus.DRAFT:
        raise _refused("只有草案可以发布 / only a draft can be published", status=409)
    if transition_end is not None:
        if transition_end < version.effective:
            raise _refused("过渡期结束日期早于生效日期 / transition_end is before effective",
                                 [Problem(where="版本", field="transition_end", message="过渡期结束日期不能早于生效日期")])
        version.transition_end = transition_end
    _publish(version)
    return version
