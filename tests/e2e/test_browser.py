"""The pages in a real browser (Debian's chromium through Playwright): the report form with
JavaScript and without, the screenshot upload straight to S3, and the acknowledge page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.local.launcher import RunningStack

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_an_employee_reports_from_a_phone_and_attaches_a_screenshot(
    stack: RunningStack, browser: Any, tmp_path: Path, javascript: bool
) -> None:
    base = stack.credentials["base_url"]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=javascript, device_scale_factor=2
    )
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(base + "/report")
    page.get_by_label("What did you see?").fill(
        f"A customer posted a video of gate B12 ({'js' if javascript else 'no js'})"
    )
    page.get_by_label("Link(s)").fill("https://x.com/someone/status/8080")
    page.get_by_label("urgent").check()
    page.get_by_label("Your work email").fill("omar@example.com")
    page.screenshot(path=str(tmp_path / "report-form.png"), full_page=True)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_selector("code.id")
    tracking = page.inner_text("code.id")
    assert len(tracking) == 16 and "Thank you" in page.inner_text("h1")

    screenshot = tmp_path / "shot.png"
    screenshot.write_bytes(PNG)
    page.set_input_files("#file", str(screenshot))
    page.get_by_role("button", name="Upload screenshot").click()  # posts to S3, which redirects back
    page.wait_for_selector("p.banner")
    assert "Screenshot attached" in page.inner_text("p.banner")
    assert "1 attached" in page.inner_text("dl")
    page.screenshot(path=str(tmp_path / "report-status.png"), full_page=True)
    assert violations == []
    context.close()
