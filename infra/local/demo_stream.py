"""`make demo`: a small stream of made-up mentions, one employee report and one email, sent to a
running local stack the way real senders would (signed webhooks, the form, SMTP), so the outbox,
the stories and the counters have something to show. Written for this project; no real posts."""

from __future__ import annotations

import json
import os
import re
import smtplib
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[2]
TEXTS = (
    ("x", "maya_travels", 1200, "Third cancelled flight this month, @brandair. Stuck in Denver again."),
    ("x", "dev_on_the_road", 310, "@brandair the crew on BA1432 were wonderful, thank you!"),
    ("instagram", "pix.by.leo", 48000, "Lost my bag in Chicago and nobody answers the phone @brandair"),
    ("x", "frequentflyer_j", 92000, "@brandair 3 hours on the tarmac, no update, no water. Unacceptable."),
    ("facebook", "Priya K.", 0, "Booking website keeps failing at payment, tried four times @brandair"),
    ("x", "airlinereporter", 250000, "Hearing reports of a smoke in the cabin incident on a @brandair flight"),
    ("x", "kai_flies", 75, "@brandair lounge staff in SFO went above and beyond today. Kudos!"),
    ("x", "sam_k", 40, "@brandair is my flight to Austin delayed? App says on time"),
)
CAMPAIGN = "@brandair refund my cancelled flight NOW #brandairfail"
AIRLINE_TWEETS = 60


def _post(base: str, secret: str, body: bytes) -> dict[str, Any]:
    now = datetime.now(UTC)
    msg_id = f"msg_demo_{int(now.timestamp() * 1000)}"
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
    }
    request = urllib.request.Request(base + "/webhooks/generic", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def mentions(now: datetime) -> list[dict[str, Any]]:
    items = []
    for i, (platform, handle, followers, text) in enumerate(TEXTS):
        items.append(
            {
                "id": f"demo-{i}",
                "platform": platform,
                "text": text,
                "brand": "brandair",
                "author": {"handle": handle, "followers": followers},
                "published_at": (now - timedelta(minutes=len(TEXTS) - i)).isoformat(),
            }
        )
    for i in range(12):  # a copy-paste campaign: one story, an incident
        items.append(
            {
                "id": f"demo-campaign-{i}",
                "platform": "x",
                "text": CAMPAIGN + " " + "!" * i,
                "brand": "brandair",
                "author": {"handle": f"angry{i}", "followers": 20 + i},
                "published_at": now.isoformat(),
            }
        )
    return items


def main(credentials: Path = ROOT / ".local" / "credentials.json") -> int:
    creds = json.loads(credentials.read_text())
    base, secret = creds["base_url"], creds["sources"]["generic"]
    now = datetime.now(UTC)
    body = json.dumps(
        {"type": "mention.batch", "timestamp": now.isoformat(), "data": {"mentions": mentions(now)}}
    ).encode()
    answer = _post(base, secret, body)
    print(f"mentions: {answer['stored']} stored, {answer['duplicates']} already there")
    with urllib.request.urlopen(base + "/report", timeout=10) as page:
        token = re.search(r'name="csrf" value="([^"]+)"', page.read().decode())
    form = urlencode(
        {
            "csrf": token.group(1) if token else "",
            "urgency": "urgent",
            "text": "Our gate agent in Denver is in a video that is going around, people are angry",
            "url": "https://x.com/maya_travels/status/1",
        }
    ).encode()
    request = urllib.request.Request(base + "/report", data=form, headers={"accept": "text/html"})
    with urllib.request.urlopen(request, timeout=10) as receipt:
        tracking = re.search(r'href="report/([a-z2-7]{16})"', receipt.read().decode())
    print(f"report: {base}/report/{tracking.group(1) if tracking else '?'}")
    mail = EmailMessage()
    mail["From"], mail["To"] = f"dana@{creds['company_domain']}", creds["reports_address"]
    mail["Subject"] = "Customer crying at gate B12, posting on TikTok"
    mail.set_content("Heads up: a customer is live-streaming at B12 about a missed connection.")
    with smtplib.SMTP(creds["smtp"]["host"], creds["smtp"]["port"], timeout=10) as smtp:
        smtp.send_message(mail)
    print(f"mail: sent to {creds['reports_address']}; see {base}/local/outbox")
    data = Path(os.environ.get("SHAREDWATCH_DATA_DIR") or ROOT.parent / "shared" / "data")
    airline = data / "airline" / "Tweets.csv"
    if not airline.exists():
        print(f"airline tweets: none at {airline} (set SHAREDWATCH_DATA_DIR to add 60 real tweets)")
    else:  # real, human-written tweets beside the checkout: the wall fills up with them
        import csv

        with airline.open(newline="", encoding="utf-8") as handle:
            rows = [r for _, r in zip(range(AIRLINE_TWEETS), csv.DictReader(handle), strict=False)]
        tweets = [
            {
                "id": f"airline-{r['tweet_id']}",
                "platform": "x",
                "text": r["text"],
                "brand": r["airline"],
                "author": {"handle": r["name"], "followers": 100},
                "published_at": now.isoformat(),
            }
            for r in rows
        ]
        body = json.dumps(
            {"type": "mention.batch", "timestamp": now.isoformat(), "data": {"mentions": tweets}}
        ).encode()
        print(f"airline tweets: {_post(base, secret, body)['stored']} stored from {airline}")
    print(f"wall: {base}/wall#token={creds['display_token']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".local" / "credentials.json"))
