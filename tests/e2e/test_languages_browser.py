"""Every shipped language in a real browser (Debian's chromium through Playwright): the report
form and the wall in English, Spanish, German and Arabic, Arabic laid out right to left (its
direction on <html> and the layout mirrored: the heading and the wall's first panel sit on the
right), axe-core finding no serious or critical violation in any. Saves the German and Arabic
walls at 1920x1080 (docs/i18n.md shows them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.e2e.conftest import running_stack
from tests.e2e.test_console_browser import _axe
from tests.e2e.test_local_stack import _post_mention
from tests.support import MENTION, fresh

SCREENSHOTS = Path(__file__).resolve().parents[2] / "infra" / "local" / "screenshots"
# The form's heading, the wall's "Incidents" heading and its empty-incidents line, per language.
WORDS = {
    "en": ("Report something you saw", "Incidents", "No open incidents."),
    "es": ("Informe de algo que ha visto", "Incidentes", "No hay incidentes abiertos."),
    "de": ("Melden Sie, was Sie gesehen haben", "Vorfälle", "Keine offenen Vorfälle."),
    "ar": ("أبلغ عن شيء رأيته", "الحوادث", "لا توجد حوادث مفتوحة."),
}
BROWSER_LOCALE = {"en": "en-GB", "es": "es-ES", "de": "de-DE", "ar": "ar-EG"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running_stack(tmp_path_factory.mktemp("languages-stack"))


@pytest.fixture(scope="module")
def with_mentions(stack: RunningStack) -> RunningStack:
    for n, text in enumerate(["Lost my bag in Denver, third day without clothes", "Lovely crew on the Lisbon flight"]):
        data = {**fresh(MENTION), "id": f"i18n-{n}", "url": "", "text": text, "author": {"handle": f"traveller{n}"}}
        assert _post_mention(stack, data)[0] == 202
    return stack


@pytest.mark.parametrize("language", list(WORDS))
def test_the_report_form_reads_in_each_language_from_the_browsers_own(
    stack: RunningStack, browser: Any, language: str
) -> None:
    # The browser's locale sends its Accept-Language; bypass_csp only so that axe can be injected.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale=BROWSER_LOCALE[language], bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"{stack.credentials['base_url']}/report")
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    heading = page.locator("h1")
    assert heading.inner_text() == WORDS[language][0]
    # The anonymity checkbox starts its line (a flex row): at the right edge in Arabic, the left in the others.
    button, main = page.locator("input[name=anonymous]").bounding_box(), page.locator("main").bounding_box()
    assert button is not None and main is not None
    from_left, from_right = button["x"] - main["x"], main["x"] + main["width"] - (button["x"] + button["width"])
    nearer, farther = (from_right, from_left) if language == "ar" else (from_left, from_right)
    assert nearer * 4 < farther, (from_left, from_right)
    assert _axe(page) == []
    context.close()


def _wall(stack: RunningStack, browser: Any, language: str, *, axe: bool = False) -> Any:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US", bypass_csp=axe)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    token = stack.credentials["display_token"]
    # The screen's language is its own display setting (#lang=), whatever the browser's locale.
    page.goto(f"{stack.credentials['base_url']}/wall#token={token}&interval=2&lang={language}")
    page.locator("#incidents li").first.wait_for()
    page.locator("#stream li").first.wait_for()
    page.errors = errors  # type: ignore[attr-defined]
    return page


@pytest.mark.parametrize("language", list(WORDS))
def test_the_wall_reads_in_the_language_its_screen_is_set_to(
    with_mentions: RunningStack, browser: Any, language: str
) -> None:
    page = _wall(with_mentions, browser, language, axe=True)
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    _, incidents, none_open = WORDS[language]
    assert page.locator("section.side h2").first.text_content() == incidents
    assert page.locator("#incidents li").first.text_content() == none_open
    if language == "ar":  # the live stream, first in the grid, is mirrored to the right half
        stream = page.locator("section.stream").bounding_box()
        assert stream is not None and stream["x"] > 1920 / 2
    elif language == "de":
        stream = page.locator("section.stream").bounding_box()
        assert stream is not None and stream["x"] < 1920 / 2
    assert _axe(page) == []
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


@pytest.mark.parametrize("language", ["de", "ar"])
def test_screenshots_of_the_german_and_arabic_walls(with_mentions: RunningStack, browser: Any, language: str) -> None:
    page = _wall(with_mentions, browser, language)
    page.locator("#age", has_text={"de": "Daten", "ar": "البيانات"}[language]).wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"wall-{language}.png"))
    page.context.close()
