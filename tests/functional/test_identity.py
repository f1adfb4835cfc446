"""People, not tokens: sign-in by email link, sessions, CSRF, personal API tokens, the
break-glass token, acknowledging as a person, and the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib.store.models import AuditModel, IdentityModel, IncidentModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, mail_to, make_person, sign_in, signin_link, token_for
from tests.support import CRISIS, Browser, envelope, signed_headers


def _audit(h: Harness, query: str = "") -> list[dict[str, object]]:
    answer = h.client.http.get(f"/api/audit{query}", headers=ADMIN)
    assert answer.status_code == 200, answer.body
    return list(json.loads(answer.body)["entries"])


def test_an_employee_signs_in_with_a_link_that_works_once_in_the_browser_that_asked(harness: Harness) -> None:
    browser = Browser(harness.client.http)
    page = browser.get("/signin?next=/me")
    assert page.status_code == 200 and browser.csrf and any(k.endswith("sw_browser") for k in browser.jar)
    assert browser.post_form("/signin", {"email": "Priya@Example.com", "next": "/me"}).status_code == 200
    path = signin_link("priya@example.com")

    # A mail scanner opening the link (a GET, no cookie) signs nobody in and does not use it up.
    assert harness.client.http.get(path).status_code == 200
    # Another browser (its own binding) cannot use it, and that costs the link nothing.
    stranger = Browser(harness.client.http)
    stranger.get(path)
    assert stranger.post_form(path, {}).status_code == 401 and not stranger.session

    done = browser.post_form(path, {})
    assert done.status_code == 303 and done.headers["Location"] == "/me"
    cookie = done.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # Off the local http stack the site is https: Secure, and __Host- so no subdomain can set it.
    assert "; Secure" in cookie and cookie.startswith("__Host-sw_session=")
    me = browser.api("GET", "/api/me")
    assert me.status_code == 200 and json.loads(me.body)["id"] == "priya@example.com"
    assert json.loads(me.body)["role"] == "everyone"  # nobody gave her a role yet

    # Single use: the same link again is refused, in the same browser too.
    again = Browser(harness.client.http)
    again.jar = {k: v for k, v in browser.jar.items() if k.endswith("sw_browser")}
    again.get(path)
    assert again.post_form(path, {}).status_code == 401


def test_every_address_gets_the_same_answer_and_only_company_inboxes_get_mail(harness: Harness) -> None:
    browser = Browser(harness.client.http)
    browser.get("/signin")
    outside = browser.post_form("/signin", {"email": "mallory@evil.test"})
    inside = browser.post_form("/signin", {"email": "nobody-yet@example.com"})
    assert outside.status_code == inside.status_code == 200
    assert "a link is on its way" in outside.body.decode() and "a link is on its way" in inside.body.decode()
    assert mail_to("mallory@evil.test") == [] and len(mail_to("nobody-yet@example.com")) == 1
    # Three links a quarter hour per address: the fourth answer looks the same, and no mail goes.
    for _ in range(3):
        assert browser.post_form("/signin", {"email": "nobody-yet@example.com"}).status_code == 200
    assert len(mail_to("nobody-yet@example.com")) == 3
    # A form without its CSRF token (another site posting it) is refused.
    assert browser.post_form("/signin", {"email": "x@example.com"}, csrf=False).status_code == 403


def test_failed_sign_ins_slow_a_client_down_then_stop_it(harness: Harness) -> None:
    browser = Browser(harness.client.http)
    browser.get("/signin")
    answers = []
    for n in range(7):
        path = f"/signin/link/{'x' * 30}{n}"
        browser.get(path)
        answers.append(browser.post_form(path, {}))
    assert [a.status_code for a in answers] == [401] * 5 + [429, 429]
    assert answers[-1].headers["Retry-After"] == "60"
    # A real link from the same place waits too: the limit is the client's, whatever it sends.
    browser.post_form("/signin", {"email": "ana@example.com"})
    assert browser.post_form("/signin", {"email": "ana@example.com"}).status_code == 429


def test_a_session_ends_idle_too_long_or_too_old_and_at_sign_out(harness: Harness) -> None:
    from chalicelib.store.identity import digest

    browser = sign_in(harness, "ana@example.com", "responder")
    assert browser.api("GET", "/api/incidents").status_code == 200
    row = IdentityModel.get(f"session|{digest(browser.session)}", "-")
    row.doc = {**row.doc, "seen_at": (datetime.now(UTC) - timedelta(minutes=61)).isoformat()}
    row.save()
    assert browser.api("GET", "/api/incidents").status_code == 401  # idle over an hour

    browser = sign_in(harness, "ana@example.com")
    row = IdentityModel.get(f"session|{digest(browser.session)}", "-")
    row.doc = {**row.doc, "created_at": (datetime.now(UTC) - timedelta(hours=12, seconds=1)).isoformat()}
    row.save()
    assert browser.api("GET", "/api/incidents").status_code == 401  # older than 12 hours

    browser = sign_in(harness, "ana@example.com")
    assert browser.post_form("/signout", {}, csrf=False).status_code == 403  # sign-out is a form too
    out = browser.post_form("/signout", {})
    assert out.status_code == 303 and not browser.session
    browser.jar[next(k for k in out.headers["Set-Cookie"].split("=", 1)[:1])] = "stale"
    assert browser.api("GET", "/api/me").status_code == 401


def test_a_session_cookie_names_its_person_who_cannot_be_swapped_and_whose_role_counts_at_once(
    harness: Harness,
) -> None:
    import base64

    from chalicelib.store import identity

    browser = sign_in(harness, "ana@example.com", "responder")
    secret, _, named = browser.session.partition(".")
    assert base64.urlsafe_b64decode(named + "=" * (-len(named) % 4)) == b"ana@example.com"
    assert browser.api("GET", "/api/incidents").status_code == 200
    # The same secret naming another person is no session (the stored digest is of the whole value).
    make_person(harness, "admin.ann@example.com", "admin")
    other = base64.urlsafe_b64encode(b"admin.ann@example.com").decode().rstrip("=")
    forged = Browser(harness.client.http)
    forged.jar = {**browser.jar, next(k for k in browser.jar if k.endswith("sw_session")): f"{secret}.{other}"}
    assert forged.api("GET", "/api/me").status_code == 401
    assert forged.api("GET", "/api/me").status_code == 401
    for bad in (f"{secret}.!!", f"{secret}.", f".{named}", f"{secret}.{named}" + "A" * 400):
        forged.jar[next(k for k in forged.jar if k.endswith("sw_session"))] = bad
        assert forged.api("GET", "/api/me").status_code == 401, bad
    # The role is read with the session: taken away, it stops working on the next request.
    make_person(harness, "ana@example.com", "everyone")
    assert browser.api("GET", "/api/incidents").status_code == 403
    # A session started before cookies named their person still works until its hours are out.
    now = datetime.now(UTC)
    identity.create_session(
        session_id="o" * 43,
        doc={
            "email": "ana@example.com",
            "name": "Ana",
            "via": "link",
            "created_at": now.isoformat(),
            "seen_at": now.isoformat(),
        },
        expires_at=now + timedelta(hours=1),
    )
    forged.jar[next(k for k in forged.jar if k.endswith("sw_session"))] = "o" * 43
    me = forged.api("GET", "/api/me")
    assert me.status_code == 200 and json.loads(me.body)["id"] == "ana@example.com"


def test_a_cookie_write_without_the_pages_csrf_token_is_refused(harness: Harness) -> None:
    browser = sign_in(harness, "admin@example.com", "admin")
    group = json.dumps({"name": "PR"}).encode()
    cookie = {"cookie": "; ".join(f"{k}={v}" for k, v in browser.jar.items()), "content-type": "application/json"}
    forged = harness.client.http.put("/api/groups/pr", body=group, headers=cookie)
    assert forged.status_code == 403 and "CSRF" in json.loads(forged.body)["detail"]
    assert browser.api("PUT", "/api/groups/pr", {"name": "PR"}).status_code == 201


def test_personal_tokens_are_shown_once_stored_hashed_capped_expiring_and_revocable(harness: Harness) -> None:
    from chalicelib.store.identity import digest

    browser = sign_in(harness, "ravi@example.com", "responder")
    too_high = browser.api("POST", "/api/tokens", {"name": "root", "role": "admin"})
    assert too_high.status_code == 422 and "at most your own" in json.loads(too_high.body)["detail"]
    made = json.loads(browser.api("POST", "/api/tokens", {"name": "pager bot", "expires_in_days": 30}).body)
    token, token_id = made["token"], made["id"]
    assert token.startswith("swt_") and made["role"] == "responder" and made["state"] == "active"
    stored = IdentityModel.get("tokens", token_id)
    # The whole secret (it may hold "_" itself: a piece of it could be one letter of the hash).
    secret = token.split("_", 2)[2]
    assert secret not in json.dumps(stored.doc) and stored.doc["hash"] == digest(secret)
    listed = json.loads(browser.api("GET", "/api/tokens").body)["tokens"]
    assert [t["id"] for t in listed] == [token_id] and "token" not in listed[0] and "hash" not in listed[0]

    bearer = {"authorization": f"Bearer {token}"}
    me = harness.client.http.get("/api/me", headers=bearer)
    assert me.status_code == 200 and json.loads(me.body)["id"] == "ravi@example.com"
    assert json.loads(me.body)["token"] == token_id
    assert harness.client.http.get("/api/incidents", headers=bearer).status_code == 200
    assert harness.client.http.get("/api/audit", headers=bearer).status_code == 403  # a responder's token
    assert json.loads(browser.api("GET", "/api/tokens").body)["tokens"][0]["last_used_at"]

    # A token works at the lower of its role and its owner's now: demoted, the token is too.
    make_person(harness, "ravi@example.com", "everyone")
    assert harness.client.http.get("/api/incidents", headers=bearer).status_code == 403
    make_person(harness, "ravi@example.com", "responder")

    assert browser.api("DELETE", f"/api/tokens/{token_id}").status_code == 200
    assert harness.client.http.get("/api/incidents", headers=bearer).status_code == 401
    # Expired: the same as gone.
    expiring = json.loads(browser.api("POST", "/api/tokens", {"name": "short"}).body)
    row = IdentityModel.get("tokens", expiring["id"])
    row.doc = {**row.doc, "expires_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
    row.save()
    assert (
        harness.client.http.get("/api/me", headers={"authorization": f"Bearer {expiring['token']}"}).status_code == 401
    )
    assert (
        harness.client.http.get("/api/me", headers={"authorization": "Bearer swt_000000000000_" + "A" * 43}).status_code
        == 401
    )


def test_the_break_glass_token_makes_the_first_admin_is_audited_and_makes_no_tokens(harness: Harness) -> None:
    made = harness.client.http.put(
        "/api/people/boss@example.com", body=json.dumps({"role": "admin", "name": "Bo"}).encode(), headers=ADMIN
    )
    assert made.status_code == 201
    [entry] = _audit(harness, "?action=person.")
    assert (entry["actor"], entry["via"], entry["target"]) == ("break-glass", "break-glass", "boss@example.com")
    assert entry["before"] is None and entry["after"]["role"] == "admin"  # type: ignore[index]
    refused = harness.client.http.post("/api/tokens", body=json.dumps({"name": "x"}).encode(), headers=ADMIN)
    assert refused.status_code == 422 and "not a person" in json.loads(refused.body)["detail"]
    bad = harness.client.http.put("/api/people/x@example.com", body=b'{"role": "king", "shoe": 1}', headers=ADMIN)
    assert bad.status_code == 422 and len(json.loads(bad.body)["errors"]) == 2


def test_configuration_changes_are_audited_with_who_where_before_and_after(harness: Harness) -> None:
    browser = sign_in(harness, "admin@example.com", "admin")
    assert browser.api("PUT", "/api/groups/pr", {"name": "PR"}).status_code == 201
    assert browser.api("PUT", "/api/groups/pr", {"name": "Press office"}).status_code == 200
    assert browser.api("PUT", "/api/groups/pr", {"name": "Press office"}).status_code == 200  # no change: no entry
    entries = _audit(harness, "?action=config.group&target=pr")
    assert [e["after"]["name"] for e in entries] == ["Press office", "PR"]  # type: ignore[index]
    newest = entries[0]
    assert newest["actor"] == "admin@example.com" and newest["via"] == "session"
    assert newest["before"]["name"] == "PR" and newest["source_ip"]  # type: ignore[index]
    assert _audit(harness, "?actor=nobody@example.com") == []
    assert browser.api("POST", "/api/displays", {"name": "floor-3"}).status_code == 201
    assert _audit(harness, "?action=display.")[0]["target"] == "floor-3"
    member = {"protocol": "email", "endpoint": "press@example.com", "timezone": "Europe/London"}
    assert browser.api("POST", "/api/groups/pr/members", member).status_code == 201
    [added] = _audit(harness, "?action=member.")
    assert added["after"] == {**member, "language": "en"} and str(added["target"]).startswith("pr/")  # the default
    # Kept a year, then DynamoDB's TTL removes it.
    row = next(iter(AuditModel.scan()))
    assert row.expires_at and row.expires_at - datetime.now(UTC) > timedelta(days=360)
    # Paged with a cursor, newest first.
    first = json.loads(harness.client.http.get("/api/audit?limit=1", headers=ADMIN).body)
    second = json.loads(harness.client.http.get(f"/api/audit?limit=1&cursor={first['cursor']}", headers=ADMIN).body)
    assert first["entries"][0]["at"] >= second["entries"][0]["at"] and first["entries"] != second["entries"]


def _incident(h: Harness) -> IncidentModel:
    body = envelope(CRISIS)
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [incident] = IncidentModel.scan()
    return incident


def test_a_person_acknowledges_as_themselves_and_the_groups_hear_it_is_in_hand(harness: Harness) -> None:
    incident = _incident(harness)
    harness.deliveries()
    token = token_for(harness, "priya@example.com", "responder")
    acked = harness.client.http.post(
        f"/api/incidents/{incident.incident_id}/acknowledge", body=b"", headers={"authorization": f"Bearer {token}"}
    )
    assert acked.status_code == 200 and json.loads(acked.body)["changed"] is True
    row = IncidentModel.get(incident.incident_id)
    assert row.acknowledged_by == "priya@example.com"
    [entry] = [json.loads(e) for e in row.timeline if json.loads(e)["event"] == "acknowledged"]
    assert entry["by"] == "priya@example.com" and entry["via"].startswith("API token ")
    [audited] = _audit(harness, "?action=incident.")
    assert audited["actor"] == "priya@example.com" and audited["target"] == incident.incident_id
    told = [d for d in harness.deliveries() if "in hand" in d["subject"].lower()]
    assert {d["group"] for d in told} == set(row.notified) and "priya@example.com" in told[0]["email"]
    assert any(json.loads(e)["event"] == "groups told" for e in IncidentModel.get(incident.incident_id).timeline)


def test_everyone_cannot_acknowledge_and_a_group_can_require_sign_in_for_its_links(harness: Harness) -> None:
    incident = _incident(harness)
    notices = [d for d in harness.deliveries() if d["item_kind"] == "incident"]
    staff = sign_in(harness, "sam@example.com")  # the everyone role
    assert staff.api("POST", f"/api/incidents/{incident.incident_id}/acknowledge").status_code == 403
    page = staff.get(f"/incidents/{incident.incident_id}")
    assert page.status_code == 403 and "everyone" in page.body.decode()

    group = notices[0]["group"]
    current = json.loads(harness.client.http.get("/api/groups", headers=ADMIN).body)["groups"]
    doc = next(g for g in current if g["slug"] == group)
    put = {k: doc[k] for k in ("name", "grace_minutes", "max_per_hour", "quiet_hours")} | {"link_actions": False}
    assert (
        harness.client.http.put(f"/api/groups/{group}", body=json.dumps(put).encode(), headers=ADMIN).status_code == 200
    )
    import re

    path = re.search(r"/ack/\S+", notices[0]["email"]).group(0)  # type: ignore[union-attr]
    browser = Browser(harness.client.http)
    shown = browser.get(path)
    assert "Sign in to acknowledge" in shown.body.decode()
    refused = browser.post_form(path, {})  # no form on the page, so no CSRF token either: refused
    assert refused.status_code == 403 and IncidentModel.get(incident.incident_id).status == "open"


def test_the_walls_code_asks_for_sign_in_and_works_only_at_the_level_it_was_shown(harness: Harness) -> None:
    incident = _incident(harness)
    wall = json.loads(harness.client.http.get("/api/wall", headers={"authorization": "Bearer display-test-token"}).body)
    assert wall["crisis"]["qr"].startswith("data:image/svg+xml")
    at = f"{incident.severity}-{int(incident.level or 0)}"
    path = f"/incidents/{incident.incident_id}?at={at}"
    anonymous = harness.client.http.get(path)
    assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/signin?next=%2Fincidents%2F")

    responder = sign_in(harness, "ana@example.com", "responder")
    page = responder.get(path).body.decode()
    assert "Acknowledge as ana@example.com" in page and "another level" not in page
    IncidentModel(incident_id=incident.incident_id).update(actions=[IncidentModel.level.set(2)])
    stale = responder.get(path).body.decode()
    assert "another level" in stale and "Acknowledge as" not in stale
    done = responder.post_form(f"/incidents/{incident.incident_id}/acknowledge", {})
    assert done.status_code == 200 and IncidentModel.get(incident.incident_id).acknowledged_by == "ana@example.com"
