"""Sixty-four senders at once on loopback, as platforms deliver during a burst: every connection
is taken (no resets), every answer is a 202 (or a 503 with Retry-After when the stack sheds
load), and each answer is about its own delivery (the server's threads share no request)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

from infra.local.launcher import RunningStack
from tests.support import MENTION, envelope, fresh, signed_headers

SENDERS = 64


def test_sixty_four_concurrent_senders_are_all_answered_each_about_its_own_delivery(stack: RunningStack) -> None:
    start = threading.Barrier(SENDERS)
    answers: dict[int, Any] = {}

    def send(n: int) -> None:
        data = {**fresh(MENTION), "id": f"burst-{n}", "url": "", "text": f"burst post number {n} about the lounge"}
        body = envelope(data)
        headers = signed_headers(body, secret=stack.credentials["sources"]["generic"])
        request = urllib.request.Request(
            stack.credentials["base_url"] + "/webhooks/generic", data=body, headers=headers, method="POST"
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answers[n] = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            answers[n] = (exc.code, exc.headers.get("Retry-After"))
        except OSError as exc:  # a reset or a refused connection
            answers[n] = ("failed", repr(exc))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = {n: a for n, a in answers.items() if a[0] != 202 and not (a[0] == 503 and a[1])}
    assert len(answers) == SENDERS and failed == {}
    from chalicelib.triage.identity import key_for

    for n, (status, body) in answers.items():
        if status == 202:  # each answer names its own mention, never a neighbour's
            assert body["ids"] == [key_for("mention", f"x:burst-{n}")], (n, body)
