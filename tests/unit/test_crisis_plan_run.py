"""A crisis plan's run, decided purely (no AWS, no moto): given a plan's state and a time, the
steps it takes and the state it leaves. Reminders go to an overdue task's owner at its due
time and to its backup a quarter hour later; updates go at each stakeholder's cadence and
severities; approvals complete a statement; a resolved incident closes the plan; running
again on the state a run left does nothing. The state survives the store's edge unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.errors import Conflict, InvalidPayload
from chalicelib.policy.crisis import APPROVED, DRAFT, PlanState
from chalicelib.policy.crisis_run import (
    AskApproval,
    BriefRole,
    Close,
    IncidentNow,
    Remind,
    Run,
    Update,
    after,
    approving,
    closing,
    completing,
    describe,
    due_now,
    editing,
    next_at,
    publishable,
    publishing,
    start,
)
from chalicelib.policy.drills import ENDED_NOTE
from chalicelib.policy.scenarios import Facts, match, parse_scenario
from chalicelib.scenarios import shipped
from tests.support import NOW

T0 = NOW.replace(hour=9)  # an hour before NOW, on whatever date tests.support holds
SAFETY = parse_scenario(shipped()["passenger-safety"], key="passenger-safety")
FACTS = Facts(text="the crew refused to help my disabled son, we are filing a lawsuit", severity="critical")


def begun(severity: str = "critical") -> Run:
    found = match([SAFETY], FACTS)
    assert found is not None
    incident = IncidentNow("i0123456789abcde", "Crew refused to help", "open", severity, T0)
    return start(found, incident=incident, lang="en", company="Example Air", now=T0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_plan_takes_hold_with_tasks_statements_and_its_people_told() -> None:
    run = begun()
    state = run.state
    assert [t.id for t in state.tasks][:2] == ["confirm-facts", "reach-out"]
    assert state.task("confirm-facts") is not None and state.tasks[0].due_at == at(15)
    assert state.statements["en"].state == DRAFT and "Crew refused to help" in state.statements["en"].text
    briefs = [s for s in run.steps if isinstance(s, BriefRole)]
    asks = [s for s in run.steps if isinstance(s, AskApproval)]
    assert {b.role for b in briefs} == set(SAFETY.roles)
    assert next(b for b in briefs if b.role == "lead").tasks[0].id == "confirm-facts"
    assert {(a.lang, a.role, a.to) for a in asks} == {
        (lang, role, SAFETY.roles[role].person) for lang in SAFETY.statements for role in SAFETY.approvals
    }
    assert next_at(state) == at(15)  # the first task's due time comes before any update


def test_the_dry_run_describes_the_same_start() -> None:
    run = begun()
    shown = describe(run, now=T0)
    assert [t["id"] for t in shown["tasks"]] == [t.id for t in run.state.tasks]  # type: ignore[attr-defined]
    assert shown["tasks"][0]["due_in_minutes"] == 15  # type: ignore[index]
    assert shown["statements"] == {lang: st.text for lang, st in run.state.statements.items()}
    assert shown["approvals"] == list(SAFETY.approvals)


def test_nothing_is_due_before_the_first_task_and_the_first_update() -> None:
    assert due_now(begun().state, status="open", severity="critical", now=at(14)).steps == ()


def test_an_overdue_task_reminds_its_owner_then_its_backup_and_the_rerun_does_nothing() -> None:
    state = begun().state
    first = due_now(state, status="open", severity="critical", now=at(15))
    assert first.steps == (Remind(state.tasks[0], "owner", "crisis-lead@example.com", "Europe/London"),)
    assert first.state.tasks[0].reminded == 1
    assert due_now(first.state, status="open", severity="critical", now=at(15)).steps == ()  # idempotent

    assert not [s for s in due_now(first.state, status="open", severity="critical", now=at(29)).steps]
    backup = due_now(first.state, status="open", severity="critical", now=at(30))
    mine = [(s.who, s.to) for s in backup.steps if isinstance(s, Remind) and s.task.id == "confirm-facts"]
    assert mine == [("backup", "deputy-lead@example.com")]
    assert backup.state.tasks[0].reminded == 2
    # Once the backup heard, that task says nothing more, however late it gets.
    later = due_now(backup.state, status="open", severity="high", now=at(600))
    assert not [s for s in later.steps if isinstance(s, Remind) and s.task.id == "confirm-facts"]


def test_a_backup_after_a_missed_deadline_one_run_after_the_owner_then_nothing() -> None:
    """The schedule was down past both times: the owner hears first, the backup at the next
    run (a minute later), and after that the task is quiet."""
    run = due_now(begun().state, status="open", severity="high", now=at(75))
    mine = [s.who for s in run.steps if isinstance(s, Remind) and s.task.id == "confirm-facts"]
    assert mine == ["owner"]
    then = due_now(run.state, status="open", severity="high", now=at(76))
    assert [s.to for s in then.steps if isinstance(s, Remind) and s.task.id == "confirm-facts"] == [
        "deputy-lead@example.com"
    ]
    quiet = due_now(then.state, status="open", severity="high", now=at(77))
    assert not [s for s in quiet.steps if isinstance(s, Remind) and s.task.id == "confirm-facts"]


def test_a_done_task_is_never_reminded() -> None:
    state, done = completing(begun().state, "confirm-facts", by="Ana", via="signed in", now=at(5))
    assert done and state.tasks[0].status == "done" and state.tasks[0].done_at == at(5)
    assert completing(state, "confirm-facts", by="Ben", via="signed in", now=at(6)) == (state, False)
    assert not [
        s for s in due_now(state, status="open", severity="critical", now=at(20)).steps if isinstance(s, Remind)
    ]


def test_updates_go_at_each_stakeholders_cadence_and_severity() -> None:
    state = replace(begun().state, tasks=())  # only the updates
    high = due_now(state, status="open", severity="high", now=at(30))
    assert high.steps == ()  # the executives hear every 30 minutes only while it is critical
    critical = due_now(state, status="open", severity="critical", now=at(30))
    assert [(s.stakeholder.key, s.n) for s in critical.steps if isinstance(s, Update)] == [("group:executives", 1)]
    assert critical.state.updates["group:executives"].last == at(30)
    assert due_now(critical.state, status="open", severity="critical", now=at(30)).steps == ()  # idempotent
    hour = due_now(critical.state, status="open", severity="critical", now=at(60))
    assert {(s.stakeholder.key, s.n) for s in hour.steps if isinstance(s, Update)} == {
        ("group:executives", 2),
        ("group:crisis-team", 1),
    }
    assert next_at(hour.state) == at(90)


def test_steps_are_applied_to_the_state_as_it_is_when_written() -> None:
    """A responder marked a task done between the run's read and its write: both stand."""
    state = begun().state
    run = due_now(state, status="open", severity="critical", now=at(30))
    meanwhile, _ = completing(state, "reach-out", by="Ana", via="signed in", now=at(30))
    written = after(meanwhile, run.steps, now=at(30))
    assert written.task("reach-out").status == "done"  # type: ignore[union-attr]
    assert written.task("confirm-facts").reminded == 1  # type: ignore[union-attr]
    assert written.updates["group:executives"].count == 1


def test_a_resolved_incident_closes_the_plan_once() -> None:
    state = begun().state
    run = due_now(state, status="resolved", severity="critical", now=at(20))
    assert run.steps == (Close("the incident is resolved"),) and run.state.closed_at == at(20)
    assert next_at(run.state) is None
    assert due_now(run.state, status="resolved", severity="critical", now=at(21)).steps == ()


def test_a_drills_end_closes_its_plan_once_and_leaves_its_tasks_not_done() -> None:
    state = begun().state
    closed, did = closing(state, now=at(3), because=ENDED_NOTE)
    assert did and closed.closed_at == at(3) and closed.closed_because == ENDED_NOTE
    assert all(t.status == "open" for t in closed.tasks)  # the drill's report counts them
    assert closing(closed, now=at(8), because=ENDED_NOTE) == (closed, False)
    assert due_now(closed, status="open", severity="critical", now=at(100)).steps == ()


def test_approvals_complete_a_statement_then_it_is_published_once() -> None:
    state = begun().state
    rev = state.statements["en"].revision
    one, did = approving(state, "en", revision=rev, role="spokesperson", by="Pat", via="email link", now=at(10))
    assert did and one.statements["en"].state == DRAFT
    with pytest.raises(Conflict):
        publishable(one, "en")  # waiting for legal
    assert approving(one, "en", revision=rev, role="spokesperson", by="Pat", via="x", now=at(11)) == (one, False)
    both, did = approving(one, "en", revision=rev, role="legal", by="Lee", via="signed in", now=at(12))
    assert did and both.statements["en"].state == APPROVED
    assert both.statements["en"].approved[-1].revision == rev and set(both.statements["en"].approved[-1].approvals) == {
        "spokesperson",
        "legal",
    }
    st = publishable(both, "en")
    assert st is not None
    published, did = publishing(both, "en", revision=st.revision, text=st.text, now=at(13))
    assert did and published.published[-1].text == st.text and publishable(published, "en") is None
    assert publishing(published, "en", revision=st.revision, text=st.text, now=at(14)) == (published, False)


def test_an_edit_voids_approvals_and_an_edit_over_another_is_refused() -> None:
    state = begun().state
    one, _ = approving(state, "en", revision=1, role="legal", by="Lee", via="signed in", now=at(10))
    edited, n = editing(one, "en", text="A new text", revision=1, by="Pat", now=at(11))
    assert (
        n == 2 and edited.statements["en"].approvals == {} and edited.statements["en"].history[-1].text == "A new text"
    )
    with pytest.raises(Conflict):
        editing(edited, "en", text="Another", revision=1, by="Ben", now=at(12))
    with pytest.raises(Conflict):
        approving(edited, "en", revision=1, role="legal", by="Lee", via="signed in", now=at(12))
    with pytest.raises(InvalidPayload):
        approving(edited, "en", revision=2, role="lead", by="Ana", via="signed in", now=at(12))
    assert editing(edited, "en", text="A new text", revision=2, by="Pat", now=at(13)) == (edited, 0)


def test_the_state_crosses_the_stores_edge_unchanged() -> None:
    state = begun().state
    state, _ = completing(state, "confirm-facts", by="Ana", via="signed in", now=at(5))
    state, _ = approving(state, "en", revision=1, role="legal", by="Lee", via="email link", now=at(6))
    state = due_now(state, status="open", severity="critical", now=at(31)).state
    item = state.to_item()
    assert PlanState.from_item(item) == state
    assert PlanState.from_item(item).to_item() == item
    assert item["tasks"][0]["done_at"] == at(5).isoformat() and "done_at" not in item["tasks"][1]
    assert item["updates"]["group:executives"] == {"last": at(31).isoformat(), "count": 1}


def test_a_plan_stored_before_the_records_reads_and_writes_back_the_same() -> None:
    """A document as the plan wrote it before its state was typed (keys written by hand here)."""
    from chalicelib.policy.scenarios import scenario_document

    item = {
        "incident_id": "i0123456789abcde",
        "scenario": scenario_document(SAFETY),
        "reasons": ["mentions lawsuit", "severity critical"],
        "title": "Crew refused to help",
        "severity": "critical",
        "opened_at": T0.isoformat(),
        "started_at": at(1).isoformat(),
        "lang": "en",
        "tasks": [
            {
                "id": "confirm-facts",
                "task": "Confirm",
                "role": "lead",
                "owner": "crisis-lead@example.com",
                "backup": "deputy-lead@example.com",
                "due_at": at(15).isoformat(),
                "status": "done",
                "reminded": 1,
                "done_by": "Ana",
                "done_at": at(20).isoformat(),
                "via": "signed in",
            }
        ],
        "updates": {"group:executives": {"last": at(30).isoformat(), "count": 1}},
        "statements": {
            "en": {
                "text": "We are aware.",
                "revision": 2,
                "approvals": {"legal": {"by": "Lee", "via": "email link", "at": at(40).isoformat()}},
                "state": "draft",
                "history": [
                    {"revision": 1, "text": "Draft", "by": "the plan", "at": at(1).isoformat()},
                    {"revision": 2, "text": "We are aware.", "by": "Pat", "at": at(35).isoformat()},
                ],
                "approved": [],
            }
        },
        "actions": [
            {
                "id": "a1b2c3d4",
                "text": "Train the station",
                "owner": "ops@example.com",
                "due": "",
                "status": "open",
                "by": "Ana",
                "at": at(50).isoformat(),
            }
        ],
        "published": [],
        "pace": 1.0,
        "drill": "",
        "joined": ["i1111111111aaaaa"],
    }
    state = PlanState.from_item(item)
    assert state.to_item() == item
    assert state.task("confirm-facts").done_at == at(20)  # type: ignore[union-attr]
    assert state.roles_of("DEPUTY-COUNSEL@example.com") == ["legal"] and state.roles_of("") == []
