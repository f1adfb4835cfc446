"""The router's planner, without DynamoDB: a stream batch and what was read for it in, the plan
out (stories, incidents, notifications, receipts, the wall), and what settling it remembers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.policy.batch import BatchPlan, BatchRead, IncidentView, Links, plan_batch, settle
from chalicelib.policy.config import Group, RoutingConfig
from chalicelib.policy.escalation import parse_policy
from chalicelib.policy.rules import parse_rule
from chalicelib.policy.stories import IndexEntry, StoryRow, incident_id_for, item_id, member_key, velocity_raiser
from chalicelib.records import Mention, Report, Signal
from chalicelib.triage import DEFAULT_THRESHOLDS
from chalicelib.triage.taxonomy import default_taxonomy
from tests.support import NOW, make_mention

LINKS = Links(base_url="https://watch.example", key=lambda: b"k" * 32)
RAISE = velocity_raiser(default_taxonomy(), DEFAULT_THRESHOLDS)
CONFIG = RoutingConfig(
    rules=(
        parse_rule({"id": "ops", "order": 1, "when": {"keywords": ["cancelled"]}, "notify": ["operations"]}),
        parse_rule(
            {
                "id": "severe",
                "order": 2,
                "when": {"severity_at_least": "high"},
                "notify": ["crisis-team", "legal"],
                "owner": "crisis-team",
            }
        ),
    ),
    default_groups=("social-team",),
    groups={
        "social-team": Group("social-team", "Social team"),
        "operations": Group("operations", "Operations"),
        "crisis-team": Group("crisis-team", "Crisis team"),
        "legal": Group("legal", "Legal"),
    },
    departments={},
    policies={"default": parse_policy({"id": "default", "levels": [{"after_minutes": 15, "notify": ["executives"]}]})},
)
EMPTY = BatchRead(index={}, rows={}, incidents={}, told={})


def mention(n: int, text: str, *, followers: int = 120) -> Mention:
    return make_mention(n, text, followers=followers)


def plan(signals: list[Signal], read: BatchRead = EMPTY) -> BatchPlan:
    return plan_batch(signals, read=read, config=CONFIG, links=LINKS, now=NOW, raise_severity=RAISE)


def groups_told(p: BatchPlan) -> list[str]:
    return sorted(o.notification.group for o in p.outgoing)


def test_several_new_stories_for_one_group_go_out_as_one_bundle() -> None:
    batch: list[Signal] = [
        mention(1, "Lovely crew on my flight to Lisbon today"),
        mention(2, "Is the lounge in Terminal 2 open on Sundays?"),
        mention(3, "Booked my summer trip, cannot wait for the beach"),
    ]
    p = plan(batch)
    [bundle] = p.outgoing
    assert bundle.notification.group == "social-team" and bundle.notification.item_kind == "bundle"
    assert len(p.tags[bundle.notification.delivery_id]) == 3  # each story is remembered as told
    assert len(p.stories.rows) == 3 and all(r.version == 0 for r in p.stories.rows)


def test_copies_in_one_batch_are_one_story_told_once() -> None:
    text = "Third cancelled flight this month with @brand and not a word from anyone. Never again."
    p = plan([mention(1, text), mention(2, text), mention(3, text)])
    assert len(p.stories.rows) == 1 and p.stories.rows[0].size == 3
    assert groups_told(p) == ["operations"]  # one notice, not three (no rule matched: not the default)
    assert p.counts["folded"] == 2


def test_a_story_its_groups_already_heard_about_is_not_told_again() -> None:
    first = plan([mention(1, "Third cancelled flight this month with @brand. Never again.")])
    [row] = first.stories.rows
    told = settle(first, {o.notification.delivery_id: "sent" for o in first.outgoing}, told={}, now=NOW).told
    assert told[row.cluster_id] == {"operations|story"}
    copy = mention(2, "Third cancelled flight this month with @brand. Never again.")
    read = BatchRead(index=dict(first.stories.index), rows={row.cluster_id: row}, incidents={}, told=told)
    again = plan([copy], read)
    assert again.stories.stories[item_id(copy)].size == 2
    assert again.outgoing == [] and again.counts["folded"] == 1


def test_a_redelivered_record_is_not_counted_twice() -> None:
    m = mention(1, "Third cancelled flight this month with @brand. Never again.")
    first = plan([m])
    [row] = first.stories.rows
    read = BatchRead(index=dict(first.stories.index), rows={row.cluster_id: row}, incidents={}, told={})
    again = plan([m], read)
    assert again.stories.rows == [] and again.stories.index == {}
    assert not again.stories.stories[item_id(m)].joined
    assert again.shown == []  # the wall had it the first time
    assert groups_told(again) == ["operations"]  # not settled as told: planned again (the delivery log skips it)


def test_a_severe_mention_opens_an_incident_noticed_with_acknowledge_links() -> None:
    crisis = mention(
        7001,
        "Our flight crew refused to help my disabled son and we are filing a lawsuit. Disgusting.",
        followers=52000,
    )
    p = plan([crisis])
    [opening] = p.stories.openings
    assert opening.reason.startswith("severity ")
    change = p.incidents[opening.incident_id]
    assert change.fields["owner"] == "crisis-team" and change.next_action_at == NOW + timedelta(minutes=15)
    notices = [o.notification for o in p.outgoing]
    assert {n.group for n in notices} == {"crisis-team", "legal"}
    assert all(n.incident_id == opening.incident_id and "https://watch.example/ack/" in n.email for n in notices)
    outcomes = {n.delivery_id: "sent" for n in notices if n.group == "crisis-team"}  # legal's failed
    settled = settle(p, outcomes, told={}, now=NOW)  # type: ignore[arg-type]
    assert change.notified == {"crisis-team"}
    assert settled.told[opening.cluster_id] == {"crisis-team|incident"}
    assert p.crisis == [opening.incident_id]  # a step: the router's crisis-plans stage starts its plan


def test_velocity_raises_severity_into_the_story_and_opens_the_incident() -> None:
    text = "Worst airline ever, rude staff, awful service and a filthy cabin. Terrible."
    newcomer = mention(9, text, followers=20000)
    assert newcomer.severity == "medium"  # alone: strongly negative with some reach
    known = mention(1, text)
    first = plan([known])
    [row] = first.stories.rows
    busy = replace(row, window_count=5, size=5, window_start=NOW - timedelta(minutes=3))
    read = BatchRead(index=dict(first.stories.index), rows={row.cluster_id: busy}, incidents={}, told={})
    p = plan([newcomer], read)
    [after] = p.stories.rows
    assert after.window_count == 6 and after.severity == "high" and after.version == 1
    [raised] = p.stories.signals
    assert isinstance(raised, Mention) and raised.severity == "high" and "5 similar recently" in raised.severity_reasons
    [opening] = p.stories.openings  # six joins would not have opened it by velocity alone (ten do)
    assert opening.severity == "high" and p.stories.stories[item_id(newcomer)].opened


def test_a_resolved_incident_that_comes_back_reopens_and_notifies_again() -> None:
    crisis = mention(7001, "The crew refused to help my disabled son; we are filing a lawsuit. Disgusting.")
    first = plan([crisis])
    [row] = first.stories.rows
    [opening] = first.stories.openings
    resolved = IncidentView(
        incident_id=opening.incident_id,
        cluster_id=row.cluster_id,
        opened_at=NOW - timedelta(hours=3),
        status="resolved",
        owner="crisis-team",
    )
    copy = mention(7002, "The crew refused to help my disabled son; we are filing a lawsuit. Disgusting.")
    read = BatchRead(
        index=dict(first.stories.index),
        rows={row.cluster_id: row},
        incidents={opening.incident_id: resolved},
        told={row.cluster_id: frozenset({"crisis-team|incident"})},
    )
    p = plan([copy], read)
    change = p.incidents[opening.incident_id]
    assert change.fields["status"] == "open" and len(change.fields["reopened"]) == 1
    assert "crisis-team" in groups_told(p)  # told again at the reopened level


def test_reports_get_their_outcome_and_a_receipt_and_quarantine_is_never_routed() -> None:
    report = Report(
        report_id="r" * 16,
        channel="web",
        text="A customer is filming the gate agent and posting it live",
        received_at=NOW,
        reporter_email="sam@example.com",
    )
    held = replace(report, report_id="q" * 16, status="quarantined")
    p = plan([report, held])
    [outcome] = p.outcomes
    assert outcome.report_id == report.report_id and outcome.routed_to == ("Social team",) and outcome.position == 1
    [receipt] = p.receipts
    assert receipt.report == report and any("first employee" in line for line in receipt.lines)
    assert p.counts["quarantined"] == 1 and [s.signal for s in p.shown] == [report]
    assert member_key(held.report_id) not in p.stories.index


def test_the_planner_needs_no_signing_key_when_no_incident_is_noticed() -> None:
    def no_key() -> bytes:
        raise AssertionError("the key was read")

    p = plan_batch(
        [mention(1, "Lovely crew today")],
        read=EMPTY,
        config=CONFIG,
        links=Links("https://watch.example", no_key),
        now=NOW,
        raise_severity=RAISE,
    )
    assert groups_told(p) == ["social-team"]


def test_story_rows_keep_what_was_read() -> None:
    row = StoryRow("c1", "t", NOW, NOW, NOW, window_count=3, size=3, departments=["baggage"], version=4)
    m = mention(1, "Third cancelled flight this month with @brand. Never again.")
    read = BatchRead(index={f"p:{m.mention_id}": IndexEntry("c1")}, rows={"c1": row}, incidents={}, told={})
    p = plan([m], read)
    [after] = p.stories.rows
    assert row.size == 3 and row.departments == ["baggage"]  # the read row is not changed in place
    assert after.size == 4 and after.version == 5 and "baggage" in after.departments


def test_a_story_turning_more_severe_raises_its_incident_and_names_it_for_a_crisis_plan() -> None:
    text = "Our flight crew refused to help my disabled son. Disgusting and shameful service from @brand."
    first = plan([mention(1, text)])
    [row] = first.stories.rows
    incident_id = incident_id_for(row.cluster_id)
    opened = IncidentView(
        incident_id, row.cluster_id, opened_at=NOW - timedelta(hours=1), severity="high", owner="crisis-team"
    )
    read = BatchRead(
        index=dict(first.stories.index),
        rows={row.cluster_id: replace(row, incident_id=incident_id)},
        incidents={incident_id: opened},
        told={},
    )
    louder = mention(2, text + " We are filing a lawsuit.", followers=2_000_000)
    assert louder.severity == "critical"
    p = plan([louder], read)
    change = p.incidents[incident_id]
    assert change.fields["severity"] == "critical"
    assert '"event": "severity raised"' in change.entries[0] and '"was": "high"' in change.entries[0]
    assert p.crisis == [incident_id]  # the crisis-plans stage starts a plan waiting for critical
    calmer = plan([mention(3, text)], replace(read, incidents={incident_id: replace(opened, severity="critical")}))
    assert "severity" not in calmer.incidents[incident_id].fields and calmer.crisis == []  # never lowered
