"""Every registered route, walked with what an attacker or a careless user puts in a path, a query
and a header (issue 31: an empty path parameter answered 500 on ten routes, a filter of the
wrong kind ran until the time budget). Never a 5xx; a path parameter that cannot name anything
is a 400/404 problem before any route reads it; every other refusal is a problem too (a page
may answer with its own page that says what is wrong)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import app
from chalicelib.api.problems import MAX_PATH_PARAMETER
from chalicelib.policy.search import FACETS
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
_PARAM = re.compile(r"{([^}]+)}")
# As they travel in a URL (the client sends them as written).
HOSTILE_SEGMENTS = {
    "empty": "",
    "over-long": "a" * (MAX_PATH_PARAMETER + 44),
    "NUL": "%00",
    "a control character": "a%0Db",
    "dot-dot": "..",
    "encoded dot-dot": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "twice-encoded dot-dot": "%252e%252e",
    "encoded slash": "a%2Fb",
    "backslash": "..%5C..%5Cwindows",
}
# Every query parameter any route reads, with values of every wrong kind.
QUERY_NAMES = sorted(
    {*FACETS, "q", "since", "until", "limit", "cursor", "days", "status", "all", "lobby", "at", "next", "key"}
    | {"saved", "state", "code", "error", "actor", "action", "target", "token", "interval", "crc_token"}
    | {"hub.mode", "hub.challenge", "hub.verify_token", "hub.topic", "hub.lease_seconds"}
)
HOSTILE_VALUES = ["9" * 5000, "²", "\x00", "../../etc/passwd", "x" * 5000, "apocalyptic", "-1", "' OR 1=1 --"]
# Every header a door parses, each far from what it expects.
HOSTILE_HEADERS = {
    "x-slack-request-timestamp": "9" * 5000,
    "x-slack-signature": "v0=" + "f" * 5000,
    "webhook-id": "msg_" + "x" * 5000,
    "webhook-timestamp": "9" * 5000,
    "webhook-signature": "v1," + "A" * 5000,
    "x-hub-signature-256": "sha256=" + "f" * 5000,
    "x-hub-signature": "sha1=" + "f" * 5000,
    "x-twitter-webhooks-signature": "sha256=" + "A" * 5000,
    "if-none-match": 'W/"' + "9" * 5000 + '"',
    "x-request-id": "r" * 5000,
    "accept": "text/html;q=" + "9" * 5000,
    "content-type": "multipart/form-data; boundary=" + "-" * 5000,
}
# The same again as someone else entirely: a cookie and a token that are nothing.
STRANGER_HEADERS = {
    **HOSTILE_HEADERS,
    "cookie": "sw_session=" + "x" * 5000,
    "authorization": "Bearer swt_" + "9" * 5000,
}


def _routes() -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in app.app.routes.items() for method in methods)


def _is_api(path: str) -> bool:
    return path.startswith(("/api/", "/webhooks/", "/slack/", "/openapi", "/health", "/local/"))


def _fill(path: str, **values: str) -> str:
    return _PARAM.sub(lambda m: values.get(m.group(1), "zz-missing"), path)


class Walker:
    """Sends each request as someone allowed to make it: the API with the break-glass admin
    token, pages in a signed-in admin's browser (their forms without a CSRF token: nothing changes)."""

    def __init__(self, h: Harness) -> None:
        self.http = h.client.http
        self.browser = sign_in(h, "walker@example.com", "admin")

    def send(self, method: str, route: str, url: str, headers: dict[str, str] | None = None) -> Any:
        if _is_api(route):
            base, body = dict(ADMIN), (b"{}" if method in ("POST", "PUT") else b"")
        else:
            base = self.browser._headers({"content-type": "application/x-www-form-urlencoded"})
            body = b"" if method == "GET" else b"note=x"
        return self.http.request(method=method, path=url, headers={**base, **(headers or {})}, body=body)


def _problem(answer: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(answer.body)
    assert {"type", "title", "status", "detail"} <= set(doc) and doc["status"] == answer.status_code
    return doc


def _content_type(answer: Any) -> str:
    return str(answer.headers.get("Content-Type") or answer.headers.get("content-type") or "")


def _scim_error(answer: Any) -> None:
    doc = json.loads(answer.body)
    assert doc["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"], doc
    assert str(doc["status"]) == str(answer.status_code), doc


def test_every_path_parameter_that_cannot_name_anything_is_a_4xx_problem_on_every_route(harness: Harness) -> None:
    walker = Walker(harness)
    wrong: list[str] = []
    walked = 0
    for method, route in _routes():
        for name in _PARAM.findall(route):
            for what, segment in HOSTILE_SEGMENTS.items():
                url = _fill(route, **{name: segment})
                answer = walker.send(method, route, url)
                walked += 1
                if segment == "" and route.endswith("{" + name + "}"):
                    # "/api/drills/" is "/api/drills": another route (or a 405), never a 5xx.
                    if answer.status_code >= 500:
                        wrong.append(f"{method} {url}: {answer.status_code}")
                    continue
                if answer.status_code not in (400, 404) or _content_type(answer) != "application/problem+json":
                    wrong.append(f"{method} {route} with {name} {what}: {answer.status_code} {_content_type(answer)}")
                    continue
                detail = _problem(answer)["detail"]
                if not detail.startswith(name):
                    wrong.append(f"{method} {route} with {name} {what}: the problem does not name it ({detail})")
    assert walked > 300, walked  # every route with a parameter, each parameter, each variant
    assert not wrong, "\n".join(wrong)


def test_hostile_query_values_and_headers_never_answer_5xx_and_every_refusal_is_a_problem(harness: Harness) -> None:
    walker = Walker(harness)
    wrong: list[str] = []
    for method, route in _routes():
        url = _fill(route)
        attempts = [(f"{url}?{urlencode(dict.fromkeys(QUERY_NAMES, value))}", {}) for value in HOSTILE_VALUES]
        attempts += [(url, HOSTILE_HEADERS), (url, STRANGER_HEADERS)]
        for target, headers in attempts:
            answer = walker.send(method, route, target, headers)
            kind = _content_type(answer)
            if answer.status_code >= 500:
                wrong.append(f"{method} {target[:120]}: {answer.status_code} {answer.body[:200]!r}")
            elif answer.status_code >= 400 and kind != "application/problem+json":
                # A page may say what is wrong on a page of its own; the API and the doors never.
                # SCIM answers in its own error schema (RFC 7644 §3.12), which providers parse.
                if route.startswith("/scim/v2") and kind == "application/scim+json":
                    _scim_error(answer)
                elif _is_api(route) or not kind.startswith("text/html"):
                    wrong.append(f"{method} {target[:120]}: {answer.status_code} as {kind or 'no content type'}")
            elif answer.status_code >= 400:
                _problem(answer)
    assert not wrong, "\n".join(wrong)
