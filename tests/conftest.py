"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: the local server). The suite creates one
fresh database per test session there and drops it at the end. An unreachable server fails
the PostgreSQL tests, unless SCHEDULER_SKIP_POSTGRES=1 says to skip them on purpose; they can
also be deselected with `-m "not postgres"`.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from scheduler.access import passwords
from scheduler.config.settings import get_settings
from scheduler.domain.problem import Problem
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import Scenario, parse_scenario, read_document
from scheduler.storage.db import alembic_config, make_engine, migrate
from scheduler.storage.loader import load_scenario_into
from tests.support import REPO
from tests.support.web import account_token, app_client

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Accounts in tests hash their passwords with argon2 at its cheapest (1 pass, 1 MiB) instead of
# the recommended 3 passes over 64 MiB (~0.1 s a hash here, hundreds of accounts a run): the
# same code, algorithm and verification, a fraction of the time. The commands the suite runs
# as subprocesses, and the service itself, keep `PasswordHash.recommended()`
# (`test_passwords_are_hashed_with_the_recommended_parameters_outside_the_suite`).
passwords._HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
passwords._DECOY = passwords._HASHER.hash("not a password of anybody's")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    server_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"sched_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("SCHEDULER_SKIP_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL unreachable at {server_url} (SCHEDULER_SKIP_POSTGRES=1)")
        pytest.fail(
            f"PostgreSQL unreachable at {server_url}: {exc.orig}. Start it, point "
            "TEST_POSTGRES_URL at a server, or set SCHEDULER_SKIP_POSTGRES=1 to skip.",
            pytrace=False,
        )
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(url: str) -> None:
    """Drop every table of the session database, so a test starts from nothing."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current is not None and current == _head_revision()


@functools.cache
def _head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _delete_all_rows(engine: Engine) -> None:
    # Much faster than dropping and migrating again on PostgreSQL (DDL is slow there).
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
        # The task queue's own tables (migration 0007): no job left from an earlier test.
        connection.execute(text(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,"
            " procrastinate_workers"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on; every database test runs on both."""
    name: str = request.param
    return name


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a temporary SQLite file, or the PostgreSQL test base."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'scheduler.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once with `migrate()`: each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("template") / "scheduler.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database migrated to the latest schema, with `migrate()`."""
    if backend == "sqlite":
        path = tmp_path / "scheduler.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
    else:
        # The session database stays migrated between tests; only its rows are removed.
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        if _at_head(engine):
            _delete_all_rows(engine)
        else:
            _empty_postgres(url)
            migrate(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def configured(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command line (run in-process) pointed at the test database."""
    monkeypatch.setenv("SCHEDULER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The app on the test database: pages are called as an anonymous browser would, the
    manager API as an admin with an API token (`anonymous` calls it with no credential)."""
    with app_client(engine, api_token=account_token(engine)) as test_client:
        yield test_client


@pytest.fixture
def anonymous(engine: Engine) -> Iterator[TestClient]:
    """The app on the test database, every call without a credential."""
    with app_client(engine) as test_client:
        yield test_client


# Scenario data ---------------------------------------------------------------------------

TINY_SCENARIO = REPO / "scenarios" / "tiny.yaml"


@pytest.fixture
def tiny_data() -> dict[str, Any]:
    """The decoded tiny scenario, to copy and vary."""
    data: dict[str, Any] = read_document(TINY_SCENARIO)
    return data


@pytest.fixture
def tiny_scenario(tiny_data: dict[str, Any]) -> Scenario:
    return parse_scenario(tiny_data, str(TINY_SCENARIO))


@pytest.fixture
def tiny_problem(tiny_scenario: Scenario) -> Problem:
    return expand(tiny_scenario, str(TINY_SCENARIO))


@pytest.fixture
def loaded_tiny(session: Session, tiny_scenario: Scenario, tiny_problem: Problem) -> Problem:
    """The tiny scenario stored in the test database; returns its expanded problem."""
    load_scenario_into(session, tiny_scenario, tiny_problem, "tiny-digest",
                       now=datetime(2026, 6, 1, tzinfo=UTC))
    return tiny_problem
