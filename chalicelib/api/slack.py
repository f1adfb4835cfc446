"""Slack: the Events API (an app mention is a report), Interactivity (the "Report to sharedwatch"
shortcut, a card's buttons, the report modal), the `/sharedwatch` slash command, and the OAuth
install per workspace. Every request is verified by Slack's v0 signature and timestamp; a
button press or command is also taken once (a replay of the same signed request is refused)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api.auth import audit
from chalicelib.api.problems import json_response, raw_body, unaudited
from chalicelib.api.routes import caller, needs, signed
from chalicelib.bodies import load_json
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, MalformedBody, PayloadTooLarge, VerificationFailed
from chalicelib.flows import chat
from chalicelib.flows.ingest import take_report
from chalicelib.i18n import N_
from chalicelib.intake import slack
from chalicelib.notify import chat as chat_delivery
from chalicelib.notify import platforms
from chalicelib.observability import emit_counts, logger
from chalicelib.policy.access import Principal
from chalicelib.policy.chat import parse_action, slack_text
from chalicelib.records import delivery_key
from chalicelib.settings import get_settings
from chalicelib.store.chat import first_use, save_slack_install

bp = Blueprint(__name__)
SIGNALS = "a report coming in: kept as itself, with its channel and Slack message"
# A button press is on the trail as the person it acts as (flows/incidents.py writes the entry).
INTERACTIONS = f"{SIGNALS}; a card's button press is audited as the person it acts as"
COMMANDS = f"{SIGNALS}; `open` and the report form read and change nothing"

REPORT_VIEW = "sw_report"
BOT_SCOPES = "chat:write,commands,users:read,users:read.email,app_mentions:read,im:write"
REPLAY_WINDOW = timedelta(minutes=10)  # longer than the five minutes a timestamp is accepted


def _verified_body() -> bytes:
    request = bp.current_request
    body = raw_body(request)
    signing = credentials.source_secrets("slack").get("secret", [])
    slack.verify({k.lower(): v for k, v in request.headers.items()}, body, secrets=signing, now=utcnow())
    if len(body) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes, at most {get_settings().max_body_bytes}")
    return body


def _once() -> None:
    """An action is taken once: the same signed request again (a replay) is refused."""
    signature = bp.current_request.headers.get("x-slack-signature", "")
    if not first_use(f"slack|{signature}", expires_at=utcnow() + REPLAY_WINDOW):
        raise VerificationFailed("this signed request was seen before: a replay is refused")


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=40)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody("expected an application/x-www-form-urlencoded body") from exc
    return {k: v[0] for k, v in fields.items()}


@bp.route("/slack/events", methods=["POST"], content_types=["*/*"])
@signed("source signature", "Slack signs each request with the app's signing secret")
@unaudited(SIGNALS)
def events() -> Response:
    try:
        challenge, report = slack.parse_event(_verified_body(), received_at=utcnow())
    except PayloadTooLarge as exc:
        # Slack retries every answer but a 200, for hours: an event that can never be stored is
        # acknowledged and set aside (logged and counted, nothing stored), not refused forever.
        logger.warning("slack event set aside", extra={"reason": exc.detail})
        emit_counts({"ReportsSetAside": 1}, dimensions={"channel": "slack"})
        return json_response({"ok": True, "set_aside": exc.detail})
    if challenge:
        return json_response({"challenge": challenge})
    if report is not None:
        take_report(report)
    return json_response({"ok": True})


@bp.route("/slack/interactivity", methods=["POST"], content_types=["*/*"])
@signed("source signature", "Slack signs each request with the app's signing secret")
@unaudited(INTERACTIONS)
def interactivity() -> Response:
    body = _verified_body()
    payload = load_json(_form(body).get("payload", "") or "null")
    if not isinstance(payload, dict):
        raise MalformedBody("expected a form with a JSON payload field (a Slack interaction)")
    kind = payload.get("type")
    if kind == "block_actions":
        _once()
        return _press(payload)
    if kind == "view_submission" and _object(payload.get("view")).get("callback_id") == REPORT_VIEW:
        _once()
        return _submitted(payload)
    report = slack.parse_shortcut(body, received_at=utcnow())
    if report is not None:
        take_report(report)
    return Response(body="", status_code=200)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _press(payload: dict[str, Any]) -> Response:
    """A card's button: acted on as the person the Slack user is; the answer only they see."""
    team = str(_object(payload.get("team")).get("id") or "")
    user_id = str(_object(payload.get("user")).get("id") or "")
    channel = str(_object(payload.get("channel")).get("id") or "")
    actions = payload.get("actions")
    first = _object(actions[0]) if isinstance(actions, list) and actions else {}
    action = parse_action(str(first.get("action_id") or ""))
    incident_id = str(first.get("value") or "")[:40]
    if action is None or not team or not user_id or not incident_id:
        raise InvalidPayload("a block action needs team, user, and one sharedwatch button (action_id sw:*)")
    _, answer = chat.press(user=chat.slack_user(team, user_id), incident_id=incident_id, action=action, now=utcnow())
    if channel:
        chat_delivery.deliver(
            delivery_key(f"slack-answer:{payload.get('trigger_id') or secrets.token_hex(8)}"),
            platform="slack",
            where=f"{team}/{channel}",
            doc={"op": "ephemeral", "user": user_id, "text": slack_text(answer)},
            item_id=incident_id,
        )
    return Response(body="", status_code=200)


def _submitted(payload: dict[str, Any]) -> Response:
    """The report modal: its text becomes a report; the receipt comes as for any Slack report."""
    team = str(_object(payload.get("team")).get("id") or "")
    user_id = str(_object(payload.get("user")).get("id") or "")
    view = _object(payload.get("view"))
    values = _object(_object(view.get("state")).get("values"))
    text = str(_object(_object(values.get("what")).get("text")).get("value") or "").strip()
    channel = str(view.get("private_metadata") or "")[:20]
    if not text:
        return json_response({"response_action": "errors", "errors": {"what": "Say what you saw."}})
    take_report(
        slack.command_report(
            team=team, user=user_id, channel=channel, text=text, key=str(view.get("id") or ""), received_at=utcnow()
        )
    )
    return Response(body="", status_code=200)


def _report_view(channel: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": REPORT_VIEW,
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": "Report to sharedwatch"},
        "submit": {"type": "plain_text", "text": "Report"},
        "blocks": [
            {
                "type": "input",
                "block_id": "what",
                "label": {"type": "plain_text", "text": "What did you see? Paste links too."},
                "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 3000},
            }
        ],
    }


@bp.route("/slack/commands", methods=["POST"], content_types=["*/*"])
@signed("source signature", "Slack signs each request with the app's signing secret")
@unaudited(COMMANDS)
def commands() -> Response:
    """`/sharedwatch report <what you saw>`, `/sharedwatch open`, or `/sharedwatch` alone (the
    report form). Answers are ephemeral: only the person who asked sees them."""
    form = _form(_verified_body())
    _once()
    team, user_id, channel = form.get("team_id", ""), form.get("user_id", ""), form.get("channel_id", "")
    verb, _, rest = form.get("text", "").strip().partition(" ")
    if not team or not user_id:
        raise InvalidPayload("a slash command needs team_id and user_id")
    if verb.lower() == "open":
        text = chat.open_now(chat.slack_user(team, user_id))
    elif verb.lower() == "report" and rest.strip():
        report = slack.command_report(
            team=team, user=user_id, channel=channel, text=rest, key=form.get("trigger_id", ""), received_at=utcnow()
        )
        take_report(report)
        text = f"Thank you: reporting it now (tracking id {report.report_id}). Your receipt follows here."
    elif verb.lower() in ("", "report"):
        try:
            platforms.slack_call(team, "views_open", trigger_id=form.get("trigger_id", ""), view=_report_view(channel))
            return Response(body="", status_code=200)
        except platforms.ChatFailed:
            text = "Say what you saw: /sharedwatch report <what you saw, with links>"
    else:
        text = "Try /sharedwatch report <what you saw>, or /sharedwatch open"
    return json_response({"response_type": "ephemeral", "text": slack_text(text)})


# -- the install, per workspace ------------------------------------------------------------------


def _state(who: Principal) -> str:
    """The OAuth state: bound to the admin's session, so a link from elsewhere installs nothing."""
    mac = hmac.new(credentials.signing_key(), b"slack-install|" + who.session_id.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def _redirect_uri() -> str:
    return f"{get_settings().public_base_url}/slack/oauth/callback"


@bp.route("/slack/install", methods=["GET"])
@needs("config.write", page=True)
def install() -> Response:
    who = caller()
    client_id = credentials.source_secrets("slack").get("client_id", [""])[0]
    if not client_id:
        raise InvalidPayload(N_("the Slack app's client_id is not configured (the sources/slack parameter)"))
    query = urlencode(
        {"client_id": client_id, "scope": BOT_SCOPES, "redirect_uri": _redirect_uri(), "state": _state(who)}
    )
    return Response(body="", status_code=303, headers={"Location": f"https://slack.com/oauth/v2/authorize?{query}"})


@bp.route("/slack/oauth/callback", methods=["GET"])
@needs("config.write", page=True)
def oauth_callback() -> Response:
    who = caller()
    query = dict(bp.current_request.query_params or {})
    if not hmac.compare_digest(str(query.get("state", "")), _state(who)):
        raise InvalidPayload(
            N_("state: this install was not started from your session; start it again at /slack/install")
        )
    if not query.get("code"):
        raise InvalidPayload(
            N_("code: Slack sent none (%(error)s)"), values={"error": str(query.get("error", "no error given"))[:80]}
        )
    try:
        answer = platforms.slack_oauth_access(code=str(query["code"])[:200], redirect_uri=_redirect_uri())
    except platforms.ChatFailed as exc:
        raise InvalidPayload(N_("Slack refused the install: %(reason)s"), values={"reason": exc.reason}) from None
    team = _object(answer.get("team"))
    token = str(answer.get("access_token") or "")
    if not token.startswith("xoxb-") or not team.get("id"):
        raise InvalidPayload(N_("Slack's answer has no bot token or workspace"))
    now = utcnow()
    save_slack_install(
        team=str(team["id"]),
        token=token,
        bot_user=str(answer.get("bot_user_id") or ""),
        team_name=str(team.get("name") or ""),
        by=who.id,
        now=now,
    )
    audit(
        bp.current_request,
        who,
        action="chat.slack.install",
        target=str(team["id"]),
        after={"team_name": str(team.get("name") or "")[:120]},
    )
    return json_response({"installed": str(team["id"]), "name": str(team.get("name") or "")})
