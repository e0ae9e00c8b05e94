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


INT_MAX = 2**31 - 1  # INTEGER columns are 32-bit on PostgreSQL


def whole_number(field: str, value: Any, low: int = 0, high: int = INT_MAX) -> int:
    """Return `value` as an int in [low, high], or refuse it (422 naming the field): ASCII digits only, no ², no 2^63."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise AppError(422, f"{field} 应为整数 / {field} must be a whole number", field=field)
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
        raise AppError(422, f"{field} 应为 {low} 到 {high} 之间的整数 / {field} must be a whole number "
                            f"from {low} to {high}", field=field)
    number = int(text)
    if not low <= number <= high:
        raise AppError(422, f"{field} 应为 {low} 到 {high} 之间的整数 / {field} must be from {low} to {high}",
                       field=field)
    return number
