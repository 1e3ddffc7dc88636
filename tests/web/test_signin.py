"""The manager's door over HTTP: sign-in, the session cookie, sign-out, password change; the
anti-CSRF check; security headers; rate limits; production settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, update

from scheduler.access.accounts import create_account
from scheduler.api import create_app
from scheduler.config.settings import DEVELOPMENT_SECRET_KEY, Settings
from scheduler.domain.enums import Role
from scheduler.domain.problem import Problem
from scheduler.models import Account
from scheduler.web.auth import SESSION_COOKIE
from tests.support.web import app_client, with_csrf

EMAIL = "cadre@chiv.test"
PASSWORD = "le mot de passe du cadre"
# The door's behaviour does not depend on the database: SQLite here.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def door(engine: Engine, session: Session, loaded_tiny: Problem) -> Iterator[TestClient]:
    create_account(session, email=EMAIL, password=PASSWORD, role=Role.MANAGER, sites=["chiv"],
                   now=datetime.now(UTC))
    with app_client(engine, base_url="https://relief.example.org", sign_in_rate="4/minute",
                    unknown_link_rate="3/minute") as client:
        yield client


def sign_in(client: TestClient, password: str = PASSWORD) -> int:
    client.get("/")
    return client.post("/connexion", data=with_csrf(client, {"email": EMAIL,
                                                             "mot_de_passe": password}),
                       follow_redirects=False).status_code


def test_signing_in_sets_a_secure_http_only_lax_cookie_and_shows_the_periods(
    door: TestClient
) -> None:
    door.get("/")
    response = door.post("/connexion", data=with_csrf(door, {"email": EMAIL,
                                                             "mot_de_passe": PASSWORD}),
                         follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Max-Age=43200", "Path=/"):
        assert flag in cookie, flag
    home = door.get("/")
    assert "Périodes de tension" in home.text and "Semaine test, juillet 2026" in home.text


def test_a_wrong_password_is_refused_in_french_without_a_cookie(door: TestClient) -> None:
    door.get("/")
    response = door.post("/connexion", data=with_csrf(door, {"email": EMAIL,
                                                             "mot_de_passe": "non"}))
    assert response.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect." in response.text
    assert SESSION_COOKIE not in door.cookies


def test_signing_out_ends_the_session_on_the_server(door: TestClient) -> None:
    assert sign_in(door) == 303
    secret = door.cookies[SESSION_COOKIE]
    door.post("/deconnexion", data=with_csrf(door, {}))
    door.cookies.set(SESSION_COOKIE, secret)  # a copy of the cookie kept elsewhere
    assert "Connexion" in door.get("/").text
    assert door.get("/api/v1/periods").status_code == 401


def test_a_new_password_ends_the_other_sessions(door: TestClient, engine: Engine) -> None:
    with app_client(engine, base_url="https://relief.example.org") as other:
        assert sign_in(other) == 303
        assert sign_in(door) == 303
        door.get("/mot-de-passe")
        changed = door.post("/mot-de-passe", data=with_csrf(door, {
            "actuel": PASSWORD, "nouveau": "un tout nouveau mot de passe",
            "confirmation": "un tout nouveau mot de passe"}))
        assert changed.status_code == 200 and "Mot de passe changé" in changed.text
        assert door.get("/api/v1/periods").status_code == 200  # this session stays
        assert other.get("/api/v1/periods").status_code == 401  # the other one ended


def test_the_api_answers_a_signed_in_browser(door: TestClient) -> None:
    assert door.get("/api/v1/periods").status_code == 401
    sign_in(door)
    assert [p["id"] for p in door.get("/api/v1/periods").json()] == ["tiny-2026-07"]


def test_a_browser_post_without_the_csrf_token_is_refused_in_french(door: TestClient) -> None:
    door.get("/")
    response = door.post("/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.text and SESSION_COOKIE not in door.cookies
    sign_in(door)
    api = door.post("/api/v1/periods/tiny-2026-07/invitations", json={"all": True})
    assert api.status_code == 403 and api.json() == {"detail": "CSRF token missing or wrong"}
    token = door.cookies["csrftoken"]
    with_header = door.post("/api/v1/periods/tiny-2026-07/invitations", json={"all": True},
                            headers={"x-csrftoken": token})
    # Past the anti-CSRF check, the request meets the period's own rule (it ended in July).
    assert with_header.status_code == 422
    assert with_header.json()["detail"][0]["field"] == "period"


def test_every_page_carries_the_security_headers(door: TestClient) -> None:
    for path in ("/", "/health", f"/g/{'x' * 32}", "/static/style.css"):
        headers = door.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["strict-transport-security"].startswith("max-age=")
    assert door.get(f"/g/{'x' * 32}").headers["referrer-policy"] == "no-referrer"


def test_no_hsts_over_plain_http(engine: Engine) -> None:
    with app_client(engine) as client:
        assert "strict-transport-security" not in client.get("/").headers


def test_sign_in_attempts_are_rate_limited_per_address(door: TestClient) -> None:
    for _ in range(4):
        assert sign_in(door, "wrong password") == 401
    assert sign_in(door) == 429


def test_unknown_links_are_rate_limited_per_address(door: TestClient) -> None:
    for _ in range(3):
        assert door.get(f"/g/{'x' * 32}").status_code == 404
    blocked = door.get(f"/feeds/doctor/{'y' * 32}.ics")
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    assert "Trop de liens non valides" in blocked.text


def test_production_refuses_the_development_secret_key(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(RuntimeError, match="SCHEDULER_SECRET_KEY"):
        create_app(Settings(database_url=url, environment="production",
                            secret_key=DEVELOPMENT_SECRET_KEY))
    with pytest.raises(RuntimeError, match="32 characters"):
        create_app(Settings(database_url=url, environment="production", secret_key="short",
                            base_url="https://relief.example.org"))
    with pytest.raises(RuntimeError, match="https"):
        create_app(Settings(database_url=url, environment="production", secret_key="s" * 48))
    create_app(Settings(database_url=url, environment="production", secret_key="s" * 48,
                        base_url="https://relief.example.org"))


def test_a_cross_site_post_is_refused_cookies_or_not(door: TestClient) -> None:
    # A forged sign-in from another site (login CSRF) carries no cookie to check.
    forged = door.post("/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD},
                       headers={"sec-fetch-site": "cross-site"})
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    elsewhere = door.post("/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD},
                          headers={"origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    door.cookies.clear()
    no_cookie = door.post("/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD})
    assert no_cookie.status_code == 403 and SESSION_COOKIE not in door.cookies


def test_an_upload_with_cookies_needs_the_csrf_header_and_never_fails(door: TestClient) -> None:
    door.get("/")
    refused = door.post("/connexion", files={"x": ("a.csv", b"y")}, data={"email": EMAIL})
    assert refused.status_code == 403
    token = door.cookies["csrftoken"]
    past = door.post("/connexion", files={"x": ("a.csv", b"y")}, data={"email": EMAIL},
                     headers={"x-csrftoken": token})
    assert past.status_code < 500


def test_a_body_too_large_is_refused_before_it_is_read(door: TestClient) -> None:
    response = door.post("/connexion", content=b"x" * 3_000_001,
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_unknown_address_and_locked_account_get_the_same_words(door: TestClient,
                                                              session: Session) -> None:
    session.exec(update(Account).values(locked_until=datetime(2099, 1, 1, tzinfo=UTC)))
    session.commit()
    door.get("/")

    def refusal(email: str) -> str:
        page = door.post("/connexion", data=with_csrf(door, {"email": email,
                                                             "mot_de_passe": PASSWORD}))
        assert page.status_code == 401
        return page.text.split('role="alert">', 1)[1].split("<", 1)[0]

    assert refusal(EMAIL) == refusal("personne@chiv.test")
