"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import scheduler.models  # noqa: F401  (registers the tables)
from scheduler.storage.db import alembic_config, make_engine, migrate


def _diffs(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrating_an_empty_database_matches_the_models(db_url: str) -> None:
    migrate(db_url)
    assert _diffs(db_url) == []


def test_migrating_creates_every_model_table(db_url: str) -> None:
    migrate(db_url)
    assert _tables(db_url) == set(SQLModel.metadata.tables) | {"alembic_version"}


def test_migrating_an_empty_database_detects_the_missing_tables(db_url: str) -> None:
    # Guards the comparison itself: without the migration it must see a difference.
    assert _diffs(db_url) != []


def test_migrating_twice_changes_nothing(db_url: str) -> None:
    migrate(db_url)
    migrate(db_url)
    assert _diffs(db_url) == []


def test_migration_records_the_head_revision(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_downgrading_to_base_removes_every_table(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    engine.dispose()
    assert _tables(db_url) <= {"alembic_version"}


def test_schema_change_in_a_failed_transaction_leaves_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.exec_driver_sql("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        transaction.rollback()
    engine.dispose()
    assert "half_done" not in _tables(db_url)
