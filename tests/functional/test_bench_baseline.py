"""The ingest benchmark's baseline is moto alone writing into a table configured as the app's
mentions table is; a baseline table lighter than the app's (no index, no stream) would make the
app look slower than it is, a heavier one faster. Held here for every table, on moto."""

from __future__ import annotations

from typing import Any

import pytest
from moto import mock_aws


def _shape(description: dict[str, Any]) -> dict[str, Any]:
    """What decides how much a write costs: keys, indexes and their projections, the stream."""
    return {
        "keys": description["KeySchema"],
        "attributes": sorted(description["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "indexes": sorted(
            (
                {
                    "name": i["IndexName"],
                    "keys": i["KeySchema"],
                    "projection": i["Projection"]["ProjectionType"],
                    "non_key": sorted(i["Projection"].get("NonKeyAttributes", [])),
                }
                for i in description.get("GlobalSecondaryIndexes", [])
            ),
            key=lambda i: i["name"],
        ),
        "stream": description.get("StreamSpecification"),
    }


def test_the_ingest_baseline_table_is_built_as_each_app_table_is() -> None:
    from bench.bench_airline_ingest import create_table_arguments
    from chalicelib import aws
    from chalicelib.store.schema import table_definitions
    from chalicelib.store.tables import ensure_tables

    with mock_aws():
        aws.reset_clients()
        names = ensure_tables()
        client = aws.dynamodb()
        definitions = table_definitions()
        assert [d for d in definitions if d.suffix == "mentions" and d.indexes and d.stream]
        for definition, app_table in zip(definitions, names, strict=True):
            copy = f"bench-copy-{definition.suffix}"
            client.create_table(TableName=copy, **create_table_arguments(definition))
            ours = _shape(client.describe_table(TableName=app_table)["Table"])
            assert _shape(client.describe_table(TableName=copy)["Table"]) == ours, definition.suffix
        aws.reset_clients()


@pytest.mark.parametrize("short", [False, True])
def test_the_short_run_shrinks_inputs_only_when_asked(short: bool, monkeypatch: Any) -> None:
    from bench import harness

    monkeypatch.setattr(harness, "SHORT", short)
    assert harness.scaled(100_000, 2_000) == (2_000 if short else 100_000)
    assert harness.sliced(list(range(10)), 3) == ([0, 1, 2] if short else list(range(10)))
