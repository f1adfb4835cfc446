"""The router: DynamoDB Stream INSERTs of mentions and reports become notifications."""

from __future__ import annotations

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.flows.router import dispatch
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store.mapping import mention_from_image, report_from_image

bp = Blueprint(__name__)


def _batch_id(event: DynamoDBEvent) -> str | None:
    """The first record's event id: a redelivered batch logs under the same id."""
    for record in event:
        return str(record.to_dict().get("eventID") or "") or None
    return None


_settings = get_settings()


@bp.on_dynamodb_record(stream_arn=_settings.mentions_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def on_mention_stored(event: DynamoDBEvent) -> None:
    logger.set_correlation_id(_batch_id(event))
    dispatch([mention_from_image(r.new_image) for r in event if r.event_name == "INSERT" and r.new_image])


@bp.on_dynamodb_record(stream_arn=_settings.reports_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def on_report_stored(event: DynamoDBEvent) -> None:
    logger.set_correlation_id(_batch_id(event))
    dispatch([report_from_image(r.new_image) for r in event if r.event_name == "INSERT" and r.new_image])
