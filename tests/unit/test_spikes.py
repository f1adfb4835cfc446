from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.triage.spikes import Alarm, Counts, PlannedEvent, Series, detect

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
    assert "120/h against 12/h usual at this time of day on 2 earlier days" in alarm.explanation


def test_a_negative_run_without_more_volume_alarms_as_negativity() -> None:
    [alarm] = detect(_burst(_steady(), 15, 14), key="brand", now=NOW)
    assert alarm.kind == "negativity" and "93%" in alarm.explanation


def _negative_spell(minutes: int, negative_every_ten: int) -> dict[datetime, Counts]:
    """Everyone's usual 120 an hour at 50% negative for three days, then the last `minutes` at two
    posts a minute, one negative plus one more in `negative_every_ten` minutes of every ten."""
    series = {m: c for m, c in _steady(days=3, per_hour=120).items() if m < NOW - timedelta(minutes=minutes)}
    for n in range(minutes):
        series[NOW - timedelta(minutes=minutes - n)] = Counts(2, 1 + (n % 10 < negative_every_ten))
    return series


def test_one_half_hour_a_little_more_negative_is_not_yet_a_crisis() -> None:
    # 75% of 60 against 50%: three sigmas, but not four, and ten minutes earlier it was not.
    assert detect(_negative_spell(30, 5), key="brand", now=NOW) == []


def test_the_same_negativity_ten_minutes_later_alarms() -> None:
    [alarm] = detect(_negative_spell(40, 5), key="brand", now=NOW)
    assert alarm.kind == "negativity"
    assert alarm.explanation == "negative share 75% of 60 in 30 min against 50% usual (and ten minutes before)"


def test_a_lesser_negativity_held_for_two_hours_alarms() -> None:
    # 65% in every half hour is under the half hour's line (+20 points); two hours of it is not chance.
    assert detect(_negative_spell(120, 3), key="brand", now=NOW - timedelta(minutes=60)) == []
    [alarm] = detect(_negative_spell(120, 3), key="brand", now=NOW)
    assert alarm.kind == "negativity" and alarm.explanation.endswith("of 240 in 2 h against 50% usual (held)")


def test_a_series_with_no_baseline_yet_never_alarms() -> None:
    young = {m: c for m, c in _steady().items() if m > NOW - timedelta(hours=8)}
    assert detect(_burst(young, 300, 290), key="brand", now=NOW) == []


def test_a_planned_event_marks_the_alarm_expected() -> None:
    launch = PlannedEvent("brand", NOW - timedelta(hours=1), NOW + timedelta(hours=2), "spring launch")
    [alarm] = detect(_burst(_steady(), 60, 10), key="brand", now=NOW, planned=[launch])
    assert alarm.planned == "spring launch" and "expected" in alarm.explanation


def test_a_half_hour_at_three_times_the_usual_alone_is_noise_but_an_hour_of_it_alarms() -> None:
    steady = _steady(days=4, per_hour=24)  # twelve in a usual half hour
    assert detect(_burst(steady, 36, 12), key="brand", now=NOW) == []  # 3x, once: social volume is bursty
    hour = dict(steady)
    for i in range(36):  # the half hour before was as high
        minute = NOW - timedelta(minutes=60 - i % 30)
        hour[minute] = Counts(hour.get(minute, Counts(0)).total + 1, 0)
    [alarm] = detect(_burst(hour, 36, 12), key="brand", now=NOW)
    assert alarm.kind == "volume" and "for an hour" in alarm.explanation


def test_a_sharp_burst_alarms_at_once() -> None:
    [alarm] = detect(_burst(_steady(days=4, per_hour=24), 80, 20), key="brand", now=NOW)
    assert alarm.kind == "volume" and "at once" in alarm.explanation


def test_nothing_alarms_on_volume_before_two_days_can_be_compared() -> None:
    # The first day and a half: against a 24-hour mean every afternoon is a spike, and a
    # collection that starts in the middle of a burst has no usual at all.
    young = _steady(days=1, per_hour=24)
    assert [a for a in detect(_burst(young, 200, 20), key="brand", now=NOW) if a.kind == "volume"] == []
    assert [a for a in detect(_burst(_steady(days=3, per_hour=24), 200, 20), key="brand", now=NOW)]


def test_hour_buckets_and_minute_buckets_read_the_same_history() -> None:
    # The schedule reads older history by the hour: the detector must see the same usual.
    minutes = _steady(days=4, per_hour=24)
    hours: dict[datetime, int] = {}
    for minute, c in minutes.items():
        if minute < NOW - timedelta(minutes=90):
            hours[minute.replace(minute=0)] = hours.get(minute.replace(minute=0), 0) + int(c.total)
    buckets = [(h, timedelta(hours=1), Counts(n)) for h, n in hours.items()]
    buckets += [(m, timedelta(minutes=1), c) for m, c in minutes.items() if m >= NOW - timedelta(minutes=90)]
    from chalicelib.triage.spikes import Series

    burst = _burst({}, 80, 0)
    by_minute = detect(_burst(minutes, 80, 0), key="brand", now=NOW)
    by_hour = detect(Series(buckets + [(m, timedelta(minutes=1), c) for m, c in burst.items()]), key="brand", now=NOW)
    assert [(a.kind, round(a.expected, 6)) for a in by_minute] == [(a.kind, round(a.expected, 6)) for a in by_hour]


def _young_brand_in_a_crisis() -> dict[datetime, Counts]:
    """A brand watched for the last fourteen hours only, 83% negative from its first minute (the
    airline tweets' American: collection started in the middle of its cancellation surge)."""
    start = NOW - timedelta(hours=14)
    return {start + timedelta(minutes=m): Counts(4, 3 + (m % 3 == 0)) for m in range(0, 14 * 60, 2)}


def _together(*parts: dict[datetime, Counts]) -> Series:
    """All mentions: every brand's counts summed minute by minute, as ingest counts them."""
    merged: dict[datetime, Counts] = {}
    for part in parts:
        for minute, c in part.items():
            before = merged.get(minute, Counts(0, 0))
            merged[minute] = Counts(before.total + c.total, before.negative + c.negative)
    return Series.of_minutes(merged)


def test_a_brand_newly_watched_in_the_middle_of_its_crisis_alarms_against_everyone_elses_share() -> None:
    others = _steady(days=3, per_hour=120, negative_share=0.5)
    brand = _young_brand_in_a_crisis()
    assert detect(brand, key="brand new", now=NOW) == []  # its own history is the crisis
    [alarm] = detect(brand, key="brand new", now=NOW, population=_together(others, brand))
    assert alarm.kind == "negativity" and "across all other mentions" in alarm.explanation
    assert round(alarm.expected, 2) == 0.5  # everyone else's share, not pulled up by its own crisis


def test_a_young_brand_loud_in_its_crisis_is_not_its_own_usual_in_all_mentions() -> None:
    # Twice everyone else's volume at 83% negative: with its own mentions in the usual, all
    # mentions would read 72% negative and its crisis would be only 11 points above that.
    others = _steady(days=3, per_hour=120, negative_share=0.5)
    brand = {m: Counts(c.total * 2, c.negative * 2) for m, c in _young_brand_in_a_crisis().items()}
    [alarm] = detect(brand, key="brand new", now=NOW, population=_together(others, brand))
    assert alarm.kind == "negativity" and round(alarm.expected, 2) == 0.5


def test_a_young_brands_usual_is_everyone_elses_whole_history_not_only_its_own_few_hours() -> None:
    # Another brand's crisis filled the fourteen hours since this one was first seen (US Airways'
    # cancellations ran the night American's collection started): everyone else read 70% negative
    # then, 50% over the three days before. The usual is the three days', as a brand's own is.
    others = {
        m: (Counts(c.total, c.total * 0.7) if m >= NOW - timedelta(hours=14) else c)
        for m, c in _steady(days=3, per_hour=120, negative_share=0.5).items()
    }
    brand = _young_brand_in_a_crisis()
    [alarm] = detect(brand, key="brand new", now=NOW, population=_together(others, brand))
    assert alarm.kind == "negativity" and 0.5 < alarm.expected < 0.6, alarm


def test_when_everything_is_new_a_young_brand_is_compared_with_nothing() -> None:
    young_everyone = {m: c for m, c in _steady(days=3, per_hour=120).items() if m > NOW - timedelta(hours=15)}
    brand = _young_brand_in_a_crisis()
    assert detect(brand, key="brand new", now=NOW, population=Series.of_minutes(young_everyone)) == []


def test_a_brand_with_a_day_of_its_own_keeps_its_own_usual_however_negative() -> None:
    # A brand that is always 75% negative is not in a crisis for being more negative than others.
    everyone = Series.of_minutes(_steady(days=3, per_hour=120, negative_share=0.4))
    gloomy = _steady(days=3, per_hour=24, negative_share=0.75)
    assert detect(_burst(gloomy, 12, 9), key="brand gloomy", now=NOW, population=everyone) == []


# A brand newly watched: no two days to compare yet, but not blind.


def _level(
    hours: float, per_five_minutes: int, *, until: datetime = NOW - timedelta(minutes=30)
) -> dict[datetime, Counts]:
    """`per_five_minutes` mentions every five minutes for the `hours` before `until`."""
    start = until - timedelta(hours=hours)
    return {start + timedelta(minutes=m): Counts(per_five_minutes) for m in range(0, int(hours * 60), 5)}


def _volume(alarms: list[Alarm]) -> list[Alarm]:
    return [a for a in alarms if a.kind == "volume"]


def test_a_brand_watched_for_hours_alarms_on_a_burst_against_its_share_of_everyone_else() -> None:
    brand = _burst(_level(6, 2), 80, 0)  # 24 an hour for six hours, then 80 in half an hour
    others = _level(6.5, 10, until=NOW)  # everyone else: 120 an hour, still now
    assert detect(brand, key="brand new", now=NOW) == []  # on its own it has no daily cycle to go by
    [alarm] = detect(brand, key="brand new", now=NOW, population=_together(others, brand))
    assert alarm.kind == "volume" and round(alarm.expected) == 12  # a sixth of everyone's 72 in the half hour
    assert alarm.explanation == (
        "volume 160/h against 24/h from its share of all mentions (17%) in the 6 h it has been seen (6.7x at once)"
    )


def test_a_young_brand_rising_with_everyone_else_is_not_a_spike() -> None:
    # Its morning: everyone five times as loud at once, its share of all mentions unchanged.
    brand = _burst(_level(6, 2), 60, 0)
    others = _burst(_level(6, 10), 300, 0)
    assert _volume(detect(brand, key="brand new", now=NOW, population=_together(others, brand))) == []


def test_everyone_else_falling_silent_is_not_a_young_brands_spike() -> None:
    # Another brand's collection stopped an hour ago; this one doubled as its day began. By
    # share it would be infinitely above everyone else's silence; by its own record it is not.
    others = _level(5, 10, until=NOW - timedelta(hours=1))
    doubled = _level(6, 2, until=NOW - timedelta(hours=1)) | _level(1, 4, until=NOW)
    assert _volume(detect(doubled, key="brand new", now=NOW, population=_together(others, doubled))) == []
    burst = _burst(_level(6, 2), 80, 0)
    [alarm] = detect(burst, key="brand new", now=NOW, population=_together(others, burst))
    assert "6.7x the busiest half hour in the 6 h it has been seen (24/h)" in alarm.explanation


def test_in_a_new_account_a_burst_far_above_everything_seen_so_far_alarms() -> None:
    # The account started watching two hours ago and has heard of the brand six times; then 40 in
    # half an hour. Nothing is there to share with: the plain record says it.
    quiet = {NOW - timedelta(minutes=150 - 20 * i): Counts(1) for i in range(6)}
    brand = _burst(quiet, 40, 0)
    assert detect(brand, key="brand new", now=NOW) == []
    [alarm] = detect(brand, key="brand new", now=NOW, population=Series.of_minutes(brand))
    assert alarm.kind == "volume" and alarm.expected == 2
    assert alarm.explanation == (
        "volume 80/h, 20.0x the busiest half hour in the 2 h it has been seen (4/h): far above everything so far, "
        "its daily cycle not yet known"
    )


def test_a_new_account_hearing_everyone_at_once_has_no_spike_but_one_brand_alone_has() -> None:
    # The listening tool's collection (or the morning) lifts every brand at once: no brand stands out.
    quiet = {NOW - timedelta(minutes=150 - 20 * i): Counts(1) for i in range(6)}
    brand, others = _burst(quiet, 40, 0), _burst(quiet, 120, 0)
    assert _volume(detect(brand, key="brand new", now=NOW, population=_together(others, brand))) == []
    [alarm] = detect(brand, key="brand new", now=NOW, population=_together(quiet, brand))
    assert "everyone else at 0.0x theirs" in alarm.explanation


def test_a_collection_starting_in_the_middle_of_a_burst_is_not_a_spike() -> None:
    # First heard 40 minutes ago, loud from the start; a stray mention the day before does not make
    # the silence in between a usual (a silence of twelve hours starts anew).
    everyone_else = _steady(days=3, per_hour=120)
    start = {NOW - timedelta(minutes=40 - m): Counts(3) for m in range(40)}
    for brand in (start, start | {NOW - timedelta(hours=20): Counts(1)}):
        assert detect(brand, key="brand new", now=NOW, population=_together(everyone_else, brand)) == []


def test_a_usual_from_a_sources_replay_is_named_in_the_alarm() -> None:
    # Watched from three hours ago, the source replayed the days before: a usual from the first hour.
    steady = _steady(days=3, per_hour=24)
    replayed = {m: c for m, c in steady.items() if m < NOW - timedelta(hours=3)}
    [alarm] = detect(_burst(steady, 80, 0), key="brand", now=NOW, replayed=Series.of_minutes(replayed))
    assert "usual at this time of day on 2 earlier days from the source's replay (" in alarm.explanation
    older = {m: c for m, c in steady.items() if m < NOW - timedelta(hours=36)}
    [alarm] = detect(_burst(steady, 80, 0), key="brand", now=NOW, replayed=Series.of_minutes(older))
    assert "on 2 earlier days (1 from the source's replay) (" in alarm.explanation


def test_a_series_run_starts_after_its_last_long_silence() -> None:
    series = Series.of_minutes({NOW - timedelta(hours=h): Counts(1) for h in (30, 10, 6, 1)})
    assert series.run_start(NOW, gap=timedelta(hours=12)) == NOW - timedelta(hours=10)
    assert series.run_start(NOW - timedelta(hours=8), gap=timedelta(hours=12)) == NOW - timedelta(hours=10)
    assert series.run_start(NOW, gap=timedelta(hours=4)) == NOW - timedelta(hours=1)
    assert series.run_start(NOW - timedelta(hours=40), gap=timedelta(hours=12)) is None
