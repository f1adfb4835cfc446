"""The one boundary every JSON body crosses: parsed with limits, refused with a 400 problem that
names the path of what is wrong, before anything reads it. Limits: nesting depth, whole numbers
of at most 20 digits (Python refuses 4,300 and DynamoDB keeps 38 significant ones), finite
numbers only (no NaN, Infinity or 1e999), and text that is valid Unicode (a lone surrogate
cannot be stored or sent)."""

from __future__ import annotations

import json
import math
from typing import Any

from chalicelib.errors import MalformedBody

MAX_DEPTH = 32
MAX_INT_DIGITS = 20  # a 64-bit id (tweet ids have 19 digits)
MAX_NUMBER = 10**15  # counts (followers, likes) beyond this are not counts


class _Refused:
    """A number that cannot be kept, remembered with its text until its path is known."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _int(text: str) -> int | _Refused:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        return _Refused(f"a whole number of {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{text[:20]} is not a finite number")


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a number JSON allows")


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _check_text(value: str, path: str) -> None:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedBody(f"{path or 'body'}: text with a lone surrogate (not valid Unicode)") from None


def check(value: Any, path: str = "", depth: int = 0) -> None:
    """Raise MalformedBody naming the first path that breaks a limit."""
    if depth > MAX_DEPTH:
        raise MalformedBody(f"{path or 'body'}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, _path(path, "<key>"))
            check(item, _path(path, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check(item, _path(path, index), depth + 1)
    elif isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, _Refused):
        raise MalformedBody(f"{path or 'body'}: {value.why}")


def load_json(body: bytes | str) -> Any:
    """A JSON document within the limits, or MalformedBody (400) saying what and where."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        doc = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError:
        raise MalformedBody(f"body: nested more than {MAX_DEPTH} levels deep") from None
    check(doc)
    return doc


def whole_number(text: str, *, digits: int) -> int | None:
    """A non-negative whole number written in at most `digits` ASCII digits (a query value, a
    form field), else None. str.isdigit() lets in 5,000 digits (int() then raises) and
    superscripts such as '²' (which int() refuses)."""
    text = text.strip()
    if not text or len(text) > digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def count(value: Any) -> int:
    """A non-negative count from a payload (followers, likes; digits in a string too), capped:
    0 when absent or not a count."""
    if isinstance(value, str):
        value = whole_number(value, digits=MAX_INT_DIGITS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0
    return max(0, min(int(value), MAX_NUMBER))
