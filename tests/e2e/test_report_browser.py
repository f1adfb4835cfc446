"""One tap to report in a real browser, on a phone-sized screen: the "how to report" page, the
form pre-filled from a link (as the bookmarklet opens it), and "Share -> sharedwatch" (the Web
Share Target's multipart POST, as Android sends it, with a screenshot) opening a pre-filled
report for a signed-in person that is then sent. axe-core finds no serious or critical
violation; a strict context sees no CSP violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from infra.local.launcher import RunningStack
from tests.e2e.people import make_person, sign_in_browser
from tests.e2e.test_console_browser import SCREENSHOTS, _axe

IMAGE = (Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "static" / "icon-192.png").read_bytes()
BOUNDARY = "----WebKitFormBoundaryE2eShare7Q"


def _android_share(title: str, text: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (("title", title), ("text", text), ("url", ""))
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="screenshot"; filename="Screenshot.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + IMAGE
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def test_a_person_reports_in_one_tap_and_every_page_passes_axe(stack: RunningStack, browser: Any) -> None:
    base = stack.credentials["base_url"]
    make_person(stack, "lena@example.com", "everyone", name="Lena", department="baggage")
    # bypass_csp only so that axe can be injected; the strict context below checks the CSP itself.
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, bypass_csp=True)
    page = context.new_page()
    sign_in_browser(stack, page, "lena@example.com")
    violations: dict[str, list[str]] = {}

    page.goto(base + "/how-to-report")
    assert page.get_by_role("heading", name="How to report something you saw").is_visible()
    assert page.locator("a.bookmarklet").get_attribute("href").startswith("javascript:")  # type: ignore[union-attr]
    violations["how-to-report"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "how-to-report.png"), full_page=True)

    query = urlencode({"url": "https://www.tiktok.com/@traveller/video/7311", "text": "A video of our gate staff"})
    page.goto(f"{base}/report?{query}")
    assert page.get_by_label(re.compile("What did you see")).input_value() == "A video of our gate staff"
    assert page.get_by_label(re.compile("Link")).input_value() == "https://www.tiktok.com/@traveller/video/7311"
    assert "baggage" in page.inner_text("form")  # the department from the person record
    violations["report-prefilled"] = _axe(page)

    # "Share -> sharedwatch": the phone navigates to the share target with a multipart POST.
    def as_android_shares(route: Any) -> None:
        route.continue_(
            method="POST",
            post_data=_android_share("Bags left in the rain at gate 12", "Look https://x.com/traveller/status/42"),
            headers={**route.request.headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

    page.route(base + "/report/share", as_android_shares)
    page.goto(base + "/report/share")
    page.unroute(base + "/report/share")
    assert "The screenshot you shared is attached" in page.inner_text("main")
    assert page.get_by_label(re.compile("Link")).input_value() == "https://x.com/traveller/status/42"
    assert "Bags left in the rain" in page.get_by_label(re.compile("What did you see")).input_value()
    violations["report-shared"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "report-shared.png"), full_page=True)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/report$"))
    assert "The screenshot you shared is attached" in page.inner_text("main")
    assert "listed among your reports" in page.inner_text("main")
    violations["receipt"] = _axe(page)
    context.close()
    assert {k: v for k, v in violations.items() if v} == {}


def test_the_new_pages_keep_their_strict_policy_and_link_the_manifest(stack: RunningStack, browser: Any) -> None:
    base = stack.credentials["base_url"]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    broken: list[str] = []
    page.on("console", lambda m: broken.append(m.text) if "Content Security Policy" in m.text else None)
    manifests: list[int] = []
    page.on("response", lambda r: manifests.append(r.status) if r.url.endswith("/manifest.webmanifest") else None)
    for path in ("/how-to-report", "/report"):
        page.goto(base + path)
        assert page.locator('link[rel="manifest"]').get_attribute("href") == "/manifest.webmanifest"
    manifest = page.request.get(base + "/manifest.webmanifest").json()
    assert manifest["share_target"]["action"] == "/report/share"
    icon = page.request.get(base + manifest["icons"][0]["src"])
    assert icon.status == 200 and icon.body().startswith(b"\x89PNG")
    assert broken == []
    context.close()
