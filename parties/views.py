"""Pages for alliances, firms, memberships and product models."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.access import STAFF, allow, current_actor
from infra.api import page_errors
from infra import clock, export
from infra.pagination import ListArgs
from infra.db import db
from infra.errors import AppError
from parties import services
from parties.forms import AdmitForm, AllianceForm, ExpelForm, FirmForm, ProductModelForm
from parties.models import MEMBERSHIP_LABELS, Alliance

bp = page_errors(Blueprint("parties", __name__))  # every AppError a view leaves is shown on the error page


@bp.route("/alliances", methods=["GET", "POST"])
@allow(*STAFF)
def alliances():
    form = AllianceForm()
    if form.validate_on_submit():
        try:
            row = services.create_alliance(form.code.data, form.name.data, form.secretariat.data, current_actor())
        except AppError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash(_("已创建联盟 %(code)s。", code=row.code))
            return redirect(url_for("parties.alliances"))
    args = ListArgs.from_request(request.args, "code")
    page = services.list_alliances(current_actor(), args)
    # Counts, not every member's name: an alliance may have thousands (they are listed on /firms).
    return render_template("parties/alliances.html", page=page, alliances=page.items, form=form,
                           labels=MEMBERSHIP_LABELS, counts=services.membership_counts([a.id for a in page.items]),
                           q=args.q)


@bp.route("/alliances/<int:alliance_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit_alliance(alliance_id):
    row = services.get_alliance(alliance_id, current_actor())
    form = AllianceForm(obj=row)
    if form.validate_on_submit():
        try:
            services.update_alliance(row.id, form.name.data, form.secretariat.data, current_actor())
        except AppError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash(_("已保存。"))
            return redirect(url_for("parties.alliances"))
    return render_template("parties/alliance_edit.html", alliance=row, form=form)


@bp.route("/firms", methods=["GET", "POST"])
@allow(*STAFF)
def firms():
    form = FirmForm()
    if form.validate_on_submit():
        try:
            row = services.create_firm(form.name.data, form.uscc.data, form.address.data, form.contact.data)
        except AppError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash(_("已创建企业 %(name)s。", name=row.name))
            return redirect(url_for("parties.firm", firm_id=row.id))
    args = ListArgs.from_request(request.args)
    actor = current_actor()
    fmt = request.args.get("format")
    if fmt in export.FORMATS:
        return export.table_response("firms", fmt, [
            _("企业名称"), _("统一社会信用代码"), _("地址"), _("联系方式"), _("会员资格"), _("产品型号")],
            ([f.name, f.uscc, f.address, f.contact,
              "；".join(f"{code}：{MEMBERSHIP_LABELS.word(status)}" for code, status in f.memberships),
              "、".join(f.models)] for f in services.firm_export_rows(actor, args.q)))
    page = services.list_firms(actor, args)
    return render_template("parties/firms.html", page=page, firms=page.items, form=form, q=args.q,
                           labels=MEMBERSHIP_LABELS, memberships_of=lambda f: services.visible_memberships(f, actor))


@bp.route("/firms/<int:firm_id>", methods=["GET", "POST"])
@allow(*STAFF)
def firm(firm_id):
    actor = current_actor()
    row = services.get_firm(firm_id, actor)
    form = FirmForm(obj=row, prefix="firm")
    model_form = ProductModelForm(prefix="model")
    admit_form = AdmitForm(prefix="admit")
    admit_form.alliance.choices = [(a.code, f"{a.code} {a.name}") for a in db.session.execute(
        services.visible_alliances(db.select(Alliance).order_by(Alliance.code), actor)).scalars()]
    expel_form = ExpelForm(prefix="expel")
    action = request.form.get("action")
    try:
        if action == "edit" and form.validate_on_submit():
            services.update_firm(row.id, form.name.data, form.address.data, form.contact.data, actor)
            flash(_("已保存。"))
            return redirect(url_for("parties.firm", firm_id=row.id))
        if action == "model" and model_form.validate_on_submit():
            services.add_product_model(row.uscc, model_form.model.data, model_form.category.data, actor)
            flash(_("已添加产品型号。"))
            return redirect(url_for("parties.firm", firm_id=row.id))
        if action == "admit" and admit_form.validate_on_submit():
            services.admit_member(admit_form.alliance.data, row.uscc, clock.today(), actor)
            flash(_("已准予入会。"))
            return redirect(url_for("parties.firm", firm_id=row.id))
        if action and action.startswith("expel:") and expel_form.validate_on_submit():
            services.expel_member(action.split(":", 1)[1], row.uscc, expel_form.reason.data, clock.today(), actor)
            flash(_("已清退。"))
            return redirect(url_for("parties.firm", firm_id=row.id))
    except AppError as err:
        flash(err.message, "error")
    return render_template("parties/firm.html", firm=row, memberships=services.visible_memberships(row, actor),
                           form=form, model_form=model_form, admit_form=admit_form,
                           expel_form=expel_form, labels=MEMBERSHIP_LABELS)
