"""Staff and station pages for the standards catalogue."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.access import STAFF, allow, current_actor
from compliance import services
from infra.api import page_errors
from infra.downloads import download
from infra.errors import AppError
from infra.pagination import ListArgs
from compliance.engine import requirement_text
from compliance.forms import PublishForm, StandardUploadForm
from compliance.models import INSPECTION_TYPE_LABELS, VERSION_STATUS_LABELS

bp = page_errors(Blueprint("compliance", __name__, url_prefix="/standards"))  # every AppError a view leaves is shown on the error page


@bp.get("/")
@allow()
def standards():
    args = ListArgs.from_request(request.args, "code")
    page = services.list_standards(current_actor(), args)
    return render_template("compliance/standards.html", page=page, standards=page.items, q=args.q,
                           labels=VERSION_STATUS_LABELS)


@bp.route("/import", methods=["GET", "POST"])
@allow(*STAFF)
def upload():
    form = StandardUploadForm()
    problems = []
    if form.validate_on_submit():
        text = form.text.data or ""
        if form.file.data:
            raw = form.file.data.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors.append(_("文件不是 UTF-8 编码的文本"))
                return render_template("compliance/upload.html", form=form, problems=problems)
        if not text.strip():
            form.text.errors.append(_("请选择文件或粘贴 YAML 文本"))
        else:
            try:
                version = services.import_standard(text, actor=current_actor())
            except AppError as err:
                flash(str(err), "error")
                problems = err.problems()
            else:
                flash(_("已导入 %(code)s %(label)s 版，共 %(n)s 条。", code=version.standard.code, label=version.label, n=len(version.clauses)))
                return redirect(url_for("compliance.version", version_id=version.id))
    return render_template("compliance/upload.html", form=form, problems=problems)


@bp.get("/versions/<int:version_id>")
@allow()
def version(version_id):
    row = services.get_version(version_id, current_actor())
    specs = [(clause, services.clause_spec(clause)) for clause in row.clauses]
    return render_template("compliance/version.html", version=row, specs=specs, requirement_text=requirement_text,
                           labels=VERSION_STATUS_LABELS, type_labels=INSPECTION_TYPE_LABELS, rule=services.verdict_rule(row),
                           form=PublishForm())


@bp.post("/versions/<int:version_id>/publish")
@allow(*STAFF)
def publish(version_id):
    services.get_version(version_id, current_actor())  # another alliance's: 404, not a flash
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("过渡期结束日期格式应为 YYYY-MM-DD"), "error")
    else:
        try:
            row = services.publish(version_id, form.transition_end.data, current_actor())
        except AppError as err:
            flash("；".join([str(err)] + [p["message"] for p in err.problems()]), "error")
        else:
            flash(_("%(code)s %(label)s 版已发布。", code=row.standard.code, label=row.label))
    return redirect(url_for("compliance.version", version_id=version_id))


@bp.get("/versions/<int:version_id>/export.yaml")
@allow()
def export(version_id):
    row = services.get_version(version_id, current_actor())
    name = f"{row.standard.code}-{row.label}".replace("/", "_").replace(" ", "_")
    return download(services.export_yaml(row), f"{name}.yaml", "application/x-yaml")
