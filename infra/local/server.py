"""What `chalice local` needs to take many senders at once, as API Gateway does.

- Its threaded HTTP server listens with the standard library's backlog of 5: a burst of 64
  senders connecting at once got connection resets. The backlog here is 256.
- The Chalice app keeps the current request (and Lambda context) in one attribute, fine for
  Lambda (one request per process at a time) but shared between the server's threads: two
  concurrent requests could read each other's bodies. Here each thread has its own.

Applied in the `chalice local` process before the CLI starts (infra/local/stack.py)."""

from __future__ import annotations

import threading
from typing import Any

BACKLOG = 256


def harden() -> None:
    from chalice import app as chalice_app
    from chalice import local

    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    state = threading.local()
    for name in ("current_request", "lambda_context"):
        setattr(chalice_app.Chalice, name, _per_thread(state, name))


def _per_thread(state: threading.local, name: str) -> property:
    def get(_: Any) -> Any:
        return getattr(state, name, None)

    def put(_: Any, value: Any) -> None:
        setattr(state, name, value)

    return property(get, put)
