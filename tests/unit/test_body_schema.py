"""A route's declared Body (chalicelib/bodies.py) checks a JSON body against its schema and names
every wrong path; what it checks is what GET /openapi.json publishes."""

from __future__ import annotations

import pytest

from chalicelib.api import schemas
from chalicelib.bodies import Body, problems
from chalicelib.errors import InvalidPayload

THING = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
        "size": {"type": "integer", "minimum": 1, "maximum": 9},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2},
        "on": {"type": "boolean"},
    },
    "additionalProperties": False,
}


def test_a_body_that_fits_has_no_problems() -> None:
    assert problems(THING, {"name": "abc", "size": 3, "tags": ["a"], "on": False}) == []


def test_every_wrong_part_is_named_by_its_path() -> None:
    found = problems(THING, {"size": 10, "tags": ["a", "c"], "on": 1, "colour": "red"})
    assert found == [
        "name: required",
        "size: at most 9",
        "tags[1]: one of a, b",
        "on: a boolean",
        "colour: not a member this takes",
    ]


def test_types_are_json_types_a_boolean_is_not_a_number_and_a_newline_does_not_end_a_pattern() -> None:
    assert problems(THING, {"name": "abc", "size": True}) == ["size: an integer"]
    assert problems(THING, {"name": "abc\n"}) == ["name: does not match ^[a-z]+$"]
    assert problems(THING, ["abc"]) == ["body: an object"]


def test_of_several_shapes_the_one_the_sender_meant_says_what_is_wrong() -> None:
    body = {"mentions": [{"id": "1", "text": "late again", "published_at": "2026-01-01T00:00:00Z"}, {"id": "x"}]}
    assert problems(schemas.TRIAGE_REQUEST.schema, body) == [
        "mentions[1].text: required",
        "mentions[1].published_at: required",
    ]


def test_a_refused_body_is_a_422_listing_its_problems() -> None:
    with pytest.raises(InvalidPayload) as refused:
        Body("Thing", THING).check({"name": ""})
    assert refused.value.status == 422 and refused.value.extra["errors"] == ["name: 1 to 5 characters"]
