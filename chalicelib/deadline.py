"""A time budget for the AWS calls an HTTP request makes. botocore retries and waits inside one
call (a stalled DynamoDB cost 55-60 s: five attempts of a 3 s connect and a 10 s read), past API
Gateway's 29 s. Each attempt checks the budget first; past it the request answers 503 with
Retry-After. Stream and schedule handlers run without a budget (Lambda's timeout bounds them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from chalicelib.errors import OutOfTime
from chalicelib.i18n import N_

_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check(**_: Any) -> None:
    """botocore's before-send hook: refuse to start an attempt once the budget is spent."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise OutOfTime(N_("AWS is answering slowly and the request ran out of time; retry later"))
