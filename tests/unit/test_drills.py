"""Drills kept apart and ended, decided purely: a drill's storm finds stories only among its own
(two drills of one scenario send the same words, a real post may say them too), its incident
carries its id, what its storm still has in flight after it ended is not routed, and ending
it or closing its plan twice changes nothing the second time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.policy.batch import BatchRead, plan_batch
from chalicelib.policy.drills import ended_drills, ending, following, realm_key
from chalicelib.policy.stories import IndexEntry, memberships
from chalicelib.records import Mention, Signal
from chalicelib.triage.identity import key_for
from tests.support import NOW, make_mention
from tests.unit.test_batch import CONFIG, EMPTY, LINKS, RAISE

STORM = "DRILL: the crew refused to help my disabled son board and left him in the jet bridge. We are filing a lawsuit."
FIRST, SECOND = "d0123456789", "dabcdefabcd"


def of(drill: str, n: int, text: str = STORM) -> Mention:
    return replace(make_mention(n, text, followers=48000), drill=drill)


def test_two_drills_sending_the_same_words_make_two_stories_and_a_real_post_a_third() -> None:
    batch: list[Signal] = [of(FIRST, 1), of(FIRST, 2), of(SECOND, 3), of(SECOND, 4), of("", 5)]
    joining, _, index = memberships(batch, {})
    stories = [joining[s.mention_id] for s in batch if isinstance(s, Mention)]
    assert stories[0] == stories[1] and stories[2] == stories[3]  # a drill's own copies still fold
    assert len({stories[0], stories[2], stories[4]}) == 3
    assert all(
        k.endswith(f"|{FIRST}") for k, e in index.items() if e.cluster_id == stories[0] and not k.startswith("member:")
    )


def test_a_drills_post_never_joins_a_real_story_already_indexed_nor_the_other_way() -> None:
    real = make_mention(1, STORM.removeprefix("DRILL: "))
    real_story = memberships([real], {})
    index = {k: IndexEntry(real_story[0][real.mention_id], e.sketch) for k, e in real_story[2].items()}
    # The drill's post says the same and quotes the real post: still its own story.
    drilled = replace(of(FIRST, 2, real.text), cluster_key="p:" + real.mention_id)
    joining, _, _ = memberships([drilled], index)
    assert joining[drilled.mention_id] != real_story[0][real.mention_id]
    drill_story = memberships([drilled], {})
    later = make_mention(3, real.text)
    joining, _, _ = memberships([later], {k: v for k, v in drill_story[2].items() if not k.startswith("member:")})
    assert joining[later.mention_id] != drill_story[0][drilled.mention_id]


def test_realm_keys_keep_their_kind_first() -> None:
    assert realm_key("m:1a2b3c4d", FIRST) == f"m:1a2b3c4d|{FIRST}" and realm_key("m:1a2b3c4d", "") == "m:1a2b3c4d"


def test_the_incident_a_drills_storm_opens_carries_the_drill() -> None:
    storm = [of(FIRST, n, STORM + f" #{n}") for n in range(1, 4)]
    [opening] = plan_batch(
        storm, read=EMPTY, config=CONFIG, links=LINKS, now=NOW, raise_severity=RAISE
    ).stories.openings
    assert opening.drill == FIRST
    [real] = plan_batch(
        [make_mention(9, STORM.removeprefix("DRILL: "), followers=48000)],
        read=EMPTY,
        config=CONFIG,
        links=LINKS,
        now=NOW,
        raise_severity=RAISE,
    ).stories.openings
    assert real.drill == "" and real.incident_id != opening.incident_id


def test_what_an_ended_drill_still_had_in_flight_is_not_routed_and_the_rest_is() -> None:
    batch: list[Signal] = [of(FIRST, 1), of(SECOND, 2), make_mention(3, "Lovely crew today")]
    read = BatchRead(index={}, rows={}, incidents={}, told={}, ended_drills=frozenset({FIRST}))
    p = plan_batch(batch, read=read, config=CONFIG, links=LINKS, now=NOW, raise_severity=RAISE)
    routed = {s.mention_id for s in p.stories.signals if isinstance(s, Mention)}
    assert routed == {batch[1].mention_id, batch[2].mention_id}  # type: ignore[union-attr]
    assert p.counts["drill_ended"] == 1
    assert {o.drill for o in p.stories.openings} == {SECOND}
    assert not [o for o in p.outgoing if batch[0].mention_id in o.notification.email]  # type: ignore[union-attr]


def test_a_drill_with_no_record_counts_as_ended_and_only_running_ones_go_on() -> None:
    assert ended_drills({FIRST: "running", SECOND: "ended", "dffffffffff": ""}) == {SECOND, "dffffffffff"}


def test_ending_a_drill_and_following_its_incidents_happen_once() -> None:
    doc = {"id": FIRST, "status": "running", "incidents": []}
    assert ending(doc, by="lead@example.com", now=NOW)
    assert doc["status"] == "ended" and doc["ended_at"] == NOW.isoformat() and doc["ended_by"] == "lead@example.com"
    assert not ending(doc, by="someone else", now=NOW + timedelta(minutes=1))
    assert doc["ended_at"] == NOW.isoformat() and doc["ended_by"] == "lead@example.com"

    incident = "i" + key_for("incident", "c1")[:15]
    assert following(doc, incident_id=incident, at=NOW) and not following(doc, incident_id=incident, at=NOW)
    assert doc["incidents"] == [incident] and doc["first_incident_at"] == NOW.isoformat()
    # Closing its plan: tests/unit/test_crisis_plan_run.py (a drill's end closes its plan once).
