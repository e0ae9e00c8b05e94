"""Station and inspection pages: open, enter results by keyboard, submit, verify, revise, retest, report."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.access import STAFF, allow, current_actor
from accounts.models import Role
from compliance.engine import ClauseKind
from compliance.models import Standard
from compliance.services import visible_standards
from infra.api import page_errors
from infra.pagination import ListArgs
from infra import clock
from infra.db import db
from infra.downloads import download
from infra.errors import AppError, whole_number
from infra.i18n import say
from inspections import services
from inspections.forms import ActionForm, CsvForm, InspectionForm, ReasonForm, ReturnForm, SamplingForm, StationForm
from inspections.models import INSPECTION_STATUS_LABELS, INSPECTION_TYPE_LABELS, PLACE_LABELS, Station
from inspections.services import Entry, Sampling
from wtforms.fields.choices import SelectChoice

bp = page_errors(Blueprint("inspections", __name__))  # every AppError a view leaves is shown on the error page

ANYONE = ()  # any signed-in user; the service hides what the actor may not see


@bp.app_context_processor
def _review_queue():
    # A callable, so only the pages that show the count (nav, home) run its one query.
    return {"review_waiting": lambda: services.awaiting_review(current_actor())}


@bp.route("/stations", methods=["GET", "POST"])
@allow(*STAFF)
def stations():
    form = StationForm()
    actor = current_actor()
    form.scope.choices = [SelectChoice(s.code, f"{s.code} {s.title}") for s in db.session.execute(
        visible_standards(db.select(Standard).order_by(Standard.code), actor)).scalars()]
    if form.validate_on_submit():
        try:
            row = services.create_station(form.code.data, form.name.data, form.accreditation.data, form.scope.data,
                                          actor)
        except AppError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash(_("已创建检测站 %(code)s。", code=row.code))
            return redirect(url_for("inspections.stations"))
    args = ListArgs.from_request(request.args, "code")
    page = services.list_stations(actor, args)
    return render_template("inspections/stations.html", page=page, stations=page.items, form=form, q=args.q,
                           scope_of=lambda station: services.visible_scope(station, actor))


def _load(inspection_id: int):
    try:
        return services.get_inspection(inspection_id, current_actor())
    except AppError:
        abort(404)


def _page_context() -> dict:
    return {"status_labels": INSPECTION_STATUS_LABELS, "type_labels": INSPECTION_TYPE_LABELS,
            "place_labels": PLACE_LABELS, "today_iso": clock.today().isoformat()}


@bp.get("/inspections")
@allow(*ANYONE)
def index():
    args = ListArgs.from_request(request.args)
    page = services.list_inspections(current_actor(), request.args.get("status") or None, args)
    return render_template("inspections/index.html", page=page, rows=page.items, q=args.q,
                           awaiting=services.awaiting_review(current_actor()), **_page_context())


def _fill_choices(form: InspectionForm, actor) -> None:
    stations = db.session.execute(services.visible_stations(db.select(Station).order_by(Station.code), actor)
                                  ).scalars().all()
    if actor.role in services.STATION_ROLES:
        stations = [s for s in stations if s.id == actor.station_id]
    form.station_code.choices = [SelectChoice(s.code, f"{s.code} {s.name}") for s in stations]
    standards = {st.code: st for s in stations for st in services.visible_scope(s, actor)}
    form.standard_code.choices = [SelectChoice(c, f"{c} {st.title}") for c, st in sorted(standards.items())]
    products = services.offered_products(actor, stations)
    form.product.choices = [SelectChoice(f"{f.uscc}::{m.model}", _("%(firm)s — %(model)s（%(category)s）", firm=f.name, model=m.model, category=m.category)) for m, f in products]
    form.product.choices.append(SelectChoice("", _("其他企业（按统一社会信用代码）")))


def _sampling(form: SamplingForm) -> Sampling:
    return Sampling(sampled_on=form.sampled_on.data, place=form.place.data, lot_no=form.lot_no.data,
                    lot_size=form.lot_size.data, seal_no=form.seal_no.data, samplers=form.samplers.data)


def _show_on_form(form, err: AppError) -> None:
    """Put a service's refusal beside the field it names; otherwise flash it."""
    name = {"standard_code": "standard_code", "standard_version": "standard_version", "station_code": "station_code",
            "product_model": "product", "firm_uscc": "product", "sampling.lot_size": "lot_size",
            "sampling.place": "place", "sampling.date": "sampled_on", "sampling.lot_no": "lot_no",
            "sampling.seal_no": "seal_no", "sampling.samplers": "samplers", "type": "type"}.get(err.field or "")
    target = getattr(form, name, None) if name else None
    if target is not None:
        target.errors = list(target.errors) + [err.message]
    else:
        flash(err.message, "error")


@bp.route("/inspections/new", methods=["GET", "POST"])
@allow(Role.TECHNICIAN, *STAFF)
def new():
    actor = current_actor()
    form = InspectionForm()
    _fill_choices(form, actor)
    original = None
    wanted = request.args.get("retest_of") or form.retest_of.data or None
    retest_of = whole_number("retest_of", wanted, low=1) if wanted else None
    if retest_of:
        original = _load(retest_of)
        if request.method == "GET":
            form.retest_of.data = str(original.id)
            form.product.data = f"{original.firm.uscc}::{original.product_model.model}"
            form.station_code.data = original.station.code
            form.lot_size.data = original.lot_size
    if request.method == "GET" and form.sampled_on.data is None:
        form.sampled_on.data = clock.today()  # sampling is recorded the day it is done, in the alliance's time zone
    if request.method == "GET" and not original:
        # Work queues link here with the type and product filled in ("create surveillance inspection").
        for field in (form.type, form.product):
            if request.args.get(field.name) in {value for value, *_rest in field.iter_choices()}:
                field.data = request.args[field.name]
    if form.validate_on_submit() and not (form.product.data or (form.other_uscc.data and form.other_model.data)):
        form.product.errors = list(form.product.errors) + [_("请选择受检产品，或填写其他企业的统一社会信用代码和型号")]
    elif form.validate_on_submit():
        if form.product.data:
            uscc, _sep, model = form.product.data.partition("::")
        else:
            uscc, model = form.other_uscc.data.strip(), form.other_model.data.strip()
        try:
            row = services.create_inspection(
                type=form.type.data, firm_uscc=uscc, product_model=model, standard_code=form.standard_code.data,
                standard_version=form.standard_version.data or None, station_code=form.station_code.data,
                retest_of=original.id if original else None, actor=actor, today=clock.today(),
                sampling=_sampling(form))
        except AppError as err:
            _show_on_form(form, err)
        else:
            flash(_("已开立检验 %(number)s，请录入结果。", number=row.shown_number))
            return redirect(url_for("inspections.entry", inspection_id=row.id) if actor.role == Role.TECHNICIAN
                            else url_for("inspections.detail", inspection_id=row.id))
    return render_template("inspections/new.html", form=form, original=original, **_page_context())


@bp.get("/inspections/<int:inspection_id>")
@allow(*ANYONE)
def detail(inspection_id):
    row = _load(inspection_id)
    case = services.inspection_case(row, clock.today())  # specs built once, judged once
    may_verify, may_verify_reason = services.may_verify(row, current_actor())
    return render_template("inspections/detail.html", row=row, case=case, verdict=case.verdict, plan=case.plan,
                           chain=services.revisions(row), retest_allowed=case.retest_allowed,
                           retest_reason=case.retest_reason,
                           may_verify=may_verify, may_verify_reason=may_verify_reason,
                           action_form=ActionForm(), reason_form=ReasonForm(), return_form=ReturnForm(),
                           void_form=ReasonForm(prefix="void"), csv_form=CsvForm(),
                           revision_note=services.revision_note(row), **_page_context())


@bp.route("/inspections/<int:inspection_id>/sampling", methods=["GET", "POST"])
@allow(Role.TECHNICIAN)
def sampling(inspection_id):
    row = _load(inspection_id)
    if row.status != "draft":
        flash(_("该检验已不是草稿，抽样单不能再修改。"), "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    form = SamplingForm(obj=row if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_sampling(row.id, current_actor(), _sampling(form), clock.today())
        except AppError as err:
            _show_on_form(form, err)
        else:
            flash(_("抽样单已更正。"))
            return redirect(url_for("inspections.detail", inspection_id=row.id))
    return render_template("inspections/sampling.html", row=row, form=form, **_page_context())


@bp.post("/inspections/<int:inspection_id>/void")
@allow(Role.TECHNICIAN, Role.REVIEWER)
def void(inspection_id):
    _load(inspection_id)
    form = ReasonForm(prefix="void")
    if not form.validate_on_submit():
        flash(_("作废必须说明理由。"), "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection_id))
    try:
        services.void_inspection(inspection_id, current_actor(), form.reason.data)
    except AppError as err:
        flash(err.message, "error")
    else:
        flash(_("草稿已作废；记录保留，标注为作废。"))
    return redirect(url_for("inspections.detail", inspection_id=inspection_id))


@bp.get("/inspections/<int:inspection_id>/entry")
@allow(Role.TECHNICIAN)
def entry(inspection_id):
    row = _load(inspection_id)
    if row.status != "draft":
        flash(_("该检验已不是草稿，结果不能再录入。"), "error")
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
    return jsonify({"lock_version": row.lock_version, "verdict": _said(verdict)})


def _said(verdict) -> dict:
    """The verdict as JSON for the entry page, its sentences in the reader's language."""
    body = verdict.to_dict()
    body["reason"] = say(verdict.reason)
    for shown, clause in zip(body["clauses"], verdict.clauses):
        shown.update(reason=say(clause.reason), requirement=say(clause.requirement),
                     values=[say(v) for v in clause.values])
    return body


@bp.get("/inspections/<int:inspection_id>/template.csv")
@allow(*ANYONE)
def template(inspection_id):
    row = _load(inspection_id)
    return download(services.csv_template(row), f"results-{row.file_stem}.csv", "text/csv")


@bp.post("/inspections/<int:inspection_id>/import")
@allow(Role.TECHNICIAN)
def import_csv(inspection_id):
    row = _load(inspection_id)
    form = CsvForm()
    if not form.validate_on_submit():
        flash(_("请选择要导入的 CSV 文件。"), "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("CSV 文件须为 UTF-8 编码。"), "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    try:
        _verdict, count = services.import_csv(row.id, text, current_actor())
    except AppError as err:
        flash(err.message, "error")
        for problem in (err.details or {}).get("problems", []):
            flash(_("第 %(line)s 行 条款 %(clause)s：%(message)s", line=problem["index"], clause=problem["clause"] or "—",
                    message=problem["message"]), "error")
        return redirect(url_for("inspections.detail", inspection_id=row.id))
    flash(_("已导入 %(count)s 条结果。", count=count))
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
    return _act(inspection_id, lambda: services.submit(inspection_id, current_actor()), _("已提交，等待另一位审核员审核。"))


@bp.post("/inspections/<int:inspection_id>/verify")
@allow(Role.REVIEWER)
def verify(inspection_id):
    return _act(inspection_id, lambda: services.verify_inspection(inspection_id, current_actor(), clock.today()),
                _("已审核，检验结论生效。"))


def _with_reason(inspection_id: int, action, done, form_class=ReasonForm):
    _load(inspection_id)
    form = form_class()
    if not form.validate_on_submit():
        flash(_("请填写理由。"), "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection_id))
    try:
        row = action(form)
    except AppError as err:
        flash(err.message, "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection_id))
    flash(done)
    return redirect(url_for("inspections.detail", inspection_id=row.id))


@bp.post("/inspections/<int:inspection_id>/return")
@allow(Role.REVIEWER)
def return_to_draft(inspection_id):
    return _with_reason(inspection_id, lambda form: services.return_to_draft(
        inspection_id, current_actor(), form.reason.data, sampling=form.sampling.data),
        _("已退回检测员修改。"), ReturnForm)


@bp.post("/inspections/<int:inspection_id>/revise")
@allow(Role.TECHNICIAN, Role.REVIEWER)
def revise(inspection_id):
    return _with_reason(inspection_id, lambda form: services.revise(inspection_id, current_actor(), form.reason.data),
                        _("已建立修订版草稿；原结果保留，修订版审核后原报告作废。"))


@bp.get("/inspections/<int:inspection_id>/report.pdf")
@allow(*ANYONE)
def report(inspection_id):
    _load(inspection_id)
    pdf, name = services.report_pdf(inspection_id, current_actor(), clock.today())
    return download(pdf, name, "application/pdf", inline=True)
