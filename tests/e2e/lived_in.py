"""A lived-in week on a running local stack, for the README's screenshots: praise and complaints
about the airport's ground staff on each of the last seven days.

A day's ledger counts what the router folded that day (store/wall.py folds by the router's
clock, not by a post's date), and the stack's router runs in another process whose clock a test
cannot move. So this runs as its own process in the stack's environment (`python -m
tests.e2e.lived_in`), freezes its clock on each past day and writes through the router's own
step: real triage (`triage_mention`), then `wall.update`, what `flows/router.show_on_wall` calls.
Every time is built from today's clock, so the week is the last seven days on any date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tests.support import frozen_at

if TYPE_CHECKING:  # the store reads the stack's settings when imported: only in the seeding process
    from chalicelib.records import Mention

DEPARTMENT = "airport"
PRAISE = (
    "The ground staff at the terminal in Denver were wonderful, thank you @brandair",
    "Kudos to the gate agents in Chicago, they rebooked us in minutes. Brilliant service",
    "Lounge staff in SFO went above and beyond today. Thank you!",
    "Wheelchair assistance was waiting at the jetway, so kind. Thank you @brandair",
)
COMPLAINTS = (
    "Two hours in the security line at the terminal and nobody from @brandair cares. Awful",
    "The ticket counter was closed and the kiosk broken, missed my flight. Terrible",
    "Rude gate agent shouted at my elderly father at the terminal. Disgraceful @brandair",
    "Check in line out the door again, worst airport experience ever @brandair",
)
# (praise, complaints) on each day, oldest first: a week with a bad Wednesday, not a flat line.
WEEK = ((2, 1), (3, 2), (1, 4), (2, 1), (4, 1), (2, 3), (3, 1))


def day_moments(now: datetime) -> list[datetime]:
    """When each of the last seven days (today last) was folded: mid-afternoon on past days,
    a few minutes ago today (today's midnight at the earliest)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    past = [midnight - timedelta(days=d) + timedelta(hours=14) for d in range(len(WEEK) - 1, 0, -1)]
    return [*past, max(midnight, now - timedelta(minutes=5))]


def _mention(n: int, text: str, at: datetime, followers: int) -> Mention:
    from chalicelib.records import Author, Mention
    from chalicelib.triage import triage_mention
    from chalicelib.triage.identity import key_for

    identity = f"x:lived-in-{n}"
    return triage_mention(
        Mention(
            mention_id=key_for("mention", identity),
            identity=identity,
            source="generic",
            platform="x",
            external_id=f"lived-in-{n}",
            url=f"https://x.com/traveller{n}/status/{n}",
            text=text,
            author=Author(handle=f"traveller{n}", followers=followers),
            published_at=at - timedelta(minutes=12),
            received_at=at,
            lang="en",
            brand="brandair",
        )
    )


def seed(now: datetime) -> int:
    """Fold the week into the wall's day ledgers; the number of mentions folded."""
    from chalicelib.clock import utcnow
    from chalicelib.store import wall

    n = 0
    for moment, (praise, complaints) in zip(day_moments(now), WEEK, strict=True):
        texts = [PRAISE[(n + i) % len(PRAISE)] for i in range(praise)]
        texts += [COMPLAINTS[(n + i) % len(COMPLAINTS)] for i in range(complaints)]
        with frozen_at(moment):
            batch = []
            for text in texts:
                mention = _mention(n, text, utcnow(), followers=40 + 997 * n % 9000)
                assert DEPARTMENT in mention.departments, (text, mention.departments)
                batch.append(wall.Seen(mention))
                n += 1
            assert wall.update(batch=batch, now=utcnow())
    return n


if __name__ == "__main__":
    print(seed(datetime.now(UTC)))
