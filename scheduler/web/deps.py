"""Request dependencies of the web service: the database session, the app's settings, the clock
and posted form fields.

The clock is a dependency so that tests can move it (deadlines, link expiry) without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from scheduler.config.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, on the engine `create_app` stored in the app state."""
    with Session(request.app.state.engine) as session:
        yield session


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
