"""The router: DynamoDB Stream INSERTs of mentions and reports become notifications.

A record that cannot be routed must not silence its whole batch: when a batch fails for any
reason but a failed publish (SNS being down fails every record alike, and the delivery log
makes the whole batch's retry cheap), it is routed once more whole, then each record alone, and
only the ones that still fail are reported back (DynamoDB Streams' partial batch response,
`ReportBatchItemFailures` in the CDK stack). Whole first: the same records plan the same bundles,
so a bundle that went out before the failure is skipped by the delivery log, where a record
routed alone would be told again as a single (a bundle's id names its batch's items). Routing
is idempotent per record, so routing some twice changes nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.errors import DeliveryFailed
from chalicelib.flows.router import dispatch
from chalicelib.observability import logger
from chalicelib.records import Signal
from chalicelib.settings import get_settings
from chalicelib.store.mapping import mention_from_image, report_from_image

bp = Blueprint(__name__)


def _batch_id(event: DynamoDBEvent) -> str | None:
    """The first record's event id: a redelivered batch logs under the same id."""
    for record in event:
        return str(record.to_dict().get("eventID") or "") or None
    return None


def route_records(event: DynamoDBEvent, decode: Callable[[Any], Signal]) -> dict[str, Any]:
    """Route a batch's INSERTs; the answer names the records that failed on their own."""
    logger.set_correlation_id(_batch_id(event))
    failed: list[str] = []
    routed: list[tuple[str, Signal]] = []
    for record in event:
        if record.event_name != "INSERT" or not record.new_image:
            continue
        try:
            routed.append((record.sequence_number, decode(record.new_image)))
        except Exception:  # an image no reader understands: set aside alone
            logger.exception("stream record not readable", extra={"sequence": record.sequence_number})
            failed.append(record.sequence_number)
    signals = [signal for _, signal in routed]
    try:
        dispatch(signals)
    except DeliveryFailed:
        raise
    except Exception:
        logger.exception("batch failed: routing it again whole", extra={"records": len(routed)})
        try:
            dispatch(signals)  # a throttle passed: what went out is skipped, what it told is stored
        except DeliveryFailed:
            raise
        except Exception:
            logger.exception("batch failed again: routing its records one by one", extra={"records": len(routed)})
            failed += _one_by_one(routed)
    return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}


def _one_by_one(routed: list[tuple[str, Signal]]) -> list[str]:
    """Each record routed alone: the sequence numbers of those that still fail."""
    failed: list[str] = []
    for sequence, signal in routed:
        try:
            dispatch([signal])
        except Exception:
            logger.exception("stream record failed", extra={"sequence": sequence})
            failed.append(sequence)
    return failed


_settings = get_settings()


@bp.on_dynamodb_record(stream_arn=_settings.mentions_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def on_mention_stored(event: DynamoDBEvent) -> dict[str, Any]:
    return route_records(event, mention_from_image)


@bp.on_dynamodb_record(stream_arn=_settings.reports_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def on_report_stored(event: DynamoDBEvent) -> dict[str, Any]:
    return route_records(event, report_from_image)
