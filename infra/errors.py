"""One error type for every refusal the shells report, and the handlers that turn it into an answer.

A service raises `AppError(status, message, field=…, details=…)`; each blueprint registers one
handler (`register_json_handler` for the API, `register_page_handler` for pages), so no view
translates errors by hand.
"""
from __future__ import annotations

from typing import Any

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
}


class AppError(Exception):
    """A refused request: HTTP-like `status`, a message for people, the `field` at fault, `details`."""

    def __init__(self, status: int = 422, message: str = "", field: str | None = None, details: Any = None,
                 code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        if details is None:
            details = {field: message} if field else {}
        self.details = details
        self.code = code or ERROR_CODES.get(status, "error")

    def __str__(self) -> str:
        return self.message

    def problems(self) -> list[dict]:
        """The itemised problems (`details["problems"]`), e.g. of a refused standard file."""
        if isinstance(self.details, dict):
            return list(self.details.get("problems") or [])
        return []


def not_found(message: str = "不存在 / not found", field: str | None = None) -> AppError:
    """The answer for a row that does not exist or that the caller may not see (the same 404)."""
    return AppError(404, message, field)


def required_text(field: str, value: str | None, label: str, max_len: int) -> str:
    """Return the stripped text, or refuse it (422 naming the field) when empty or too long."""
    value = (value or "").strip()
    if not value:
        raise AppError(422, f"{label}不能为空 / {field} is required", field=field)
    if len(value) > max_len:
        raise AppError(422, f"{label}不能超过{max_len}个字符 / {field} is too long", field=field)
    return value
