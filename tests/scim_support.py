"""scim2-tester (an RFC 7643/7644 checker written by others) against the app: its client speaks
WSGI in-process, so a small WSGI application hands each request to the app, either to the
in-process Chalice client (functional) or over HTTP to the local stack (e2e)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _request_of(environ: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    path = environ["PATH_INFO"].encode("latin-1").decode("utf-8")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    return environ["REQUEST_METHOD"], path, headers, body


def chalice_app(http: Any) -> WSGI:
    """The in-process app (chalice.test.Client's http) as a WSGI application."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path, headers, body = _request_of(environ)
        answer = http.request(method=method, path=path, headers=headers, body=body)
        start_response(f"{answer.status_code} -", list(answer.headers.items()))
        return [answer.body or b""]

    return application


def http_app(base_url: str) -> WSGI:
    """The local stack over HTTP, as a WSGI application."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path, headers, body = _request_of(environ)
        headers.pop("host", None)
        request = urllib.request.Request(base_url + path, data=body or None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, got, content = answer.status, list(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as exc:
            status, got, content = exc.code, list(exc.headers.items()), exc.read()
        start_response(f"{status} -", got)
        return [content]

    return application


def check_server(application: WSGI, *, base_url: str, token: str) -> list[Any]:
    """Every check scim2-tester makes, as results (their status, title, reason)."""
    from scim2_client.engines.wsgi import WSGISCIMClient
    from scim2_tester import check_server as run

    client = WSGISCIMClient(application, base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    return list(run(client))
