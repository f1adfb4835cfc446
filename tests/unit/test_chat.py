"""The pure half of chat: which cards a batch posts, what a card says, which button was pressed."""

from __future__ import annotations

import json

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.policy.chat import CardFacts, chat_steps, parse_action, slack_card, teams_card, teams_escape
from chalicelib.policy.config import Group, RoutingConfig, parse_group

HOSTILE = "<!channel> [click me](https://evil.example) *now* & <https://x|y>"


def _facts(status: str = "open", **extra: str) -> CardFacts:
    return CardFacts("i123", HOSTILE, "high", status, "Social team", "https://sw.example.com/incidents/i123", **extra)


def _config(**groups: Group) -> RoutingConfig:
    return RoutingConfig(rules=(), default_groups=(), groups=dict(groups), departments={})


def _mrkdwn(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in _mrkdwn(v)]
    if isinstance(node, list):
        return [t for v in node for t in _mrkdwn(v)]
    return []


def test_a_slack_card_escapes_what_attackers_wrote_and_offers_the_buttons_for_its_state() -> None:
    text, blocks = slack_card(_facts(next_task="Draft the holding statement"))
    rendered = json.dumps(blocks)
    # Slack parses mentions and links in mrkdwn text (and the fallback), never in plain_text.
    marked = [text, *_mrkdwn(blocks)]
    assert not [t for t in marked if "<!channel>" in t or "<https://x|y>" in t]
    assert "&lt;!channel&gt;" in text
    header = blocks[0]["text"]
    assert header["type"] == "plain_text" and len(header["text"]) <= 150
    assert "Draft the holding statement" in rendered
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        "sw:acknowledge",
        "sw:mine",
        "sw:not-ours",
        "sw:false-alarm",
    ]
    _, acked = slack_card(_facts("acknowledged", acknowledged_by="Priya", acknowledged_via="SMS link"))
    [actions] = [b for b in acked if b["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == "sw:resolve"
    assert "Acknowledged by Priya via SMS link" in json.dumps(acked)
    _, resolved = slack_card(_facts("resolved", resolved_by="Priya", resolution="false alarm"))
    assert not [b for b in resolved if b["type"] == "actions"] and "Resolved by Priya (false alarm)" in json.dumps(
        resolved
    )


def test_a_teams_card_uses_universal_actions_and_cannot_be_made_to_link_elsewhere() -> None:
    card = teams_card(_facts())
    assert card["version"] == "1.4" and card["refresh"]["action"]["verb"] == "refresh"
    verbs = [a["verb"] for a in card["actions"] if a["type"] == "Action.Execute"]
    assert verbs == ["acknowledge", "mine", "not-ours", "false-alarm"]
    assert "[click me](https" not in json.dumps(card) and teams_escape("[a](b)") == "\\[a\\](b)"
    broadcast = teams_card(_facts(), buttons=False)
    assert "refresh" not in broadcast and [a["type"] for a in broadcast["actions"]] == ["Action.OpenUrl"]


def test_one_card_per_incident_and_channel_however_many_groups_share_it() -> None:
    shared = {"slack_team": "T1", "slack_channel": "C1"}
    config = _config(
        a=parse_group({"name": "A", **shared, "teams_channel": "19:x@thread.tacv2"}, slug="a"),
        b=parse_group({"name": "B", **shared}, slug="b"),
        c=parse_group({"name": "C"}, slug="c"),
    )
    steps = chat_steps({"i1": ["a", "b", "c"], "i2": ["c"]}, config)
    assert [(s.platform, s.where, s.incident_id) for s in steps] == [
        ("slack", "T1/C1", "i1"),
        ("teams", "19:x@thread.tacv2", "i1"),
    ]
    assert steps[0].card_id != chat_steps({"i2": ["a"]}, config)[0].card_id


def test_a_group_names_chat_channels_by_id_only() -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_group({"slack_team": "T1", "slack_channel": "#general", "teams_webhook": "http://x"}, slug="g")
    errors = refused.value.extra["errors"]
    assert any("slack_channel" in e for e in errors) and any("teams_webhook" in e for e in errors)
    with pytest.raises(InvalidPayload):
        parse_group({"slack_channel": "C1"}, slug="g")  # which workspace?
    group = parse_group({"slack_team": "T1", "slack_channel": "C1"}, slug="g")
    assert group.chats == (("slack", "T1/C1"),) and group.document()["slack_channel"] == "C1"


def test_only_sharedwatch_buttons_are_actions() -> None:
    assert parse_action("sw:acknowledge") == "acknowledge" and parse_action("false-alarm") == "false-alarm"
    assert parse_action("sw:delete-everything") is None and parse_action("") is None
