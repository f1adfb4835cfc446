"""The directory on the local stack, over HTTP as an identity provider reaches it: scim2-tester
(an RFC 7643/7644 checker written by others) passes every check it makes; three people in two
departments provisioned over SCIM show on their department pages; deactivating one over SCIM
ends their signed-in session at once."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from infra.local.launcher import RunningStack
from tests.e2e.people import sign_in
from tests.scim_support import check_server, http_app

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _call(url: str, method: str, token: str, doc: Any = None, kind: str = "application/json") -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(doc).encode() if doc is not None else None,
        headers={"authorization": f"Bearer {token}", "content-type": kind},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
            return answer.status, json.loads(body) if body else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _provisioning_token(stack: RunningStack, name: str) -> str:
    base, admin = stack.credentials["base_url"], stack.credentials["admin_token"]
    status, made = _call(f"{base}/api/directory/clients", "POST", admin, {"name": name})
    assert status == 201, made
    return str(made["token"])


def test_scim2_tester_passes_every_check_against_the_local_stack(stack: RunningStack) -> None:
    from scim2_tester import Status

    base = stack.credentials["base_url"]
    results = check_server(http_app(base), base_url=base + "/scim/v2", token=_provisioning_token(stack, "tester"))
    failed = [f"{r.title} [{r.resource_type}]: {r.reason}" for r in results if r.status != Status.SUCCESS]
    assert len(results) > 100, len(results)
    assert not failed, "\n".join(failed)


def test_three_people_in_two_departments_and_a_deactivation_that_ends_a_session(stack: RunningStack) -> None:
    base = stack.credentials["base_url"]
    scim = _provisioning_token(stack, "Okta")
    made = {}
    for email, department in (
        ("ana.e2e@example.com", "Baggage"),
        ("bo.e2e@example.com", "Baggage"),
        ("cy.e2e@example.com", "Operations"),
    ):
        user = {
            "schemas": [USER, ENTERPRISE],
            "userName": email,
            "displayName": email.split(".", 1)[0].title(),
            "emails": [{"value": email, "type": "work", "primary": True}],
            ENTERPRISE: {"department": department},
        }
        status, made[email] = _call(f"{base}/scim/v2/Users", "POST", scim, user, "application/scim+json")
        assert status == 201, made[email]

    ana = sign_in(stack, "ana.e2e@example.com")
    status, _, page = ana.open("/departments/baggage")
    assert status == 200 and "Bo" in page.split('id="people"', 1)[1]
    listed = {}
    for slug in ("baggage", "operations"):
        status, _, body = ana.open(f"/api/departments/{slug}/people")
        assert status == 200, body
        listed[slug] = [p["email"] for p in json.loads(body)["people"]]
    assert listed == {
        "baggage": ["ana.e2e@example.com", "bo.e2e@example.com"],
        "operations": ["cy.e2e@example.com"],
    }
    assert ana.open("/api/me")[0] == 200

    off = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    uid = made["ana.e2e@example.com"]["id"]
    status, answer = _call(f"{base}/scim/v2/Users/{uid}", "PATCH", scim, off, "application/scim+json")
    assert status == 200 and answer["active"] is False, answer
    assert ana.open("/api/me")[0] == 401  # the very next request: the session is gone
    status, headers, _ = ana.open("/departments/baggage")
    assert status == 303 and headers["Location"].startswith("/signin")
