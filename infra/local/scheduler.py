"""What `chalice local` lacks: a runner that fires the app's @app.schedule handlers on their
rate or cron expression with the EventBridge scheduled-event shape."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.local.handlers import resolve
from infra.local.lambda_context import LocalContext
from infra.local.loop import PollingLoop

log = logging.getLogger("sharedwatch.local.schedule")
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _field(spec: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """One AWS cron field as the set of values it allows; None for '*' or '?'."""
    if spec in {"*", "?"}:
        return None
    allowed: set[int] = set()
    for item in spec.split(","):
        step = 1
        part = item
        if "/" in item:
            part, step_text = item.split("/", 1)
            step = int(step_text)
        if part in {"*", ""}:
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(names.get(a, a) if names else a), int(names.get(b, b) if names else b)
        else:
            start = int(names.get(part, part) if names else part)
            end = high if "/" in spec else start
        allowed.update(range(start, end + 1, step))
    return allowed


@dataclass(frozen=True)
class Cron:
    minutes: set[int] | None
    hours: set[int] | None
    days: set[int] | None
    months: set[int] | None
    weekdays: set[int] | None  # 1 = Sunday, as AWS counts

    @classmethod
    def parse(cls, expression: str) -> Cron:
        fields = expression.split()
        if len(fields) != 6:
            raise ValueError(f"cron needs 6 fields (min hour day month weekday year): {expression!r}")
        minute, hour, day, month, weekday, _year = fields
        return cls(
            _field(minute, 0, 59),
            _field(hour, 0, 23),
            _field(day, 1, 31),
            _field(month, 1, 12),
            _field(weekday.upper(), 1, 7, _DOW),
        )

    def matches(self, t: datetime) -> bool:
        aws_weekday = (t.isoweekday() % 7) + 1
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.minutes, t.minute),
                (self.hours, t.hour),
                (self.days, t.day),
                (self.months, t.month),
                (self.weekdays, aws_weekday),
            )
        )

    def next_after(self, t: datetime) -> datetime:
        candidate = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(60 * 24 * 400):
            if self.matches(candidate):
                return candidate
            candidate += timedelta(minutes=1)
        raise ValueError("cron expression never fires")


def next_fire(expression: str, after: datetime) -> datetime:
    """When a schedule expression (rate(...) or cron(...)) next fires after `after`."""
    text = expression.strip()
    if m := re.fullmatch(r"rate\((\d+)\s+(\w+)\)", text):
        return after + timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    if m := re.fullmatch(r"cron\((.+)\)", text):
        return Cron.parse(m.group(1)).next_after(after)
    raise ValueError(f"unsupported schedule expression: {expression!r}")


def scheduled_event(name: str, region: str, at: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/{name}"],
        "detail": {},
    }


class ScheduleRunner(PollingLoop):
    name = "schedule-runner"
    idle = 1.0

    def __init__(self, event_sources: list[Any], *, region: str, every: float | None = None) -> None:
        super().__init__()
        self._region = region
        self._every = timedelta(seconds=every) if every else None
        self._jobs = [
            (
                s.name,
                resolve(s.handler_string),
                s.schedule_expression if isinstance(s.schedule_expression, str) else s.schedule_expression.to_string(),
            )
            for s in event_sources
            if hasattr(s, "schedule_expression")
        ]
        self._due: dict[str, datetime] = {}
        self.fired: dict[str, int] = {name: 0 for name, _, _ in self._jobs}

    @property
    def expressions(self) -> dict[str, str]:
        return {name: expr for name, _, expr in self._jobs}

    def fire(self, name: str, at: datetime | None = None) -> None:
        for job_name, handler, _ in self._jobs:
            if job_name == name:
                when = at or datetime.now(UTC)
                handler(scheduled_event(name, self._region, when), LocalContext(name))
                self.fired[name] += 1
                return
        raise KeyError(name)

    def _next(self, expression: str, now: datetime) -> datetime:
        return now + self._every if self._every else next_fire(expression, now)

    def tick(self) -> bool:
        now = datetime.now(UTC)
        if not self._due:  # first fire one interval after start, as a new EventBridge rule does
            self._due = {name: self._next(expr, now) for name, _, expr in self._jobs}
        for name, _, expr in self._jobs:
            if now >= self._due[name]:
                try:
                    self.fire(name, now)
                except Exception as exc:  # a failing job must not stop the others
                    log.warning("schedule %s failed: %s", name, exc)
                self._due[name] = self._next(expr, now)
        return False
