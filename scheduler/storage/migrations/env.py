"""Alembic environment: runs on the connection `scheduler.storage.db.migrate` passes, or on
the configured database when called from the `alembic` command line (with SQLite's foreign
keys off and checked before the commit, as `migrate` does)."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import scheduler.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from scheduler.config.settings import get_settings
from scheduler.storage.db import check_foreign_keys, make_engine, ours

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy ones, so scripts never import app code."""
    if type_ != "type":
        return False
    name = type(obj).__name__
    if name == "UtcDateTime":
        return "sa.DateTime(timezone=True)"
    if name == "AutoString":
        return "sa.String()"
    return False


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        include_object=ours,
        **kwargs,
    )


def _run_on(connection: Connection) -> None:
    # SQLite cannot ALTER most things: later migrations copy-and-move tables instead.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(_url(), foreign_keys=False)
    try:
        with engine.begin() as fresh:
            _run_on(fresh)
            check_foreign_keys(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
