"""The router: DynamoDB Stream INSERTs of mentions and reports become notifications."""

from __future__ import annotations

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.routing.dispatch import dispatch
from chalicelib.settings import get_settings
from chalicelib.store.mapping import mention_from_image, report_from_image

bp = Blueprint(__name__)
_settings = get_settings()


@bp.on_dynamodb_record(stream_arn=_settings.mentions_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def on_mention_stored(event: DynamoDBEvent) -> None:
    dispatch([mention_from_image(r.new_image) for r in event if r.event_name == "INSERT" and r.new_image])


@bp.on_dynamodb_record(stream_arn=_settings.reports_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def on_report_stored(event: DynamoDBEvent) -> None:
    dispatch([report_from_image(r.new_image) for r in event if r.event_name == "INSERT" and r.new_image])
