from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.triage.spikes import Counts, PlannedEvent, detect

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def _steady(days: int = 3, per_hour: int = 12, negative_share: float = 0.5) -> dict[datetime, Counts]:
    series = {}
    start = NOW - timedelta(days=days)
    minute = start
    while minute < NOW - timedelta(minutes=30):
        if minute.minute % 5 == 0:  # one mention every five minutes
            series[minute] = Counts(per_hour // 12, int(per_hour // 12 * negative_share))
        minute += timedelta(minutes=1)
    return series


def _burst(series: dict[datetime, Counts], count: int, negative: int) -> dict[datetime, Counts]:
    """`count` mentions spread over the last 30 minutes, `negative` of them negative."""
    out = dict(series)
    for i in range(count):
        minute = NOW - timedelta(minutes=30 - i % 30)
        before = out.get(minute, Counts(0, 0)) if minute >= NOW - timedelta(minutes=30) else Counts(0, 0)
        out[minute] = Counts(before.total + 1, before.negative + (1 if i < negative else 0))
    return out


def test_a_quiet_window_does_not_alarm() -> None:
    assert detect(_burst(_steady(), 6, 3), key="brand", now=NOW) == []


def test_a_volume_spike_alarms_and_explains_itself() -> None:
    [alarm] = detect(_burst(_steady(), 60, 30), key="brand", now=NOW)
    assert alarm.kind == "volume"
    assert "120/h against 12/h usual for this time of day on 2 earlier days" in alarm.explanation


def test_a_negative_run_without_more_volume_alarms_as_negativity() -> None:
    [alarm] = detect(_burst(_steady(), 15, 14), key="brand", now=NOW)
    assert alarm.kind == "negativity" and "93%" in alarm.explanation


def test_a_series_with_no_baseline_yet_never_alarms() -> None:
    young = {m: c for m, c in _steady().items() if m > NOW - timedelta(hours=8)}
    assert detect(_burst(young, 300, 290), key="brand", now=NOW) == []


def test_a_planned_event_marks_the_alarm_expected() -> None:
    launch = PlannedEvent("brand", NOW - timedelta(hours=1), NOW + timedelta(hours=2), "spring launch")
    [alarm] = detect(_burst(_steady(), 60, 10), key="brand", now=NOW, planned=[launch])
    assert alarm.planned == "spring launch" and "expected" in alarm.explanation
