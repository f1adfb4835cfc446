"""The one boundary every JSON body crosses: parsed with limits, refused with a 400 problem that
names the path of what is wrong, before anything reads it. Limits: nesting depth, whole numbers
of at most 20 digits (Python refuses 4,300 and DynamoDB keeps 38 significant ones), finite
numbers only (no NaN, Infinity or 1e999), and text that is valid Unicode (a lone surrogate
cannot be stored or sent). Then a route's declared Body (below) checks its shape: a 422 naming
every path that breaks it."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.errors import InvalidPayload, MalformedBody
from chalicelib.i18n import N_

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
            raise MalformedBody(
                N_("%(path)s: text with a lone surrogate (not valid Unicode)"), values={"path": path or "body"}
            ) from None


def check(value: Any, path: str = "", depth: int = 0) -> None:
    """Raise MalformedBody naming the first path that breaks a limit."""
    if depth > MAX_DEPTH:
        raise MalformedBody(
            N_("%(path)s: nested more than %(limit)s levels deep"), values={"path": path or "body", "limit": MAX_DEPTH}
        )
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
        raise MalformedBody(f"{path or 'body'}: {value.why}")  # `why` is a fragment: left English


def load_json(body: bytes | str) -> Any:
    """A JSON document within the limits, or MalformedBody (400) saying what and where."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            N_("body is not UTF-8: %(reason)s at byte %(byte)s"), values={"reason": exc.reason, "byte": exc.start}
        ) from exc
    try:
        doc = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            N_("body is not valid JSON: %(error)s (line %(line)s, column %(column)s)"),
            values={"error": exc.msg, "line": exc.lineno, "column": exc.colno},
        ) from exc
    except RecursionError:
        raise MalformedBody(N_("body: nested more than %(limit)s levels deep"), values={"limit": MAX_DEPTH}) from None
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


# -- a route's declared body: one schema, checked here and published in the OpenAPI document ------

Schema = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Body:
    """A request body's JSON Schema, declared on its route (api/routes.needs): the same object is
    checked before the view runs and published under `name` in GET /openapi.json."""

    name: str
    schema: Schema = field(hash=False)

    def check(self, value: Any) -> None:
        """Raise InvalidPayload (422) naming every path that breaks the schema."""
        found = problems(self.schema, value)
        if found:
            # `name` is the schema's own name (Group, Rule), as GET /openapi.json lists it.
            raise InvalidPayload(
                N_("invalid %(name)s: %(problems)s"),
                values={"name": self.name, "problems": "; ".join(found[:10])},
                extra={"errors": found},
            )


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    # JSON Schema's `$` (ECMA) does not match before a final newline; Python's does: `\Z` does not.
    return re.compile(text[:-1] + r"\Z" if text.endswith("$") and not text.endswith("\\$") else text)


def problems(schema: Schema, value: Any, path: str = "") -> list[str]:
    """What in `value` breaks `schema`, each with its path: the subset of JSON Schema the routes
    declare (type, enum, required, properties, additionalProperties, patternProperties,
    propertyNames, maxProperties, items, minItems, maxItems, minLength, maxLength, pattern,
    minimum, maximum, oneOf). `format` is an annotation, as JSON Schema 2020-12 has it."""
    where = path or "body"
    kind = schema.get("type")
    if kind is not None and not _TYPES[kind](value):
        return [f"{where}: {'an' if kind[0] in 'aeiou' else 'a'} {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {_one_of(schema['enum'])}"]
    if "oneOf" in schema:
        return _one_of_problems(schema["oneOf"], value, path)
    if isinstance(value, dict):
        return _object_problems(schema, value, path)
    if isinstance(value, list):
        return _array_problems(schema, value, path)
    if isinstance(value, str):
        return _text_problems(schema, value, where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_problems(schema, value, where)
    return []


def _one_of_problems(options: list[Schema], value: Any, path: str) -> list[str]:
    """Exactly one shape; when none fits, what is wrong with the one whose required members are
    all there (the shape the sender meant), if only one is."""
    failing = [problems(option, value, path) for option in options]
    fitting = failing.count([])
    if fitting == 1:
        return []
    where = path or "body"
    if fitting > 1:
        return [f"{where}: fits more than one of the shapes it may take"]
    meant = [
        found
        for option, found in zip(options, failing, strict=True)
        if isinstance(value, dict) and all(name in value for name in option.get("required", ()))
    ]
    return meant[0] if len(meant) == 1 else [f"{where}: none of the shapes it may take"]


def _number_problems(schema: Schema, value: float, where: str) -> list[str]:
    if "minimum" in schema and value < schema["minimum"]:
        return [f"{where}: at least {schema['minimum']}"]
    if "maximum" in schema and value > schema["maximum"]:
        return [f"{where}: at most {schema['maximum']}"]
    return []


def _one_of(allowed: list[Any]) -> str:
    named = ", ".join(v if isinstance(v, str) else json.dumps(v) for v in allowed if v != "")
    return f"one of {named}" + (" (or empty)" if "" in allowed else "")


def _text_problems(schema: Schema, value: str, where: str) -> list[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if high is not None and low and not low <= len(value) <= high:
        return [f"{where}: {low} to {high} characters"]  # both bounds, as a person needs them
    if len(value) < low:
        return [
            f"{where}: must not be empty"
            if schema["minLength"] == 1
            else f"{where}: at least {schema['minLength']} characters"
        ]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [f"{where}: at most {schema['maxLength']} characters"]
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        return [f"{where}: does not match {schema['pattern']}"]
    return []


def _array_problems(schema: Schema, value: list[Any], path: str) -> list[str]:
    where = path or "body"
    if len(value) < schema.get("minItems", 0):
        return [
            f"{where}: must not be empty"
            if schema["minItems"] == 1
            else f"{where}: at least {schema['minItems']} items"
        ]
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return [f"{where}: at most {schema['maxItems']} items"]
    items = schema.get("items")
    return [p for i, item in enumerate(value) for p in problems(items, item, _path(path, i))] if items else []


def _object_problems(schema: Schema, value: dict[str, Any], path: str) -> list[str]:
    where = path or "body"
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        return [f"{where}: at most {schema['maxProperties']} members"]
    found = [f"{_path(path, name)}: required" for name in schema.get("required", ()) if name not in value]
    properties, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    names = schema.get("propertyNames")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if names is not None:
            found += problems(names, name, _path(path, name))
        matched = [p for p in patterns if _pattern(p).search(name)]
        for rule in [properties[name]] if name in properties else [patterns[p] for p in matched]:
            found += problems(rule, item, _path(path, name))
        if name in properties or matched:
            continue
        if extra is False:
            found.append(f"{_path(path, name)}: not a member this takes")
        elif isinstance(extra, Mapping):
            found += problems(extra, item, _path(path, name))
    return found
