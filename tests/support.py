"""Helpers shared by the test layers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from botocore.awsrequest import AWSResponse
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the official test vector's secret

# When the shared test mention was published and delivered: its real dates, kept as they are.
# A test about that moment's history freezes the clock there (`frozen_at`); a test that needs a
# post to be recent builds its times from the clock (`recent`). Neither trusts a date to stay recent.
MENTION_DELIVERED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def frozen_at(moment: datetime | str, *, tick: bool = True) -> time_machine.travel:
    """The clock at `moment` for everything in the process (the app, compiled triage, moto),
    moving on from there unless `tick=False`: the one way a test pins the date."""
    return time_machine.travel(moment, tick=tick)


def fresh(mention: dict[str, Any], **ago: float) -> dict[str, Any]:
    """The mention as if posted a minute (or `ago`) before now: the local stack's pages and
    windows (the wall's hour, the stories of the last days) read the clock, not the test's date."""
    return {**mention, "published_at": recent(**(ago or {"minutes": 1}))}


def recent(**ago: float) -> str:
    """An ISO time that far before now (`recent(minutes=5)`), for a post that must be recent."""
    return (datetime.now(UTC) - timedelta(**ago)).isoformat().replace("+00:00", "Z")


MENTION: dict[str, Any] = {
    "id": "1893021",
    "platform": "x",
    "url": "https://x.com/ana/status/1893021",
    "text": "Third cancelled flight this month, @brand. Never again.",
    "author": {"handle": "ana", "name": "Ana", "followers": 48210, "verified": False},
    "published_at": "2026-11-24T09:59:31Z",
    "lang": "en",
    "brand": "brand",
    "engagement": {"likes": 12, "shares": 3, "replies": 1},
}

# A negative mention with a risk term and reach: high severity, an incident at once.
CRISIS: dict[str, Any] = {
    **MENTION,
    "id": "7001",
    "url": "https://x.com/dana/status/7001",
    "text": "Our flight crew refused to help my disabled son and we are filing a lawsuit. Disgusting.",
    "author": {"handle": "dana", "name": "Dana", "followers": 52000},
}


def signed_headers(body: bytes, *, secret: str = SECRET, msg_id: str | None = None) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    if body.isascii() or _is_utf8(body):
        signature = Webhook(secret).sign(msg_id, now, body.decode())
    else:  # what a sender signing raw bytes would send: the spec's scheme over the bytes
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{int(now.timestamp())}.".encode() + body, hashlib.sha256).digest()
        signature = "v1," + base64.b64encode(digest).decode()
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def envelope(data: dict[str, Any] | None = None, *, event_type: str = "mention.created") -> bytes:
    return json.dumps({"type": event_type, "timestamp": "2026-11-24T10:00:00Z", "data": data or MENTION}).encode()


def batch_envelope(items: list[Any]) -> bytes:
    return envelope({"mentions": items}, event_type="mention.batch")


class _Raw(io.BytesIO):
    def stream(self, **kwargs: Any) -> Any:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def aws_error(code: str, status: int = 400, message: str = "injected fault", *, xml: bool = False) -> AWSResponse:
    """An AWS error response: JSON protocol (DynamoDB) or query/XML protocol (SNS)."""
    if xml:
        body = (
            f"<ErrorResponse><Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
        return AWSResponse("https://fault.local", status, {"content-type": "text/xml"}, _Raw(body))
    body = json.dumps({"__type": f"com.amazonaws#{code}", "message": message}).encode()
    headers = {"x-amzn-errortype": code, "content-type": "application/x-amz-json-1.0"}
    return AWSResponse("https://fault.local", status, headers, _Raw(body))


def aws_json(doc: dict[str, Any]) -> AWSResponse:
    return AWSResponse(
        "https://fault.local", 200, {"content-type": "application/x-amz-json-1.0"}, _Raw(json.dumps(doc).encode())
    )


class Fault:
    """Answers a client's calls to one operation with injected responses (DynamoDB throttling,
    SNS outages: faults moto cannot produce), then lets calls through when `times` runs out."""

    def __init__(self, client: Any, operation: str, answer: Callable[[Any], AWSResponse], times: int = 10**9) -> None:
        self.client = client
        self.event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
        self.answer = answer
        self.remaining = times
        self.calls = 0

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        self.calls += 1
        answer = self.answer(request)
        # botocore runs every before-send handler and takes the first answer: point the request
        # elsewhere so moto's own handler does not also carry it out.
        request.url = "https://fault.invalid/"
        return answer

    def __enter__(self) -> Fault:
        self.client.meta.events.register_first(self.event, self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.meta.events.unregister(self.event, self)


NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def make_mention(n: int, text: str, *, followers: int = 120, triaged: bool = True) -> Any:
    """A mention record of post n (an X post by u<n>), triaged unless told otherwise."""
    from datetime import timedelta

    from chalicelib.records import Author, Mention
    from chalicelib.triage import triage_mention
    from chalicelib.triage.identity import key_for

    m = Mention(
        mention_id=key_for("mention", f"x:{n}"),
        identity=f"x:{n}",
        source="generic",
        platform="x",
        external_id=str(n),
        url=f"https://x.com/u{n}/status/{n}",
        text=text,
        author=Author(handle=f"u{n}", followers=followers),
        published_at=NOW - timedelta(minutes=1),
        received_at=NOW,
        lang="en",
    )
    return triage_mention(m) if triaged else m


class Browser:
    """A browser over an HTTP client (chalice.test's or the e2e one): keeps cookies, reads each
    page's CSRF token, follows nothing by itself."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self.jar: dict[str, str] = {}
        self.csrf = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.jar:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        return headers

    def _keep(self, response: Any) -> Any:
        values = response.headers.get("Set-Cookie") or response.headers.get("set-cookie") or []
        for value in [values] if isinstance(values, str) else values:
            pair, _, attributes = value.partition(";")
            name, _, cookie = pair.strip().partition("=")
            if "max-age=0" in attributes.lower():
                self.jar.pop(name, None)
            else:
                self.jar[name] = cookie
        body = response.body.decode() if isinstance(response.body, bytes) else str(response.body or "")
        found = re.search(r'name="csrf" value="([^"]+)"', body)
        if found:
            self.csrf = found.group(1)
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self._keep(self.http.get(path, headers=self._headers(headers)))

    def post_form(self, path: str, fields: dict[str, str], *, csrf: bool = True) -> Any:
        from urllib.parse import urlencode

        body = urlencode({**({"csrf": self.csrf} if csrf else {}), **fields}).encode()
        headers = self._headers({"content-type": "application/x-www-form-urlencoded"})
        return self._keep(self.http.post(path, body=body, headers=headers))

    def api(self, method: str, path: str, doc: Any = None) -> Any:
        headers = self._headers({"content-type": "application/json", "x-csrf-token": self.csrf})
        body = json.dumps(doc).encode() if doc is not None else b""
        return self._keep(getattr(self.http, method.lower())(path, body=body, headers=headers))

    @property
    def session(self) -> str:
        return next((v for k, v in self.jar.items() if k.endswith("sw_session")), "")
