"""The directory: people provisioned over SCIM (Okta's and Entra ID's own PATCH bodies, which
differ), found by the filters providers use without a Scan, deactivated (their sessions and
tokens end in the same request), fed into stakeholder groups, imported from CSV (whole or not at
all); department pages list who is in them and who follows; a signed-in report carries its
reporter's department."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, sign_in
from tests.functional.test_scim_compliance import provisioning_token
from tests.support import Browser

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Scim:
    """A provider's side of the conversation, with its bearer token."""

    def __init__(self, h: Harness, token: str) -> None:
        self.http, self.token = h.client.http, token

    def call(self, method: str, path: str, doc: Any = None, **headers: str) -> Any:
        sent = {"authorization": f"Bearer {self.token}", "content-type": SCIM, **headers}
        body = json.dumps(doc).encode() if doc is not None else b""
        answer = self.http.request(method=method, path="/scim/v2" + path, headers=sent, body=body)
        answer.doc = json.loads(answer.body) if answer.body else None
        return answer

    def user(self, email: str, *, department: str = "", **fields: Any) -> dict[str, Any]:
        doc = {
            "schemas": [USER, ENTERPRISE],
            "userName": email,
            "externalId": fields.pop("external_id", f"ext-{email}"),
            "name": {"givenName": email.split("@", maxsplit=1)[0].title(), "familyName": "Doe"},
            "emails": [{"value": email, "type": "work", "primary": True}],
            "active": True,
            ENTERPRISE: {"department": department},
            **fields,
        }
        made = self.call("POST", "/Users", doc)
        assert made.status_code == 201, made.body
        return dict(made.doc)


@pytest.fixture
def scim(harness: Harness) -> Scim:
    return Scim(harness, provisioning_token(harness))


def people(h: Harness) -> dict[str, dict[str, Any]]:
    listed = json.loads(h.client.http.get("/api/people", headers=ADMIN).body)["people"]
    return {p["email"]: p for p in listed}


def test_a_provisioned_person_is_the_same_record_sign_in_uses(harness: Harness, scim: Scim) -> None:
    harness.client.http.put("/api/people/ana@example.com", body=b'{"role": "responder"}', headers=ADMIN)
    made = scim.user(
        "Ana@Example.com",
        department="Baggage",
        phoneNumbers=[{"value": "+44 7700 900123", "type": "mobile"}],
        preferredLanguage="es-ES",
        timezone="Europe/Madrid",
    )
    assert made["id"] and made["meta"]["version"] == 'W/"1"' and made[ENTERPRISE]["department"] == "Baggage"
    ana = people(harness)["ana@example.com"]
    assert ana["role"] == "responder"  # the admin's role is kept: one record, extended
    assert (ana["department"], ana["phone"], ana["language"], ana["timezone"]) == (
        "baggage",
        "+447700900123",
        "es-ES",
        "Europe/Madrid",
    )
    assert ana["name"] == "Ana Doe" and ana["id"] == made["id"]
    again = scim.call("POST", "/Users", {"schemas": [USER], "userName": "ana@example.COM"})
    assert again.status_code == 409 and again.headers["Content-Type"].startswith(SCIM)
    assert again.doc["scimType"] == "uniqueness"


def test_the_filters_providers_send_are_key_lookups(harness: Harness, scim: Scim, monkeypatch: Any) -> None:
    from chalicelib.store import directory

    for n in range(3):
        scim.user(f"p{n}@example.com", external_id=f"00u{n}")
    monkeypatch.setattr(directory, "all_ids", lambda: pytest.fail("a keyed filter read the whole directory"))
    for query in (
        'userName eq "P1@EXAMPLE.com"',
        'externalId eq "00u1"',
        'emails[type eq "work" and value eq "p1@example.com"]',
        'emails.value eq "p1@example.com"',
        'userName eq "p1@example.com" and active eq true',
    ):
        found = scim.call("GET", "/Users?filter=" + query.replace(" ", "%20").replace('"', "%22"))
        assert found.status_code == 200, (query, found.body)
        assert [u["userName"] for u in found.doc["Resources"]] == ["p1@example.com"], query
    none = scim.call("GET", "/Users?filter=userName%20eq%20%22nobody@example.com%22")
    assert none.doc["totalResults"] == 0 and none.doc.get("Resources", []) == []


def test_pages_of_users_without_a_filter(scim: Scim) -> None:
    made = {scim.user(f"page{n}@example.com")["id"] for n in range(5)}
    first = scim.call("GET", "/Users?startIndex=1&count=2").doc
    rest = scim.call("GET", "/Users?startIndex=3&count=10").doc
    assert first["totalResults"] == 5 and first["itemsPerPage"] == 2 and rest["startIndex"] == 3
    assert {u["id"] for u in first["Resources"] + rest["Resources"]} == made


def test_okta_and_entra_patch_bodies(harness: Harness, scim: Scim) -> None:
    okta = scim.user("okta@example.com", department="Operations")
    entra = scim.user("entra@example.com", department="Operations")
    # Okta: a replace without a path, its value an object of attributes.
    answer = scim.call(
        "PATCH",
        f"/Users/{okta['id']}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "value": {"displayName": "Okta Person", "active": True}}],
        },
    )
    assert answer.status_code == 200, answer.body
    # Entra ID: capitalised ops, a path per attribute, the extension's attribute by its URN.
    answer = scim.call(
        "PATCH",
        f"/Users/{entra['id']}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "Replace", "path": "displayName", "value": "Entra Person"},
                {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Baggage"},
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "entra.new@example.com"},
            ],
        },
    )
    assert answer.status_code == 200, answer.body
    listed = people(harness)
    assert listed["okta@example.com"]["name"] == "Okta Person"
    assert "entra@example.com" not in listed  # the address changed: the record moved with it
    moved = listed["entra.new@example.com"]
    assert (moved["name"], moved["department"], moved["id"]) == ("Entra Person", "baggage", entra["id"])
    assert scim.call("GET", "/Users?filter=emails.value%20eq%20%22entra@example.com%22").doc["totalResults"] == 0


def test_an_etag_that_moved_on_is_refused(scim: Scim) -> None:
    made = scim.user("etag@example.com")
    body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "One"}]}
    assert scim.call("PATCH", f"/Users/{made['id']}", body, **{"if-match": 'W/"1"'}).status_code == 200
    stale = scim.call("PATCH", f"/Users/{made['id']}", body, **{"if-match": 'W/"1"'})
    assert stale.status_code == 412 and stale.headers["Content-Type"].startswith(SCIM)


def _signed_in_with_token(h: Harness, email: str) -> tuple[Browser, str]:
    browser = sign_in(h, email)
    made = browser.api("POST", "/api/tokens", {"name": "my script", "role": "everyone"})
    assert made.status_code == 201, made.body
    return browser, str(json.loads(made.body)["token"])


def _works(h: Harness, browser: Browser, token: str) -> tuple[bool, bool]:
    by_session = browser.get("/api/me").status_code == 200
    by_token = h.client.http.get("/api/me", headers={"authorization": f"Bearer {token}"}).status_code == 200
    return by_session, by_token


@pytest.mark.parametrize("how", ["okta-patch", "entra-patch", "put", "delete"])
def test_deactivation_ends_sessions_and_tokens_in_the_same_request(harness: Harness, scim: Scim, how: str) -> None:
    made = scim.user("leaver@example.com", department="Baggage")
    browser, token = _signed_in_with_token(harness, "leaver@example.com")
    assert _works(harness, browser, token) == (True, True)
    if how == "okta-patch":
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
        assert scim.call("PATCH", f"/Users/{made['id']}", body).status_code == 200
    elif how == "entra-patch":
        body = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
        answer = scim.call("PATCH", f"/Users/{made['id']}", body)
        assert answer.status_code == 200 and answer.doc["active"] is False, answer.body
    elif how == "put":
        body = {k: v for k, v in made.items() if k not in ("id", "meta")} | {"active": False}
        assert scim.call("PUT", f"/Users/{made['id']}", body).status_code == 200
    else:
        assert scim.call("DELETE", f"/Users/{made['id']}").status_code == 204
    assert _works(harness, browser, token) == (False, False)
    tokens = json.loads(harness.client.http.get("/api/tokens?all=1", headers=ADMIN).body)["tokens"]
    assert [t["state"] for t in tokens if t["owner"] == "leaver@example.com"] == ["revoked"]
    if how != "delete":  # back again: nothing of before comes back with them
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}
        assert scim.call("PATCH", f"/Users/{made['id']}", body).status_code == 200
        assert _works(harness, browser, token) == (False, False)
    audit = json.loads(harness.client.http.get("/api/audit?target=leaver@example.com", headers=ADMIN).body)
    ended = [e for e in audit["entries"] if e["action"] == "person.access-ended"]
    assert ended and ended[0]["actor"] == "scim:Okta" and ended[0]["after"]["sessions"] == 1


def test_an_admin_disabling_a_person_ends_their_access_too(harness: Harness, scim: Scim) -> None:
    scim.user("kept@example.com", phoneNumbers=[{"value": "+447700900123"}])
    browser, token = _signed_in_with_token(harness, "kept@example.com")
    put = harness.client.http.put(
        "/api/people/kept@example.com", body=b'{"role": "responder", "disabled": true}', headers=ADMIN
    )
    assert put.status_code == 200
    assert _works(harness, browser, token) == (False, False)
    kept = people(harness)["kept@example.com"]
    assert kept["phone"] == "+447700900123" and kept["role"] == "responder"  # the directory's record stays


def test_only_a_live_provisioning_token_opens_scim(harness: Harness, scim: Scim) -> None:
    _, personal = _signed_in_with_token(harness, "someone@example.com")
    refused = harness.client.http.get("/scim/v2/Users", headers={"authorization": f"Bearer {personal}"})
    assert refused.status_code == 401 and refused.headers["Content-Type"].startswith(SCIM)
    assert json.loads(refused.body)["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert harness.client.http.get("/scim/v2/ServiceProviderConfig").status_code == 200  # RFC 7644 §4: open
    assert scim.call("GET", "/Users").status_code == 200
    client_id = scim.token.split("_")[1]
    gone = harness.client.http.delete(f"/api/directory/clients/{client_id}", headers=ADMIN)
    assert gone.status_code == 200 and json.loads(gone.body)["state"] == "revoked"
    assert scim.call("GET", "/Users").status_code == 401
    audit = json.loads(harness.client.http.get("/api/audit?action=scim-client.", headers=ADMIN).body)["entries"]
    assert [e["action"] for e in audit] == ["scim-client.revoke", "scim-client.create"]
    assert all("hash" not in json.dumps(e) for e in audit)


def test_a_directory_group_feeds_a_stakeholder_group(harness: Harness, scim: Scim) -> None:
    crisis = json.loads(harness.client.http.get("/api/groups/crisis-team/members", headers=ADMIN).body)
    put = {"name": crisis["name"], "directory_groups": ["Crisis Responders"]}
    assert (
        harness.client.http.put("/api/groups/crisis-team", body=json.dumps(put).encode(), headers=ADMIN).status_code
        == 200
    )
    ana, bo = scim.user("ana@example.com", timezone="Europe/Madrid"), scim.user("bo@example.com")
    group = scim.call(
        "POST",
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Crisis Responders",
            "members": [{"value": ana["id"]}, {"value": bo["id"]}],
        },
    )
    assert group.status_code == 201, group.body

    def fed() -> dict[str, str]:
        listed = json.loads(harness.client.http.get("/api/groups/crisis-team/members", headers=ADMIN).body)
        return {m["endpoint"]: m["timezone"] for m in listed["member_list"] if m["protocol"] == "email"}

    assert fed() == {"ana@example.com": "Europe/Madrid", "bo@example.com": "UTC"}
    entra = scim.call("GET", "/Groups?filter=displayName%20eq%20%22crisis%20responders%22&excludedAttributes=members")
    assert [g["id"] for g in entra.doc["Resources"]] == [group.doc["id"]] and "members" not in entra.doc["Resources"][0]
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert scim.call("PATCH", f"/Users/{bo['id']}", off).status_code == 200
    assert fed() == {"ana@example.com": "Europe/Madrid"}
    out = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{ana["id"]}"]'}]}
    assert scim.call("PATCH", f"/Groups/{group.doc['id']}", out).status_code == 200
    assert fed() == {}


CSV_GOOD = """email,name,department,phone,timezone,language,channels
cleo@example.com,Cleo Park,Baggage,+447700900111,Europe/London,en-GB,email;sms
dev@example.com,Dev Rao,customer care,,Asia/Kolkata,,
"""


def test_a_csv_import_is_whole_or_nothing(harness: Harness, scim: Scim) -> None:
    lead = b'{"role": "lead", "department": "baggage"}'
    assert harness.client.http.put("/api/people/cleo@example.com", body=lead, headers=ADMIN).status_code == 201
    bad = CSV_GOOD + "not-an-address,X,,,,,\neve@example.com,Eve,,12345,Mars/Olympus,,sms\n"
    refused = harness.client.http.post(
        "/api/directory/import", body=bad.encode(), headers={**ADMIN, "content-type": "text/csv"}
    )
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    errors = json.loads(refused.body)["errors"]
    assert [e["line"] for e in errors] == [4, 5]
    assert any("timezone" in p for p in errors[1]["problems"]) and any("phone" in p for p in errors[1]["problems"])
    assert "id" not in people(harness)["cleo@example.com"]  # nothing was written
    done = harness.client.http.post(
        "/api/directory/import", body=CSV_GOOD.encode(), headers={**ADMIN, "content-type": "text/csv"}
    )
    assert done.status_code == 200 and json.loads(done.body) == {"created": 2, "updated": 0, "unchanged": 0}
    cleo, dev = people(harness)["cleo@example.com"], people(harness)["dev@example.com"]
    assert cleo["role"] == "lead"  # the record an admin made, extended
    found = scim.call("GET", "/Users?filter=userName%20eq%20%22Cleo@example.com%22").doc["Resources"]
    assert [u["id"] for u in found] == [cleo["id"]] and found[0]["phoneNumbers"][0]["value"] == "+447700900111"
    assert (cleo["department"], cleo["phone"], cleo["channels"]) == ("baggage", "+447700900111", ["email", "sms"])
    assert dev["department"] == "customer-care" and dev["timezone"] == "Asia/Kolkata"
    again = harness.client.http.post(
        "/api/directory/import", body=CSV_GOOD.encode(), headers={**ADMIN, "content-type": "text/csv"}
    )
    assert json.loads(again.body) == {"created": 0, "updated": 0, "unchanged": 2}


def test_the_directory_page_makes_a_client_and_imports(harness: Harness) -> None:
    admin = sign_in(harness, "boss@example.com", "admin")
    assert admin.get("/admin/directory").status_code == 200
    made = admin.post_form("/admin/directory", {"name": "Entra ID"})
    assert made.status_code == 201 and "sws_" in made.body.decode()
    wrong = admin.post_form("/admin/directory", {"csv": "email,name\nnope,Nobody\n"})
    assert wrong.status_code == 422 and "line 2" in wrong.body.decode()
    right = admin.post_form("/admin/directory", {"csv": CSV_GOOD})
    assert right.status_code == 200 and "2 new" in right.body.decode()


def test_a_department_page_lists_its_people_and_followers(harness: Harness, scim: Scim) -> None:
    scim.user("gil@example.com", department="Baggage", displayName="Gil Baggage")
    scim.user("hal@example.com", department="baggage", displayName="Hal Baggage")
    gone = scim.user("ivy@example.com", department="Baggage", displayName="Ivy Gone")
    scim.user("joe@example.com", department="Operations", displayName="Joe Ops")
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    scim.call("PATCH", f"/Users/{gone['id']}", off)
    browser = sign_in(harness, "gil@example.com")
    page = browser.get("/departments/baggage").body.decode()
    assert "Gil Baggage" in page and "Hal Baggage" in page and "Ivy Gone" not in page and "Joe Ops" not in page
    browser.post_form("/departments/baggage/follow", {})
    listed = json.loads(browser.get("/api/departments/baggage/people").body)
    assert [p["name"] for p in listed["people"]] == ["Gil Baggage", "Hal Baggage"]
    assert listed["followers"] == [{"email": "gil@example.com"}]


def test_a_signed_in_report_carries_its_reporters_department(harness: Harness, scim: Scim) -> None:
    from chalicelib.store.models import ReportModel

    scim.user("kim@example.com", department="Baggage")
    browser = sign_in(harness, "kim@example.com")
    form = browser.get("/report").body.decode()
    assert 'name="department"' not in form and "kim@example.com" in form
    # The session's own token in the form is what makes it the signed-in person's report.
    session_csrf = re.search(r'name="session_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    sent = browser.post_form(
        "/report", {"text": "A passenger filmed our bag belt jammed", "urgency": "normal", "session_csrf": session_csrf}
    )
    assert sent.status_code == 201, sent.body
    [stored] = list(ReportModel.scan())
    assert (stored.department, stored.reporter_email) == ("baggage", "kim@example.com")
    anonymous = browser.get("/report") and browser.post_form("/report", {"text": "Another one", "anonymous": "1"})
    assert anonymous.status_code == 201
    kept = {r.text: r for r in ReportModel.scan()}["Another one"]
    assert (kept.department, kept.reporter_email) == ("", "")  # anonymity keeps nothing of theirs


def test_a_store_that_is_down_is_a_scim_503_the_provider_retries(scim: Scim, monkeypatch: Any) -> None:
    from chalicelib.errors import StoreUnavailable
    from chalicelib.store import directory

    made = scim.user("retry@example.com")

    def down(person_id: str) -> None:  # a throttled table cannot be caused on moto
        raise StoreUnavailable("DynamoDB is throttling")

    monkeypatch.setattr(directory, "person_by_id", down)
    answer = scim.call("GET", f"/Users/{made['id']}")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.headers["Content-Type"].startswith(SCIM) and answer.doc["status"] == "503"
