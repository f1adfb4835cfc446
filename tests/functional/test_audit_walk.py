"""The audit trail is complete by construction (issue 31: drills, approving by a mailed link,
PUT /api/policies, action items once left no entry). Every write route in the OpenAPI document
is called once, validly, as the people who may call it (a token, a session, a link), and each
must leave an entry that says who and how. A write route that leaves none on purpose declares
why (api/problems.unaudited), and the list of those is held here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

import app
from chalicelib import credentials
from chalicelib.clock import utcnow
from chalicelib.policy import approval_links, report_links, tokens
from chalicelib.store.models import AuditModel, DeliveryModel, IncidentModel, PlanModel, ReportModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in, signin_link
from tests.support import CRISIS, Browser, envelope, signed_headers

# Writes that leave no entry, and why: signals coming in are kept as themselves (with their
# source or channel; a chat door's button press writes its own entry as the person it acts as);
# dry runs change nothing; asking for a sign-in link is counted, and its use is what is audited;
# a read confirmation is kept as itself, once per person and message.
UNAUDITED = {
    ("POST", "/webhooks/{source}"),
    ("POST", "/report"),
    ("POST", "/report/share"),
    ("POST", "/slack/events"),
    ("POST", "/slack/interactivity"),
    ("POST", "/slack/commands"),
    ("POST", "/teams/messages"),
    ("POST", "/signin"),
    ("POST", "/api/triage"),
    ("POST", "/api/rules/test"),
    ("POST", "/api/plans/test"),
    ("POST", "/admin/rules/test"),
    ("POST", "/read/{token}"),  # a person's read of a brief, kept as itself (tests/functional/test_reach.py)
    ("POST", "/learn/spot-it"),
}

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
# SCIM's routes take every method at every depth (the library answers); these are not writes:
# (method, route, a path, the status SCIM answers).
SCIM_NOT_WRITES = [
    ("POST", "/scim/v2", "/scim/v2", 405),
    ("PUT", "/scim/v2", "/scim/v2", 405),
    ("PATCH", "/scim/v2", "/scim/v2", 405),
    ("DELETE", "/scim/v2", "/scim/v2", 405),
    ("PUT", "/scim/v2/{endpoint}", "/scim/v2/Users", 405),
    ("PATCH", "/scim/v2/{endpoint}", "/scim/v2/Users", 405),
    ("DELETE", "/scim/v2/{endpoint}", "/scim/v2/Users", 405),
    ("POST", "/scim/v2/{endpoint}/{resource_id}", "/scim/v2/Users/.search", 200),
]


@dataclass
class Walk:
    walked: set[tuple[str, str]] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)

    def call(self, method: str, route: str, send: Callable[[], Any]) -> Any:
        """One valid call of a write route; it must succeed and leave an entry naming who and how."""
        before = {row.key for row in AuditModel.scan()}
        answer = send()
        self.walked.add((method, route))
        new = [row for row in AuditModel.scan() if row.key not in before]
        if answer.status_code >= 400:
            self.wrong.append(
                f"{method} {route}: the valid call was refused ({answer.status_code}: {answer.body[:300]!r})"
            )
        elif not new:
            self.wrong.append(f"{method} {route}: {answer.status_code}, and nothing on the audit trail")
        elif not all(row.actor and row.via for row in new):
            self.wrong.append(f"{method} {route}: an entry without who or how: {[(r.actor, r.via) for r in new]}")
        return answer


def _api(h: Harness, token: str) -> Callable[..., Any]:
    """The API as a personal token's owner."""

    def send(method: str, path: str, doc: Any = None) -> Any:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        body = json.dumps(doc).encode() if doc is not None else b""
        return h.client.http.request(method=method, path=path, headers=headers, body=body)

    return send


def _write_routes(h: Harness) -> set[tuple[str, str]]:
    doc = json.loads(h.client.http.get("/openapi.json").body)
    return {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops if m.upper() != "GET"}


def _open_crisis(h: Harness) -> IncidentModel:
    body = envelope(CRISIS)
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [incident] = IncidentModel.scan()
    return incident


def _file_report(h: Harness) -> str:
    visitor = Browser(h.client.http)
    visitor.get("/report")
    visitor.post_form("/report", {"text": "A passenger video is going round about the gate in Lyon"})
    [report] = ReportModel.scan()
    return str(report.report_id)


@pytest.mark.slow  # make test runs it; make check leaves it (docs/testing.md)
def test_every_write_route_leaves_an_entry_saying_who_and_how(harness: Harness) -> None:  # noqa: PLR0915 (one walk)
    h = harness
    http = h.client.http
    walk = Walk()
    routes = _write_routes(h)
    declared = {
        (method, path)
        for method, path in routes
        if getattr(app.app.routes[path][method].view_function, "unaudited", "")
    }
    assert declared == UNAUDITED, f"routes that declare no audit entry changed: {sorted(declared ^ UNAUDITED)}"

    # People: an admin in a browser (pages) and with a personal token (the API).
    root = sign_in(h, "root@example.com", "admin")
    made = walk.call("POST", "/api/tokens", lambda: root.api("POST", "/api/tokens", {"name": "walk", "role": "admin"}))
    api = _api(h, json.loads(made.body)["token"])
    spare = json.loads(api("POST", "/api/tokens", {"name": "spare"}).body)  # (a person's token, as themselves)
    walk.call("DELETE", "/api/tokens/{token_id}", lambda: api("DELETE", f"/api/tokens/{spare['id']}"))
    walk.call("PUT", "/api/people/{email}", lambda: api("PUT", "/api/people/pat@example.com", {"role": "responder"}))
    walk.call("DELETE", "/api/people/{email}", lambda: api("DELETE", "/api/people/pat@example.com"))
    root.get("/me")
    walk.call("POST", "/me/tokens", lambda: root.post_form("/me/tokens", {"name": "page", "role": "lead", "days": "7"}))
    root.get("/me")
    walk.call("POST", "/me/recognition", lambda: root.post_form("/me/recognition", {"by_name": "yes"}))
    walk.call("POST", "/me/reading", lambda: root.post_form("/me/reading", {"language": "", "zone": "Asia/Tokyo"}))

    # Configuration, each kind once through the API (and a save that changes nothing is a write too).
    walk.call("PUT", "/api/groups/{slug}", lambda: api("PUT", "/api/groups/walkers", {"name": "Walkers"}))
    member = walk.call(
        "POST",
        "/api/groups/{slug}/members",
        lambda: api("POST", "/api/groups/walkers/members", {"protocol": "email", "endpoint": "w@example.com"}),
    )
    member_id = json.loads(member.body)["id"]
    walk.call(
        "DELETE",
        "/api/groups/{slug}/members/{member_id}",
        lambda: api("DELETE", f"/api/groups/walkers/members/{member_id}"),
    )
    walk.call(
        "PUT",
        "/api/departments/{slug}",
        lambda: api("PUT", "/api/departments/gates", {"name": "Gates", "group": "walkers"}),
    )
    walk.call("PUT", "/api/default-route", lambda: api("PUT", "/api/default-route", {"groups": ["social-team"]}))
    rule = {"id": "walk-rule", "when": {"sentiment": "negative"}, "notify": ["walkers"]}
    walk.call("PUT", "/api/rules/{rule_id}", lambda: api("PUT", "/api/rules/walk-rule", rule))
    walk.call("DELETE", "/api/rules/{rule_id}", lambda: api("DELETE", "/api/rules/walk-rule"))
    policy = {"levels": [{"after_minutes": 15, "notify": ["walkers"]}]}
    walk.call("PUT", "/api/policies/{policy_id}", lambda: api("PUT", "/api/policies/walk-policy", policy))
    walk.call("PUT", "/api/policies/{policy_id}", lambda: api("PUT", "/api/policies/walk-policy", policy))  # again
    now = utcnow()
    window = {"start": now.isoformat(), "end": (now + timedelta(hours=1)).isoformat(), "reason": "walk"}
    walk.call("PUT", "/api/maintenance/{window_id}", lambda: api("PUT", "/api/maintenance/walk-window", window))
    walk.call("DELETE", "/api/maintenance/{window_id}", lambda: api("DELETE", "/api/maintenance/walk-window"))
    event = {"name": "Walk day", "start": now.isoformat(), "end": (now + timedelta(hours=2)).isoformat()}
    walk.call("PUT", "/api/planned-events/{event_id}", lambda: api("PUT", "/api/planned-events/walk-day", event))
    taxonomy = json.loads(api("GET", "/api/taxonomy").body)
    walk.call("PUT", "/api/taxonomy", lambda: api("PUT", "/api/taxonomy", taxonomy))
    walk.call("POST", "/api/displays", lambda: api("POST", "/api/displays", {"name": "walk-lobby", "lobby": True}))
    walk.call("DELETE", "/api/displays/{name}", lambda: api("DELETE", "/api/displays/walk-lobby"))
    scenario = json.loads(api("GET", "/api/plans/passenger-safety").body)["current"]
    keep = ("triggers", "roles", "checklist", "statements", "approvals")
    scenario = {**{k: scenario[k] for k in keep}, "name": "Walk", "order": 900, "triggers": {"terms": ["walkabout"]}}
    walk.call("PUT", "/api/plans/{scenario_id}", lambda: api("PUT", "/api/plans/walk-scenario", scenario))
    walk.call("DELETE", "/api/plans/{scenario_id}", lambda: api("DELETE", "/api/plans/walk-scenario"))
    target = {"source": "rss", "url": "https://news.example.com/feed.xml", "interval_minutes": 30}
    walk.call("PUT", "/api/pull-targets/{target_id}", lambda: api("PUT", "/api/pull-targets/walk-feed", target))
    walk.call("DELETE", "/api/pull-targets/{target_id}", lambda: api("DELETE", "/api/pull-targets/walk-feed"))
    # ... and from the configuration page.
    root.get("/admin/edit/groups?key=walkers")
    walk.call(
        "POST",
        "/admin/edit/{kind}",
        lambda: root.post_form("/admin/edit/groups", {"key": "walkers", "doc": json.dumps({"name": "Walkers too"})}),
    )
    root.get("/admin")
    walk.call(
        "POST", "/admin/displays", lambda: root.post_form("/admin/displays", {"name": "walk-wall", "lobby": "on"})
    )
    walk.call("POST", "/admin/displays/{name}/revoke", lambda: root.post_form("/admin/displays/walk-wall/revoke", {}))

    # Drills, from the API and the page.
    started = walk.call(
        "POST", "/api/drills", lambda: api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60})
    )
    drill_id = json.loads(started.body)["id"]
    walk.call("POST", "/api/drills/{drill_id}/end", lambda: api("POST", f"/api/drills/{drill_id}/end"))
    exercise = walk.call(
        "POST", "/api/drills/watch", lambda: api("POST", "/api/drills/watch", {"departments": ["inflight"]})
    )
    exercise_id = json.loads(exercise.body)["drill"]["id"]
    walk.call("POST", "/api/drills/watch/{drill_id}/end", lambda: api("POST", f"/api/drills/watch/{exercise_id}/end"))
    root.get("/drills")
    walk.call("POST", "/drills", lambda: root.post_form("/drills", {"scenario": "passenger-safety", "pace": "60"}))
    walk.call("POST", "/drills/watch", lambda: root.post_form("/drills/watch", {"department": "inflight"}))

    # An incident with its crisis plan, and everything done to it.
    incident = _open_crisis(h)
    iid = incident.incident_id
    report_id = _file_report(h)
    mention_id = _first_mention_id()
    ack = tokens.mint(
        key=credentials.signing_key(), incident_id=iid, action="acknowledge", group=incident.owner, now=utcnow()
    )
    visitor = Browser(http)
    visitor.get(f"/ack/{ack}")
    walk.call("POST", "/ack/{token}", lambda: visitor.post_form(f"/ack/{ack}", {}))
    typed = Browser(http)  # a report filed with an address typed in, confirmed from its receipt's link
    typed.get("/report")
    typed.post_form("/report", {"text": "A thread about our refund policy", "email": "omar@example.com"})
    [confirmable] = [r for r in ReportModel.scan() if r.reporter_email == "omar@example.com"]
    link = report_links.mint(
        key=credentials.signing_key(), report_id=confirmable.report_id, email="omar@example.com", now=utcnow()
    )
    typed.get(f"/report/confirm/{link}")
    walk.call("POST", "/report/confirm/{token}", lambda: typed.post_form(f"/report/confirm/{link}", {}))
    walk.call(
        "POST", "/api/incidents/{incident_id}/acknowledge", lambda: api("POST", f"/api/incidents/{iid}/acknowledge")
    )
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/notes",
        lambda: api("POST", f"/api/incidents/{iid}/notes", {"note": "on it"}),
    )
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/assign",
        lambda: api("POST", f"/api/incidents/{iid}/assign", {"owner": "walkers"}),
    )
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/reports",
        lambda: api("POST", f"/api/incidents/{iid}/reports", {"report_id": report_id}),
    )
    task = PlanModel.get(iid).doc["tasks"][0]["id"]
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/tasks/{task_id}",
        lambda: api("POST", f"/api/incidents/{iid}/tasks/{task}"),
    )
    revision = PlanModel.get(iid).doc["statements"]["en"]["revision"]
    walk.call(
        "PUT",
        "/api/incidents/{incident_id}/statements/{lang}",
        lambda: api("PUT", f"/api/incidents/{iid}/statements/en", {"text": "We are on it.", "revision": revision}),
    )
    revision += 1
    counsel = sign_in(h, "counsel@example.com", "responder")
    counsel.get(f"/incidents/{iid}")
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/statements/{lang}/approve",
        lambda: counsel.api(
            "POST", f"/api/incidents/{iid}/statements/en/approve", {"revision": revision, "role": "legal"}
        ),
    )
    link = approval_links.mint(
        key=credentials.signing_key(), incident_id=iid, lang="en", revision=revision, role="spokesperson", now=utcnow()
    )
    mailed = Browser(http)
    mailed.get(f"/approve/{link}")
    approved = walk.call("POST", "/approve/{token}", lambda: mailed.post_form(f"/approve/{link}", {}, csrf=False))
    assert "Approved" in approved.body.decode()
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/statements/{lang}/publish",
        lambda: api("POST", f"/api/incidents/{iid}/statements/en/publish"),
    )
    item = {
        "text": "Brief the gate staff",
        "owner": "ops@example.com",
        "due": (now + timedelta(days=30)).date().isoformat(),
    }
    added = walk.call(
        "POST", "/api/incidents/{incident_id}/actions", lambda: api("POST", f"/api/incidents/{iid}/actions", item)
    )
    action_id = json.loads(added.body)["actions"][-1]["id"]
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/actions/{action_id}",
        lambda: api("POST", f"/api/incidents/{iid}/actions/{action_id}"),
    )
    # The incident's page: a note, an action item added and completed.
    root.get(f"/incidents/{iid}")
    walk.call(
        "POST", "/incidents/{incident_id}/{action}", lambda: root.post_form(f"/incidents/{iid}/note", {"note": "x"})
    )
    walk.call("POST", "/incidents/{incident_id}/{action}", lambda: root.post_form(f"/incidents/{iid}/action", item))
    page_item = PlanModel.get(iid).doc["actions"][-1]["id"]
    walk.call(
        "POST",
        "/incidents/{incident_id}/{action}",
        lambda: root.post_form(f"/incidents/{iid}/action-done", {"action_id": page_item}),
    )
    walk.call(
        "POST",
        "/api/incidents/{incident_id}/resolve",
        lambda: api("POST", f"/api/incidents/{iid}/resolve", {"note": "done"}),
    )
    # Its case card, saved from the API and approved from its page by a lead.
    walk.call("PUT", "/api/cases/{incident_id}", lambda: api("PUT", f"/api/cases/{iid}", {"title": "What we learnt"}))
    lead = sign_in(h, "lead-walker@example.com", "lead", department="inflight")
    lead.get(f"/learn/cases/{iid}")
    walk.call(
        "POST",
        "/learn/cases/{incident_id}",
        lambda: lead.post_form(f"/learn/cases/{iid}", {"rev": "1", "action": "approve"}),
    )
    lead.get("/learn/spot-it")
    walk.call("POST", "/learn/spot-it/pool", lambda: lead.post_form("/learn/spot-it/pool", {}))
    # The social media policy: a version from the API, the next from the page, acknowledged.
    first = {"title": "Social media", "text": "Be kind.", "version": 0}
    walk.call("PUT", "/api/policy", lambda: api("PUT", "/api/policy", first))
    root.get("/policy")
    walk.call(
        "POST",
        "/policy",
        lambda: root.post_form("/policy", {"title": "Social media", "text": "Be kind. Report.", "version": "1"}),
    )
    root.get("/policy")
    walk.call("POST", "/policy/acknowledge", lambda: root.post_form("/policy/acknowledge", {"version": "2"}))

    # Deliveries that died, retried from the API and the page.
    dead = [row for row in DeliveryModel.scan() if ":sns:" in row.topic_arn][:2]
    for row in dead:
        row.update(actions=[DeliveryModel.status.set("dead")])
    walk.call(
        "POST",
        "/api/deliveries/{delivery_id}/retry",
        lambda: api("POST", f"/api/deliveries/{quote(dead[0].delivery_id)}/retry"),
    )
    root.get("/admin")
    walk.call(
        "POST",
        "/admin/deliveries/{delivery_id}/retry",
        lambda: root.post_form(f"/admin/deliveries/{quote(dead[1].delivery_id)}/retry", {}),
    )

    # A mention's triage corrected, from the API and its page; a department followed.
    walk.call(
        "POST",
        "/api/mentions/{mention_id}/corrections",
        lambda: api(
            "POST",
            f"/api/mentions/{mention_id}/corrections",
            {"field": "sentiment", "value": "negative", "why": "walk"},
        ),
    )
    root.get(f"/mentions/{mention_id}")
    walk.call(
        "POST",
        "/mentions/{mention_id}/correct",
        lambda: root.post_form(f"/mentions/{mention_id}/correct", {"field": "kudos", "value": "no", "why": "walk"}),
    )
    root.get(f"/mentions/{mention_id}")
    walk.call(  # translation is off here: asking is still recorded (it may cost money where it is on)
        "POST",
        "/mentions/{mention_id}/translate",
        lambda: root.post_form(f"/mentions/{mention_id}/translate", {}),
    )
    root.get("/departments/airport")
    walk.call("POST", "/departments/{slug}/follow", lambda: root.post_form("/departments/airport/follow", {}))

    # The directory: a provisioning client, SCIM's writes as that client (audited as it), a CSV import.
    client = walk.call(
        "POST", "/api/directory/clients", lambda: api("POST", "/api/directory/clients", {"name": "Walk IdP"})
    )
    provider = json.loads(client.body)

    def scim(method: str, path: str, doc: Any = None) -> Any:
        headers = {"authorization": f"Bearer {provider['token']}", "content-type": "application/scim+json"}
        body = json.dumps(doc).encode() if doc is not None else b""
        return http.request(method=method, path=path, headers=headers, body=body)

    user = {"schemas": [SCIM_USER], "userName": "walker@example.com", "active": True}
    created = walk.call("POST", "/scim/v2/{endpoint}", lambda: scim("POST", "/scim/v2/Users", user))
    uid = json.loads(created.body)["id"]
    walk.call(
        "PUT",
        "/scim/v2/{endpoint}/{resource_id}",
        lambda: scim("PUT", f"/scim/v2/Users/{uid}", {**user, "displayName": "Wally Walker"}),
    )
    patch = {"schemas": [SCIM_PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    walk.call("PATCH", "/scim/v2/{endpoint}/{resource_id}", lambda: scim("PATCH", f"/scim/v2/Users/{uid}", patch))
    walk.call("DELETE", "/scim/v2/{endpoint}/{resource_id}", lambda: scim("DELETE", f"/scim/v2/Users/{uid}"))
    # What SCIM itself refuses at the other depths writes nothing, and a search is a read.
    for method, route, path, status in SCIM_NOT_WRITES:
        before = AuditModel.count()
        answer = scim(method, path, {"schemas": [SCIM_SEARCH]} if status == 200 else None)
        walk.walked.add((method, route))
        if answer.status_code != status or AuditModel.count() != before:
            walk.wrong.append(f"{method} {path}: {answer.status_code} (expected {status}, and no entry)")
    walk.call(
        "POST",
        "/api/directory/import",
        lambda: h.client.http.post(
            "/api/directory/import",
            body=b"email,department\ncsv@example.com,baggage\n",
            headers={"authorization": f"Bearer {json.loads(made.body)['token']}", "content-type": "text/csv"},
        ),
    )
    root.get("/admin/directory")
    walk.call("POST", "/admin/directory", lambda: root.post_form("/admin/directory", {"name": "Page IdP"}))
    walk.call(
        "DELETE",
        "/api/directory/clients/{client_id}",
        lambda: api("DELETE", f"/api/directory/clients/{provider['id']}"),
    )

    # Signing in with a mailed link, and out.
    sam = Browser(http)
    sam.get("/signin?next=/me")
    sam.post_form("/signin", {"email": "sam@example.com", "next": "/me"})
    path = signin_link("sam@example.com")
    sam.get(path)
    walk.call("POST", "/signin/link/{token}", lambda: sam.post_form(path, {}))
    sam.get("/me")
    walk.call("POST", "/signout", lambda: sam.post_form("/signout", {}))

    assert not walk.wrong, "\n".join(walk.wrong)
    missing = routes - UNAUDITED - walk.walked
    assert not missing, f"write routes this walk does not call (add a valid call): {sorted(missing)}"
    # How each entry came: a token, a session, a mailed link, a message link.
    vias = {row.via.split(" ")[0] for row in AuditModel.scan()}
    assert {"token", "session", "email", "message"} <= vias, vias


def _first_mention_id() -> str:
    from chalicelib.store.models import MentionModel

    return str(next(iter(MentionModel.scan())).mention_id)
