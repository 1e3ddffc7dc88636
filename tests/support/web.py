"""A test client of the real app on the test database (the app's session dependency is pointed
at the test engine, so tests and requests share one database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.api import create_app
from scheduler.config.settings import Settings
from scheduler.web.deps import get_session


@contextmanager
def app_client(engine: Engine, **settings: Any) -> Iterator[TestClient]:
    """The client talks to the app's own `base_url` setting when one is given."""
    base_url = settings.get("base_url", "http://testserver")
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False),
                              **settings))

    def session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    with TestClient(app, base_url=base_url) as test_client:
        yield test_client
