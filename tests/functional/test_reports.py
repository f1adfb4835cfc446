from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from chalicelib.store.models import ReportModel
from tests.functional.conftest import Harness

FORM = {"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}


def _hidden_inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _form(h: Harness) -> dict[str, str]:
    page = h.client.http.get("/report", headers={"accept": "text/html"})
    assert page.status_code == 200
    return _hidden_inputs(page.body.decode())


def _submit(h: Harness, fields: dict[str, str], headers: dict[str, str] = FORM) -> Any:
    return h.client.http.post("/report", body=urlencode(fields).encode(), headers=headers)


def _reports() -> list[ReportModel]:
    return list(ReportModel.scan())


def test_the_form_works_without_javascript_and_has_csrf_and_a_honeypot(harness: Harness) -> None:
    page = harness.client.http.get("/report", headers={"accept": "text/html"})
    html = page.body.decode()
    assert "<script" not in html
    assert 'name="csrf"' in html and 'name="website"' in html
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none' covers it
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    for field in ("text", "url", "platform", "department", "urgency", "email", "anonymous"):
        assert f'name="{field}"' in html


def test_a_report_is_stored_triaged_routed_and_gets_a_receipt_with_a_tracking_id(harness: Harness) -> None:
    fields = {
        **_form(harness),
        "text": "A TikTok about our lost bags is going viral",
        "urgency": "urgent",
        "email": "Bob@Example.com",
        "url": "https://www.tiktok.com/@x/video/1",
    }
    response = _submit(harness, fields)
    assert response.status_code == 201
    [report] = _reports()
    assert report.report_id in response.body.decode()
    assert f'href="report/{report.report_id}"' in response.body.decode()
    assert report.reporter_email == "bob@example.com"
    assert (report.urgency, report.sentiment, report.text_departments) == ("urgent", "negative", ["baggage"])
    harness.pump.pump_once()
    # Its text's triage routes it (a complaint about bags); the ticked "urgent" of a form sent
    # without signing in is recorded but pages nobody (tests/functional/test_one_tap_report.py).
    groups = sorted(d["group"] for d in harness.deliveries())
    assert groups == ["customer-care", "social-team"]


def test_a_double_submit_stores_one_report(harness: Harness) -> None:
    fields = {**_form(harness), "text": "seen twice"}
    first, second = _submit(harness, fields), _submit(harness, fields)
    assert (first.status_code, second.status_code) == (201, 200)
    assert "already sent it" in second.body.decode()
    assert len(_reports()) == 1


def test_anonymous_reports_keep_no_identity(harness: Harness) -> None:
    _submit(harness, {**_form(harness), "text": "quiet tip", "email": "me@example.com", "anonymous": "1"})
    [report] = _reports()
    assert report.reporter_email == ""
    harness.pump.pump_once()
    assert all("me@example.com" not in d["email"] for d in harness.deliveries())


def test_a_missing_or_forged_token_is_403_and_keeps_the_text(harness: Harness) -> None:
    response = _submit(harness, {"text": "keep me please", "csrf": "forged.token"})
    assert response.status_code == 403
    assert "keep me please" in response.body.decode()
    assert _reports() == []
    api = _submit(
        harness,
        {"text": "x"},
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    assert api.status_code == 403
    assert api.headers["Content-Type"] == "application/problem+json"


def test_invalid_input_is_422_with_the_form_filled_back_in(harness: Harness) -> None:
    response = _submit(harness, {**_form(harness), "text": "", "url": "javascript:alert(1)", "urgency": "urgent"})
    assert response.status_code == 422
    html = response.body.decode()
    assert "Tell us what you saw." in html and "javascript:alert(1)" in html
    assert _reports() == []


def test_script_in_a_report_is_escaped_on_every_page(harness: Harness) -> None:
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    response = _submit(harness, {**_form(harness), "text": attack})
    [report] = _reports()
    status = harness.client.http.get(f"/report/{report.report_id}", headers={"accept": "text/html"})
    for html in (response.body.decode(), status.body.decode()):
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in status.body.decode()


def test_a_filled_honeypot_gets_a_receipt_and_stores_nothing(harness: Harness) -> None:
    response = _submit(harness, {**_form(harness), "text": "buy pills", "website": "http://spam.example"})
    assert response.status_code == 201
    assert _reports() == []


def test_multipart_forms_are_accepted(harness: Harness) -> None:
    fields = {**_form(harness), "text": "from a multipart form", "urgency": "low"}
    boundary = "XyZ"
    body = (
        "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
        + f"--{boundary}--\r\n"
    )
    response = harness.client.http.post(
        "/report",
        body=body.encode(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}", "accept": "text/html"},
    )
    assert response.status_code == 201
    assert _reports()[0].urgency == "low"


def test_wrong_content_type_and_oversized_forms_are_refused(harness: Harness) -> None:
    wrong = harness.client.http.post(
        "/report", body=b'{"text": "x"}', headers={"content-type": "application/json", "accept": "application/json"}
    )
    assert wrong.status_code == 415
    big = _submit(harness, {**_form(harness), "text": "x" * (1024 * 1024 + 1)})
    assert big.status_code == 413
    assert _reports() == []


def test_the_status_page_shows_the_report_and_unknown_ids_are_404(harness: Harness) -> None:
    _submit(harness, {**_form(harness), "text": "status please"})
    [report] = _reports()
    page = harness.client.http.get(f"/report/{report.report_id}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "status please" in page.body.decode()
    missing = harness.client.http.get("/report/rzzzzzzzzzzzzzzz", headers={"accept": "application/json"})
    assert missing.status_code == 404
    assert json.loads(missing.body)["title"] == "Not found"


def test_one_client_is_rate_limited_and_keeps_what_it_typed(harness: Harness) -> None:
    for i in range(10):
        assert _submit(harness, {**_form(harness), "text": f"report {i}"}).status_code == 201
    limited = _submit(harness, {**_form(harness), "text": "the eleventh"})
    assert limited.status_code == 429
    assert "the eleventh" in limited.body.decode() and "try again in a few minutes" in limited.body.decode()
    assert len(_reports()) == 10
    api = _submit(
        harness,
        {"text": "x"},
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    assert api.status_code == 429 and api.headers["Retry-After"] == "30"
