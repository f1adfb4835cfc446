"""scim2-tester, an RFC 7643/7644 compliance checker written by others, against /scim/v2 in
process: discovery, then for Users and Groups creation, reads (with and without attributes),
searches, replacement, deletion and PATCH add/remove/replace on every attribute it can fill."""

from __future__ import annotations

import json

from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN
from tests.scim_support import chalice_app, check_server


def provisioning_token(h: Harness, name: str = "Okta") -> str:
    made = h.client.http.post("/api/directory/clients", body=json.dumps({"name": name}).encode(), headers=ADMIN)
    assert made.status_code == 201, made.body
    return str(json.loads(made.body)["token"])


def test_every_check_scim2_tester_makes_passes(harness: Harness) -> None:
    from scim2_tester import Status

    results = check_server(
        chalice_app(harness.client.http), base_url="http://localhost/scim/v2", token=provisioning_token(harness)
    )
    failed = [f"{r.title} [{r.resource_type}]: {r.reason}" for r in results if r.status not in (Status.SUCCESS,)]
    for r in results:
        print(r.status.name, r.title, r.resource_type, (r.reason or "")[:200])
    assert len(results) > 20
    assert not failed, "\n".join(failed)
