"""Create every table from the models (local stack and tests; infra/ reads the same models)."""

from __future__ import annotations

from chalicelib.store.models import TABLES


def ensure_tables() -> list[str]:
    names = []
    for model in TABLES:
        model.create_table(wait=True)
        names.append(model.Meta.table_name)
    return names
