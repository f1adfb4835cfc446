"""POST /teams/messages: the Teams bot's messaging endpoint (Azure Bot Service). Every activity's
JWT is verified first (`teams_auth.py`); a card's Action.Execute (an `adaptiveCard/action`
invoke) acts as the person the Teams user is and answers with the card as it now stands (its
`refresh` verb answers the same without acting). The bot speaks the documented REST contract
itself; docs/chat.md says why not botbuilder."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.problems import json_response, raw_body, unaudited
from chalicelib.api.routes import signed
from chalicelib.bodies import load_json
from chalicelib.clock import utcnow
from chalicelib.errors import ConfigurationMissing, InvalidPayload, PayloadTooLarge
from chalicelib.flows import chat
from chalicelib.flows.cards import facts_of
from chalicelib.flows.ingest import take_report
from chalicelib.intake import teams
from chalicelib.notify import platforms
from chalicelib.notify.receipts import is_company_address
from chalicelib.policy.chat import parse_action, teams_card
from chalicelib.settings import get_settings
from chalicelib.store.config import load_routing
from chalicelib.store.models import IncidentModel
from chalicelib.teams_auth import verify

bp = Blueprint(__name__)
# A door: what comes in is a report (kept as itself, with its channel) or a card's button press,
# which flows/incidents.py puts on the audit trail as the person it acts as.
DOOR = "a report coming in, kept as itself; a card's button press is audited as the person it acts as"

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _activity() -> dict[str, Any]:
    request = bp.current_request
    body = raw_body(request)
    if len(body) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes, at most {get_settings().max_body_bytes}")
    try:
        app_id, _ = platforms.teams_app()
    except platforms.ChatFailed as exc:
        raise ConfigurationMissing(exc.reason) from None
    # The token is checked before the body is trusted for anything but where it claims to be from.
    activity = load_json(body)
    if not isinstance(activity, dict):
        raise InvalidPayload("expected a Bot Framework activity (a JSON object)")
    verify(
        request.headers.get("authorization") or "",
        app_id=app_id,
        channel_id=str(activity.get("channelId") or ""),
        service_url=str(activity.get("serviceUrl") or ""),
    )
    return activity


def _invoke(status: int, kind: str, value: Any) -> Response:
    return json_response({"statusCode": status, "type": kind, "value": value})


@bp.route("/teams/messages", methods=["POST"], content_types=["*/*"])
@signed("source signature", "Bot Framework tokens signed by Microsoft")
@unaudited(DOOR)
def messages() -> Response:
    activity = _activity()
    if activity.get("type") == "invoke" and activity.get("name") == "composeExtension/submitAction":
        return _report(activity)
    if activity.get("type") != "invoke" or activity.get("name") != "adaptiveCard/action":
        return json_response({})  # conversation updates, installs, messages: nothing to do yet
    action = _object(_object(activity.get("value")).get("action"))
    verb = str(action.get("verb") or "")
    incident_id = str(_object(action.get("data")).get("incident") or "")[:40]
    if not incident_id:
        raise InvalidPayload("value.action.data.incident: the card's incident")
    done, answer = True, ""
    if verb != "refresh":
        pressed = parse_action(verb)
        if pressed is None:
            raise InvalidPayload(
                f"value.action.verb: one of acknowledge, mine, not-ours, false-alarm, refresh (not {verb[:40]!r})"
            )
        sender = _object(activity.get("from"))
        user = chat.teams_user(
            str(_object(activity.get("conversation")).get("id") or ""),
            str(sender.get("id") or ""),
            str(sender.get("aadObjectId") or ""),
        )
        done, answer = chat.press(user=user, incident_id=incident_id, action=pressed, now=utcnow())
    try:
        row = IncidentModel.get(incident_id, consistent_read=True)
    except IncidentModel.DoesNotExist:
        return _invoke(200, MESSAGE, "That incident is not there any more.")
    if not done:
        return _invoke(200, MESSAGE, answer)  # a refusal: the person sees why, the card is unchanged
    return _invoke(200, CARD, teams_card(facts_of(row, load_routing())))


def _report(activity: dict[str, Any]) -> Response:
    """ "Report to sharedwatch" on a message: stored as a report; the reporter's verified company
    address (from the tenant's directory) gets the receipt and the outcome by mail, as a mail
    reporter does. The dialog says so."""
    sender = _object(activity.get("from"))
    conversation = str(_object(activity.get("conversation")).get("id") or "")
    user = chat.teams_user(conversation, str(sender.get("id") or ""), str(sender.get("aadObjectId") or ""))
    email = user.email.strip().lower() if user.verified and is_company_address(user.email) else ""
    report = teams.parse_message_action(
        activity.get("value"), conversation=conversation, reporter_email=email, received_at=utcnow()
    )
    if report is None:
        raise InvalidPayload(f"value.commandId: {teams.COMMAND}")
    take_report(report)
    follow = "The receipt and what becomes of it come by email." if email else "Follow it on its status page."
    text = f"Thank you: reported to sharedwatch (tracking id {report.report_id}). {follow}"
    return json_response({"task": {"type": "message", "value": text}})
