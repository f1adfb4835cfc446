"""The tables as data, read from the PynamoDB models: what infra/cdk deploys and what the local
stack creates come from here, so they cannot drift (tests/infra compares them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.settings import get_settings
from chalicelib.store.models import TABLES, TTL_ATTRIBUTES


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: str  # S | N | B


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    hash_key: Key
    range_key: Key | None
    projection: str
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableDef:
    suffix: str  # the table is named <resource prefix><suffix>
    hash_key: Key
    range_key: Key | None
    indexes: tuple[Index, ...]
    stream: str | None  # NEW_IMAGE where the router reads the table's stream
    ttl: str | None


def _key(schema: Sequence[Any], kind: str, types: dict[str, str]) -> Key | None:
    for k in schema:
        if k["KeyType"] == kind:
            return Key(k["AttributeName"], types[k["AttributeName"]])
    return None


def table_definitions() -> tuple[TableDef, ...]:
    prefix = get_settings().resource_prefix
    out = []
    for model in TABLES:
        schema = model._get_schema()
        types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
        hash_key = _key(schema["key_schema"], "HASH", types)
        assert hash_key is not None
        indexes = tuple(
            Index(
                name=gsi["index_name"],
                hash_key=_key(gsi["key_schema"], "HASH", types) or hash_key,
                range_key=_key(gsi["key_schema"], "RANGE", types),
                projection=gsi["projection"]["ProjectionType"],
                non_key_attributes=tuple(gsi["projection"].get("NonKeyAttributes", ())),
            )
            for gsi in schema["global_secondary_indexes"]
        )
        name = model.Meta.table_name
        out.append(
            TableDef(
                suffix=name.removeprefix(prefix),
                hash_key=hash_key,
                range_key=_key(schema["key_schema"], "RANGE", types),
                indexes=indexes,
                stream=getattr(model.Meta, "stream_view_type", None),
                ttl=TTL_ATTRIBUTES.get(name),
            )
        )
    return tuple(out)
