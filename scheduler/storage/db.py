"""Database plumbing: engines, schema migrations and command-line sessions (the per-request
session of the web service is in `scheduler/web/deps.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

#: Alembic scripts ship inside the package, so an installed service can migrate itself.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The driver's own transaction handling commits before DDL; take over (see `_sqlite_begin`).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    # Every SQLAlchemy transaction is a real one, DDL included: a migration or a load that
    # fails halfway leaves nothing behind.
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite, foreign keys are enforced on every connection."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    # The web server hands connections between threads; SQLite must allow it.
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged scripts (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the latest schema)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


@contextmanager
def migrated_session(url: str) -> Iterator[Session]:
    """A session on the database at `url`, migrated first (for the command line)."""
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()

