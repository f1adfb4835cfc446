"""An incident's whole life on the local stack, over HTTP as people would live it: a negative
mention with a risk term reaches its department, nobody acknowledges, the schedule escalates
it, the link from the outbox is opened (GET shows, POST acknowledges), the employee who flagged
it hears the outcome, and it is resolved."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from infra.local.launcher import RunningStack
from tests.e2e.people import HttpBrowser, make_person, sign_in
from tests.e2e.test_local_stack import _outbox, _post_mention, _request
from tests.support import MENTION, fresh

POST_URL = "https://x.com/rosa/status/5550001"


def _admin(stack: RunningStack, method: str, path: str, body: Any) -> tuple[int, Any]:
    status, _, answer = _request(
        stack.credentials["base_url"] + path,
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {stack.credentials['admin_token']}", "content-type": "application/json"},
        method=method,
    )
    return status, json.loads(answer) if answer else None


def _wait(stack: RunningStack, predicate: Any, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in _outbox(stack) if predicate(e)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def _report(stack: RunningStack, text: str, email: str) -> str:
    base = stack.credentials["base_url"]
    _, _, page = _request(base + "/report", headers={"accept": "text/html"})
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.decode()))
    fields = {**hidden, "text": text, "url": POST_URL, "urgency": "normal", "email": email}
    status, _, receipt = _request(
        base + "/report",
        data=urlencode(fields).encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert status == 201
    return re.search(r'href="report/([a-z2-7]{16})"', receipt.decode()).group(1)  # type: ignore[union-attr]


def test_an_incident_from_first_notice_to_resolution(stack: RunningStack) -> None:
    base = stack.credentials["base_url"]
    # Escalate after one minute (the demo's policy waits fifteen).
    status, _ = _admin(
        stack,
        "PUT",
        "/api/policies/default",
        {"levels": [{"after_minutes": 1, "notify": ["executives"]}], "remind_after_hours": 4},
    )
    assert status == 200
    tracking = _report(stack, "A customer says our baggage team broke her wheelchair", "lena@example.com")

    mention = {
        **fresh(MENTION),
        "id": "5550001",
        "url": POST_URL,
        "text": "Your baggage handlers destroyed my wheelchair. Disgusting. Filing a lawsuit.",
        "author": {"handle": "rosa", "name": "Rosa", "followers": 61000},
    }
    assert _post_mention(stack, mention)[0] == 202
    [notice] = _wait(
        stack,
        lambda e: e.get("item_kind") == "incident" and e["group"] == "customer-care" and "wheelchair" in e["email"],
        10,
    )
    assert "lawsuit" in notice["email"] and len(notice["sms"]) <= 160
    # The SMS's link (each channel has its own, so the timeline says which one was used).
    ack_url = re.search(r"(http://\S+/ack/\S+)", notice["sms"]).group(1)  # type: ignore[union-attr]
    incident_id = notice["item_id"]

    # Nobody acknowledges: a minute later the schedule runner escalates to the executives.
    escalated = _wait(stack, lambda e: e.get("item_id") == incident_id and e["group"] == "executives", 90)
    assert escalated and "not acknowledged within 1 min" in escalated[0]["email"]
    assert "wheelchair" in escalated[0]["email"]  # the follow-up repeats the original context

    # The link, as a mail scanner would open it: shows, changes nothing.
    status, headers, page = _request(ack_url)
    assert status == 200 and "Acknowledge for Customer care" in page.decode()
    assert "script-src" not in headers["Content-Security-Policy"]
    _, doc = _admin(stack, "GET", f"/api/incidents/{incident_id}", None)
    assert doc["status"] == "open"

    # A person's phone opens it and presses the button: no sign-in, no typed name; the group
    # and the channel are what is recorded.
    phone = HttpBrowser(base)
    phone.open(ack_url)
    status, _, body = phone.open(ack_url, {})
    assert status == 200 and "Acknowledged" in body
    told = _wait(stack, lambda e: e.get("channel") == "email" and e.get("to") == "lena@example.com", 10)
    assert told and "acknowledged" in told[0]["subject"] and "Customer care acknowledged it" in told[0]["email"]
    _, _, status_page = _request(f"{base}/report/{tracking}", headers={"accept": "text/html"})
    assert "Customer care acknowledged it" in status_page.decode()
    # Everyone who was told hears it is in hand: the owner and the executives it escalated to.
    in_hand = _wait(stack, lambda e: e.get("item_id") == incident_id and "in hand" in e.get("subject", "").lower(), 10)
    assert {e["group"] for e in in_hand} >= {"customer-care", "executives"}

    # Resolving takes a signed-in responder, who signs in by the link the outbox receives.
    make_person(stack, "noor@example.com", "responder", name="Noor")
    noor = sign_in(stack, "noor@example.com")
    status, _, body = noor.open(
        f"/incidents/{incident_id}/resolve", {"note": "We replaced the wheelchair and apologised."}
    )
    assert status == 200 and "Resolved" in body
    resolved = _wait(stack, lambda e: e.get("to") == "lena@example.com" and "resolved" in e.get("subject", ""), 10)
    assert resolved and "replaced the wheelchair" in resolved[0]["email"]

    _, doc = _admin(stack, "GET", f"/api/incidents/{incident_id}", None)
    events = [e["event"] for e in doc["timeline"]]
    assert doc["status"] == "resolved" and doc["acknowledged_by"] == "Customer care"
    acked = next(e for e in doc["timeline"] if e["event"] == "acknowledged")
    assert (acked["group"], acked["via"]) == ("customer-care", "sms link")
    assert next(e for e in doc["timeline"] if e["event"] == "resolved")["by"] == "Noor <noor@example.com>"
    # The audit trail has both, as they happened: the link's group and channel, then Noor.
    _, audit = _admin(stack, "GET", f"/api/audit?target={incident_id}", None)
    assert [(e["action"], e["actor"], e["via"]) for e in reversed(audit["entries"])] == [
        ("incident.acknowledge", "group:customer-care", "sms link"),
        ("incident.resolve", "noor@example.com", "session"),
    ]
    for expected in ("opened", "notified", "escalated", "acknowledged", "groups told", "reporters told", "resolved"):
        assert expected in events, (expected, events)
    # Resolved: nothing more escalates, and the notice to each group went out once.
    time.sleep(4)
    notices = [e for e in _outbox(stack) if e.get("item_id") == incident_id]
    assert len(notices) == len({(e["group"], e["subject"]) for e in notices})
