"""The hot path of a feed request: one indexed query on a pooled DBAPI connection.

Calendar apps poll every subscribed feed URL again and again, and nearly every poll ends in a
304. For such a lookup SQLAlchemy spends about ten times longer preparing and wrapping the
statement (ORM or Core) than SQLite spends answering it. So this path compiles its statements
once per engine, runs them on a raw connection from the engine's pool and converts the
columns with their own result processors (UtcDateTime values come back aware, as everywhere).

A token counts exactly as for `tokens.resolve`: unknown, malformed, of another kind, revoked
or expired all give None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from scheduler.domain.enums import FeedKind, TokenKind
from scheduler.models import AccessToken, PublishedFeed
from scheduler.storage import tokens

# What `tokens.issue` hands out: SECRET_BYTES of URL-safe base64, no padding. Checked before
# hashing so that any other path segment is simply unknown.

_token = AccessToken.__table__  # type: ignore[attr-defined]
_feed = PublishedFeed.__table__  # type: ignore[attr-defined]
_SUBJECT = {FeedKind.DOCTOR: _token.c.doctor_id, FeedKind.SITE: _token.c.site_id,
            FeedKind.ALL: sa.literal_column("''")}


@dataclass(frozen=True, kw_only=True)
class TokenFeed:
    """A live token's subject and, when a publication has written it, its feed's validators."""

    subject: str
    token_created_at: datetime
    etag: str | None
    changed_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class StoredFeed:
    etag: str
    changed_at: datetime
    body: bytes | None  # None when only the validators were asked for


class _Statement:
    """A statement compiled once for the engine's dialect, run on a raw DBAPI connection."""

    def __init__(self, dialect: sa.Dialect, statement: sa.Select[Any]) -> None:
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        self._positions: Sequence[str] | None = compiled.positiontup
        self._processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def first(self, connection: Any, values: dict[str, str]) -> tuple[Any, ...] | None:
        params: Any = values
        if self._positions is not None:
            params = tuple(values[name] for name in self._positions)
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, params)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return tuple(p(v) if p is not None else v for p, v in zip(self._processors, row,
                                                                   strict=True))


class FeedLookup:
    """The feed queries of one engine.

    On SQLite (`inline`) the queries run on the event loop's thread, on one connection taken
    when the lookup is made and kept for them (taken later, from a pool every worker thread
    is drawing on, the event loop itself could wait for it, and nothing would then give one
    back): each statement is its own transaction (the engine's connections run the driver in
    autocommit), so every query sees the latest commit; in WAL mode a reader never waits for
    a writer. Elsewhere each query borrows a pooled connection, from a worker thread.
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.inline = dialect.name == "sqlite"
        self._engine = engine
        self._held: Any = engine.raw_connection() if self.inline else None
        self._by_token = {kind: _Statement(dialect, _token_query(kind)) for kind in FeedKind}
        self._validators = _Statement(dialect, _feed_query(with_body=False))
        self._document = _Statement(dialect, _feed_query(with_body=True))

    def _first(self, statement: _Statement, **values: str) -> tuple[Any, ...] | None:
        if self.inline:
            return statement.first(self._held, values)
        connection = self._engine.raw_connection()
        try:
            return statement.first(connection, values)
        finally:
            connection.close()  # back to the pool, which ends the transaction

    def by_token(self, token_kind: TokenKind, feed: FeedKind, secret: str, now: datetime
                 ) -> TokenFeed | None:
        """The token's subject and its feed's validators, or None for a token not live."""
        if not tokens.well_formed(secret):
            return None
        row = self._first(self._by_token[feed], hash=tokens.hash_secret(secret),
                          feed_kind=feed.value)
        if row is None:
            return None
        kind, subject, created_at, revoked_at, expires_at, etag, changed_at = row
        if kind != token_kind.value or revoked_at is not None or subject is None:
            return None
        if expires_at is not None and expires_at <= now:
            return None
        return TokenFeed(subject=subject, token_created_at=created_at, etag=etag,
                         changed_at=changed_at)

    def stored(self, feed: FeedKind, subject: str, *, with_body: bool) -> StoredFeed | None:
        """The feed as the last publication wrote it, or None."""
        statement = self._document if with_body else self._validators
        row = self._first(statement, feed_kind=feed.value, subject=subject)
        if row is None:
            return None
        return StoredFeed(etag=row[0], changed_at=row[1], body=row[2] if with_body else None)


def _token_query(feed: FeedKind) -> sa.Select[Any]:
    subject = _SUBJECT[feed]
    joined = _token.outerjoin(_feed, sa.and_(
        _feed.c.kind == sa.bindparam("feed_kind", type_=sa.String()),
        _feed.c.subject == subject))
    return (
        sa.select(_token.c.kind, subject.label("subject"), _token.c.created_at,
                  _token.c.revoked_at, _token.c.expires_at, _feed.c.etag, _feed.c.changed_at)
        .select_from(joined)
        .where(_token.c.token_hash == sa.bindparam("hash", type_=sa.String()))
    )


def _feed_query(*, with_body: bool) -> sa.Select[Any]:
    columns = [_feed.c.etag, _feed.c.changed_at] + ([_feed.c.body] if with_body else [])
    return sa.select(*columns).where(
        _feed.c.kind == sa.bindparam("feed_kind", type_=sa.String()),
        _feed.c.subject == sa.bindparam("subject", type_=sa.String()))


def feed_lookup(app_state: Any) -> FeedLookup:
    """The app's FeedLookup on its engine (`app.state.engine`), made on first use (the app
    makes it as it starts)."""
    lookup: FeedLookup | None = getattr(app_state, "feed_lookup", None)
    if lookup is None:
        lookup = app_state.feed_lookup = FeedLookup(app_state.engine)
    return lookup
