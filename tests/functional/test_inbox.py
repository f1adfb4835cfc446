"""The inbox: newest first, filtered and searched through the hour-partitioned index, paged by
cursor; a mention's page with its triage, story and what was sent; corrections that route again."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, sign_in
from tests.support import MENTION, Browser, batch_envelope, signed_headers

POSTS = [
    ("The crew was rude and the meal was awful. Never again.", "maria"),
    ("Lost my bag again, third time this year, no refund offered", "tom"),
    ("Thank you to the gate team in Denver, amazing help today!", "li"),
    ("Flight delayed four hours and nobody says why", "sam"),
    ("<script>alert(1)</script> refund please", "x"),
]


def _post_all(h: Harness) -> list[str]:
    items = [
        {
            **MENTION,
            "id": f"inbox-{n}",
            "url": f"https://x.com/{who}/status/{n}",
            "text": text,
            "author": {"handle": who},
        }
        for n, (text, who) in enumerate(POSTS)
    ]
    body = batch_envelope(items)
    answer = h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body))
    assert answer.status_code == 202
    h.pump.pump_once()
    return list(json.loads(answer.body)["ids"])


def _search(h: Harness, query: str = "") -> dict[str, Any]:
    answer = h.client.http.get(f"/api/mentions{query}", headers=ADMIN)
    assert answer.status_code == 200, answer.body
    return dict(json.loads(answer.body))


def test_the_inbox_lists_newest_first_and_filters_searches_and_pages(harness: Harness) -> None:
    _post_all(harness)
    everything = _search(harness)
    assert len(everything["mentions"]) == len(POSTS) and everything["requests"] >= 1
    received = [m["received_at"] for m in everything["mentions"]]
    assert received == sorted(received, reverse=True)

    refunds = _search(harness, "?q=refund")
    assert sorted(m["author"] for m in refunds["mentions"]) == ["tom", "x"]
    assert [m["author"] for m in _search(harness, "?q=REFUND+bag")["mentions"]] == ["tom"]
    negative = {m["author"] for m in _search(harness, "?sentiment=negative")["mentions"]}
    assert {"maria", "tom"} <= negative and "li" not in negative
    assert {m["author"] for m in _search(harness, "?complaint=yes")["mentions"]} == negative
    praise = _search(harness, "?sentiment=positive&kudos=yes")["mentions"]
    assert [m["author"] for m in praise] == ["li"]
    assert _search(harness, "?q=refund&platform=facebook")["mentions"] == []

    first = _search(harness, "?limit=2")
    second = _search(harness, f"?limit=2&cursor={first['cursor']}")
    third = _search(harness, f"?limit=2&cursor={second['cursor']}")
    ids = [m["id"] for page in (first, second, third) for m in page["mentions"]]
    assert ids == [m["id"] for m in everything["mentions"]] and len(set(ids)) == len(POSTS)

    bad = harness.client.http.get("/api/mentions?sentiment=angry&limit=1000&since=yesterday", headers=ADMIN)
    assert bad.status_code == 400 and len(json.loads(bad.body)["errors"]) == 3
    assert harness.client.http.get("/api/mentions?cursor=bm90IGEgY3Vyc29y", headers=ADMIN).status_code == 422


def test_a_mention_page_shows_its_triage_story_and_what_was_sent(harness: Harness) -> None:
    ids = _post_all(harness)
    doc = json.loads(harness.client.http.get(f"/api/mentions/{ids[3]}", headers=ADMIN).body)
    assert doc["triage"]["sentiment"] == "negative" and doc["triage"]["severity_reasons"]
    assert doc["story"]["copies"] == 1 and doc["story"]["reach"] >= 0 and doc["story"]["velocity_10min"] == 1
    groups = {d["group"] for d in doc["sent"]}
    assert "operations" in groups  # "delayed" (the social team had the burst as one bundle)
    assert any("delays" in r.lower() or "delayed" in r.lower() for d in doc["sent"] for r in d["reasons"])

    browser = sign_in(harness, "ana@example.com", "responder")
    inbox = browser.get("/inbox?q=refund").body.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox and "<script>" not in inbox
    page = browser.get(f"/mentions/{ids[3]}").body.decode()
    assert "Flight delayed four hours" in page and "operations" in page and "Correct the triage" in page


def test_a_correction_tells_the_groups_it_now_reaches_once_and_is_recorded(harness: Harness) -> None:
    ids = _post_all(harness)
    harness.deliveries()
    thanks = ids[2]  # "Thank you to the gate team": positive, kudos, operations
    before = json.loads(harness.client.http.get(f"/api/mentions/{thanks}", headers=ADMIN).body)
    assert "customer-care" not in {d["group"] for d in before["sent"]}
    browser = sign_in(harness, "ana@example.com", "responder")

    def fix(doc: dict[str, Any]) -> Any:
        return browser.api("POST", f"/api/mentions/{thanks}/corrections", doc)

    # Sarcasm: negative. Still nobody new should hear (no rule sends negative operations posts on).
    first = fix({"field": "sentiment", "value": "negative", "why": "sarcasm: the gate was a mess"})
    assert first.status_code == 201 and json.loads(first.body)["told"] == []
    # "Not us: that is baggage": a negative baggage post is customer care's, who hear it now.
    fixed = fix({"field": "departments", "value": ["baggage"], "why": "not us: baggage"})
    assert fixed.status_code == 201, fixed.body
    correction = json.loads(fixed.body)
    assert correction["told"] == ["customer-care"] and correction["by"] == "ana@example.com"
    assert correction["before"] == ["operations"] and correction["after"] == ["baggage"]
    told = [d for d in harness.deliveries() if d["group"] == "customer-care"]
    assert len(told) == 1 and "corrected by ana@example.com" in json.dumps(told[0])
    row = MentionModel.get(thanks)
    assert list(row.departments) == ["baggage"] and " dept:baggage " in str(row.terms)
    assert " sent:negative " in str(row.terms) and len(row.corrections) == 2
    assert thanks in [m["id"] for m in _search(harness, "?department=baggage&sentiment=negative")["mentions"]]
    rude = thanks

    # The same correction again reaches nobody new; a bad one lists what is wrong.
    again = browser.api(
        "POST", f"/api/mentions/{rude}/corrections", {"field": "departments", "value": ["baggage"], "why": "still"}
    )
    assert json.loads(again.body)["told"] == [] and harness.deliveries() == []
    wrong = browser.api("POST", f"/api/mentions/{rude}/corrections", {"field": "mood", "value": 1, "why": ""})
    assert wrong.status_code == 422 and len(json.loads(wrong.body)["errors"]) == 2
    audit = json.loads(harness.client.http.get("/api/audit?action=mention.", headers=ADMIN).body)["entries"]
    assert [e["actor"] for e in audit] == ["ana@example.com"] * 3

    # From the page: a sentiment correction with the form, shown in the page's corrections.
    browser.get(f"/mentions/{rude}")
    done = browser.post_form(f"/mentions/{rude}/correct", {"field": "sentiment", "value": "neutral", "why": "a joke"})
    assert done.status_code == 200 and "Corrected" in done.body.decode()
    assert re.search(r"sentiment negative → neutral · a joke", done.body.decode())


def _report(h: Harness, text: str, email: str = "", urgency: str = "normal", browser: Browser | None = None) -> str:
    browser = browser or Browser(h.client.http)
    form = browser.get("/report").body.decode()
    fields = {"text": text, "url": "", "urgency": urgency, **({"email": email} if email else {"anonymous": "on"})}
    signed_in = re.search(r'name="session_csrf" value="([^"]+)"', form)  # the form shown to a signed-in person
    fields |= {"session_csrf": signed_in.group(1)} if signed_in else {}
    answer = browser.post_form("/report", fields)
    assert answer.status_code == 201, answer.body[:300]
    return str(re.search(r'<code class="id">([^<]+)</code>', answer.body.decode()).group(1))  # type: ignore[union-attr]


def test_reports_are_searched_like_mentions_and_each_person_finds_their_own(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com")  # the everyone role: only her own (filed signed in)
    text = "A video of our gate agent shouting is going round TikTok"
    mine = _report(harness, text, "lena@example.com", "urgent", browser=lena)
    _report(harness, "Someone says the lounge wifi leaks passwords")
    harness.pump.pump_once()
    everything = _search_reports(harness, "")
    assert len(everything["reports"]) == 2 and everything["requests"] >= 1
    assert all("reporter_email" not in r and "lena" not in json.dumps(r) for r in everything["reports"])
    found = _search_reports(harness, "?q=tiktok&urgency=urgent")["reports"]
    assert [r["id"] for r in found] == [mine]
    assert _search_reports(harness, "?q=wifi&urgency=urgent")["reports"] == []

    assert lena.api("GET", "/api/reports").status_code == 403
    own = json.loads(lena.api("GET", "/api/me/reports").body)["reports"]
    assert [r["id"] for r in own] == [mine]
    assert json.loads(sign_in(harness, "omar@example.com").api("GET", "/api/me/reports").body)["reports"] == []


def _search_reports(h: Harness, query: str) -> dict[str, Any]:
    answer = h.client.http.get(f"/api/reports{query}", headers=ADMIN)
    assert answer.status_code == 200, answer.body
    return dict(json.loads(answer.body))


def test_a_correction_shows_on_the_wall_moves_the_ledger_and_is_exported_for_make_eval(
    harness: Harness, tmp_path: Any, monkeypatch: Any
) -> None:
    from bench import eval_corrections
    from chalicelib.api import wall as wall_api

    ids = _post_all(harness)
    thanks = ids[2]  # "Thank you to the gate team": positive, operations
    display = {"authorization": "Bearer display-test-token"}
    wall_api.clear_cache()
    ledger = {
        r["department"]: r for r in json.loads(harness.client.http.get("/api/wall", headers=display).body)["ledger"]
    }
    before = ledger.get("operations", {"positive": 0})["positive"]
    browser = sign_in(harness, "ana@example.com", "responder")
    fixed = browser.api(
        "POST", f"/api/mentions/{thanks}/corrections", {"field": "departments", "value": ["baggage"], "why": "not us"}
    )
    assert fixed.status_code == 201
    wall_api.clear_cache()
    seen = json.loads(harness.client.http.get("/api/wall", headers=display).body)
    line = next(e for e in seen["stream"] if e["id"] == thanks)
    assert line["corrected"] is True and line["departments"] == ["baggage"]
    ledger = {r["department"]: r for r in seen["ledger"]}
    assert ledger.get("operations", {"positive": 0})["positive"] == before - 1 and ledger["baggage"]["positive"] >= 1

    exported = browser.get("/api/corrections?days=7")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("application/x-ndjson")
    [row] = [json.loads(line) for line in exported.body.decode().splitlines()]
    assert (row["mention_id"], row["field"], row["after"]) == (thanks, "departments", ["baggage"]) and row["text"]
    path = tmp_path / "corrections.jsonl"
    path.write_bytes(exported.body)
    monkeypatch.setenv("SHAREDWATCH_CORRECTIONS", str(path))
    [figure] = eval_corrections.run()
    assert figure.name == "corrections_agreed" and "of 1 corrections" in figure.note
