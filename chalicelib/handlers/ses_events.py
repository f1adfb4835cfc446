"""SES's bounce and complaint events for the mail sent to people (the configuration set's SNS
event destination, the `ses-events` topic): the address is suppressed, never mailed again."""

from __future__ import annotations

import json

from chalice.app import Blueprint, SNSEvent

from chalicelib.clock import utcnow
from chalicelib.flows.reach import suppress
from chalicelib.observability import logger
from chalicelib.settings import get_settings

bp = Blueprint(__name__)


@bp.on_sns_message(topic=get_settings().topic_name("ses-events"))
def on_ses_event(event: SNSEvent) -> None:
    try:
        notification = json.loads(event.message)
    except json.JSONDecodeError:
        logger.error("SES event that is not JSON", extra={"subject": event.subject})
        return  # retrying cannot fix it
    if isinstance(notification, dict):
        suppress(notification, now=utcnow())
