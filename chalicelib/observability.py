"""One powertools Logger and one Metrics per process, and the Lambda context in every log line."""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = "sharedwatch"

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace="sharedwatch")


def inject_lambda_context(context: Any) -> None:
    """What powertools' `inject_lambda_context` adds to each line (function name, version, ARN,
    request id, cold start), for Chalice, which hands the context to middleware, not to a
    decorated handler. Outside Lambda (tests, the local stack) there is no context to add."""
    global _cold
    if context is None or not hasattr(context, "aws_request_id"):
        return
    from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model

    logger.append_keys(cold_start=_cold, **build_lambda_context_model(context).__dict__)
    _cold = False


_cold = True
# Metrics is one buffer per process: threads of the local server (or any threaded caller) must
# not flush each other's half-built document ("Must contain at least one metric").
_emitting = threading.Lock()


def emit_counts(counts: dict[str, int], *, dimensions: dict[str, str]) -> None:
    """One EMF document per batch: CloudWatch metrics from the log line, no API calls."""
    from aws_lambda_powertools.metrics import MetricUnit

    with _emitting:
        for dimension, label in dimensions.items():
            metrics.add_dimension(name=dimension, value=label)
        for name, count in counts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
        metrics.flush_metrics()
