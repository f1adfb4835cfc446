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

- A path no route matches was answered as API Gateway answers it by default, 403 {"message":
  "Missing Authentication Token"}: here it is a 404 problem, as the stack's gateway responses
  make it on AWS (infra/cdk/stack.py). Chalice's other errors (415, 405) reach the app's
  middleware, which answers them as problems.

Applied in the `chalice local` process before the CLI starts (infra/local/stack.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
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
    local.LocalGateway.handle_request = unknown_routes_as_problems(local.LocalGateway.handle_request)  # type: ignore[method-assign]
    state = threading.local()
    for name in ("current_request", "lambda_context"):
        setattr(chalice_app.Chalice, name, _per_thread(state, name))


# What chalice's LocalGateway answers when no route matches (with and without an Authorization header).
_NO_ROUTE = (b"Missing Authentication Token", b"Authorization header requires")


def unknown_routes_as_problems(handle: Callable[..., Any]) -> Callable[..., Any]:
    """LocalGateway.handle_request, answering a path no route matches with a 404 problem."""
    from chalice import local

    from chalicelib.api.problems import problem

    class NoRoute(local.LocalGatewayException):
        CODE = 404

    def routed(gateway: Any, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return handle(gateway, method, path, headers, body)
        except local.ForbiddenError as exc:
            if not any(marker in (exc.body or b"") for marker in _NO_ROUTE):
                raise
            answer = problem(
                status=404,
                title="Not found",
                detail=f"no route at {method} {path.split('?', 1)[0][:200]}: the routes are listed at /openapi.json",
                slug="not-found",
            )
            raise NoRoute(dict(answer.headers), str(answer.body).encode()) from None

    return routed


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
