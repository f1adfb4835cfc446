"""One tap to report (issue 35, item 5): the form knows a signed-in reporter and their
department, `/report?url=&text=` pre-fills it, the installable app's Web Share Target opens it
pre-filled (with the shared screenshot, signed in), a report's own text is triaged like a
mention's, and an anonymous form's "urgent" pages nobody."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import boto3

from chalicelib.settings import get_settings
from chalicelib.store.models import ReportModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in
from tests.support import Browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048
BOUNDARY = "----WebKitFormBoundaryX3hPq0sZ2vJd9Lk1"


def _android_share(*, title: str, text: str, url: str = "", image: bytes | None = PNG) -> tuple[bytes, str]:
    """A share-target POST as Chrome on Android sends it: multipart, the page's title, its link
    inside `text` (url often empty), and the shared screenshot as a file part."""
    parts = []
    for name, value in (("title", title), ("text", text), ("url", url)):
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if image is not None:
        parts.append(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            'name="screenshot"; filename="Screenshot_20261207-101500.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + image
            + b"\r\n"
        )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={BOUNDARY}"


def _share(h: Harness, browser: Browser, **kwargs: Any) -> Any:
    body, kind = _android_share(**kwargs)
    headers = browser._headers({"content-type": kind, "accept": "text/html"})
    return browser._keep(h.client.http.post("/report/share", body=body, headers=headers))


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<textarea id="{name}" name="{name}"[^>]*>([^<]*)</textarea>', html
    )
    return unescape(found.group(1)) if found else ""


def _send(browser: Browser, html: str, **extra: str) -> Any:
    fields = {k: _field(html, k) for k in ("text", "url", "email", "session_csrf", "shared") if _field(html, k)}
    return browser.post_form("/report", {**fields, "urgency": "normal", **extra})


def _uploads() -> list[str]:
    s3 = boto3.client("s3", region_name="us-east-1")
    return [o["Key"] for o in s3.list_objects_v2(Bucket=get_settings().uploads_bucket).get("Contents", [])]


def test_signed_in_the_form_knows_the_reporter_and_their_department(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com", "everyone", name="Lena", department="baggage")
    html = lena.get("/report").body.decode()
    assert "signed in as Lena" in html and "lena@example.com" in html and 'name="email"' not in html
    assert "Your department: <strong>baggage</strong>" in html and 'name="department"' not in html
    sent = _send(lena, html, text="A thread about a torn suitcase", department="marketing")
    assert sent.status_code == 201
    [report] = ReportModel.scan()
    assert (report.reporter_email, report.reporter_proof, report.department) == (
        "lena@example.com",
        "signed in",
        "baggage",  # the person record's, whatever the form said
    )


def test_signed_in_without_a_department_the_reporter_chooses_one(harness: Harness) -> None:
    omar = sign_in(harness, "omar@example.com", "everyone")
    html = omar.get("/report").body.decode()
    assert 'name="department"' in html
    assert _send(omar, html, text="A review about the lounge", department="airport").status_code == 201
    assert [r.department for r in ReportModel.scan()] == ["airport"]


def test_url_and_text_in_the_query_pre_fill_the_form_and_are_shown_as_text(harness: Harness) -> None:
    query = urlencode({"url": "https://www.tiktok.com/@x/video/1", "text": 'Look <script>alert("x")</script>'})
    page = harness.client.http.get(f"/report?{query}", headers={"accept": "text/html"})
    html = page.body.decode()
    assert page.status_code == 200 and "<script>" not in html
    assert _field(html, "url") == "https://www.tiktok.com/@x/video/1"
    assert _field(html, "text") == 'Look <script>alert("x")</script>'
    assert ReportModel.count() == 0  # opening a pre-filled form files nothing
    huge = harness.client.http.get("/report?" + urlencode({"text": "x" * 20000, "url": "y" * 9000}))
    assert huge.status_code == 200 and len(_field(huge.body.decode(), "text")) == 5000


def test_an_android_share_opens_a_pre_filled_report_with_its_screenshot_for_a_signed_in_person(
    harness: Harness,
) -> None:
    lena = sign_in(harness, "lena@example.com", "everyone", department="baggage")
    shared = _share(
        harness,
        lena,
        title="Passenger films bags left on the tarmac",
        text="Look at this https://www.tiktok.com/@traveller/video/7311",
    )
    html = shared.body.decode()
    assert shared.status_code == 200 and "The screenshot you shared is attached" in html
    assert _field(html, "url") == "https://www.tiktok.com/@traveller/video/7311"
    assert _field(html, "text") == "Passenger films bags left on the tarmac\nLook at this"
    assert "lena@example.com" in html and 'name="email"' not in html  # the form knows who shares
    assert 'action="../report"' in html
    [kept] = _uploads()
    assert kept.startswith("shared/") and _field(html, "shared") == kept
    assert ReportModel.count() == 0  # nothing is filed until it is sent
    receipt = _send(lena, html)
    assert receipt.status_code == 201 and "The screenshot you shared is attached" in receipt.body.decode()
    [report] = ReportModel.scan()
    [attached] = report.screenshots
    assert attached.startswith(f"screenshots/{report.report_id}/") and _uploads() == [attached]
    assert list(report.urls) == ["https://www.tiktok.com/@traveller/video/7311"]


def test_a_shared_screenshot_is_attached_only_by_the_person_who_shared_it(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com", "everyone")
    key = _field(_share(harness, lena, title="A post", text="about us").body.decode(), "shared")
    omar = sign_in(harness, "omar@example.com", "everyone")
    html = omar.get("/report").body.decode()
    assert _send(omar, html, text="someone else's screenshot", shared=key).status_code == 201
    [report] = ReportModel.scan()
    assert report.screenshots is None and _uploads() == [key]


def test_signed_out_a_share_is_pre_filled_but_its_screenshot_is_not_kept(harness: Harness) -> None:
    stranger = Browser(harness.client.http)
    shared = _share(harness, stranger, title="A post", text="https://x.com/a/status/1")
    html = shared.body.decode()
    assert shared.status_code == 200 and "The screenshot was not kept" in html
    assert _field(html, "url") == "https://x.com/a/status/1" and 'name="shared"' not in html
    assert _uploads() == []


def test_a_shared_file_that_is_not_an_image_is_refused_and_the_form_still_opens(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com", "everyone")
    shared = _share(harness, lena, title="A post", text="words", image=b"MZ\x90\x00 not an image")
    assert shared.status_code == 200 and "The screenshot was not attached: only images" in shared.body.decode()
    assert _uploads() == []


def test_a_share_that_is_not_a_form_is_refused_with_a_page_not_a_500(harness: Harness) -> None:
    answer = harness.client.http.post(
        "/report/share", body=b'{"text": "x"}', headers={"content-type": "application/json", "accept": "text/html"}
    )
    assert answer.status_code == 415


def test_a_report_text_is_triaged_like_a_mention(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com", "everyone")
    html = lena.get("/report").body.decode()
    text = "Awful: our staff lost my bags again and the lawyer says we will sue"
    receipt = _send(lena, html, text=text)
    [report] = ReportModel.scan()
    assert report.sentiment == "negative" and "baggage" in report.text_departments
    assert report.severity in ("medium", "high", "critical") and report.severity_reasons
    assert report.risk_terms
    assert f"severity {report.severity}" in unescape(receipt.body.decode())


def _groups(h: Harness) -> list[str]:
    h.pump.pump_once()
    return sorted(d["group"] for d in h.deliveries())


def test_an_anonymous_urgent_report_does_not_page_the_crisis_team(harness: Harness) -> None:
    visitor = Browser(harness.client.http)
    visitor.get("/report")
    receipt = visitor.post_form(
        "/report", {"text": "A video of a fire at gate 4 is spreading", "urgency": "urgent", "anonymous": "1"}
    )
    assert receipt.status_code == 201
    assert "routed as normal" in receipt.body.decode()
    [report] = ReportModel.scan()
    assert report.urgency == "urgent"  # recorded as they ticked it
    groups = _groups(harness)
    assert "crisis-team" not in groups and groups  # it still reaches someone (the social team)
    status = visitor.get(f"/report/{report.report_id}").body.decode()
    assert "routed as normal" in status


def test_a_typed_address_without_signing_in_does_not_page_the_crisis_team_either(harness: Harness) -> None:
    visitor = Browser(harness.client.http)
    visitor.get("/report")
    visitor.post_form("/report", {"text": "A fire at gate 4", "urgency": "urgent", "email": "ceo@example.com"})
    assert "crisis-team" not in _groups(harness)


def test_a_signed_in_reporters_urgent_report_pages_the_crisis_team(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com", "everyone")
    html = lena.get("/report").body.decode()
    receipt = _send(lena, html, text="A video of a fire at gate 4 is spreading", urgency="urgent")
    assert receipt.status_code == 201 and "routed as normal" not in receipt.body.decode()
    assert "crisis-team" in _groups(harness)


def test_the_app_is_installable_and_its_share_target_posts_multipart_to_the_form(harness: Harness) -> None:
    page = harness.client.http.get("/report", headers={"accept": "text/html"})
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.body.decode()
    assert "manifest-src 'self'" in page.headers["Content-Security-Policy"]
    answer = harness.client.http.get("/manifest.webmanifest")
    assert answer.headers["Content-Type"] == "application/manifest+json"
    manifest = json.loads(answer.body)
    assert manifest["start_url"] == "/report" and manifest["display"] == "standalone"
    assert manifest["share_target"] == {
        "action": "/report/share",
        "method": "POST",
        "enctype": "multipart/form-data",
        "params": {
            "title": "title",
            "text": "text",
            "url": "url",
            "files": [{"name": "screenshot", "accept": ["image/*"]}],
        },
    }
    for icon in manifest["icons"]:
        served = harness.client.http.get(icon["src"], headers={"accept": "image/png"})
        assert served.status_code == 200 and served.body.startswith(b"\x89PNG")
    assert harness.client.http.get("/icons/nothing.png").status_code == 404


def test_how_to_report_teaches_the_three_ways_and_the_bookmarklet_only_opens_the_form(harness: Harness) -> None:
    page = harness.client.http.get("/how-to-report", headers={"accept": "text/html"})
    html = unescape(page.body.decode())
    assert page.status_code == 200 and "<script" not in html
    assert "script-src" not in page.headers["Content-Security-Policy"]
    for way in ("The report form", "Mail", "Slack", get_settings().reports_address):
        assert way in html
    [bookmarklet] = [unescape(b) for b in re.findall(r'class="bookmarklet" href="([^"]+)"', page.body.decode())]
    # Absolute: it runs on someone else's page and must open ours.
    base = get_settings().public_base_url or "https://localhost"
    assert bookmarklet.startswith("javascript:") and f'"{base}/report?url="' in bookmarklet
    # It opens our form with the page's address and selection, and does nothing else.
    assert re.sub(r"\s", "", bookmarklet).count("window.open(") == 1
    assert not re.search(r"fetch|XMLHttpRequest|createElement|document\.write|eval|cookie", bookmarklet)
