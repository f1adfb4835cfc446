"""What `chalice local` needs to take many senders at once, as API Gateway does.

- Its threaded HTTP server listens with the standard library's backlog of 5: a burst of 64
  senders connecting at once got connection resets. The backlog here is 256.
- The Chalice app keeps the current request (and Lambda context) in one attribute, fine for
  Lambda (one request per process at a time) but shared between the server's threads: two
  concurrent requests could read each other's bodies. Here each thread has its own.

- A request body sent with `Transfer-Encoding: chunked` (no Content-Length) was left unread in
  the connection, so the next request on it was read from the middle of that body: the sender got
  an answer without a status line. API Gateway refuses chunked request bodies too: here such a
  request (or an unreadable Content-Length) gets a 411/400 problem and its connection is closed.

Applied in the `chalice local` process before the CLI starts (infra/local/stack.py)."""

from __future__ import annotations

import json
import threading
from typing import Any

BACKLOG = 256


def harden() -> None:
    from chalice import app as chalice_app
    from chalice import local

    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    handle = local.ChaliceRequestHandler._generic_handle

    def framed(self: Any) -> None:
        if self.headers.get("transfer-encoding"):
            _refuse(self, 411, "length-required", "send the body with a Content-Length (chunked bodies are refused)")
        elif not (self.headers.get("content-length") or "0").strip().isdigit():
            _refuse(self, 400, "bad-request", "Content-Length: a whole number of bytes")
        else:
            handle(self)

    for method in ("GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS"):
        setattr(local.ChaliceRequestHandler, f"do_{method}", framed)
    state = threading.local()
    for name in ("current_request", "lambda_context"):
        setattr(chalice_app.Chalice, name, _per_thread(state, name))


def _refuse(handler: Any, status: int, slug: str, detail: str) -> None:
    body = json.dumps(
        {"type": f"https://sharedwatch.dev/problems/{slug}", "title": "Refused", "status": status, "detail": detail}
    ).encode()
    handler.close_connection = True  # what is left of the body must not be read as the next request
    handler.send_response(status)
    handler.send_header("Content-Type", "application/problem+json")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)


def _per_thread(state: threading.local, name: str) -> property:
    def get(_: Any) -> Any:
        return getattr(state, name, None)

    def put(_: Any, value: Any) -> None:
        setattr(state, name, value)

    return property(get, put)
