"""A brief to every person in the directory, on moto in process: 10,000 people in ten departments
and four languages, some with SMS; then read confirmations and the incident page's read rates.

- reach_ses_calls_per_recipient: SES requests per person mailed (SendBulkTemplatedEmail takes 50
  destinations a call, one language a call; the template is made by the first call that finds it
  missing). Baseline: one SendEmail per person (as the reporter mails go).
- reach_dynamodb_requests_per_recipient: every DynamoDB request of the send (the people, the
  suppressed, the read counts opened, a claim and a sent mark per batch, the reminder held).
  Baseline: a claim and a sent mark per person (the one-person mail's delivery log).
- reach_seconds_to_last_handoff: wall seconds from the publish to the last batch handed to SES
  (in process on moto: the app's own work and moto's, no network). Baseline: SNS email's 10
  messages a second per endpoint, the all-staff topic's way.
- read_click_requests: DynamoDB requests of one POST /read/{token} (the message's GetItem, the
  read's TransactWriteItems). Baseline: a GetItem of the person, a conditional put, an UpdateItem.
- read_rate_page_requests: DynamoDB requests for the incident page's read rates by department
  (an aggregate item per message: its cost does not depend on how many read). Baseline: a Query
  of every read of the message, paged at 1 MB."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.harness import Figure, in_process_environment, scaled

PEOPLE = scaled(10_000, 300)
READERS = 10  # people whose read is recorded: moto keeps a copy of every table for each transaction
DEPARTMENTS = [f"dept-{n}" for n in range(10)]
LANGUAGES = ["en", "es", "de", "ar"]
ZONES = ["Europe/London", "Europe/Madrid", "Europe/Berlin", "Asia/Dubai"]


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, **_: Any) -> None:
        self.n += 1


def _people() -> list[Any]:
    from chalicelib.store.directory import Stored

    made = []
    for n in range(PEOPLE):
        email = f"person{n:05}@example.com"
        doc = {
            "id": uuid.uuid4().hex,
            "email": email,
            "user_name": email,
            "emails": [email],
            "name": f"Person {n}",
            "department": DEPARTMENTS[n % len(DEPARTMENTS)],
            "language": LANGUAGES[n % len(LANGUAGES)],
            "timezone": ZONES[n % len(ZONES)],
            "role": "everyone",
            **({"phone": f"+44770090{n % 10000:04}", "channels": ["email", "sms"]} if n % 100 == 0 else {}),
        }
        made.append(Stored(key=email, doc=doc))
    return made


def run() -> list[Figure]:
    in_process_environment(SHAREDWATCH_PUBLIC_BASE_URL="https://sharedwatch.example.com")
    from moto import mock_aws

    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib import aws
        from chalicelib.flows.reach import incident_reach, reach_people
        from chalicelib.policy.reach import Message
        from chalicelib.settings import get_settings
        from chalicelib.store import directory
        from chalicelib.store.models import TABLES
        from infra.local.bootstrap import create_resources

        create_resources(get_settings(), parameters={"signing_key": "bench-key"})
        directory.put_new_people(_people())

        dynamodb, ses = Counter(), Counter()
        clients = {id(aws.dynamodb()): aws.dynamodb()}
        for model in TABLES:
            client = model._get_connection().connection.client
            clients[id(client)] = client
        for client in clients.values():
            client.meta.events.register("before-send.dynamodb", dynamodb)
        aws.ses().meta.events.register("before-send.ses", ses)

        message = Message(
            incident_id="i" + "b" * 15,
            message_id="c" * 24,
            kind="brief",
            title="Gate 4 outage",
            sections=(("What happened", "Gate 4 systems are down."), ("Our statement (approved)", "We know.")),
            sms="sharedwatch brief: we know.",
        )
        started = time.perf_counter()
        counts = reach_people(group="all-staff", message=message, now=datetime.now(UTC))
        seconds = time.perf_counter() - started
        mailed = PEOPLE
        send_requests, ses_calls = dynamodb.n, ses.n
        assert counts["people"] == PEOPLE, counts

        from moto.backends import get_backend

        sent = [m for m in get_backend("ses")["123456789012"]["us-east-1"].sent_messages if hasattr(m, "template")]
        tokens = [
            re.sub(r"^.*/read/", "", json.loads(d["ReplacementTemplateData"])["read_url"])
            for m in sent
            for d in m.destinations
        ]
        assert len(tokens) == mailed, (len(tokens), mailed)

        with Client(app.app) as http:
            from tests.support import Browser

            browser = Browser(http.http)
            browser.get(f"/read/{tokens[0]}")
            dynamodb.n = 0
            answer = browser.post_form(f"/read/{tokens[0]}", {})
            click = dynamodb.n
            assert answer.status_code == 200, answer.body
        # More people read it (the store's own path, without the page around it): a sample, as
        # moto copies every table for each transaction; the page's cost does not grow with reads.
        from chalicelib import credentials
        from chalicelib.policy import read_links
        from chalicelib.store import reach as store

        for token in tokens[1:READERS]:
            store.record_read(
                read_links.verify(token, key=credentials.signing_key(), now=datetime.now(UTC)),
                now=datetime.now(UTC),
            )
        dynamodb.n = 0
        [reach] = incident_reach(message.incident_id)
        page = dynamodb.n
        assert reach.read == min(READERS, mailed) and len(reach.departments) == len(DEPARTMENTS), reach

    read_pages = max(1, math.ceil(mailed * 120 / 1_000_000))  # every read of 10,000 at ~120 bytes an item
    return [
        Figure(
            "reach_ses_calls_per_recipient",
            round(ses_calls / mailed, 4),
            "call",
            1.0,
            round(ses_calls / mailed, 4),
            "value <= 0.03",
            f"{ses_calls} SES calls for {mailed} people in {counts['batches']} batches (SMS: SNS, one each)",
            {"people": mailed, "ses_calls": ses_calls, "batches": counts["batches"]},
        ),
        Figure(
            "reach_dynamodb_requests_per_recipient",
            round(send_requests / mailed, 4),
            "req",
            2.0,
            round(send_requests / mailed / 2.0, 4),
            "value <= 0.1",
            f"{send_requests} DynamoDB requests for {mailed} people",
            {"people": mailed, "requests": send_requests},
        ),
        Figure(
            "reach_seconds_to_last_handoff",
            round(seconds, 2),
            "s",
            round(mailed / 10, 1),
            round(seconds / (mailed / 10), 4),
            "<= 0.1",
            "in process on moto; baseline: SNS email at 10 messages a second",
            {"people": mailed},
        ),
        Figure(
            "read_click_requests",
            float(click),
            "req",
            3.0,
            round(click / 3.0, 3),
            "value <= 2",
            "POST /read/{token}: GetItem of the message, one TransactWriteItems (the read and its counts)",
        ),
        Figure(
            "read_rate_page_requests",
            float(page),
            "req",
            float(read_pages),
            round(page / read_pages, 3),
            "value <= 2",
            f"the incident's read rates by department ({mailed} sent, {min(READERS, mailed)} read): one Query",
            {"people": mailed, "reads": min(READERS, mailed)},
        ),
    ]
