"""Sign-in, sign-out, the home page, the language switch and the health check."""
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from accounts import services
from accounts.access import allow, public
from accounts.forms import LoginForm
from accounts.models import Role
from infra.api import page_errors
from infra.extensions import limiter
from infra.errors import AppError

bp = page_errors(Blueprint("accounts", __name__))  # every AppError a view leaves is shown on the error page


@bp.get("/healthz")
@public
def healthz():
    # Touches no database: the load balancer's probe and the benchmarks' baseline.
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("20 per minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except AppError as err:
            # Who and from where, never the password: the log masking is a second line, not the first.
            current_app.logger.warning("login refused for user %r from %s", (form.username.data or "")[:64],
                                       request.remote_addr)
            form.password.errors.append(str(err))
        else:
            login_user(user)
            target = request.args.get("next", "")
            # Only same-site paths: an open redirect would let a phishing link borrow our login.
            if not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
                target = url_for("accounts.home")
            return redirect(target)
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@allow()
def logout():
    logout_user()
    flash("已退出登录。")
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
    from accounts.access import current_actor

    actor = current_actor()
    return render_template("accounts/home.html", actor=actor, Role=Role)
