"""Sign-in, sign-out, the home page, the language switch and the health check."""
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice
from flask_login import login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from accounts import services
from accounts.access import allow, current_actor, public
from accounts.forms import LoginForm, PasswordForm, UserForm
from accounts.models import ROLE_LABELS, Role
from infra.clock import utcnow
from infra.api import page_errors
from infra.extensions import limiter
from infra.errors import AppError
from infra.pagination import ListArgs

bp = page_errors(Blueprint("accounts", __name__))  # every AppError a view leaves is shown on the error page


@bp.get("/healthz")
@public
def healthz():
    # Touches no database: the load balancer's probe and the benchmarks' baseline.
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


DEVICE_COOKIE = "am_device"
DEVICE_DAYS = 180


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="alliancemark-device")


def _trusted_device(username: str) -> bool:
    """This browser signed in to `username` before (OWASP device cookies): its failures never lock the account."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return False
    try:
        names = _devices().loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return False
    return isinstance(names, list) and (username or "").strip().lower() in names


def _remember_device(response, username: str):
    names = []
    try:
        names = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
    except BadData:
        pass
    names = [n for n in (names if isinstance(names, list) else []) if n != username.lower()][-4:] + [username.lower()]
    response.set_cookie(DEVICE_COOKIE, _devices().dumps(names), max_age=DEVICE_DAYS * 86400, httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config.get("LOGIN_RATE_LIMIT", "30 per minute"), methods=["POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = services.LoginAttempt(form.username.data, form.password.data, request.remote_addr or "",
                                        _trusted_device(form.username.data))
        try:
            user = services.authenticate(attempt)
        except AppError as err:
            # Who and from where, never the password: the log masking is a second line, not the first.
            current_app.logger.warning("login refused for user %r from %s", (form.username.data or "")[:64],
                                       request.remote_addr)
            # The services speak "中文 / English"; the form shows the reader's half.
            form.password.errors.append(err.message.split(" / ")[0 if lang_is_zh() else -1])
            status = err.status if err.status == 429 else 200
        else:
            session.clear()  # a fresh session on sign-in: nothing planted before it survives
            session[services.SESSION_KEY] = services.start_session(user)
            login_user(user)
            target = request.args.get("next", "")
            # Only same-site paths: an open redirect would let a phishing link borrow our login.
            if not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
                target = url_for("accounts.home")
            return _remember_device(redirect(target), user.username)
    return render_template("accounts/login.html", form=form), status


def lang_is_zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale() or "zh").startswith("zh")


@bp.post("/logout")
@allow()
def logout():
    services.end_session(session.get(services.SESSION_KEY))
    logout_user()
    session.clear()
    flash(_("已退出登录。"))
    return redirect(url_for("accounts.login"))


@bp.get("/lang/<code>")
@public
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.referrer or url_for("accounts.home")
    if urlparse(target).netloc not in ("", request.host):
        target = url_for("accounts.home")
    return redirect(target)


@bp.get("/")
@allow()
def home():
    actor = current_actor()
    return render_template("accounts/home.html", actor=actor, Role=Role)


# --- the admin's user page (SPEC §10) ----------------------------------------------------------------


def _user_form(form: UserForm) -> UserForm:
    form.station.choices = [SelectChoice("", "—")] + [SelectChoice(code, label)
                                                      for code, label in services.station_choices()]
    return form


@bp.route("/admin/users", methods=["GET", "POST"])
@allow(Role.ADMIN)
def users():
    form = _user_form(UserForm())
    if form.validate_on_submit():
        try:
            user = services.create_user(form.username.data, form.role.data, form.password.data or "",
                                        station_code=form.station.data or None, firm_uscc=form.firm.data or None,
                                        display_name=form.display_name.data)
        except AppError as err:
            getattr(form, err.field or "username", form.username).errors.append(err.message)  # the page shows its half
        else:
            flash(_("已创建用户 %(name)s。", name=user.username))
            return redirect(url_for("accounts.user", username=user.username))
    role = request.args.get("role") or ""
    role = role if role in ROLE_LABELS else ""
    args = ListArgs.from_request(request.args, "username")
    page = services.list_users(args, role or None)
    return render_template("accounts/users.html", form=form, page=page, users=page.items, roles=ROLE_LABELS,
                           q=args.q, role=role)


@bp.route("/admin/users/<username>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user(username):
    row = services.find_user(username)
    form = _user_form(UserForm(prefix="edit", obj=None))
    password_form = PasswordForm(prefix="pw")
    action = request.form.get("action")
    if request.method == "GET":
        form.username.data, form.display_name.data, form.role.data = row.username, row.display_name, row.role
        form.station.data = services.station_code_of(row)
        form.firm.data = services.firm_uscc_of(row)
    try:
        if action == "update" and form.validate_on_submit():
            services.update_user(row.username, role=form.role.data, station_code=form.station.data or None,
                                 firm_uscc=form.firm.data or None, display_name=form.display_name.data)
            flash(_("已保存。"))
            return redirect(url_for("accounts.user", username=row.username))
        if action == "password" and password_form.validate_on_submit():
            services.set_password(row.username, password_form.password.data)
            flash(_("已重设密码；该用户的会话和令牌已全部失效。"))
            return redirect(url_for("accounts.user", username=row.username))
        if action in ("disable", "enable"):
            services.set_enabled(row.username, action == "enable")
            flash(_("已停用该用户，其会话和令牌立即失效。") if action == "disable" else _("已启用该用户。"))
            return redirect(url_for("accounts.user", username=row.username))
        if action == "revoke-tokens":
            count = services.revoke_tokens(row.username)
            flash(_("已吊销 %(n)s 个令牌。", n=count))
            return redirect(url_for("accounts.user", username=row.username))
    except AppError as err:
        target = {"password": password_form.password}.get(err.field) if action == "password" else \
            getattr(form, err.field or "", None)
        if target is not None:
            target.errors = list(target.errors) + [err.message]
        else:
            flash(err.message, "error")
    return render_template("accounts/user.html", user=row, form=form, password_form=password_form,
                           tokens=services.tokens_of(row.username), now=utcnow(), roles=ROLE_LABELS)
