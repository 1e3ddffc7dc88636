"""A test client of the real app on the test database (the app's session dependency is pointed
at the test engine, so tests and requests share one database), and the credentials tests call
it with."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account, find_account
from scheduler.access.credentials import issue_api_token
from scheduler.api import create_app
from scheduler.config.settings import Settings
from scheduler.domain.enums import Role
from scheduler.web.csrf import FIELD
from scheduler.web.deps import get_session

ADMIN_EMAIL = "admin@test.invalid"
PASSWORD = "a long test password"
#: The manager API routes; the GP and coordinator twins take a link as their bearer.
MANAGER_API = "/api/v1/"
LINK_API = ("/api/v1/answers", "/api/v1/coordinator")


@contextmanager
def app_client(engine: Engine, *, api_token: str | None = None, **settings: Any
               ) -> Iterator[TestClient]:
    """The client talks to the app's own `base_url` setting when one is given. With
    `api_token`, calls to the manager API carry it as their bearer token (pages do not: they
    are called as a browser would)."""
    base_url = settings.get("base_url", "http://testserver")
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False),
                              **settings))

    def session_override() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:  # as `get_session`
            yield session

    app.dependency_overrides[get_session] = session_override
    with TestClient(app, base_url=base_url) as test_client:
        if api_token is not None:
            test_client.event_hooks = {"request": [_bearer_for_api(api_token)], "response": []}
        yield test_client


def _bearer_for_api(token: str) -> Any:
    def add(request: httpx.Request) -> None:
        path = request.url.path
        manager = (path.startswith(MANAGER_API) and not path.startswith(LINK_API)) or \
            path == "/openapi.json"
        if manager and "authorization" not in request.headers:
            request.headers["authorization"] = f"Bearer {token}"
    return add


def account_token(engine: Engine, email: str = ADMIN_EMAIL, *, role: Role = Role.ADMIN,
                  sites: Sequence[str] = ()) -> str:
    """An account (created if needed) and a new API token of it."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        account = find_account(session, email) or create_account(
            session, email=email, password=PASSWORD, role=role, sites=sites, now=now)
        return issue_api_token(session, account, now=now)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def with_csrf(client: TestClient, data: dict[str, Any]) -> dict[str, Any]:
    """The form's fields plus the anti-CSRF token a browser would send (from the cookie the
    page set)."""
    token = client.cookies.get(FIELD)
    return {**data, FIELD: token} if token else dict(data)


def sign_in(client: TestClient, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> None:
    """Sign in through the pages, as a browser does (the session cookie stays in `client`)."""
    client.get("/")
    response = client.post("/connexion", data=with_csrf(client, {"email": email,
                                                                  "mot_de_passe": password}),
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def signed_in(engine: Engine, session: Session, role: Role = Role.MANAGER,
              sites: Sequence[str] = ("chiv",)) -> Iterator[TestClient]:
    """A browser signed in as a new manager (or admin) of `sites`, on the app at the
    collection tests' clock, its anti-CSRF cookie set by a first page; commits the session."""
    from scheduler.access.credentials import open_session
    from scheduler.web.auth import SESSION_COOKIE
    from tests.support.collection import NOW, set_clock

    account = create_account(session, email="cadre@chiv.test", password="un mot de passe long",
                             role=role, sites=list(sites), now=NOW)
    secret = open_session(session, account, now=NOW, hours=2)
    session.commit()
    with app_client(engine) as test_client:
        set_clock(test_client.app, NOW)  # type: ignore[arg-type]
        test_client.cookies.set(SESSION_COOKIE, secret)
        test_client.get("/")
        yield test_client


def form_revision(html: str) -> str:
    """The revision of the answers a GP form page was built on (its hidden field)."""
    found = re.search(r'name="revision" value="(\d+)"', html)
    assert found is not None, "the page carries no answers' revision"
    return found[1]
