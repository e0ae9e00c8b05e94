"""Conventions of the JSON API under /api/v1: errors, bodies and the OpenAPI document."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from infra.db import db
from infra.errors import ERROR_CODES, AppError

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
bp.register_error_handler(AppError, lambda err: json_error(err))

def error_response(status: int, message: str, details: Any = None, code: str | None = None) -> Response:
    body = {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message,
                      "details": details if details is not None else {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def is_api_request() -> bool:
    return request.path.startswith(PREFIX + "/") or request.path == PREFIX


def _discard_unfinished_work() -> None:
    # A refused or failed request must leave nothing half-written behind in the session.
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be what failed
        app_logger().exception("rollback after an error failed")


def app_logger():
    from flask import current_app

    return current_app.logger


def _limit_text(limit: int | None) -> str:
    if not limit:
        return ""
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _body_limit(app) -> int | None:
    """The API's body limit: smaller than the site's, which must let a 10 MB phone photo through."""
    limits = [v for v in (app.config.get("API_MAX_CONTENT_LENGTH"), app.config.get("MAX_CONTENT_LENGTH")) if v]
    return min(limits) if limits else None


# Row ids are INTEGER columns (32-bit on PostgreSQL): a larger id in a URL cannot exist.
MAX_ID = 2**31 - 1


def register_request_guards(app) -> None:
    """Refuse oversized API bodies (413 JSON) and out-of-range ids (404) before any view runs."""
    import io

    from flask import abort

    @app.before_request
    def _body_size():
        limit = _body_limit(app)
        if request.method in ("GET", "HEAD", "OPTIONS") or not limit or not is_api_request():
            return

        def too_large():
            return AppError(413, f"请求体过大，上限 {_limit_text(limit)} / request body too large", details={"max_bytes": limit})

        if (request.content_length or 0) > limit:
            raise too_large()
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            # A chunked body has no length up front; werkzeug would silently cut it at the limit.
            raw = request.environ["wsgi.input"].read(limit + 1)
            if len(raw) > limit:
                raise too_large()
            request.environ["wsgi.input"] = io.BytesIO(raw)

    @app.before_request
    def _no_nul_characters():
        # PostgreSQL text cannot hold NUL; refuse it at the door instead of failing at the database (500).
        values = list(request.args.values()) + [v for v in (request.view_args or {}).values() if isinstance(v, str)]
        if is_api_request():
            body = request.get_data(cache=True) if request.content_length else b""
            found = b"\x00" in body or b"\\u0000" in body or any("\x00" in v for v in values)
        else:
            if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                    "application/x-www-form-urlencoded", "multipart/form-data"):
                values += list(request.form.values())
            found = any("\x00" in v for v in values)
        if found:
            if is_api_request():
                raise AppError(422, "文本中不能含有 NUL 字符 / text must not contain NUL characters")
            abort(400, "文本中不能含有 NUL 字符")

    @app.before_request
    def _id_range():
        if any(isinstance(v, int) and not isinstance(v, bool) and v > MAX_ID for v in (request.view_args or {}).values()):
            if is_api_request():
                raise AppError(404, "不存在 / not found")
            abort(404)


def json_error(err: AppError):
    """Answer an AppError as the API's JSON error body."""
    _discard_unfinished_work()
    return error_response(err.status, err.message, err.details, err.code)


def page_error(err: AppError):
    """Answer an AppError on a page: the error page in the site's layout, with the message."""
    _discard_unfinished_work()
    return error_page(err.status, err.message)


# Each error page says what happened and what to do, in the reader's language (SPEC §5).
ERROR_WORDS = {
    400: (_l("请求有误"), _l("无法处理这次请求，请返回重试。")),
    403: (_l("无权访问"), _l("您没有查看此页面的权限。")),
    404: (_l("页面不存在"), _l("您要找的页面不存在或已被移除，请检查网址。")),
    405: (_l("不支持的操作"), _l("此页面不支持这种请求方式。")),
    409: (_l("无法完成"), _l("当前状态不允许这项操作。")),
    413: (_l("内容太大"), _l("上传的文件或提交的内容太大，请压缩后重试。")),
    422: (_l("内容有误"), _l("提交的内容有误，请返回修改。")),
    429: (_l("访问过于频繁"), _l("请稍等一分钟后再试。")),
    500: (_l("服务器出错"), _l("服务器暂时出了问题，已记录下来，请稍后再试。")),
}


def _signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # the error may be the database itself: the public page needs none
        return False


def error_page(code: int, message: str | None = None):
    """Render the error page for `code`: phone-sized for the public, the staff layout for staff (SPEC §5)."""
    title, text = ERROR_WORDS.get(code, ERROR_WORDS[500 if code >= 500 else 400])
    page = {"title": title, "text": text}
    if _signed_in():
        return render_template("error.html", code=code, page=page, message=message,
                               back_url="/", back_label=_("返回首页")), code
    token = (request.view_args or {}).get("token") if request.endpoint == "certificates.verify_report" else None
    if token:
        back_url, back_label = url_for("certificates.verify", token=token), _("返回核验页面")
    else:
        back_url, back_label = "/registry", _("返回公开查询")
    return render_template("error_public.html", code=code, page=page, message=message, back_url=back_url,
                           back_label=back_label, domain=current_app.config.get("OFFICIAL_DOMAIN", "")), code


def json_errors(blueprint: Blueprint) -> Blueprint:
    """Let the blueprint answer every AppError as JSON (the API blueprints)."""
    blueprint.register_error_handler(AppError, json_error)
    return blueprint


def page_errors(blueprint: Blueprint) -> Blueprint:
    """Let the blueprint answer every AppError its views do not handle with the error page."""
    blueprint.register_error_handler(AppError, page_error)
    return blueprint


def register_error_handlers(app) -> None:
    """Answer API errors as JSON and never as an HTML page."""

    @app.errorhandler(AppError)
    def _app_error(err: AppError):
        # Raised before any blueprint's own handler could see it (request guards, access checks).
        if is_api_request():
            return json_error(err)
        return page_error(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if is_api_request():
            _discard_unfinished_work()
            details = {"max_bytes": _body_limit(app)} if err.code == 413 else None
            return error_response(err.code or 500, err.description or err.name, details)
        if err.code is None or err.code < 400:
            return err
        _discard_unfinished_work()
        if isinstance(err, CSRFError) and request.endpoint != "accounts.login":
            return _resubmit_page()  # a login form is simply refused: nothing typed there is worth echoing
        message = None
        if err.code == 413:
            # The public's only upload is the fake-report photo: name the limit its form states.
            limit = app.config.get("MAX_CONTENT_LENGTH")
            if not _signed_in() and app.config.get("PUBLIC_UPLOAD_MAX_BYTES"):
                limit = app.config["PUBLIC_UPLOAD_MAX_BYTES"]
            message = _("上传的文件或提交的内容太大（上限 %(limit)s），请压缩后重试。", limit=_limit_text(limit))
        return error_page(err.code, message)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        _discard_unfinished_work()
        if is_api_request():
            return error_response(500, "服务器内部错误 / internal error", code="internal")
        return error_page(500)


def _resubmit_page():
    """A lapsed CSRF token: show what was typed in a fresh form to send again (nothing is lost)."""
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name != "csrf_token" and "password" not in name.lower()]
    files = [f.filename for f in request.files.values() if f.filename]
    return render_template("error_resubmit.html", action=request.full_path.rstrip("?"), fields=fields, files=files,
                           back_url="/", back_label=_("返回首页")), 400


# OpenAPI: each area's api.py contributes its paths through `openapi_paths()`.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}},
}


def json_response(description: str, schema: dict | None = None) -> dict:
    """An OpenAPI response with a JSON body (any object unless `schema` says more)."""
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def error_responses(*codes: int) -> dict:
    return {str(c): {"description": ERROR_CODES.get(c, "error"),
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for c in codes}


def build_openapi(paths: dict) -> dict:
    # 3.1: its schemas are JSON Schema 2020-12, which is what pydantic emits for the request bodies.
    return {
        "openapi": "3.1.0",
        "info": {"title": "AllianceMark API", "version": "1.0.0",
                 "description": "联盟标志授权系统 JSON API. Decimals travel as strings."},
        "servers": [{"url": PREFIX}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


OPENAPI = "alliancemark.openapi"


def register_openapi(app, modules) -> None:
    """Build /api/v1/openapi.json from the `OPENAPI_PATHS` and `OPENAPI_SCHEMAS` (a dict, or a function
    giving one per document) of these API modules."""
    app.extensions[OPENAPI] = tuple(modules)


def _openapi_view():
    """Serve the OpenAPI document of every API module the app registered."""
    from flask import current_app

    paths: dict = {}
    schemas: dict = {}
    for module in current_app.extensions.get(OPENAPI, ()):
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
        extra = getattr(module, "OPENAPI_SCHEMAS", {})
        schemas.update(extra() if callable(extra) else extra)  # a callable: bounds that move with the clock
    document = build_openapi(paths)
    document["components"]["schemas"].update(schemas)
    _add_common_errors(document)
    document = _without_nullable(document)
    return jsonify(document)


# Any operation may answer with these (the conventions above): a missing or bad token, a
# malformed or oversized body, a wrong method on an existing path, a rate limit.
COMMON_ERRORS = (400, 401, 403, 404, 405, 413, 415, 422, 429)
_METHODS = ("get", "put", "post", "delete", "patch")


def _without_nullable(node):
    """OpenAPI 3.0's `nullable: true` written as 3.1 says it: `null` among the types."""
    if isinstance(node, list):
        return [_without_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _without_nullable(value) for key, value in node.items()}
    if node.pop("nullable", False) and "type" in node:
        kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = kinds + ["null"]
    return node


def _add_common_errors(document: dict) -> None:
    common = error_responses(*COMMON_ERRORS)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in common.items():
                responses.setdefault(code, response)


_openapi_view.access = "public"
bp.add_url_rule("/openapi.json", "openapi", _openapi_view, methods=["GET"])
