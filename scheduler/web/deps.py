"""Request dependencies of the web service: the database session, the app's settings, the clock
and posted form fields.

The clock is a dependency so that tests can move it (deadlines, link expiry) without sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from sqlmodel import Session

from scheduler.config.settings import Settings
from scheduler.storage.periods import Page

_T = TypeVar("_T")
#: Methods that do not change anything; the others' transactions begin as writers
#: (`storage.db.writer`).
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, on the engine `create_app` stored in the app state; for a
    request that may write, on its writer (SQLite: transactions begin IMMEDIATE, see
    `storage.db.writer`; dependencies that read end their transaction, see `released`).

    Async on purpose: its clean-up (handing the connection back to the pool) then runs on the
    event loop. A sync one would need a worker thread for it, and under load every thread can
    be taken by routes waiting for a connection that only that clean-up would free: a
    deadlock, broken only by the pool's time-out (500s). The session itself connects lazily,
    in the route's thread. Objects stay loaded after a commit (a route answering with what
    it just wrote need not read it again); code that must see the latest row under a lock
    reads it with `populate_existing`."""
    state = request.app.state
    engine = state.engine if request.method in _READS else state.write_engine
    with Session(engine, expire_on_commit=False) as session:
        yield session


def released(session: Session, value: _T) -> _T:
    """`value`, once the session's transaction is over: what a dependency that reads the
    database returns.

    FastAPI runs each sync dependency and then the route in separate trips to the thread
    pool. A write request's transaction holds SQLite's write lock from its first statement
    (`get_session`); held across that trip, with every thread busy waiting for the lock, the
    route could never get a thread to finish and let it go. Loaded objects stay usable (the
    session keeps them after a commit)."""
    session.commit()
    return value


async def now_utc() -> datetime:
    """The request's clock (async: resolving it costs no thread hop on the feeds' hot path)."""
    return datetime.now(UTC)


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(now_utc)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


async def posted_fields(request: Request) -> list[tuple[str, str]]:
    """A posted HTML form as (name, value) pairs; a form holds one field per slot."""
    form = await request.form(max_fields=20_000, max_files=0)
    return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]


FieldsDep = Annotated[list[tuple[str, str]], Depends(posted_fields)]


#: The longest page of a JSON list, and the default one.
MAX_PAGE = 1000


def page_of(limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
            offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Page:
    """`?limit=&offset=` of a list route: at most MAX_PAGE rows a page."""
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(page_of)]
#: The header a paged list answers with: how many rows there are in all.
TOTAL_HEADER = "X-Total-Count"
