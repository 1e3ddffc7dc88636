"""The doctor's calendar page: published shifts in French, https:// and webcal:// links to a
feed that works, a QR code of the subscription, instructions per app, and rotation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.domain.enums import TokenKind
from scheduler.domain.problem import Problem
from scheduler.storage import tokens
from scheduler.web.pages.agenda import qr_svg
from tests.support.published import (
    NIGHT,
    SUMMER,
    T0,
    WINTER,
    load_seasons,
    publish_at,
    save_version,
    vevents,
)
from tests.support.web import app_client, with_csrf

BASE = "https://releve.example.org"
NOW = datetime.now(UTC)

# Wording and markup do not depend on the database; links, tokens and rotation run on both.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def web(engine: Engine) -> Iterator[TestClient]:
    """The app with a public https base URL, as in production."""
    with app_client(engine, base_url=BASE) as test_client:
        yield test_client


@pytest.fixture
def seasons(session: Session, tiny_data: dict[str, Any]) -> Problem:
    return load_seasons(session, tiny_data)


@pytest.fixture
def published(session: Session, seasons: Problem) -> Problem:
    save_version(session, seasons, [("dr-alpha", SUMMER), ("dr-alpha", NIGHT),
                                    ("dr-bravo", WINTER)])
    publish_at(session, T0)
    return seasons


def personal_link(session: Session, doctor: str = "dr-alpha") -> str:
    secret = tokens.issue(session, TokenKind.DOCTOR_LINK, now=NOW, doctor_id=doctor)
    session.commit()
    return secret


def feed_links(html: str) -> tuple[str, str]:
    """The page's https:// feed address and its webcal:// subscribe link."""
    https = re.search(r'value="(https://[^"]+\.ics)"', html)
    webcal = re.search(r'href="(webcal://[^"]+\.ics)"', html)
    assert https and webcal, html
    return unescape(https.group(1)), unescape(webcal.group(1))


def test_page_offers_https_and_webcal_links_to_the_same_working_feed(
    web: TestClient, session: Session, published: Problem
) -> None:
    page = web.get(f"/g/{personal_link(session)}/agenda")
    assert page.status_code == 200
    https, webcal = feed_links(page.text)
    assert https.startswith(f"{BASE}/feeds/doctor/")
    assert webcal == "webcal://" + https.removeprefix("https://")
    feed = web.get(https.removeprefix(BASE))
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert len(vevents(feed.content)) == 2


@sqlite_only
def test_page_shows_the_same_feed_address_on_every_visit(
    web: TestClient, session: Session, published: Problem
) -> None:
    link = personal_link(session)
    first, second = (feed_links(web.get(f"/g/{link}/agenda").text) for _ in range(2))
    assert first == second


@sqlite_only
def test_page_holds_an_inline_svg_qr_code_of_the_webcal_link(
    web: TestClient, session: Session, published: Problem
) -> None:
    html = web.get(f"/g/{personal_link(session)}/agenda").text
    _, webcal = feed_links(html)
    assert "<svg" in html and "<img" not in html
    assert str(qr_svg(webcal)) in html
    assert str(qr_svg(webcal + "x")) not in html  # the code depends on the address


@sqlite_only
def test_page_gives_french_instructions_for_the_four_calendar_apps(
    web: TestClient, session: Session, published: Problem
) -> None:
    html = web.get(f"/g/{personal_link(session)}/agenda").text
    for app in ("Google Agenda", "Apple Calendrier", "Outlook", "Thunderbird"):
        assert f"<h3>{app}" in html, app
    assert "À partir de l'URL" in unescape(html)
    assert "S'abonner à partir du web" in unescape(html)
    assert '<html lang="fr">' in html


@sqlite_only
def test_page_lists_the_published_shifts_in_local_time_in_french(
    web: TestClient, session: Session, published: Problem
) -> None:
    html = unescape(web.get(f"/g/{personal_link(session)}/agenda").text)
    assert "mardi 4 août 2026" in html and "20:00–24:00" in html
    assert "samedi 24 octobre 2026" in html and "20:00–08:00" in html
    assert "dimanche 20 décembre 2026" not in html  # dr-bravo's shift


def test_page_before_publication_says_so_and_the_feed_is_already_valid(
    web: TestClient, session: Session, seasons: Problem
) -> None:
    page = web.get(f"/g/{personal_link(session)}/agenda")
    assert page.status_code == 200
    assert "Aucune garde publiée" in unescape(page.text)
    https, _ = feed_links(page.text)
    feed = web.get(https.removeprefix(BASE))
    assert feed.status_code == 200 and vevents(feed.content) == []


def test_unknown_malformed_and_revoked_personal_links_get_the_same_404_page(
    web: TestClient, session: Session, published: Problem
) -> None:
    revoked = personal_link(session, "dr-bravo")
    tokens.revoke_all(session, TokenKind.DOCTOR_LINK, now=NOW, doctor_id="dr-bravo")
    session.commit()
    feed_secret = tokens.issue(session, TokenKind.FEED, now=NOW, doctor_id="dr-alpha")
    session.commit()
    pages = [web.get(f"/g/{secret}/agenda") for secret in ("x" * 32, "mal formé", revoked,
                                                           feed_secret)]
    assert [p.status_code for p in pages] == [404] * 4
    assert len({p.text for p in pages}) == 1
    assert "Lien non valide" in pages[0].text


def test_rotating_from_the_page_kills_the_old_feed_url_and_shows_a_new_one(
    web: TestClient, session: Session, published: Problem
) -> None:
    link = personal_link(session)
    old_https, _ = feed_links(web.get(f"/g/{link}/agenda").text)
    assert web.get(old_https.removeprefix(BASE)).status_code == 200
    rotated = web.post(f"/g/{link}/agenda/rotate-feed", data=with_csrf(web, {}),
                       follow_redirects=False)
    assert rotated.status_code == 303
    page = web.get(rotated.headers["location"].removeprefix(BASE))
    assert "Nouveau lien d'abonnement créé" in unescape(page.text)
    new_https, _ = feed_links(page.text)
    assert new_https != old_https
    assert web.get(old_https.removeprefix(BASE)).status_code == 404
    assert web.get(new_https.removeprefix(BASE)).status_code == 200


@sqlite_only
def test_rotating_with_an_unknown_personal_link_gets_404(
    web: TestClient, published: Problem
) -> None:
    assert web.post(f"/g/{'x' * 32}/agenda/rotate-feed").status_code == 404


@sqlite_only
def test_expired_personal_link_gets_404(
    web: TestClient, session: Session, published: Problem
) -> None:
    secret = tokens.issue(session, TokenKind.DOCTOR_LINK, now=NOW - timedelta(days=2),
                          doctor_id="dr-alpha", expires_at=NOW - timedelta(days=1))
    session.commit()
    assert web.get(f"/g/{secret}/agenda").status_code == 404
