"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, inspect, text
from sqlmodel import Session, SQLModel

import scheduler.models  # noqa: F401  (registers the tables)
from scheduler.domain.problem import Answer, DoctorSlot
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import parse_scenario, read_document
from scheduler.storage.db import QUEUE_PREFIX, alembic_config, make_engine, migrate, ours
from scheduler.storage.loader import load_scenario_into
from scheduler.storage.problems import problem_from_db
from tests.support import REPO

TINY = REPO / "scenarios" / "tiny.yaml"


def _diffs(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                "include_object": ours})
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
    tables = _tables(db_url)
    assert {t for t in tables if not t.startswith(QUEUE_PREFIX)} == \
        set(SQLModel.metadata.tables) | {"alembic_version"}
    # The task queue's tables: on PostgreSQL only (SQLite runs jobs from the job table).
    queue = {t for t in tables if t.startswith(QUEUE_PREFIX)}
    assert ("procrastinate_jobs" in queue) == db_url.startswith("postgresql")


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


def test_migrated_primary_keys_are_the_models(db_url: str) -> None:
    # compare_metadata leaves primary keys out: the slot's key gained its period in 0005.
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        inspector = inspect(engine)
        for name, table in SQLModel.metadata.tables.items():
            found = inspector.get_pk_constraint(name)["constrained_columns"]
            assert found == [c.name for c in table.primary_key.columns], name
    finally:
        engine.dispose()


def test_upgrading_a_period_stored_before_0005_keeps_it_whole(db_url: str) -> None:
    migrate(db_url, "0004")
    engine = make_engine(db_url)
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    start = datetime(2026, 7, 6, 18, tzinfo=UTC)
    rows: dict[str, list[dict[str, Any]]] = {
        "site": [{"id": "chiv", "name": "CHIV", "address": "", "contact": ""}],
        "tension_period": [{"id": "p", "name": "P", "start": date(2026, 7, 6),
                            "end": date(2026, 7, 12), "timezone": "Europe/Paris",
                            "status": "planning", "min_rest_hours": 11.0,
                            "travel_buffer_minutes": 0}],
        "doctor": [{"id": "d", "name": "Dr D", "skills": []}],
        "slot": [{"id": "s", "period_id": "p", "site_id": "chiv", "start": start,
                  "end": start + timedelta(hours=4), "seats": 1, "skills": [], "priority": 1,
                  "tags": [], "label": "", "position": 0}],
        "doctor_period": [{"doctor_id": "d", "period_id": "p", "position": 0,
                           "carry_over_hours": 0.0, "comment": ""}],
        "availability": [{"doctor_id": "d", "slot_id": "s", "answer": "preferred"}],
        "pin": [{"doctor_id": "d", "slot_id": "s", "position": 0}],
        "rota_version": [{"id": 1, "period_id": "p", "number": 1, "status": "published",
                          "created_at": now, "seed": 0, "solver_status": "optimal",
                          "statistics": {}, "note": ""}],
        "assignment": [{"rota_version_id": 1, "doctor_id": "d", "slot_id": "s",
                        "pinned": True}],
    }
    with engine.begin() as connection:
        old = MetaData()
        for name, values in rows.items():
            table = Table(name, old, autoload_with=connection)
            connection.execute(table.insert(), values)
    engine.dispose()
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            problem = problem_from_db(session, "p")
        assert [s.id for s in problem.slots] == ["s"]
        assert problem.doctors[0].availability == {"s": Answer.PREFERRED}
        assert problem.pinned == problem.published == (DoctorSlot(doctor="d", slot="s"),)
        assert problem.removed == ()
        with engine.connect() as connection:
            for table in ("availability", "pin", "assignment"):
                periods = connection.execute(text(f"SELECT period_id FROM {table}")).all()
                assert periods == [("p",)], table
    finally:
        engine.dispose()


def test_the_alembic_command_downgrades_a_database_holding_a_period(tmp_path: Path) -> None:
    # The command line runs env.py on its own engine: SQLite's foreign keys must be off there
    # too, or rebuilding the slot table refuses the rows that refer to it.
    url = f"sqlite:///{tmp_path / 'held.db'}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_scenario_into(session, parse_scenario(read_document(TINY)), expand(
            parse_scenario(read_document(TINY))), "digest", now=datetime(2026, 6, 1, tzinfo=UTC))
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url}
    for target in ("0004", "head"):
        done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"),
                               ("downgrade" if target == "0004" else "upgrade"), target],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert problem_from_db(session, "tiny-2026-07") == expand(
                parse_scenario(read_document(TINY)))
    finally:
        engine.dispose()


def test_upgrading_past_0013_names_the_periods_losing_benchmark_minimums(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    migrate(db_url, "0012")
    engine = make_engine(db_url)
    scenario = parse_scenario(read_document(TINY), str(TINY))
    try:
        with Session(engine) as session:
            load_scenario_into(session, scenario, expand(scenario, str(TINY)), "tiny",
                               now=datetime(2026, 6, 1, tzinfo=UTC))
        with engine.begin() as connection:
            connection.execute(text("UPDATE doctor_period SET min_hours = 12 WHERE position = 0"))
    finally:
        engine.dispose()
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        migrate(db_url)
    assert f"periods {scenario.period.id} lose theirs" in caplog.text
    engine = make_engine(db_url)
    try:
        assert "min_hours" not in {c["name"] for c in inspect(engine).get_columns("doctor_period")}
        with Session(engine) as session:
            assert problem_from_db(session, scenario.period.id).doctors  # still whole
    finally:
        engine.dispose()
