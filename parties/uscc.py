"""The unified social credit code (统一社会信用代码) check of GB 32100-2015."""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class UsccError(ValueError):
    """A code that is not a valid USCC, with the reason in Chinese and English."""


def check_character(first17: str) -> str:
    """Return the 18th character of a USCC whose first 17 characters are given."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """Return the code upper-cased and stripped, or raise UsccError saying what is wrong."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise UsccError(f"统一社会信用代码应为18位，当前为{len(code)}位 / a USCC has 18 characters")
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise UsccError(f"统一社会信用代码含非法字符：{''.join(bad)}（不使用 I、O、S、V、Z）"
                        f" / invalid characters in USCC")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError(f"统一社会信用代码校验位错误：末位应为 {expected}，而不是 {code[17]}"
                        f" / USCC check digit is wrong")
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        normalize_uscc(value)
    except UsccError:
        return False
    return True
