"""Case cards, decided purely: redaction of private people, a card drafted from a review, a
lead's edit checked, and what the calm wall keeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.policy import cases


def test_redaction_removes_handles_addresses_links_and_reporters_names_case_insensitively() -> None:
    names = cases.names_of([{"name": "Priya Shah", "email": "priya.shah@example.com"}, {"email": "omar@example.com"}])
    text = (
        "@angryflyer says PRIYA shah at the gate was rude; priya.shah@example.com and Omar saw it: "
        "https://x.com/angryflyer/status/1 (Shahida was not there)"
    )
    out = cases.redact(text, names=names)
    assert "angryflyer" not in out and "@…" in out
    assert "priya" not in out.lower() and "omar" not in out.lower() and "example.com" not in out
    assert "x.com" not in out and cases.LINK_MARK in out
    assert "Shahida" in out  # a name is removed as a whole word, never inside another word
    assert out.count(cases.NAME_MARK) >= 2


def test_redaction_leaves_plain_text_and_an_address_is_not_read_as_a_handle() -> None:
    assert cases.redact("The 9:40 to Lyon was late") == "The 9:40 to Lyon was late"
    assert cases.redact("mail ops@example.com") == f"mail {cases.ADDRESS_MARK}"


def _review(now: Any, *, status: str = "resolved") -> dict[str, Any]:
    opened = now - timedelta(hours=2)
    chart = [
        {"at": f"{(opened + timedelta(minutes=10 * i)):%Y-%m-%dT%H:%M}", "joined": j, "negative": j // 2, "reports": r}
        for i, (j, r) in enumerate([(0, 0), (0, 0), (3, 1), (12, 0), (5, 0)])
    ]
    return {
        "incident": {
            "id": "inc1",
            "title": "@gatefan: Priya at gate B12 shouted at a family",
            "severity": "high",
            "status": status,
            "opened_at": opened.isoformat(),
            "resolved_at": now.isoformat(),
        },
        "drill": False,
        "minutes": {"to_acknowledge": 4.0, "to_approve": 20.5, "to_publish": 31.0, "to_resolve": 95.0},
        "statements": [{"lang": "en", "text": "We are sorry; we have spoken to the family.", "at": now.isoformat()}],
        "actions": [{"text": "Brief gate staff on de-escalation", "status": "done"}, {"text": "x", "status": "open"}],
        "story": {
            "title": "@gatefan: Priya at gate B12 shouted at a family",
            "copies": 20,
            "negative": 10,
            "reach": 45000,
            "departments": ["gates"],
            "chart": chart,
        },
    }


REPORTERS = [
    {
        "received_at": "2026-01-01T10:05:00+00:00",
        "channel": "slack",
        "department": "gates",
        "position": 1,
        "lead_minutes": 12.0,
        "email": "sam.lee@example.com",
        "name": "Sam Lee",
        "text": "Sam here: look at this",
    },
    {
        "received_at": "2026-01-01T10:09:00+00:00",
        "channel": "web",
        "department": "",
        "position": 2,
        "lead_minutes": None,
        "email": "",
        "name": "",
    },
]


def test_a_card_drafted_from_a_review_keeps_the_numbers_and_names_nobody() -> None:
    now = utcnow()
    card = cases.draft(_review(now), reporters=REPORTERS, now=now)
    assert card["status"] == "draft" and card["incident_id"] == "inc1" and card["redacted"]
    assert "gatefan" not in card["title"] and "@…" in card["title"]
    assert card["numbers"] == {
        "posts": 20,
        "negative": 10,
        "reach": 45000,
        "peak_per_10min": 12,
        "reports": 2,
        "lead_minutes": 12.0,
        "minutes_to_resolve": 95.0,
    }
    assert [p["joined"] for p in card["chart"]] == [3, 12, 5]  # the quiet buckets before it began are trimmed
    assert "in gates" in card["spotted"] and "12 min before the listening tools" in card["spotted"]
    assert "Sam" not in card["spotted"] and "Sam" not in card["helped"]
    assert "resolved in 95 min" in card["did"] and "spoken to the family" in card["did"]
    assert "Brief gate staff" in card["helped"] and "12 min ahead" in card["helped"]
    assert card["departments"] == ["gates"]


def test_a_card_with_no_reporter_says_the_tools_had_it_first() -> None:
    now = utcnow()
    card = cases.draft(_review(now), reporters=[], now=now)
    assert "listening tools had it first" in card["spotted"] and card["numbers"]["lead_minutes"] is None


def test_a_leads_edit_is_redacted_unless_they_keep_names_and_wrong_fields_are_listed() -> None:
    now = utcnow()
    card = cases.draft(_review(now), reporters=REPORTERS, now=now)
    edited = cases.edit(card, {"helped": "Sam Lee's report; @ops_lead called"}, names=["Sam Lee", "Sam"])
    assert edited["helped"] == f"{cases.NAME_MARK}'s report; {cases.HANDLE_MARK} called" and edited["redacted"]
    kept = cases.edit(card, {"helped": "Sam Lee's report", "redact": False}, names=["Sam Lee"])
    assert kept["helped"] == "Sam Lee's report" and not kept["redacted"]
    with pytest.raises(InvalidPayload) as refused:
        cases.edit(card, {"title": "", "posted": 5, "spread": "x" * 401, "colour": "red", "redact": "no"})
    errors = refused.value.extra["errors"]
    assert len(errors) == 5 and any(e.startswith("colour") for e in errors)
    assert card["numbers"] == cases.edit(card, {"title": "New"})["numbers"]


def test_approving_records_who_and_when_and_the_wall_keeps_the_newest_approved_cards() -> None:
    now = utcnow()
    card = cases.draft(_review(now), reporters=[], now=now)
    approved = cases.approve(card, by="Lee <lead@example.com>", now=now)
    assert approved["status"] == "approved" and approved["approved_by"].startswith("Lee")
    many = [
        {**approved, "incident_id": f"i{n}", "approved_at": (now + timedelta(minutes=n)).isoformat()}
        for n in range(cases.WALL_CARDS + 3)
    ]
    kept = cases.wall_cards([*many, card])
    assert len(kept) == cases.WALL_CARDS and kept[0]["incident_id"] == f"i{cases.WALL_CARDS + 2}"
    assert "chart" not in kept[0] and kept[0]["numbers"]["posts"] == 20
    assert cases.for_department(many, "baggage") == [] and len(cases.for_department(many, "gates")) == len(many)
    with pytest.raises(InvalidPayload):
        cases.approve({**card, "title": " "}, by="x", now=now)
