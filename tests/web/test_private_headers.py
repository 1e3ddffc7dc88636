"""Every page (and JSON twin) reached by a secret link sends the private headers: with a live
link, with an unknown one, on a redirect after a POST and on a refused request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.api import ROUTERS
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.domain.enums import TokenKind
from scheduler.storage import tokens
from scheduler.web.api import answers, coordinator
from scheduler.web.private import PRIVATE_HEADERS, PRIVATE_PREFIXES
from tests.support.collection import BASE_URL, NOW, link_secret, load_period, set_clock
from tests.support.web import app_client, bearer

UNKNOWN = "x" * 32
#: method, path (with {token}), form or JSON body: every route under a secret link.
ROUTES = [
    ("GET", "/g/{token}", None),
    ("POST", "/g/{token}", {"formulaire": "disponibilites", "action": "save",
                            "max_shifts": "2"}),
    ("GET", "/g/{token}/agenda", None),
    ("POST", "/g/{token}/agenda/rotate-feed", None),
    ("GET", "/c/{token}", None),
    ("POST", "/c/{token}/relancer", {"membre": "dr-anne"}),
    ("GET", "/api/v1/answers", None),
    ("PUT", "/api/v1/answers", {"availability": {}}),
    ("GET", "/api/v1/coordinator", None),
    ("POST", "/api/v1/coordinator/resend", {"doctor_ids": []}),
]
# The headers do not depend on the database: the pages run on SQLite here.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def web(engine: Engine, session: Session) -> Iterator[TestClient]:
    load_period(session)
    with app_client(engine, base_url=BASE_URL) as client:
        set_clock(client.app, NOW)  # type: ignore[arg-type]
        yield client


def secret_for(session: Session, path: str) -> str:
    if path.startswith(("/c/", "/api/v1/coordinator")):
        return issue_coordinator_link(session, "cpts-val", now=NOW,
                                      base_url=BASE_URL).rsplit("/", 1)[1]
    return link_secret(session, "dr-anne")


def call(client: TestClient, method: str, path: str, secret: str,
         body: dict[str, object] | None) -> dict[str, str]:
    """A page with the secret in its path, or a JSON twin with the secret as bearer token."""
    if path.startswith("/api/"):
        response = client.request(method, path, json=body, headers=bearer(secret),
                                  follow_redirects=False)
    else:
        response = client.request(method, path.replace("{token}", secret), data=body,
                                  follow_redirects=False)
    assert response.status_code < 500, response.text
    return dict(response.headers)


def assert_private(headers: dict[str, str]) -> None:
    for name, value in PRIVATE_HEADERS.items():
        assert headers.get(name.lower()) == value, (name, headers)


def test_every_route_reached_by_a_secret_link_is_listed_and_private() -> None:
    # Pages with the link in their path, and the JSON twins taking the link as bearer token.
    with_secret = {
        (method, prefix + route.path)
        for router, prefix in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and ("{token}" in route.path or router in (answers.router, coordinator.router))
        and not (prefix + route.path).startswith("/feeds/")
        for method in route.methods - {"HEAD"}
    }
    assert with_secret == {(method, path) for method, path, _ in ROUTES}
    assert all(path.startswith(PRIVATE_PREFIXES) for _, path in with_secret)


@sqlite_only
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: str(v))
def test_live_link_answers_carry_the_private_headers(
    web: TestClient, session: Session, method: str, path: str, body: dict[str, object] | None
) -> None:
    assert_private(call(web, method, path, secret_for(session, path), body))


@sqlite_only
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: str(v))
def test_unknown_link_answers_carry_the_private_headers(
    web: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    assert_private(call(web, method, path, UNKNOWN, body))


@sqlite_only
def test_a_refused_json_body_carries_the_private_headers(web: TestClient, session: Session
                                                         ) -> None:
    secret = secret_for(session, "/api/v1/answers")
    response = web.put("/api/v1/answers", headers=bearer(secret), json={"max_shifts": "lots"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.max_shifts"
    assert_private(dict(response.headers))


@sqlite_only
def test_other_pages_keep_their_own_caching(web: TestClient) -> None:
    assert "x-robots-tag" not in web.get("/health").headers
    assert web.get(f"/feeds/doctor/{UNKNOWN}.ics").headers.get("cache-control") is None


@sqlite_only
def test_the_agenda_reads_the_apps_clock(web: TestClient, session: Session) -> None:
    # A link that expires tomorrow by the app's clock opens today and is dead the day after.
    secret = tokens.issue(session, TokenKind.DOCTOR_LINK, now=NOW, doctor_id="dr-anne",
                          expires_at=NOW + timedelta(days=1))
    session.commit()
    assert web.get(f"/g/{secret}/agenda").status_code == 200
    set_clock(web.app, NOW + timedelta(days=2))  # type: ignore[arg-type]
    assert web.get(f"/g/{secret}/agenda").status_code == 404
