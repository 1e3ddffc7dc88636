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


def _sqlite_connect(foreign_keys: bool) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLite ignores foreign keys unless asked, per connection.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        # Write-ahead log: readers never block the writer nor the writer readers (a page
        # being read while a GP saves, a token's last use written during a long read).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # The driver's own transaction handling commits before DDL; take over
        # (see `_sqlite_begin`).
        dbapi_connection.isolation_level = None
    return connect


def _sqlite_begin(connection: Connection) -> None:
    # Every SQLAlchemy transaction is a real one, DDL included: a migration or a load that
    # fails halfway leaves nothing behind. A writer's (`writer`) takes the write lock at once.
    immediate = connection.get_execution_options().get(_BEGIN) == "immediate"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_BEGIN = "sqlite_begin"


def writer(engine: Engine) -> Engine:
    """`engine` for transactions that write after reading: on SQLite they begin IMMEDIATE.

    SQLite (WAL) lets a transaction that began by reading write only if nobody committed
    since its first read; otherwise it fails at once with "database is locked", whatever the
    busy timeout. Taking the write lock at BEGIN instead makes concurrent writers wait their
    turn (up to the busy timeout), as they do on PostgreSQL. No effect elsewhere.
    """
    return engine.execution_options(**{_BEGIN: "immediate"})


#: Connections one process may open: as many as the web server's worker threads (AnyIO's
#: default, 40), so a route never waits for a connection while holding a thread; 10 are
#: kept open between bursts. A request still waiting after `pool_timeout` answers 503.
POOL: dict[str, Any] = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 10}


#: Seconds a SQLite writer waits for another's write lock before "database is locked" (the web
#: service then answers 503 "try again").
SQLITE_BUSY_SECONDS = 15.0


def make_engine(url: str, *, foreign_keys: bool = True,
                busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    """An engine for `url`; on SQLite, foreign keys are enforced on every connection (unless
    `foreign_keys` is False: migrations rebuild tables, see `migrate`) and writers wait for
    each other up to `busy_seconds`."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **POOL)
    # The web server hands connections between threads; SQLite must allow it.
    # Writers wait for each other up to `timeout` seconds (short transactions keep it rare).
    in_memory = make_url(url).database in (None, "", ":memory:")  # one connection only
    engine = create_engine(url, connect_args={"check_same_thread": False,
                                              "timeout": busy_seconds},
                           **({} if in_memory else POOL))
    event.listen(engine, "connect", _sqlite_connect(foreign_keys))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


#: Tables the task queue (procrastinate, on PostgreSQL) owns: migration 0007 creates them from
#: the queue's own script; the models do not describe them.
QUEUE_PREFIX = "procrastinate_"


def ours(_object: object, name: str | None, type_: str, _reflected: bool,
         _compare_to: object) -> bool:
    """Alembic's `include_object`: compare the models with the project's own tables and
    indexes only, not the task queue's."""
    return not (name or "").startswith(QUEUE_PREFIX) and not (
        type_ == "index" and "procrastinate" in (name or ""))


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged scripts (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


#: The PostgreSQL advisory lock key migrations hold (any fixed number of the project's own).
MIGRATION_LOCK = 727_2026


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the latest schema), in one
    transaction.

    SQLite changes a table's keys by copying it to a new table, which its foreign keys would
    refuse midway: as SQLite's own procedure for schema changes says, they are off during the
    migration and every reference is checked before the commit (`ForeignKeyError` otherwise,
    and nothing is changed).
    """
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Workers and servers starting at once on several hosts migrate one at a time
                # (the lock ends with the transaction).
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            check_foreign_keys(connection)
    finally:
        engine.dispose()


def check_foreign_keys(connection: Connection) -> None:
    """On SQLite (whose migrations run with foreign keys off), raise ForeignKeyError when a
    row refers to a row that does not exist; the transaction then rolls back."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise ForeignKeyError(f"migration left {len(broken)} broken references, "
                              f"e.g. {broken[0]}")


class ForeignKeyError(RuntimeError):
    """A migration would leave rows referring to rows that do not exist."""


@contextmanager
def migrated_session(url: str, *, writes: bool = True) -> Iterator[Session]:
    """A session on the database at `url`, migrated first (for the command line); one that
    `writes` takes SQLite's write lock as each transaction begins (see `writer`)."""
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(writer(engine) if writes else engine) as session:
            yield session
    finally:
        engine.dispose()

