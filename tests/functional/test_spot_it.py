"""Spot it on moto: rounds of real items from our own past (an approved case card, a person's
correction, praise) as plain forms; a person's results are theirs, their department sees counts
only; a round's page reads in one request beside the session's own; hostile or stale answers
are a 4xx page, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in
from tests.functional.test_case_cards import ADMIN, _counting, _resolved_incident
from tests.support import Browser


def _with_items(h: Harness) -> None:
    """An approved case card and a correction: the practice's items."""
    incident, _ = _resolved_incident(h)
    lead = sign_in(h, "lee@example.com", "lead", department="inflight")
    assert lead.api("PUT", f"/api/cases/{incident.incident_id}", {"approve": True}).status_code == 200
    [mention] = MentionModel.scan()
    correction = {"field": "sentiment", "value": "positive", "why": "it was a joke"}
    answer = h.client.http.post(
        f"/api/mentions/{mention.mention_id}/corrections", body=json.dumps(correction).encode(), headers=ADMIN
    )
    assert answer.status_code in (200, 201), answer.body
    lead.get("/learn/spot-it")
    assert lead.post_form("/learn/spot-it/pool", {}).status_code == 200


def _round(page: str) -> tuple[list[str], dict[str, str]]:
    ids = re.search(r'name="items" value="([^"]*)"', page).group(1).split(",")  # type: ignore[union-attr]
    return ids, {"items": ",".join(ids)}


def _play(browser: Browser, action: str, department: str = "") -> str:
    ids, fields = _round(browser.get("/learn/spot-it").body.decode())
    for item_id in ids:
        fields |= {f"a_{item_id}": action, f"d_{item_id}": department}
    answer = browser.post_form("/learn/spot-it", fields)
    assert answer.status_code == 200, answer.body[:400]
    return str(answer.body.decode())


def test_a_round_is_answered_without_script_and_says_what_was_right_and_why(harness: Harness) -> None:
    h = harness
    _with_items(h)
    sam = sign_in(h, "sam@example.com", "everyone", department="inflight")
    page = sam.get("/learn/spot-it").body.decode()
    assert "<script" not in page and 'type="radio"' in page and "Check my answers" in page
    assert "dana" not in page.lower()  # the poster's handle is not on the practice
    done = _play(sam, "urgent", "inflight")
    assert re.search(r"This round: \d of \d right", done) and "Why:" in done
    assert "Your results so far: 1 rounds" in done
    assert "It became an incident" in done and "A colleague read it again" in done

    # Theirs alone: a colleague sees nothing of it; the department sees counts.
    ana = sign_in(h, "ana@example.com", "everyone", department="inflight")
    assert "Your results so far" not in ana.get("/learn/spot-it").body.decode()
    department = ana.get("/departments/inflight").body.decode()
    assert "Players: 1 · rounds: 1." in department and "sam@" not in department.split('id="practice"')[1]
    _play(ana, "nothing")
    assert "Players: 2 · rounds: 2." in ana.get("/departments/inflight").body.decode()


def test_answers_that_are_not_the_rounds_are_refused_with_a_page_that_says_why(harness: Harness) -> None:
    h = harness
    _with_items(h)
    sam = sign_in(h, "sam@example.com", "everyone", department="inflight")
    ids, _ = _round(sam.get("/learn/spot-it").body.decode())
    for wrong in (
        {"items": "nope,nope"},
        {"items": ",".join(ids), **{f"a_{i}": "panic" for i in ids}},
        {"items": "<script>alert(1)</script>", "a_<script>alert(1)</script>": "report"},
    ):
        answer = sam.post_form("/learn/spot-it", wrong)
        assert answer.status_code == 422 and 'role="alert"' in answer.body.decode()
        assert "<script>alert" not in answer.body.decode()
    assert "Your results so far" not in sam.get("/learn/spot-it").body.decode()  # nothing counted
    assert sam.post_form("/learn/spot-it", {"items": ",".join(ids)}, csrf=False).status_code == 403
    assert sam.post_form("/learn/spot-it/pool", {}).status_code == 403  # only a lead draws the items


def test_a_rounds_pages_read_in_one_request_and_the_session_in_one_more(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    _with_items(h)
    sam = sign_in(h, "sam@example.com", "everyone", department="inflight")
    sam.get("/learn/spot-it")
    made = _counting(monkeypatch)
    page = sam.get("/learn/spot-it").body.decode()
    assert [m[0] for m in made if not m[1].endswith("identity")] == ["BatchGetItem"], made
    assert [m[0] for m in made if m[1].endswith("identity")] == ["BatchGetItem"], made  # the session and person
    assert len(made) <= 2, made  # the budget for a spot-it page, counting the session
    made.clear()
    ids, fields = _round(page)
    fields |= {f"a_{i}": "report" for i in ids}
    assert sam.post_form("/learn/spot-it", fields).status_code == 200
    own: list[Any] = [m[0] for m in made if not m[1].endswith("identity")]
    assert own == ["BatchGetItem", "TransactWriteItems"], made
