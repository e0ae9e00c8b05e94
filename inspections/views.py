"""Station and inspection pages: open, enter results by keyboard, submit, verify, revise, retest, report."""

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for

from accounts.access import STAFF, allow, current_actor
from accounts.models import Role
from compliance.engine import ClauseKind
from compliance.models import Standard
from infra.api import page_errors
from infra.pagination import ListArgs
from infra import clock
from infra.db import db
from infra.errors import AppError
from inspections import services
from inspections.forms import ActionForm, CsvForm, InspectionForm, ReasonForm, StationForm
from inspections.models import INSPECTION_STATUS_LABELS, INSPECTION_TYPE_LABELS, PLACE_LABELS, Station
from inspections.services import Entry, Sampling
from parties.models import Firm, ProductModel
from wtforms.fields.choices import SelectChoice

bp = page_errors(Blueprint("inspections", __name__))  # every AppError a view leaves is shown on the error page

ANYONE = ()  # any signed-in user; the service hides what the actor may not see


@bp.route("/stations", methods=["GET", "POST"])
@allow(*STAFF)
def stations():
    form = StationForm()
    form.scope.choices = [SelectChoice(s.code, f"{s.code} {s.title}") for s in
                          db.session.execute(db.select(Standard).order_by(Standard.code)).scalars()]
    if form.validate_on_submit():
        try:
            row = services.create_station(form.code.data, form.name.data, form.accreditation.data, form.scope.data)
        except AppError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash(f"已创建检测站 {row.code}。")
            return redirect(url_for("inspections.stations"))
    rows = db.session.execute(db.select(Station).order_by(Station.code)).scalars().all()
    return render_template("inspections/stations.html", stations=rows, form=form)


def _load(inspection_id: int):
    try:
        return services.get_inspection(inspection_id, current_actor())
    except AppError:
        abort(404)


def _page_context() -> dict:
    return {"status_labels": INSPECTION_STATUS_LABELS, "type_labels": INSPECTION_TYPE_LABELS,
            "place_labels": PLACE_LABELS}


@bp.get("/inspections")
@allow(*ANYONE)
def index():
    args = ListArgs.from_request(request.args)
    page = services.list_inspections(current_actor(), request.args.get("status") or None, args)
    return render_template("inspections/index.html", page=page, rows=page.items, q=args.q, **_page_context())


def _fill_choices(form: InspectionForm, actor) -> None:
    stations = db.session.execute(db.select(Station).order_by(Station.code)).scalars().all()
    if actor.role in services.STATION_ROLES:
        stations = [s for s in stations if s.id == actor.station_id]
    form.station_code.choices = [SelectChoice(s.code, f"{s.code} {s.name}") for s in stations]
    standards = {st.code: st for s in stations for st in s.scope}
    form.standard_code.choices = [SelectChoice(c, f"{c} {st.title}") for c, st in sorted(standards.items())]
    products = db.session.execute(db.select(ProductModel, Firm).join(Firm).order_by(Firm.name, ProductModel.model)).all()
    form.product.choices = [SelectChoice(f"{f.uscc}::{m.model}", f"{f.name} — {m.model}（{m.category}）") for m, f in products]


@bp.route("/inspections/new", methods=["GET", "POST"])
@allow(Role.TECHNICIAN, *STAFF)
def new():
    actor = current_actor()
    form = InspectionForm()
    _fill_choices(form, actor)
    original = None
    retest_of = request.args.get("retest_of", type=int) or (int(form.retest_of.data) if (form.retest_of.data or "").isdigit() else None)
    if retest_of:
        original = _load(retest_of)
        if request.method == "GET":
            form.retest_of.data = str(original.id)
            form.product.data = f"{original.firm.uscc}::{original.product_model.model}"
            form.station_code.data = original.station.code
            form.lot_size.data = original.lot_size
    elif request.method == "GET":
        # Work queues link here with the type and product filled in ("create surveillance inspection").
        for field in (form.type, form.product):
            if request.args.get(field.name) in {value for value, *_rest in field.iter_choices()}:
                field.data = request.args[field.name]
    if form.validate_on_submit():
        uscc, _, model = form.product.data.partition("::")
        try:
            row = services.create_inspection(
                type=form.type.data, firm_uscc=uscc, product_model=model, standard_code=form.standard_code.data,
                standard_version=form.standard_version.data or None, station_code=form.station_code.data,
                retest_of=original.id if original else None, actor=actor, today=clock.today(),
                sampling=Sampling(sampled_on=form.sampled_on.data, place=form.place.data, lot_no=form.lot_no.data,
                                  lot_size=form.lot_size.data, seal_no=form.seal_no.data, samplers=form.samplers.data))
        except AppError as err:
            target = {"standard_code": form.standard_code, "standard_version": form.standard_version,
                      "station_code": form.station_code, "product_model": form.product, "firm_uscc": form.product,
                      "sampling.lot_size": form.lot_size, "sampling.place": form.place,
                      "sampling.date": form.sampled_on, "type": form.type}.get(err.field)
            if target is not None:
                target.errors = list(target.errors) + [err.message]
            else:
                flash(err.message, "error")
        else:
            flash(f"已开立检验 {row.number}，请录入结果。")
            return redirect(url_for("inspections.entry", inspection_id=row.id) if actor.role == Role.TECHNICIAN
                            else url_for("inspections.detail", inspection_id=row.id))
    return render_template("inspections/new.html", form=form, original=original, **_page_context())


@bp.get("/inspections/<int:inspection_id>")
@allow(*ANYONE)
def detail(inspection_id):
    row = _load(inspection_id)
    case = services.inspection_case(row, clock.today())  # specs built once, judged once
    return render_template("inspections/detail.html", row=row, case=case, verdict=case.verdict, plan=case.plan,
                           chain=services.revisions(row), retest_allowed=case.retest_allowed,
                           retest_reason=case.retest_reason,
                           action_form=ActionForm(), reason_form=ReasonForm(), csv_form=CsvForm(),
                           revision_note=services.revision_note(row), **_page_context())


@bp.get("/inspections/<int:inspection_id>/entry")
@allow(Role.TECHNICIAN)
def entry(inspection_id):
    row = _load(inspection_id)
    if row.status != "draft":
        flash("该检验已不是草稿，结果不能再录入。", "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    verdict = services.judge(row)
    outcomes = {c.number: c for c in verdict.clauses}
    stored = {(r.clause_number, r.unit): r for r in row.results}
    lines = []
    for spec in services.required_specs(row):
        plan = services.plan_for(row, spec)
        units = 1 if spec.kind is ClauseKind.attribute else spec.units
        for unit in range(1, units + 1):
            result = stored.get((spec.number, unit))
            if result is None:
                value = ""
            elif spec.kind is ClauseKind.attribute:
                value = str(result.nonconforming)
            elif spec.kind is ClauseKind.boolean:
                value = "1" if result.value == "true" else "0"
            else:
                value = result.value
            lines.append({"spec": spec, "unit": unit, "units": units, "value": value, "plan": plan,
                          "first": unit == 1, "verdict": outcomes.get(spec.number)})
    return render_template("inspections/entry.html", row=row, lines=lines, verdict=verdict, csv_form=CsvForm(),
                           **_page_context())


def _json_error(err: AppError):
    response = jsonify({"error": {"message": err.message, "details": err.details}})
    response.status_code = err.status
    return response


@bp.post("/inspections/<int:inspection_id>/entry")
@allow(Role.TECHNICIAN)
def save_entry(inspection_id):
    """Save the values the page sends (JSON) and answer with the verdict the engine reaches."""
    _load(inspection_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return jsonify({"error": {"message": "请求格式错误 / malformed request", "details": {}}}), 400
    entries = [Entry(clause=str(item.get("clause", "")), unit=item.get("unit") if isinstance(item.get("unit"), int) else None,
                     value=item.get("value")) for item in data["results"] if isinstance(item, dict)]
    lock = data.get("lock_version")
    try:
        verdict = services.save_results(inspection_id, entries, current_actor(),
                                        lock_version=lock if isinstance(lock, int) else None)
    except AppError as err:
        return _json_error(err)
    row = services.get_inspection(inspection_id, current_actor())
    return jsonify({"lock_version": row.lock_version, "verdict": verdict.to_dict()})


@bp.get("/inspections/<int:inspection_id>/template.csv")
@allow(*ANYONE)
def template(inspection_id):
    row = _load(inspection_id)
    return Response(services.csv_template(row), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=results-{row.number}.csv"})


@bp.post("/inspections/<int:inspection_id>/import")
@allow(Role.TECHNICIAN)
def import_csv(inspection_id):
    row = _load(inspection_id)
    form = CsvForm()
    if not form.validate_on_submit():
        flash("请选择要导入的 CSV 文件。", "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash("CSV 文件须为 UTF-8 编码。", "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    try:
        _verdict, count = services.import_csv(row.id, text, current_actor())
    except AppError as err:
        flash(err.message, "error")
        for problem in (err.details or {}).get("problems", []):
            flash(f"第 {problem['index']} 行 条款 {problem['clause'] or '—'}：{problem['message']}", "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    flash(f"已导入 {count} 条结果。")
    return redirect(url_for("inspections.entry", inspection_id=row.id))


def _act(inspection_id: int, action, done: str):
    _load(inspection_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action()
    except AppError as err:
        flash(err.message, "error")
    else:
        flash(done)
    return redirect(url_for("inspections.detail", inspection_id=inspection_id))


@bp.post("/inspections/<int:inspection_id>/submit")
@allow(Role.TECHNICIAN)
def submit(inspection_id):
    return _act(inspection_id, lambda: services.submit(inspection_id, current_actor()), "已提交，等待另一位审核员审核。")


@bp.post("/inspections/<int:inspection_id>/verify")
@allow(Role.REVIEWER)
def verify(inspection_id):
    return _act(inspection_id, lambda: services.verify_inspection(inspection_id, current_actor(), clock.today()),
                "已审核，检验结论生效。")


def _with_reason(inspection_id: int, action, done):
    _load(inspection_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("请填写理由。", "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection_id))
    try:
        row = action(form.reason.data)
    except AppError as err:
        flash(err.message, "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection_id))
    flash(done)
    return redirect(url_for("inspections.detail", inspection_id=row.id))


@bp.post("/inspections/<int:inspection_id>/return")
@allow(Role.REVIEWER)
def return_to_draft(inspection_id):
    return _with_reason(inspection_id, lambda reason: services.return_to_draft(inspection_id, current_actor(), reason),
                        "已退回检测员修改。")


@bp.post("/inspections/<int:inspection_id>/revise")
@allow(Role.TECHNICIAN, Role.REVIEWER)
def revise(inspection_id):
    return _with_reason(inspection_id, lambda reason: services.revise(inspection_id, current_actor(), reason),
                        "已建立修订版草稿；原结果保留，修订版审核后原报告作废。")


@bp.get("/inspections/<int:inspection_id>/report.pdf")
@allow(*ANYONE)
def report(inspection_id):
    _load(inspection_id)
    pdf, name = services.report_pdf(inspection_id, current_actor(), clock.today())
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"})
