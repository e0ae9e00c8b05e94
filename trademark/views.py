"""Pages for marks, licences, the staff work queues and the firm portal."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.access import STAFF, allow, current_actor, public
from accounts.models import Role
from compliance.models import Standard
from infra.api import page_errors
from infra import clock, export
from infra.db import db
from infra.errors import AppError
from infra.i18n import say
from infra.pagination import ListArgs
from trademark import rules, services
from wtforms.fields.choices import SelectChoice

from trademark.forms import (
    ApplyForm, LicenceActionForm, MarkForm, PaymentForm, WithdrawForm,
)
from compliance.services import visible_standards
from inspections.models import INSPECTION_STATUS_LABELS, INSPECTION_TYPE_LABELS, Inspection
from parties.models import Alliance, Firm, ProductModel
from parties.services import visible_alliances, visible_firms
from trademark.models import (
    ACTION_LABELS, DECISION_LABELS, LICENCE_LABELS, PARAMETER_LABELS, Licence, Mark, Payment,
)

bp = page_errors(Blueprint("trademark", __name__))  # every AppError a view leaves is shown on the error page


@bp.app_context_processor
def _work_counts():
    def staff_counts() -> dict:
        """How much waits in each staff queue, for the home page's cards."""
        return services.queue_counts(clock.today(), current_actor())  # the actor's alliances only

    # A callable: only the home page asks, and only for staff.
    return {"staff_counts": staff_counts}



# --- marks ------------------------------------------------------------------------------------


def _mark_choices(form: MarkForm, actor) -> None:
    form.alliance.choices = [SelectChoice(a.code, f"{a.code} {a.name}") for a in db.session.execute(
        visible_alliances(db.select(Alliance).order_by(Alliance.code), actor)).scalars()]
    form.standard.choices = [SelectChoice("", _("（联盟的标准）"))] + [
        SelectChoice(st.code, f"{st.code} {st.title}") for st in db.session.execute(
            visible_standards(db.select(Standard).order_by(Standard.code), actor)).scalars()]


def _uploaded_image(form: MarkForm) -> bytes | None:
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return upload.read()


def _rules_from_form() -> dict:
    """Read the rules table of the mark page: a checkbox and the numbers of every rule."""
    overrides: dict = {}
    for rule, params in rules.DEFAULT_RULES.items():
        values: dict = {}
        for name in params:
            key = f"rule-{rule}-{name}"
            if name == "enabled":
                values[name] = key in request.form
                continue
            raw = (request.form.get(key) or "").strip()
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # not ², not 2^63: the core bounds the rest
                raise AppError(422, f"规则 {rule} 的{PARAMETER_LABELS.word(name)}须为非负整数"
                                    f" / rule {rule}: {name} must be a whole number, 0 or more", field=f"rules.{rule}.{name}")
            values[name] = int(raw)
        overrides[rule] = values
    return overrides


@bp.route("/marks", methods=["GET", "POST"])
@allow(*STAFF)
def marks():
    actor = current_actor()
    form = MarkForm()
    _mark_choices(form, actor)
    if form.validate_on_submit():
        try:
            row = services.create_mark(code=form.code.data, alliance_code=form.alliance.data, name=form.name.data,
                                       type=form.type.data, registration_no=form.registration_no.data,
                                       standard_code=form.standard.data or None, fee_per_year=form.fee_per_year.data,
                                       validity_years=form.validity_years.data, image=_uploaded_image(form),
                                       actor=actor)
        except AppError as err:
            target = getattr(form, {"alliance": "alliance", "standard": "standard"}.get(err.field, err.field), None)
            if target is not None and hasattr(target, "errors"):
                target.errors = list(target.errors) + [err.message]
            else:
                flash(err.message, "error")
        else:
            flash(_("已创建标志 %(code)s，请检查使用管理规则。", code=row.code))
            return redirect(url_for("trademark.mark", mark_id=row.id))
    args = ListArgs.from_request(request.args, "code")
    page = services.list_marks(actor, args)
    return render_template("trademark/marks.html", page=page, marks=page.items, form=form, q=args.q)


@bp.route("/marks/<int:mark_id>", methods=["GET", "POST"])
@allow(*STAFF)
def mark(mark_id):
    actor = current_actor()
    row = services.get_mark(mark_id, actor)
    form = MarkForm(obj=row)
    _mark_choices(form, actor)
    if request.method == "GET":
        form.alliance.data = row.alliance.code
        form.standard.data = row.standard.code if row.standard else ""
    form.code.data = row.code
    form.alliance.data = row.alliance.code
    if form.validate_on_submit():
        try:
            services.update_mark(row.id, name=form.name.data, type=form.type.data,
                                 registration_no=form.registration_no.data, standard_code=form.standard.data or None,
                                 fee_per_year=form.fee_per_year.data, validity_years=form.validity_years.data,
                                 rules_overrides=_rules_from_form(), image=_uploaded_image(form), actor=actor)
        except AppError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("已保存。"))
            return redirect(url_for("trademark.mark", mark_id=row.id))
    ruleset = services.ruleset_of(row)
    return render_template("trademark/mark.html", mark=row, form=form, rules=services.describe_rules(row),
                           params=ruleset.to_dict(), field_labels=PARAMETER_LABELS)


@bp.get("/marks/<int:mark_id>/image")
@public
def mark_image(mark_id):
    # Public: the mark's image is printed on certificates and shown on the verification page.
    row = db.session.get(Mark, mark_id)
    if row is None or not row.image:
        abort(404)
    return Response(row.image, mimetype=row.image_type or "application/octet-stream",
                    headers={"Cache-Control": "public, max-age=3600"})


# --- licences ---------------------------------------------------------------------------------


def _apply_choices(form: ApplyForm, firm: Firm | None = None, allow_none: bool = False) -> None:
    actor = current_actor()
    firms = [firm] if firm or allow_none else db.session.execute(
        visible_firms(db.select(Firm).order_by(Firm.name), actor)).scalars().all()
    firms = [f for f in firms if f is not None]
    form.firm.choices = [SelectChoice(f.uscc, _("%(name)s（%(uscc)s）", name=f.name, uscc=f.uscc)) for f in firms]
    if firm is not None:
        form.firm.data = firm.uscc  # the scope offers only this firm's models (staff choose the firm first)
    form.mark.choices = [SelectChoice(m.code, _("%(code)s %(name)s（%(type)s）", code=m.code, name=m.name,
                                                   type=_("集体商标") if m.type == "collective" else _("证明商标")))
                         for m in db.session.execute(
                             services.visible_marks(db.select(Mark).order_by(Mark.code), actor)).scalars()]
    # Every firm's models in one query (not one per firm); none to offer before a firm is chosen.
    query = db.select(ProductModel, Firm).join(Firm, ProductModel.firm_id == Firm.id)
    if firm is not None:
        query = query.where(Firm.id == firm.id)
    models = db.session.execute(visible_firms(query.order_by(Firm.name, ProductModel.model), actor)).all() \
        if firm is not None or not allow_none else []
    form.models.choices = [SelectChoice(m.model, f"{f.name} — {m.model}") for m, f in models]


def _apply(form: ApplyForm):
    return services.apply_for_licence(uscc=form.firm.data, mark_code=form.mark.data, product_models=form.models.data,
                                      commitment_signed=form.commitment_signed.data, today=clock.today(),
                                      actor=current_actor())


@bp.route("/licences", methods=["GET", "POST"])
@allow(*STAFF)
def licences():
    form = ApplyForm()
    # The application form offers one firm (?firm=USCC, or the one posted), never every firm on
    # the page: a select of 100 000 firms and their models is neither usable nor cheap.
    uscc = (request.values.get("firm") or "").strip().upper()
    chosen = db.session.execute(visible_firms(db.select(Firm).where(Firm.uscc == uscc), current_actor())
                                ).scalar_one_or_none() if uscc else None
    _apply_choices(form, chosen, allow_none=True)
    if form.validate_on_submit():
        try:
            row = _apply(form)
        except AppError as err:
            flash(err.message, "error")
        else:
            flash(_("已登记许可申请 #%(id)s。", id=row.id))
            return redirect(url_for("trademark.licence", licence_id=row.id))
    status = request.args.get("status") or ""
    args = ListArgs.from_request(request.args)
    fmt = request.args.get("format")
    if fmt in export.FORMATS:
        query = services.licences_query(current_actor(), status if status in LICENCE_LABELS else None, args.q)
        return export.table_response("licences", fmt, [
            _("编号"), _("许可编号"), _("企业"), _("统一社会信用代码"), _("标志"), _("型号"), _("状态"), _("申请日"),
            _("授权日"), _("有效期至")], ([r.id, r.number, r.firm_name, r.uscc, r.mark_name, "、".join(r.models),
                                       LICENCE_LABELS.word(r.status), r.applied_on, r.granted_on, r.expires_on]
                                      for r in services.licence_export_rows(query)))
    page = services.list_licences(current_actor(), args, status if status in LICENCE_LABELS else None)
    return render_template("trademark/licences.html", page=page, licences=page.items, form=form, status=status,
                           q=args.q, labels=LICENCE_LABELS)


def action_form(licence: Licence) -> LicenceActionForm:
    """The staff action form, offering what the rules core allows from the licence's status."""
    form = LicenceActionForm(prefix="act")
    form.action.choices = [SelectChoice(o.action, o.label) for o in _options(licence) if o.action != "grant"]
    return form


def _options(licence: Licence):
    return [o._replace(label=str(ACTION_LABELS[o.action])) for o in
            rules.action_options(licence.status, expires_on=licence.expires_on, today=clock.today())]


def _licence_page(row: Licence, template: str, **extra):
    today = clock.today()
    payments = db.session.execute(db.select(Payment).where(Payment.licence_id == row.id)
                                  .order_by(Payment.year, Payment.id)).scalars().all()
    unmet = services.entry_check(row, today) if row.status == "applied" else []
    trail = services.list_licence_decisions(row, ListArgs.from_request(request.args, "effective"))
    evidence = {i for d in trail.items for i in (d.evidence or []) if isinstance(i, int)}
    # The decisions name their evidence by inspection number, not by row id: one query for the page,
    # run even when the page cites none, so the count never depends on which rows a page holds.
    numbers = {i.id: i.shown_number for i in db.session.execute(
        db.select(Inspection).where(Inspection.id.in_(evidence))).scalars()}
    return render_template(template, licence=row, decisions=trail.items, decisions_page=trail,
                           evidence_numbers=numbers,
                           deadlines=services.deadlines(row, today), payments=payments, unmet=unmet,
                           certificate=services.certificate_of(row), labels=LICENCE_LABELS,
                           kinds=DECISION_LABELS, today=today, action_options=_options(row), **extra)


@bp.get("/licences/<int:licence_id>")
@allow(*STAFF)
def licence(licence_id):
    row = services.get_licence(licence_id, current_actor())
    return _licence_page(row, "trademark/licence.html", action_form=action_form(row),
                         payment_form=PaymentForm(prefix="pay", year=clock.today().year,
                                                  amount=row.mark.fee_per_year or ""))


@bp.post("/licences/<int:licence_id>/grant")
@allow(*STAFF)
def grant(licence_id):
    row = services.get_licence(licence_id, current_actor())
    try:
        services.grant_licence(row.id, clock.today(), current_actor())
    except services.EntryRefused as err:
        flash(_("不予授权，未满足的准入条件：%(unmet)s", unmet=_("；").join(f"{u.rule} {say(u.reason)}" for u in err.unmet)), "error")
    except AppError as err:
        flash(err.message, "error")
    else:
        flash(_("已授权，许可编号 %(number)s。", number=row.number))
    return redirect(url_for("trademark.licence", licence_id=row.id))


@bp.post("/licences/<int:licence_id>/action")
@allow(*STAFF)
def licence_action(licence_id):
    row = services.get_licence(licence_id, current_actor())
    form = action_form(row)
    if not form.validate_on_submit():
        flash(_("手工操作必须选择操作并填写理由。"), "error")
    elif rules.needs_confirmation(form.action.data) and not form.confirm.data:
        # An irreversible action is taken only with the tick: show the form again with the reason kept.
        form.confirm.errors = [_("“%(action)s”不可恢复：请勾选“我确认”后再执行。", action=ACTION_LABELS.word(form.action.data))]
        return _licence_page(row, "trademark/licence.html", action_form=form,
                             payment_form=PaymentForm(prefix="pay", year=clock.today().year,
                                                      amount=row.mark.fee_per_year or "")), 422
    else:
        try:
            services.act_on_licence(row.id, form.action.data, form.reason.data, clock.today(), current_actor())
        except AppError as err:
            flash(err.message, "error")
        else:
            flash(_("已%(action)s。", action=ACTION_LABELS.word(form.action.data)))
    return redirect(url_for("trademark.licence", licence_id=row.id))


@bp.post("/licences/<int:licence_id>/payments")
@allow(*STAFF)
def payment(licence_id):
    row = services.get_licence(licence_id, current_actor())
    form = PaymentForm(prefix="pay")
    if not form.validate_on_submit():
        flash(_("请填写年度和金额。"), "error")
    else:
        try:
            services.record_payment(row.id, form.year.data, form.amount.data, clock.today(), current_actor())
        except AppError as err:
            flash(err.message, "error")
        else:
            flash(_("已登记 %(year)s 年度缴费 %(amount)s 元。", year=form.year.data, amount=form.amount.data))
    return redirect(url_for("trademark.licence", licence_id=row.id))


@bp.get("/queues")
@allow(*STAFF)
def queues():
    from flask import current_app

    today = clock.today()
    # The desk shows every queue's first rows; `?queue=surveillance&page=3` pages through one of them.
    queue = request.args.get("queue") or None
    if queue is not None and queue not in services.QUEUE_NAMES:
        abort(404)
    args = ListArgs.from_request(request.args)
    create = next((e for e in ("inspections.new", "inspections.create") if e in current_app.view_functions), None)
    return render_template("trademark/queues.html", q=services.work_queues(today, current_actor(), queue=queue, page=args.page,
                                                                           exact=args.count_limit is None),
                           today=today, create_endpoint=create, labels=LICENCE_LABELS,
                           inspection_status=INSPECTION_STATUS_LABELS)


# --- the firm portal (read-only, own firm only) -------------------------------------------------


def _own_firm() -> Firm | None:
    actor = current_actor()
    return actor.firm if actor is not None and actor.role == Role.FIRM else None


PORTAL_INSPECTIONS = 20  # the newest reports; the whole list is on /inspections


@bp.get("/portal")
@allow(Role.FIRM)
def portal():
    firm = _own_firm()
    today = clock.today()
    actor = current_actor()
    # One page of the firm's licences (a group firm holds hundreds); its deadlines are the soonest
    # across all its live licences, not only those of the page.
    args = ListArgs.from_request(request.args)
    page = services.list_firm_licences(actor, args)
    form = ApplyForm(prefix="apply")
    if firm:
        _apply_choices(form, firm)
    if firm and not form.mark.data:
        # Default to a mark of the firm's own alliance (a member's or applicant's), not the first in the list.
        own = {m.alliance_id for m in firm.memberships if m.status in ("member", "applicant")}
        mark = db.session.execute(db.select(Mark).where(Mark.alliance_id.in_(own)).order_by(Mark.code)).scalars().first()
        if mark is not None:
            form.mark.data = mark.code
    inspections = services.list_inspections_of_firm(actor, PORTAL_INSPECTIONS) if firm else None
    # The fees due are among the deadlines (X6), so they are not read again on their own.
    return render_template("trademark/portal.html", firm=firm, page=page, licences=page.items, labels=LICENCE_LABELS,
                           inspections=inspections.items if firm else [], inspections_page=inspections,
                           soonest=services.soonest_deadlines(actor, today) if firm else None, today=today,
                           form=form, type_labels=INSPECTION_TYPE_LABELS, q=args.q)


@bp.get("/portal/deadlines")
@allow(Role.FIRM)
def portal_deadlines():
    today = clock.today()
    page = services.deadlines_page(current_actor(), today, ListArgs.from_request(request.args))
    return render_template("trademark/portal_deadlines.html", firm=_own_firm(), page=page, today=today)


@bp.post("/portal/apply")
@allow(Role.FIRM)
def portal_apply():
    firm = _own_firm()
    form = ApplyForm(prefix="apply")
    if firm is None:
        abort(404)
    _apply_choices(form, firm)
    form.firm.data = firm.uscc  # a firm applies only for itself
    if not form.validate_on_submit():
        flash(_("请选择标志和至少一个产品型号。"), "error")
        return redirect(url_for("trademark.portal"))
    try:
        row = _apply(form)
    except AppError as err:
        flash(err.message, "error")
        return redirect(url_for("trademark.portal"))
    flash(f"已提交许可申请 #{row.id}，等待协会审查。")
    return redirect(url_for("trademark.portal_licence", licence_id=row.id))


@bp.get("/portal/licences/<int:licence_id>")
@allow(Role.FIRM)
def portal_licence(licence_id):
    firm = _own_firm()
    # Another firm's licence is answered as not found: a firm must not learn of others.
    row = services.get_licence(licence_id, current_actor())
    return _licence_page(row, "trademark/portal_licence.html", firm=firm, withdraw_form=WithdrawForm(prefix="wd"))


def _portal_own(licence_id: int) -> Licence:
    return services.get_licence(licence_id, current_actor())


@bp.post("/portal/licences/<int:licence_id>/commitment")
@allow(Role.FIRM)
def portal_commitment(licence_id):
    row = _portal_own(licence_id)
    return _commitment(row, url_for("trademark.portal_licence", licence_id=row.id))


@bp.post("/licences/<int:licence_id>/commitment")
@allow(*STAFF)
def commitment(licence_id):
    row = services.get_licence(licence_id, current_actor())
    return _commitment(row, url_for("trademark.licence", licence_id=row.id))


def _commitment(row: Licence, back: str):
    from inspections.forms import ActionForm  # an empty form: its CSRF token only

    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.record_commitment(row.id, clock.today(), current_actor())
    except AppError as err:
        flash(err.message, "error")
    else:
        flash(_("已登记签署的承诺书（E4）。"))
    return redirect(back)


@bp.post("/portal/licences/<int:licence_id>/withdraw")
@allow(Role.FIRM)
def portal_withdraw(licence_id):
    row = _portal_own(licence_id)
    form = WithdrawForm(prefix="wd")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    else:
        try:
            services.withdraw_application(row.id, form.reason.data, clock.today(), current_actor())
        except AppError as err:
            flash(err.message, "error")
        else:
            flash(_("申请已撤回；如需使用标志，可重新申请。"))
    return redirect(url_for("trademark.portal_licence", licence_id=row.id))
