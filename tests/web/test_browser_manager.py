"""The manager's door in a real browser (Debian's chromium, Playwright, a real uvicorn server):
sign in, see one's periods, sign out; a locked account; a form without its anti-CSRF token;
the API docs with the network cut; and no page breaking its Content-Security-Policy.

Screenshots of the pages land in the test's temporary folder (laptop and tablet widths).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account
from scheduler.api import create_app
from scheduler.collection.invitations import invite
from scheduler.config.settings import Settings
from scheduler.domain.enums import Role
from scheduler.storage.db import make_engine, migrate
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    TABLET,
    TIMEOUT_MS,
    listening_socket,
    require_chromium,
    serving,
)
from tests.support.collection import load_period

require_chromium()

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    Route,
    expect,
    sync_playwright,
)

MANAGER = "cadre@chiv.test"
LOCKED = "oublieux@chiv.test"
PASSWORD = "un mot de passe assez long"
PERIOD = "ete-navigateur"


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('manager') / 'scheduler.db'}"
    migrate(url)
    engine = make_engine(url)
    start = date.today() + timedelta(days=40)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_period(session, start, start - timedelta(days=7), period_id=PERIOD)
        for email in (MANAGER, LOCKED):
            create_account(session, email=email, password=PASSWORD, role=Role.MANAGER,
                           sites=["chiv"], now=now)
    listener, base = listening_socket()
    # Every sign-in of the module comes from 127.0.0.1: the per-address limit is tested in
    # test_signin.py, not here.
    app = create_app(Settings(database_url=url, base_url=base, sign_in_rate="1000/minute"))
    try:
        with serving(app, listener):
            yield Site(url=base, engine=engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    page: Page
    #: Console errors, Content-Security-Policy violations included.
    errors: list[str]
    #: Requests to anywhere but the service (the network is cut: each would fail).
    outside: list[str]


def open_tab(browser: Browser, site: Site, viewport: dict[str, int]) -> Iterator[Tab]:
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    tab = Tab(page=page, errors=[], outside=[])

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(message.text)

    def cut_network(route: Route) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            tab.outside.append(route.request.url)
            route.abort()

    page.on("console", console)
    page.route("**/*", cut_network)
    yield tab
    context.close()


@pytest.fixture
def laptop(browser: Browser, site: Site) -> Iterator[Tab]:
    yield from open_tab(browser, site, LAPTOP)


@pytest.fixture
def tablet(browser: Browser, site: Site) -> Iterator[Tab]:
    yield from open_tab(browser, site, TABLET)


def sign_in(tab: Tab, site: Site, email: str = MANAGER, password: str = PASSWORD) -> None:
    tab.page.goto(site.url + "/")
    tab.page.get_by_label("Adresse électronique").fill(email)
    tab.page.get_by_label("Mot de passe").fill(password)
    tab.page.get_by_role("button", name="Se connecter").click()


def test_manager_signs_in_sees_the_periods_and_signs_out(
    laptop: Tab, tablet: Tab, site: Site, tmp_path: Path
) -> None:
    for tab, name in ((laptop, "laptop"), (tablet, "tablet")):
        page = tab.page
        page.goto(site.url + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        page.screenshot(path=str(tmp_path / f"signin-{name}.png"), full_page=True)
        sign_in(tab, site)
        expect(page.get_by_role("heading", level=1)).to_have_text("Périodes de tension")
        row = page.get_by_role("row", name="Été test")
        expect(row).to_contain_text("1 / 3 médecins invités")  # dr-bruno answered in the file
        expect(row).to_contain_text("pas encore de planning")
        page.screenshot(path=str(tmp_path / f"home-{name}.png"), full_page=True)
        cookie = next(c for c in page.context.cookies() if c["name"] == "scheduler_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        page.goto(site.url + "/docs")  # signed out: back to the door
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        assert tab.errors == [] and tab.outside == []


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(laptop: Tab,
                                                                     site: Site) -> None:
    page = laptop.page
    for _ in range(5):
        sign_in(laptop, site, LOCKED, "pas le bon mot de passe")
        expect(page.get_by_role("alert")).to_contain_text(
            "Adresse électronique ou mot de passe incorrect.")
    # Locked: the right password is refused too, with the same words (which never tell a
    # locked account from an unknown address).
    sign_in(laptop, site, LOCKED, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("verrouillé pendant 15 minutes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    sign_in(laptop, site, "personne@chiv.test", PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("verrouillé pendant 15 minutes")


def test_a_form_posted_without_its_csrf_token_is_refused_in_french(
    laptop: Tab, site: Site
) -> None:
    with Session(site.engine) as session:
        [issued] = invite(session, PERIOD, ["dr-anne"], now=datetime.now(UTC),
                          base_url=site.url)
    page = laptop.page
    page.goto(issued.url)
    page.locator("input[name=csrftoken]").evaluate("field => field.remove()")
    page.get_by_role("button", name="Enregistrer mes disponibilités").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Formulaire expiré")
    expect(page.locator("main")).to_contain_text("rien n'a été enregistré")


def test_the_api_docs_render_with_the_network_cut(laptop: Tab, site: Site,
                                                 tmp_path: Path) -> None:
    sign_in(laptop, site)
    page = laptop.page
    page.goto(site.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ED relief scheduler")
    expect(page.get_by_text("/api/v1/periods/{period_id}/slots")).to_be_visible()
    page.screenshot(path=str(tmp_path / "docs-laptop.png"))
    page.goto(site.url + "/redoc")
    expect(page.get_by_role("heading", name="ED relief scheduler").first).to_be_visible()
    assert laptop.outside == []
    # ReDoc's footer logo lives on a CDN: the policy blocks it, which is what offline means.
    # Nothing of the service's own (scripts, styles) may be refused.
    refused = [e for e in laptop.errors if "Content Security Policy" in e
               and "cdn.redoc.ly" not in e]
    assert refused == []


def test_pages_keep_their_content_security_policy(laptop: Tab, site: Site) -> None:
    with Session(site.engine) as session:
        [issued] = invite(session, PERIOD, ["dr-bruno"], now=datetime.now(UTC),
                          base_url=site.url)
    page = laptop.page
    for path in (issued.url, issued.url + "/agenda", site.url + "/"):
        response = page.goto(path)
        assert response is not None and response.ok
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    sign_in(laptop, site)
    page.goto(site.url + "/mot-de-passe")
    assert laptop.errors == [], laptop.errors
