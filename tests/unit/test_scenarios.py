"""Scenarios as data, decided purely: validation lists every wrong part, matching says why, a
statement's facts are filled in once (never read as a template), and the plan's clock: an
overdue task reminds its owner at the due time and its backup a quarter hour later, and an
update is due at its cadence only at the severities it covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.policy.crisis_run import reminder_due, tasks_for, update_due
from chalicelib.policy.scenarios import Facts, Stakeholder, fill, match, parse_scenario, placeholders
from chalicelib.scenarios import shipped

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_the_shipped_scenarios_are_valid_and_each_takes_its_own_kind_of_crisis() -> None:
    scenarios = [parse_scenario(v, key=k) for k, v in shipped().items()]
    assert len(scenarios) >= 2
    safety = Facts(text="the crew refused to help my disabled son, we are filing a lawsuit", severity="critical")
    outage = Facts(text="stranded at ORD, every flight cancelled and the app is down", severity="high")
    calm = Facts(text="lovely crew, thank you", severity="low")
    assert (found := match(scenarios, safety)) and found.scenario.id == "passenger-safety"
    assert any("lawsuit" in r or "disabled" in r for r in found.reasons)
    assert (found := match(scenarios, outage)) and found.scenario.id == "service-outage"
    assert match(scenarios, calm) is None
    # A severity below the trigger's floor is not a crisis, whatever it says.
    assert match(scenarios, Facts(text="lawsuit", severity="medium")) is None


def test_a_word_inside_another_word_does_not_trigger() -> None:
    scenarios = [parse_scenario(v, key=k) for k, v in shipped().items()]
    assert match(scenarios, Facts(text="pursue your dreams, firework show", severity="critical")) is None


def test_every_wrong_part_is_named_at_once() -> None:
    with pytest.raises(InvalidPayload) as caught:
        parse_scenario(
            {
                "name": "",
                "triggers": {"colour": "red", "spike": ["huge"]},
                "roles": {"lead": {"person": "x", "backup": "x", "zone": "Mars/Olympus"}},
                "checklist": [],
                "statements": {"english!": "{title.__class__}"},
                "approvals": [],
                "surprise": 1,
            },
            key="Bad Key",
        )
    errors = caught.value.extra["errors"]
    for part in ("id", "surprise", "name", "triggers.colour", "triggers.spike", "roles.lead.person"):
        assert any(e.startswith(part) for e in errors), (part, errors)
    for part in ("roles.lead.zone", "checklist", "statements.english!", "approvals"):
        assert any(e.startswith(part) for e in errors), (part, errors)


def test_a_template_takes_only_plain_placeholders() -> None:
    assert placeholders("We know about {title}. {{braces}} stay.") == ["title"]
    for bad in ("{title:>99999}", "{title!r}", "{title.upper}", "{ title }", "a } b"):
        with pytest.raises(ValueError):
            placeholders(bad)


def test_facts_are_filled_in_once_never_read_as_a_template() -> None:
    text = fill("About {title} ({company}) {{literal}}", {"title": "{company} {{x}} <b>", "company": "Example Air"})
    assert text == "About {company} {{x}} <b> (Example Air) {literal}"


def test_an_overdue_task_reminds_its_owner_then_its_backup_once_each() -> None:
    due = T0 + timedelta(minutes=15)
    assert reminder_due(due_at=due, reminded=0, has_backup=True, now=due - timedelta(seconds=1)) == ""
    assert reminder_due(due_at=due, reminded=0, has_backup=True, now=due) == "owner"
    assert reminder_due(due_at=due, reminded=1, has_backup=True, now=due + timedelta(minutes=14)) == ""
    assert reminder_due(due_at=due, reminded=1, has_backup=True, now=due + timedelta(minutes=15)) == "backup"
    assert reminder_due(due_at=due, reminded=2, has_backup=True, now=due + timedelta(hours=5)) == ""
    assert reminder_due(due_at=due, reminded=1, has_backup=False, now=due + timedelta(hours=5)) == ""


def test_tasks_take_their_owner_backup_and_due_time_from_the_scenario() -> None:
    s = parse_scenario(shipped()["passenger-safety"], key="passenger-safety")
    tasks = tasks_for(s, opened_at=T0)
    first = tasks[0]
    assert (first.owner, first.backup, first.due_at) == (
        "crisis-lead@example.com",
        "deputy-lead@example.com",
        T0 + timedelta(minutes=15),
    )


def test_an_update_is_due_at_its_cadence_only_at_the_severities_it_covers() -> None:
    executives = Stakeholder(every_minutes=30, group="executives", during=("critical",))
    assert not update_due(executives, severity="critical", last=None, opened_at=T0, now=T0 + timedelta(minutes=29))
    assert update_due(executives, severity="critical", last=None, opened_at=T0, now=T0 + timedelta(minutes=30))
    assert not update_due(executives, severity="high", last=None, opened_at=T0, now=T0 + timedelta(hours=3))
    last = T0 + timedelta(minutes=30)
    assert not update_due(executives, severity="critical", last=last, opened_at=T0, now=last + timedelta(minutes=29))


def test_an_update_waits_for_a_persons_local_hours_unless_critical() -> None:
    cfo = Stakeholder(every_minutes=60, person="cfo@example.com", zone="America/New_York", hours="08:00-20:00")
    three_am_in_new_york = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 03:00 EST
    nine_am_in_new_york = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    opened = three_am_in_new_york - timedelta(hours=2)
    assert not update_due(cfo, severity="high", last=None, opened_at=opened, now=three_am_in_new_york)
    assert update_due(cfo, severity="critical", last=None, opened_at=opened, now=three_am_in_new_york)
    assert update_due(cfo, severity="high", last=None, opened_at=opened, now=nine_am_in_new_york)


def test_a_field_of_the_wrong_shape_is_named_not_a_crash() -> None:
    doc = {
        "name": "x",
        "triggers": {"terms": ["a"], "severity_at_least": ["high"]},
        "roles": {"lead": {"person": "a@example.com"}},
        "checklist": [{"id": "a", "task": "t", "role": ["lead"], "within_minutes": 5}],
        "statements": {"en": "x"},
        "approvals": ["lead"],
    }
    with pytest.raises(InvalidPayload) as caught:
        parse_scenario(doc, key="k")
    errors = caught.value.extra["errors"]
    assert any(e.startswith("checklist[0].role") for e in errors) and any("severity_at_least" in e for e in errors)
