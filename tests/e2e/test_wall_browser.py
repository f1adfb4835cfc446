"""The wall in a real browser (Debian's chromium through Playwright), as the office monitor
runs it: open it with its display token, deliver mentions through the webhook, see them appear
within one poll, prove hostile text runs nothing, switch into crisis mode. Saves 1920x1080
screenshots (the README shows them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.e2e.conftest import running_stack
from tests.e2e.test_local_stack import _post_mention
from tests.support import MENTION, fresh

SCREENSHOTS = Path(__file__).resolve().parents[2] / "infra" / "local" / "screenshots"
POLL_SECONDS = 2

HOSTILE = [
    "<script>document.title='pwned-script'</script> your app is broken",
    "<img src=x onerror=\"document.title='pwned-img'\"> lost my bag again",
    "click <a href=\"javascript:document.title='pwned-link'\">here</a> for a refund",
]
STREAM = [
    ("Lovely crew on the morning flight to Lisbon, thank you!", "crew_fan", 1200),
    ("Flight delayed three hours and no announcement at the gate", "traveller9", 340),
    ("The new app check-in took ten seconds. Brilliant.", "techie", 8800),
    ("Lost my bag in Denver, third day without clothes", "mia_travels", 2100),
    ("Seats were clean and boarding was quick today", "commuter", 150),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: the wall shows everything, and other tests' incidents would be on it."""
    yield from running_stack(tmp_path_factory.mktemp("wall-stack"))


def _wall(stack: RunningStack, browser: Any, *, lobby: bool = False, interval: int = POLL_SECONDS) -> Any:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    token = stack.credentials["display_token"]
    page.goto(f"{stack.credentials['base_url']}/wall#token={token}&interval={interval}{'&lobby=1' if lobby else ''}")
    # Waits go through locators: the wall's CSP (rightly) refuses the eval a string predicate needs.
    page.locator("#age", has_text="data").wait_for()
    return page


def test_mentions_appear_within_a_poll_and_hostile_text_runs_nothing(stack: RunningStack, browser: Any) -> None:
    page = _wall(stack, browser)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for n, (text, handle, followers) in enumerate(STREAM):
        data = {
            **fresh(MENTION),
            "id": f"wall-{n}",
            "url": "",
            "text": text,
            "author": {"handle": handle, "followers": followers},
        }
        assert _post_mention(stack, data)[0] == 202
    for n, text in enumerate(HOSTILE):
        hostile = {
            **fresh(MENTION),
            "id": f"hostile-{n}",
            "url": "",
            "text": text,
            "author": {"handle": "x"},
        }
        assert _post_mention(stack, hostile)[0] == 202
    # A javascript: link as the post's URL never gets in at all.
    refused = {**fresh(MENTION), "id": "hostile-url", "url": "javascript:alert(1)", "text": "see link"}
    assert _post_mention(stack, refused)[0] == 422
    started = time.monotonic()
    page.locator("#stream li .text", has_text="pwned-link").wait_for(timeout=15_000)
    assert time.monotonic() - started < POLL_SECONDS + 3  # the router's second plus one poll
    texts = page.eval_on_selector_all("#stream li .text", "nodes => nodes.map(n => n.textContent)")
    assert any("<script>" in t for t in texts)  # shown as text, exactly as written
    assert page.title() == "sharedwatch · the wall" and page.dialogs == []  # type: ignore[attr-defined]
    assert page.eval_on_selector_all("#stream img, #stream script, #stream a", "nodes => nodes.length") == 0
    assert errors == []
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "wall.png"))
    page.context.close()


def test_a_crisis_takes_over_the_screen_and_the_lobby_sees_no_names(stack: RunningStack, browser: Any) -> None:
    page = _wall(stack, browser)
    crisis = {
        **fresh(MENTION),
        "id": "wall-crisis",
        "url": "https://x.com/reporter/status/991",
        "text": "Passengers stuck on a plane for 5 hours with no water, a child fainted. Lawsuit coming. @brand",
        "author": {"handle": "reporter", "name": "A Reporter", "followers": 250000, "verified": True},
    }
    assert _post_mention(stack, crisis)[0] == 202
    page.wait_for_selector("#crisis:not([hidden])", timeout=15_000)
    assert "stuck on a plane" in page.inner_text("#crisis-title")
    assert page.eval_on_selector("body", "b => b.classList.contains('crisis')")
    assert page.eval_on_selector("#incidents img", "img => img.src.startsWith('data:image/svg+xml')")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "wall-crisis.png"))
    page.context.close()

    lobby = _wall(stack, browser, lobby=True)
    lobby.wait_for_selector("#stream li")
    assert "@reporter" not in lobby.inner_text("body") and "lobby" in lobby.inner_text("#mode")
    lobby.context.close()


def test_the_wall_says_its_data_is_old_when_the_network_drops_and_recovers_by_itself(
    stack: RunningStack, browser: Any
) -> None:
    page = _wall(stack, browser, interval=1)
    page.route("**/api/wall*", lambda route: route.abort())  # the network drops
    page.locator("#age", has_text="offline").wait_for(timeout=30_000)
    assert page.eval_on_selector("#age", "n => n.classList.contains('stale')")
    late = {**fresh(MENTION), "id": "wall-late", "url": "", "text": "Arrived while the wall was offline"}
    assert _post_mention(stack, late)[0] == 202
    page.unroute("**/api/wall*")
    page.locator("#stream .text", has_text="while the wall was offline").wait_for(timeout=40_000)
    assert page.inner_text("#age").startswith("data")
    page.context.close()


# Each element whose box leaves its panel (or the screen), left or right: long words must break.
OUTSIDE = """panels => panels.flatMap(panel => {
  const p = panel.getBoundingClientRect();
  const screen = document.documentElement.clientWidth;
  return [...panel.querySelectorAll('*')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > Math.min(p.right, screen) + 1 || r.left < Math.max(p.left, 0) - 1);
  }).map(e => `${panel.id || panel.className} > ${e.tagName}.${e.className}: ${e.textContent.slice(0, 40)}`);
})"""


def test_any_text_stays_inside_its_panel_and_names_cannot_be_flipped(stack: RunningStack, browser: Any) -> None:
    page = _wall(stack, browser)
    word = "A" * 5000
    link = "https://news.example/" + "very-long-path-" * 120
    posts = [
        {**fresh(MENTION), "id": "long-word", "url": "", "text": f"{word} cancelled", "author": {"handle": "h" * 100}},
        {**fresh(MENTION), "id": "bidi", "url": "", "text": "who is this", "author": {"handle": "\u202enimda"}},
        {
            **fresh(MENTION),
            "id": "long-crisis",
            "url": "",
            "text": f"Crew injured, passengers hurt, lawsuit and recall: {link} {word}",
            "author": {"handle": "newsdesk", "followers": 2_000_000, "verified": True},
        },
    ]
    for post in posts:
        assert _post_mention(stack, post)[0] == 202
    page.locator("#stream li .text", has_text="who is this").wait_for(timeout=15_000)
    page.wait_for_selector("#crisis:not([hidden])", timeout=15_000)
    page.wait_for_timeout(300)
    authors = page.eval_on_selector_all("#stream .author", "nodes => nodes.map(n => n.textContent)")
    assert "@nimda" in authors and not any("\u202e" in a for a in authors)  # never shown as "@admin"
    outside = page.eval_on_selector_all("main > section, #crisis, header", OUTSIDE)
    assert outside == []
    page.context.close()
