"""Every row of every table: what "nothing changed" and "no partial data" are checked on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import SQLModel


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows, in a stable order."""
    out = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            out[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return out
