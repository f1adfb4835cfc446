"""Find the app's event handlers the way Lambda does: by their handler strings."""

from __future__ import annotations

import importlib
from typing import Any


def app_event_sources() -> list[Any]:
    app_module = importlib.import_module("app")
    return list(app_module.app.event_sources)


def resolve(handler_string: str) -> Any:
    module_name, _, attr = handler_string.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def table_from_stream_arn(arn: str) -> str:
    # arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) < 2 or parts[0] != "table":
        raise ValueError(f"not a DynamoDB stream ARN: {arn}")
    return parts[1]
