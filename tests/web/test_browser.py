"""The collection pages in a real browser: Debian's chromium driven by Playwright, against a
real uvicorn server on loopback, used the way a GP on a phone and a coordinator would.

Chromium comes from the project's set-up (`make system-deps` installs Debian's package); if it
is missing these tests fail, unless SCHEDULER_SKIP_BROWSER=1 says to skip them on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.api import create_app
from scheduler.collection.answers import Answers, save_answers, stored_answers
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.collection.invitations import invite, revoke
from scheduler.config.settings import Settings
from scheduler.domain.problem import Answer
from scheduler.models import TensionPeriod
from scheduler.storage.db import make_engine, migrate
from scheduler.storage.periods import period_slots
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    listening_socket,
    require_chromium,
    serving,
)
from tests.support.collection import load_period

require_chromium()

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402


@dataclass(frozen=True)
class Site:
    """The running service: its base URL and a handle on its database."""

    url: str
    engine: Engine
    #: Two periods in the future (real clock): one stays open, one gets its deadline passed.
    open_period: str
    open_start: date
    closing_period: str

    def link(self, doctor_id: str, period_id: str) -> str:
        with Session(self.engine) as session:
            now = datetime.now(UTC)
            [issued] = invite(session, period_id, [doctor_id], now=now, base_url=self.url)
        return issued.url


def _next_monday(after: date) -> date:
    return after + timedelta(days=7 - after.weekday())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'scheduler.db'}"
    migrate(url)
    engine = make_engine(url)
    start = _next_monday(date.today() + timedelta(days=30))
    with Session(engine) as session:
        load_period(session, start, start - timedelta(days=7), period_id="ouvert")
        later = start + timedelta(days=28)
        load_period(session, later, later - timedelta(days=7), period_id="bientot-clos")
    listener, base = listening_socket()
    app = create_app(Settings(database_url=url, base_url=base))
    try:
        with serving(app, listener):
            yield Site(url=base, engine=engine, open_period="ouvert", open_start=start,
                       closing_period="bientot-clos")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def choices(page: Page) -> dict[str, str]:
    """slot id → checked choice, read from the page."""
    pairs: list[list[str]] = page.eval_on_selector_all(
        "input[type=radio]:checked", "els => els.map(e => [e.name, e.value])")
    return {name.removeprefix("slot:"): value for name, value in pairs}


def slot_group(page: Page, pattern: str) -> Locator:
    return page.get_by_role("group", name=re.compile(pattern)).first


def test_gp_on_a_phone_fills_the_grid_saves_and_finds_the_same_answers(
    site: Site, phone: Page
) -> None:
    link = site.link("dr-anne", site.open_period)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Vos disponibilités")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.get_by_role("button", name=re.compile("^Tous les dimanches")).first.click()
    expect(phone.locator("#pre-rempli")).to_contain_text("marqués « Dispo »")
    sundays = {slot for slot, choice in choices(phone).items() if choice == "available"}
    assert len(sundays) >= 2

    # By hand: the first Monday evening preferred (a tap), the first Tuesday with the keyboard.
    monday = slot_group(phone, r"^lundi .* 20:00–24:00")
    monday.get_by_label("Préféré").check()
    tuesday = slot_group(phone, r"^mardi .* 20:00–24:00")
    tuesday.get_by_label("Non").focus()
    phone.keyboard.press("ArrowRight")
    expect(tuesday.get_by_label("Dispo")).to_be_checked()
    phone.get_by_label("Au plus, sur toute la période").fill("4")
    away = (site.open_start + timedelta(days=2)).isoformat()
    phone.get_by_label("Du", exact=True).first.fill(away)
    phone.get_by_label("Au", exact=True).first.fill(away)
    wanted = choices(phone)

    phone.get_by_role("button", name="Enregistrer mes disponibilités").click()
    confirmation = phone.locator("#confirmation")
    expect(confirmation).to_contain_text("Vos réponses sont enregistrées")
    offered = len(sundays) + 2
    expect(confirmation).to_contain_text(
        f"{offered} créneaux proposés (dont 1 préféré), au plus 4 gardes ; "
        "1 période d'absence.")

    phone.reload()
    assert choices(phone) == wanted
    expect(phone.get_by_label("Au plus, sur toute la période")).to_have_value("4")
    expect(phone.get_by_label("Du", exact=True).first).to_have_value(away)
    with Session(site.engine) as session:
        saved = stored_answers(session, "dr-anne", site.open_period)
    assert saved is not None and len(saved.availability) == offered


def test_coordinator_sees_the_gps_answer(site: Site, browser: Browser) -> None:
    with Session(site.engine) as session:
        period = session.get(TensionPeriod, site.open_period)
        assert period is not None
        first_slots = [s.id for s in period_slots(session, site.open_period)[:3]]
        offer = dict.fromkeys(first_slots, Answer.AVAILABLE)
        save_answers(session, "dr-bruno", site.open_period,
                     Answers(availability=offer, max_shifts=2), now=datetime.now(UTC))
        url = issue_coordinator_link(session, "cpts-val", now=datetime.now(UTC),
                                     base_url=site.url, period_id=site.open_period)
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi des membres")
    bruno = page.locator('tr[data-doctor="dr-bruno"]')
    expect(bruno).to_contain_text("Répondu le")
    expect(bruno).to_contain_text("3 créneaux")
    expect(bruno).to_contain_text("au plus 2 gardes")
    assert page.locator('input[name^="slot:"]').count() == 0  # read-only
    context.close()


def test_after_the_deadline_the_gp_cannot_change_anything(site: Site, phone: Page) -> None:
    link = site.link("dr-chloe", site.closing_period)
    phone.goto(link)
    expect(phone.get_by_role("button", name="Enregistrer mes disponibilités")).to_be_visible()
    with Session(site.engine) as session:
        period = session.get(TensionPeriod, site.closing_period)
        assert period is not None
        period.availability_deadline = date.today() - timedelta(days=1)
        session.add(period)
        session.commit()

    phone.reload()
    expect(phone.locator("#ferme")).to_contain_text("La date limite de réponse")
    expect(phone.locator("#ferme")).to_contain_text("est passée")
    assert phone.get_by_role("button", name="Enregistrer mes disponibilités").count() == 0
    assert phone.get_by_role("button", name=re.compile("^Tous les")).count() == 0
    radio = phone.locator("input[type=radio]").first
    expect(radio).to_be_disabled()
    expect(phone.get_by_label("Au plus, sur toute la période")).to_be_disabled()

    # Even a hand-made post (with the page's anti-CSRF token) changes nothing.
    slot = phone.locator("input[type=radio]").first.get_attribute("name") or ""
    token = phone.locator("input[name=csrftoken]").get_attribute("value") or ""
    response = phone.request.post(link, form={"formulaire": "disponibilites", "action": "save",
                                              slot: "available",
                                              "csrftoken": token})
    assert response.status == 409
    with Session(site.engine) as session:
        saved = stored_answers(session, "dr-chloe", site.closing_period)
    assert saved is not None and saved.availability == {}


def test_a_revoked_link_shows_the_error_page(site: Site, phone: Page) -> None:
    link = site.link("dr-anne", site.closing_period)
    with Session(site.engine) as session:
        revoke(session, site.closing_period, "dr-anne", now=datetime.now(UTC))
    response = phone.goto(link)
    assert response is not None and response.status == 404
    expect(phone.get_by_role("heading", level=1)).to_have_text("Lien non valide")
    expect(phone.locator("main")).to_contain_text("Contact des urgences")
    assert phone.locator("form").count() == 0
