"""Exponential backoff with full jitter, for the retries botocore does not do for us
(UnprocessedItems and UnprocessedKeys come back as a success)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

BASE_SECONDS = 0.05
CAP_SECONDS = 2.0
MAX_ATTEMPTS = 6


def backoff_delay(attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    return random.uniform(0, min(cap, base * (2**attempt)))  # noqa: S311  (jitter, not crypto)


def sleep_backoff(attempt: int, sleep: Callable[[float], None] = time.sleep) -> None:
    sleep(backoff_delay(attempt))
