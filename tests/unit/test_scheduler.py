from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.local.scheduler import next_fire

T = datetime(2026, 11, 28, 10, 7, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", datetime(2026, 11, 28, 10, 8, tzinfo=UTC)),
        ("rate(2 hours)", datetime(2026, 11, 28, 12, 7, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", datetime(2026, 11, 28, 10, 15, tzinfo=UTC)),
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
        ("cron(30 6 1 * ? *)", datetime(2026, 12, 1, 6, 30, tzinfo=UTC)),
    ],
)
def test_next_fire_follows_rate_and_aws_cron(expression: str, expected: datetime) -> None:
    assert next_fire(expression, T) == expected


def test_unknown_expressions_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        next_fire("every day", T)
