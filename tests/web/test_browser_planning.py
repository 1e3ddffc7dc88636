"""Generating and publishing a rota in a real browser (Debian's chromium, Playwright), on SQLite
and PostgreSQL: a real uvicorn server and a real `scheduler worker` process. A new manager
signs in, creates a period field by field, imports a roster into it after its preview,
opens a period with answers, generates a rota, watches the job reach its end (live, through
the job's events and `job.js`, under the Content-Security-Policy), reads an empty seat's
reason, replaces a doctor by the best-ranked candidate (pinned), generates again (the pin
stays), publishes the first version
after confirming (the deadline is ahead), sees it published, downloads the payment statement
(its total checked against the rota's hours) and reads the gaps page. Screenshots at laptop and
tablet widths land in the test's temporary folder."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account
from scheduler.api import create_app
from scheduler.config.settings import Settings
from scheduler.domain.enums import Role
from scheduler.domain.rpps import make_rpps
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import parse_scenario
from scheduler.storage.loader import load_scenario_into
from tests.support import REPO
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    listening_socket,
    require_chromium,
    serving,
)
from tests.support.collection import NOW, scenario_data

require_chromium()

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

MANAGER = "cadre@chiv.test"
PASSWORD = "un mot de passe assez long"
PERIOD = "ete-planning"
#: The issue's widths: a laptop and a tablet held upright.
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def served(engine: Engine) -> Iterator[str]:
    url = engine.url.render_as_string(hide_password=False)
    start = date.today() + timedelta(days=40)
    with Session(engine) as session:
        # Dr Anne offers the weekday evenings too: a seat there has someone to replace Dr Bruno.
        data = scenario_data(start, start - timedelta(days=7), PERIOD)
        data["doctors"][0]["availability"] = [{"answer": "preferred", "templates": ["soir"]}]
        scenario = parse_scenario(data, "browser")
        load_scenario_into(session, scenario, expand(scenario, "browser"), "browser", now=NOW)
        create_account(session, email=MANAGER, password=PASSWORD, role=Role.MANAGER,
                       sites=["chiv"], now=datetime.now(UTC))
    worker = subprocess.Popen([sys.executable, "-m", "scheduler", "worker"], cwd=REPO,
                              env={**os.environ, "SCHEDULER_DATABASE_URL": url},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listener, base = listening_socket()
    app = create_app(Settings(database_url=url, base_url=base, sign_in_rate="1000/minute"))
    try:
        with serving(app, listener):
            yield base
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def _page(browser: Browser, viewport: dict[str, int], errors: list[str]) -> Page:
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page: Page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    return page


def test_a_manager_generates_watches_and_publishes_a_rota(served: str, tmp_path: Path) -> None:
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        page = _page(browser, LAPTOP, errors)
        page.goto(served + "/")
        page.get_by_label("Adresse électronique").fill(MANAGER)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        # A new period described field by field (the usual slots proposed; the manager's only
        # site checked), then a roster imported into it after reading the preview.
        page.get_by_role("link", name="Nouvelle période").click()
        page.get_by_label("Nom", exact=True).fill("Vacances de Noël")
        first = date.today() + timedelta(days=60)
        page.get_by_label("Premier jour").fill(first.isoformat())
        page.get_by_label("Dernier jour").fill((first + timedelta(days=13)).isoformat())
        page.get_by_label("Places, ligne 2").fill("2")
        page.screenshot(path=str(tmp_path / "new-period-laptop.png"), full_page=True)
        page.get_by_role("button", name="Créer la période").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Vacances de Noël")
        page.get_by_role("link", name="Invitations").first.click()
        page.get_by_role("link", name="Importer un annuaire de médecins (CSV)").click()
        roster = tmp_path / "membres.csv"
        roster.write_bytes((f"Nom;Prénom;Courriel;N° RPPS\r\nLefèvre;Hélène;"
                            f"helene.lefevre@example.org;{make_rpps('2000000001')}\r\n"
                            ).encode("cp1252"))
        page.get_by_label("Fichier CSV").set_input_files(str(roster))
        page.get_by_role("button", name="Voir l'aperçu").click()
        expect(page.locator("table.roster tbody tr")).to_contain_text("Hélène Lefèvre")
        expect(page.locator("table.roster tbody tr")).to_contain_text("nouveau")
        page.screenshot(path=str(tmp_path / "roster-preview-laptop.png"), full_page=True)
        page.get_by_role("button", name="Importer cette ligne").click()
        expect(page.get_by_role("status")).to_contain_text("Annuaire importé : 1 ligne")
        expect(page.locator("fieldset.others")).to_contain_text("Hélène Lefèvre")
        page.goto(served + "/")
        page.get_by_role("link", name=f"Été test ({PERIOD})").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Été test ({PERIOD})")
        expect(page.locator("main")).to_contain_text("Pas encore de planning")
        page.screenshot(path=str(tmp_path / "period-empty-laptop.png"), full_page=True)

        page.get_by_label("Durée du calcul").select_option("20")
        page.get_by_role("button", name="Générer le planning").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Calcul n° \d+"))
        # Live, then the finished page: the state, the stage reached, the saved version.
        expect(page.get_by_role("status")).to_contain_text("terminé", timeout=60_000)
        expect(page.locator("[data-field=stage]")).to_have_text("préférences")
        expect(page.get_by_text("Planning enregistré")).to_contain_text("version 1")
        expect(page.get_by_role("button", name="Annuler le calcul")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "job-done-laptop.png"), full_page=True)
        job_url = page.url

        # The version reviewed: every empty seat with its reason, in French.
        page.get_by_role("link", name="version 1").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Version 1 du planning")
        holes = page.locator("ul.holes li")
        expect(holes.first).to_contain_text("non pourvue")
        expect(holes.first.locator(".reason")).to_have_text(re.compile(
            r"^(Aucun médecin disponible\.|Aucun autre médecin disponible\.|"
            r"(Le seul médecin disponible ne peut|Les \d+ médecins disponibles ne peuvent) "
            r"pas le prendre — .+\.)$"))
        expect(page.locator("table.rota")).to_contain_text("Dr Bruno Petit")
        page.screenshot(path=str(tmp_path / "version-laptop.png"), full_page=True)
        version_url = page.url

        # Replace a doctor on an evening by the best-ranked candidate: a new version, where
        # the choice is pinned (the next generation keeps it).
        before = "Dr Bruno Petit"
        page.locator("table.rota tr", has_text=before).first.get_by_role("link").click()
        expect(page.get_by_role("heading", name="Médecins de garde")).to_be_visible()
        on_slot = page.locator("ul.on-slot li", has_text=before)
        on_slot.get_by_role("link", name="Remplacer…").click()
        candidate = page.locator("table.candidates tbody tr").first
        chosen = candidate.get_by_role("rowheader").inner_text()
        assert chosen != before
        page.screenshot(path=str(tmp_path / "slot-replace-laptop.png"), full_page=True)
        candidate.get_by_role("button", name="Mettre à sa place").click()
        expect(page.get_by_role("link", name="← Version 2")).to_be_visible()
        expect(page.locator("ul.on-slot")).to_contain_text(chosen)
        expect(page.locator("ul.on-slot")).to_contain_text("épinglé")
        expect(page.locator("ul.on-slot")).not_to_contain_text(before)
        slot_path = re.sub(r"/versions/\d+/", "/versions/{n}/", page.url.split("?")[0])

        # Generate again: the new version keeps the pinned choice.
        page.goto(f"{served}/periodes/{PERIOD}")
        page.get_by_label("Durée du calcul").select_option("20")
        page.get_by_role("button", name="Générer le planning").click()
        expect(page.get_by_role("status")).to_contain_text("terminé", timeout=60_000)
        expect(page.get_by_text("Planning enregistré")).to_contain_text("version 3")
        page.goto(slot_path.format(n=3))
        expect(page.locator("ul.on-slot")).to_contain_text(chosen)
        expect(page.locator("ul.on-slot")).to_contain_text("épinglé")

        page.goto(version_url)
        # Version 1 breaks no rule; it just predates the decisions (the pin, the removal).
        expect(page.locator(".summary div", has_text="Règles enfreintes")).to_contain_text("0")
        expect(page.locator(".notice.warn")).to_contain_text("2 décisions")

        page.get_by_role("link", name=f"← Été test ({PERIOD})").click()
        for newer in ("Version 3", "Version 2"):
            expect(page.locator("table.versions").get_by_role("row", name=newer)
                   ).to_contain_text("brouillon")
        row = page.locator("table.versions").get_by_role("row", name="Version 1")
        expect(row).to_contain_text("brouillon")
        row.get_by_role("button", name="Publier la version 1").click()
        # The deadline is ahead: confirm first.
        expect(page.get_by_role("heading", level=1)).to_have_text("Publier la version 1 ?")
        expect(page.locator(".notice.warn")).to_contain_text("n'est pas passée")
        page.screenshot(path=str(tmp_path / "publish-confirm-laptop.png"), full_page=True)
        page.get_by_role("button", name="Publier quand même").click()
        published = page.locator("table.versions").get_by_role("row", name="Version 1")
        expect(published).to_contain_text("publiée")
        expect(published.get_by_role("button")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "period-published-laptop.png"), full_page=True)

        # The payment statement, at the period's rate: its total is the rota's hours × rate.
        page.get_by_label("Taux horaire (€)").fill("80")
        page.get_by_role("button", name="Enregistrer le taux").click()
        page.goto(version_url)
        with page.expect_download() as download:
            page.locator(".downloads").get_by_role("link", name="CSV").nth(1).click()
        rows = list(csv.reader(io.StringIO(
            Path(download.value.path()).read_text(encoding="utf-8-sig")), delimiter=";"))
        total = rows[-1]
        hours = sum(Decimal(r[3].replace(",", ".")) for r in rows[1:-1])
        assert total[0] == "Total" and Decimal(total[3].replace(",", ".")) == hours > 0
        assert Decimal(total[5].replace(",", ".")) == hours * 80

        page.goto(f"{served}/periodes/{PERIOD}/besoins")
        expect(page.get_by_role("heading", level=1)).to_have_text("Besoins et disponibilités")
        expect(page.locator("ul.risks li").first).to_contain_text("de plus pour les")
        page.screenshot(path=str(tmp_path / "gaps-laptop.png"), full_page=True)

        tablet = _page(browser, TABLET, errors)
        tablet.context.add_cookies(page.context.cookies())
        period_url = f"{served}/periodes/{PERIOD}"
        for name, url in (("period", period_url), ("job", job_url), ("version", version_url),
                          ("gaps", f"{period_url}/besoins"), ("week", f"{version_url}/semaine"),
                          ("invitations", f"{period_url}/invitations"),
                          ("edit", f"{period_url}/modifier"), ("home", f"{served}/"),
                          ("new-period", f"{served}/periodes-nouvelle")):
            tablet.goto(url)
            tablet.screenshot(path=str(tmp_path / f"{name}-tablet.png"), full_page=True)
        browser.close()
    assert errors == []  # no script error, no Content-Security-Policy violation
