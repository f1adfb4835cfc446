"""Slack and Teams on the local stack (`--chat-base` points the app at the loopback fake of both
platforms, tests/chat_loopback.py): the workspace installed over OAuth by an admin; a Slack
report gets its receipt; an incident opens and becomes a card in Slack and in Teams; a signed
Slack press acknowledges it as the mapped person; the SMS group is told once; both cards update
in place; a signed Teams Action.Execute resolves it and both cards say so; the reporter gets a
DM with the outcome; a forged Slack signature and a Teams token for another audience are each
refused with nothing changed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from infra.local.launcher import RunningStack, launch
from infra.local.stack import free_port
from tests.chat_loopback import Loopback, running
from tests.e2e.people import make_person, sign_in
from tests.e2e.test_local_stack import _outbox, _post_mention, _request
from tests.support import CRISIS, fresh

CHANNEL, CONVERSATION, PRIYA_SLACK, PRIYA_TEAMS = "C0CARDS", "19:cards@thread.tacv2", "U0PRIYA", "29:teams-priya"


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Loopback]]:
    with running() as loop:
        state: Path = tmp_path_factory.mktemp("chat-stack")
        stack = launch(
            state,
            port=free_port(),
            extra_args=(
                *("--schedule-every", "3", "--config-cache-seconds", "0", "--chat-base", loop.base),
                *("--outbound-allow", urlsplit(loop.base).netloc),  # the fake, allowed as itself
            ),
        )
        try:
            teams = stack.credentials["sources"]["teams"]
            loop.teams_app_id, loop.teams_app_password = teams["app_id"], teams["app_password"]
            yield stack, loop
        finally:
            code, rest = stack.stop()
            assert code == 0, rest
        assert loop.violations == [], loop.violations


def _until(what: str, found: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _api(stack: RunningStack, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, _, answer = _request(
        stack.credentials["base_url"] + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"authorization": f"Bearer {stack.credentials['admin_token']}", "content-type": "application/json"},
        method=method,
    )
    return status, json.loads(answer) if answer else None


def _slack(stack: RunningStack, path: str, form: dict[str, str], *, secret: str = "") -> int:
    body = urlencode(form).encode()
    stamp = str(int(time.time()))
    key = secret or stack.credentials["sources"]["slack"]["secret"]
    signature = "v0=" + hmac.new(key.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }
    status, _, _ = _request(stack.credentials["base_url"] + path, data=body, headers=headers)
    return status


def _press(team: str, incident_id: str, action: str) -> dict[str, str]:
    payload = {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": PRIYA_SLACK},
        "trigger_id": f"{time.time_ns()}.1.abc",
        "channel": {"id": CHANNEL},
        "actions": [{"action_id": f"sw:{action}", "value": incident_id, "type": "button"}],
    }
    return {"payload": json.dumps(payload)}


def _invoke(stack: RunningStack, loop: Loopback, incident_id: str, verb: str, token: str) -> int:
    activity = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": f"f:{time.time_ns()}",
        "channelId": "msteams",
        "serviceUrl": loop.teams_service_url,
        "from": {"id": PRIYA_TEAMS, "aadObjectId": f"aad-{PRIYA_TEAMS}"},
        "conversation": {"id": CONVERSATION},
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": {"incident": incident_id}}},
    }
    status, _, _ = _request(
        stack.credentials["base_url"] + "/teams/messages",
        data=json.dumps(activity).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    return status


def _incident(stack: RunningStack, incident_id: str) -> dict[str, Any]:
    _, doc = _api(stack, "GET", f"/api/incidents/{incident_id}")
    return doc  # type: ignore[no-any-return]


def test_an_incident_in_slack_and_teams_from_card_to_resolution(chat: tuple[RunningStack, Loopback]) -> None:
    stack, loop = chat
    domain = stack.credentials["company_domain"]
    priya = f"priya@{domain}"
    # An admin installs the app in the workspace (OAuth v2; the state is bound to their session).
    admin = sign_in(stack, f"admin@{domain}")
    status, headers, _ = admin.open("/slack/install")
    assert status == 303
    state = parse_qs(urlsplit(headers["Location"]).query)["state"][0]
    status, _, body = admin.open(f"/slack/oauth/callback?code=1234&state={state}")
    assert status == 200, body
    team = json.loads(body)["installed"]
    # Every group's chat channels; Priya is a responder known to both platforms by her address.
    _, groups = _api(stack, "GET", "/api/groups")
    for g in groups["groups"]:
        doc = {k: g[k] for k in ("name", "grace_minutes", "max_per_hour", "quiet_hours")}
        doc |= {"slack_team": team, "slack_channel": CHANNEL, "teams_channel": CONVERSATION}
        assert _api(stack, "PUT", f"/api/groups/{g['slug']}", doc)[0] in (200, 201)
    make_person(stack, priya, "responder", name="Priya")
    loop.emails.update({PRIYA_SLACK: (priya, True), PRIYA_TEAMS: (priya, True)})

    # A Slack report: the ephemeral receipt where it was made.
    form = {
        "command": "/sharedwatch",
        "text": f"report This is going viral, please look {CRISIS['url']}",
        "team_id": team,
        "channel_id": "C0GENERAL",
        "user_id": PRIYA_SLACK,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    assert _slack(stack, "/slack/commands", form) == 200
    receipt = _until("the receipt", lambda: loop.of("chat.postEphemeral"))
    assert receipt[0].body["user"] == PRIYA_SLACK and "Tracking id" in receipt[0].body["text"]

    # The incident opens: a card in each.
    started = time.monotonic()
    assert _post_mention(stack, fresh(CRISIS))[0] == 202
    card = _until("the Slack card", lambda: [c for c in loop.of("chat.postMessage") if c.body.get("blocks")])[0]
    _until("the Teams card", lambda: loop.of("teams.post"))
    to_card = time.monotonic() - started
    incident_id = next(b for b in card.body["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    assert _incident(stack, incident_id)["status"] == "open"

    # Refused, nothing changed: a forged Slack signature, a Teams token for another bot.
    calls = len(loop.calls)
    assert _slack(stack, "/slack/interactivity", _press(team, incident_id, "acknowledge"), secret="forged") == 401
    assert _invoke(stack, loop, incident_id, "acknowledge", loop.bot_token(audience="another-bot")) == 401
    time.sleep(1)
    assert _incident(stack, incident_id)["status"] == "open" and len(loop.calls) == calls

    # Acknowledged from Slack as Priya: the SMS and email groups told once, both cards updated.
    assert _slack(stack, "/slack/interactivity", _press(team, incident_id, "acknowledge")) == 200
    doc = _incident(stack, incident_id)
    assert (doc["status"], doc["acknowledged_by"]) == ("acknowledged", f"Priya <{priya}>")
    _until("the Slack card updated", lambda: loop.of("chat.update"))
    _until("the Teams card updated", lambda: loop.of("teams.update"))
    assert "Acknowledged by Priya" in json.dumps(loop.of("chat.update")[0].body["blocks"])
    assert "Acknowledged by Priya" in json.dumps(loop.of("teams.update")[0].body)

    def in_hand() -> list[dict[str, Any]]:
        return [e for e in _outbox(stack) if "in hand" in str(e.get("subject", "")).lower()]

    _until("the groups told", in_hand)
    time.sleep(3)  # a second notice would have come by now (the schedule runs every 3 s)
    topics = [str(e["topic_arn"]) for e in in_hand()]
    assert topics and len(topics) == len(set(topics)), topics  # each group's topic (SMS and email) once
    dm = _until(
        "the reporter's DM", lambda: [c for c in loop.of("chat.postMessage") if c.body["channel"] == PRIYA_SLACK]
    )
    assert "acknowledged it" in dm[0].body["text"]

    # Resolved from Teams with a signed token: both cards say so.
    assert _invoke(stack, loop, incident_id, "resolve", loop.bot_token()) == 200
    assert _incident(stack, incident_id)["status"] == "resolved"
    _until("the Slack card resolved", lambda: len(loop.of("chat.update")) >= 2)
    _until("the Teams card resolved", lambda: len(loop.of("teams.update")) >= 2)
    assert "Resolved by Priya" in json.dumps(loop.of("chat.update")[-1].body["blocks"])
    assert "Resolved by Priya" in json.dumps(loop.of("teams.update")[-1].body)
    print(f"chat calls per incident lifecycle: {loop.count()}; incident to both cards: {to_card:.2f} s")
