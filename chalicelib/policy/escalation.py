"""Escalation policies as data, evaluated purely: not acknowledged within N minutes, the next
level hears it; acknowledged but not resolved after M hours, a reminder; and reach-driven jumps
(the story's reach doubles, a watched account joins, the negative share passes a line) go
straight to the groups named for them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
JUMP_MIN_SIZE = 5  # a negative share means something only once a story has a few posts


@dataclass(frozen=True, slots=True)
class Level:
    after_minutes: int  # counted from when the incident opened
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    name: str
    levels: tuple[Level, ...] = ()
    remind_after_hours: float = 0.0  # 0: no reminders
    reach_factor: float = 2.0
    on_reach: tuple[str, ...] = ()
    on_influencer: tuple[str, ...] = ()
    negative_share: float = 0.0  # 0: off
    on_negative: tuple[str, ...] = ()

    def groups(self) -> set[str]:
        named = {g for level in self.levels for g in level.notify}
        return named | set(self.on_reach) | set(self.on_influencer) | set(self.on_negative)


@dataclass(frozen=True, slots=True)
class State:
    opened_at: datetime
    status: str  # open | acknowledged | resolved
    level: int  # escalation levels already notified (0: only the first notice)
    owner: str
    acknowledged_at: datetime | None = None
    reminders: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    kind: Literal["escalate", "remind", "jump"]
    level: int
    groups: tuple[str, ...]
    reason: str
    tag: str  # what makes it once-only: "level-2", "remind-1", "jump-reach-2"


@dataclass(frozen=True, slots=True)
class StoryNow:
    reach: int
    reach_notified: int
    influencers: tuple[str, ...]
    negative: int
    size: int


def _groups(doc: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if doc is None:
        return ()
    if not isinstance(doc, list) or not all(isinstance(g, str) and _SLUG.match(g) for g in doc):
        problems.append(f"{where}: a list of group slugs")
        return ()
    return tuple(doc)


def _number(doc: dict[str, Any], name: str, default: float, problems: list[str], *, low: float, high: float) -> float:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        problems.append(f"{name}: a number from {low:g} to {high:g}")
        return default
    return float(value)


def parse_policy(doc: Any) -> Policy:
    """Validate a policy document; a bad one says which part is wrong."""
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("an escalation policy is a JSON object"))
    problems: list[str] = []
    policy_id = str(doc.get("id", ""))
    if not _SLUG.match(policy_id):
        problems.append("id: lowercase letters, digits and dashes")
    levels: list[Level] = []
    raw_levels = doc.get("levels", [])
    if not isinstance(raw_levels, list):
        problems.append("levels: a list of {after_minutes, notify}")
        raw_levels = []
    previous = 0
    for n, level in enumerate(raw_levels, start=1):
        if not isinstance(level, dict):
            problems.append(f"levels[{n}]: an object")
            continue
        after = level.get("after_minutes")
        if isinstance(after, bool) or not isinstance(after, int) or after < 1 or after <= previous:
            problems.append(f"levels[{n}].after_minutes: whole minutes, more than the level before")
            after = previous + 1
        notify = _groups(level.get("notify"), f"levels[{n}].notify", problems)
        if not notify:
            problems.append(f"levels[{n}].notify: at least one group")
        levels.append(Level(after_minutes=after, notify=notify))
        previous = after
    jumps = doc.get("jumps") or {}
    if not isinstance(jumps, dict):
        problems.append("jumps: an object")
        jumps = {}
    policy = Policy(
        id=policy_id,
        name=str(doc.get("name") or policy_id),
        levels=tuple(levels),
        remind_after_hours=_number(doc, "remind_after_hours", 0.0, problems, low=0, high=24 * 14),
        reach_factor=_number(jumps, "reach_factor", 2.0, problems, low=1.1, high=1000),
        on_reach=_groups(jumps.get("reach"), "jumps.reach", problems),
        on_influencer=_groups(jumps.get("influencer"), "jumps.influencer", problems),
        negative_share=_number(jumps, "negative_share", 0.0, problems, low=0, high=1),
        on_negative=_groups(jumps.get("negative"), "jumps.negative", problems),
    )
    if problems:
        raise InvalidPayload(
            N_("invalid escalation policy %(policy_id)s: %(problems)s"),
            values={"policy_id": repr(policy_id), "problems": "; ".join(problems)},
            extra={"errors": problems},
        )
    return policy


def policy_document(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "name": policy.name,
        "levels": [{"after_minutes": lv.after_minutes, "notify": list(lv.notify)} for lv in policy.levels],
        "remind_after_hours": policy.remind_after_hours,
        "jumps": {
            "reach_factor": policy.reach_factor,
            "reach": list(policy.on_reach),
            "influencer": list(policy.on_influencer),
            "negative_share": policy.negative_share,
            "negative": list(policy.on_negative),
        },
    }


def due_steps(policy: Policy, state: State, *, now: datetime) -> list[Step]:
    """What the schedule must do now for one incident (overdue levels all at once)."""
    if state.status == "resolved":
        return []
    if state.status == "open":
        steps = []
        for number, level in enumerate(policy.levels, start=1):
            if number > state.level and state.opened_at + timedelta(minutes=level.after_minutes) <= now:
                steps.append(
                    Step(
                        "escalate",
                        number,
                        level.notify,
                        f"not acknowledged within {level.after_minutes} min: escalation level {number}",
                        f"level-{number}",
                    )
                )
        return steps
    if policy.remind_after_hours and state.acknowledged_at and state.owner:
        number = state.reminders + 1
        if state.acknowledged_at + timedelta(hours=policy.remind_after_hours * number) <= now:
            hours = policy.remind_after_hours * number
            return [
                Step(
                    "remind",
                    state.level,
                    (state.owner,),
                    f"acknowledged {hours:g} h ago, not resolved",
                    f"remind-{number}",
                )
            ]
    return []


def next_action_at(policy: Policy, state: State) -> datetime | None:
    """When the schedule should look at the incident again (None: nothing left to do)."""
    if state.status == "resolved":
        return None
    if state.status == "open":
        later = [lv for n, lv in enumerate(policy.levels, start=1) if n > state.level]
        return state.opened_at + timedelta(minutes=later[0].after_minutes) if later else None
    if policy.remind_after_hours and state.acknowledged_at:
        return state.acknowledged_at + timedelta(hours=policy.remind_after_hours * (state.reminders + 1))
    return None


def jumps(policy: Policy, story: StoryNow, *, done: Sequence[str]) -> list[Step]:
    """Reach-driven escalation as a story grows: each kind once per threshold crossed."""
    steps: list[Step] = []
    if policy.on_reach and story.reach_notified > 0 and story.reach >= story.reach_notified * policy.reach_factor:
        tag = f"jump-reach-{story.reach}"
        steps.append(
            Step(
                "jump",
                0,
                policy.on_reach,
                f"reach grew from {story.reach_notified:,} to {story.reach:,} (x{policy.reach_factor:g})",
                tag,
            )
        )
    if policy.on_influencer:
        for handle in story.influencers:
            tag = f"jump-influencer-{handle}"
            if tag not in done:
                steps.append(Step("jump", 0, policy.on_influencer, f"watched account @{handle} joined the story", tag))
    if (
        policy.on_negative
        and policy.negative_share
        and story.size >= JUMP_MIN_SIZE
        and story.negative / story.size >= policy.negative_share
        and "jump-negative" not in done
    ):
        share = story.negative / story.size
        steps.append(
            Step(
                "jump",
                0,
                policy.on_negative,
                f"negative share {share:.0%} passed {policy.negative_share:.0%}",
                "jump-negative",
            )
        )
    return steps
