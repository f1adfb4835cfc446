"""What a drill keeps apart and what ending one stops, decided purely.

Apart: a drill's signals find their stories in an index space of the drill's own (its id on
every lookup key), so its storm never joins a real story or another drill's, however alike the
texts (two drills of one scenario send the same words): each drill opens its own incident and
its own plan, and its report measures it.

Ending: the drill's record says it ended (once); its incidents are resolved as drill-ended and
their plans closed, so the schedule has nothing left to send about them; what its storm still
had in flight is not routed. The flows do the reading and writing (`flows/drills.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.records import Signal

RUNNING = "running"
ENDED = "ended"
DRILL_ENDED = "drill-ended"  # how a drill's incident was resolved (its `resolution`, its timeline's `via`)
ENDED_NOTE = "the drill ended: nothing more is sent about it"


def realm_key(key: str, drill: str) -> str:
    """An index key in the drill's own space ("m:1a2b3c4d|d0123456789"); a real signal's is
    the key itself. The kind prefix stays first: `m:` keys still compare sketches."""
    return f"{key}|{drill}" if drill else key


def running(doc: Mapping[str, Any]) -> bool:
    return doc.get("status") == RUNNING


def ending(doc: dict[str, Any], *, by: str, now: datetime) -> bool:
    """The drill's record as ended (by whom, when); False when it had ended already."""
    if not running(doc):
        return False
    doc.update(status=ENDED, ended_at=now.isoformat(), ended_by=by[:120])
    return True


def following(doc: dict[str, Any], *, incident_id: str, at: datetime) -> bool:
    """The drill's record follows an incident its storm opened; False when it did already."""
    if incident_id in doc["incidents"]:
        return False
    doc["incidents"] = [*doc["incidents"], incident_id]
    doc.setdefault("first_incident_at", at.isoformat())
    return True


def ended_drills(statuses: Mapping[str, str]) -> frozenset[str]:
    """The drills among those read (drill id -> status) that are no longer running; a drill
    with no record (deleted, or never ours) counts as ended: nothing of it is routed."""
    return frozenset(d for d, status in statuses.items() if status != RUNNING)


def drills_of(signals: Iterable[Signal]) -> list[str]:
    return sorted({s.drill for s in signals if s.drill})


def from_ended_drill(signal: Signal, ended: Sequence[str] | frozenset[str]) -> bool:
    """A signal of a drill that has ended: stored as it came, never routed (it would reopen the
    drill's resolved incident and notify about it again)."""
    return bool(signal.drill) and signal.drill in ended
