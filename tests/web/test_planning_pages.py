"""The manager's planning pages on SQLite and PostgreSQL (a signed-in browser, through the app):
the gaps page (grid, slots at risk in words, answers by organisation), a version's exports
(rota and payment, CSV and XLSX, totals checked against the rota), the hourly rate form, and
a second generation while one runs."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account
from scheduler.access.credentials import open_session
from scheduler.domain.enums import JobState, Role, RotaStatus
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.models import DateAway, PinRow, TensionPeriod
from scheduler.planning.jobs import claim, finish, request_job
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_versions, save_rota
from scheduler.web.auth import SESSION_COOKIE
from scheduler.web.csrf import FIELD
from tests.support.collection import NOW, PERIOD, load_period, set_clock
from tests.support.web import app_client

#: Dr Bruno Petit on two weekday evenings (20:00–24:00: 4 h each).
EVENINGS = ("chiv-20270705-2000", "chiv-20270706-2000")


@dataclass
class Browser:
    client: TestClient
    csrf: str

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data={**data, FIELD: self.csrf}, follow_redirects=False)


@pytest.fixture
def browser(engine: Engine, session: Session) -> Iterator[Browser]:
    problem = load_period(session)
    account = create_account(session, email="cadre@chiv.test", password="un mot de passe long",
                             role=Role.MANAGER, sites=["chiv"], now=NOW)
    secret = open_session(session, account, now=NOW, hours=2)
    save_rota(session, PERIOD, problem, Rota(status=SolveStatus.FEASIBLE, assignments=[
        Assignment(doctor="dr-bruno", slot=slot) for slot in EVENINGS]))
    session.commit()
    with app_client(engine) as client:
        set_clock(client.app, NOW)  # type: ignore[arg-type]
        client.cookies.set(SESSION_COOKIE, secret)
        client.get("/")
        yield Browser(client=client, csrf=client.cookies.get(FIELD) or "")


def test_the_gaps_page_shows_the_grid_the_risks_and_the_answer_rates(browser: Browser) -> None:
    page = browser.client.get(f"/periodes/{PERIOD}/besoins")
    assert page.status_code == 200
    text = html.unescape(page.text)
    # Dr Bruno offers every weekday evening: one doctor for one seat, no spare ("tight");
    # nobody offers the weekend slots ("none").
    assert 'class="gap gap-tight"' in text and 'class="gap gap-none"' in text
    assert "lundi 5 juillet, 20:00–24:00 : 1 médecin disponible pour 1 place" in text
    assert "1 médecin de plus pour les lundis (Soirée de semaine) de juillet (2 créneaux)" in text
    assert "2 médecins de plus pour les dimanches (Dimanche soir) de juillet (2 créneaux)" in text
    rates = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>\s*<td>(\d+) %',
                       text)
    assert ("CPTS du Val (fictive)", "2", "1", "50") in rates
    assert ("SAMI 94 (fictif)", "1", "0", "0") in rates


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_rota_exports_as_csv_and_xlsx(browser: Browser) -> None:
    base = f"/periodes/{PERIOD}/versions/1/export"
    response = browser.client.get(f"{base}/planning.csv")
    assert response.headers["content-disposition"] == \
        f'attachment; filename="{PERIOD}-v1-planning.csv"'
    rows = _csv(response.content)
    assert rows[0][:3] == ["Date", "Jour", "Début"]
    assert [(r[0], r[1], r[2], r[3], r[6], r[8]) for r in rows[1:]] == [
        ("2027-07-05", "lundi", "20:00", "24:00", "Dr Bruno Petit", "4,00"),
        ("2027-07-06", "mardi", "20:00", "24:00", "Dr Bruno Petit", "4,00")]
    book = openpyxl.load_workbook(io.BytesIO(browser.client.get(f"{base}/planning.xlsx").content))
    assert [row[6] for row in book["Planning"].iter_rows(min_row=2, values_only=True)] == [
        "Dr Bruno Petit", "Dr Bruno Petit"]


def test_the_payment_statement_totals_the_rota_at_the_periods_rate(browser: Browser,
                                                                    engine: Engine) -> None:
    base = f"/periodes/{PERIOD}/versions/1/export"
    missing = browser.client.get(f"{base}/paiement.csv")
    assert missing.status_code == 400 and "Taux horaire" in html.unescape(missing.text)
    assert browser.post(f"/periodes/{PERIOD}/tarif", {"taux": "85,50"}).status_code == 303
    with Session(engine) as session:
        period = session.get(TensionPeriod, PERIOD)
        assert period is not None and period.hourly_rate == 85.5
    rows = _csv(browser.client.get(f"{base}/paiement.csv").content)
    assert rows[1:] == [["Dr Bruno Petit", rows[1][1], "2", "8,00", "85,50", "684,00"],
                        ["Total", "", "2", "8,00", "85,50", "684,00"]]
    book = openpyxl.load_workbook(io.BytesIO(browser.client.get(f"{base}/paiement.xlsx").content))
    [doctor, total] = list(book["Paiement"].iter_rows(min_row=2, values_only=True))
    assert doctor[2:] == (2, 8.0, 85.5, 684.0) and total[5] == 684.0
    # Another rate for one statement, without changing the period's.
    rows = _csv(browser.client.get(f"{base}/paiement.csv?taux=100").content)
    assert rows[-1][-1] == "800,00"


@pytest.mark.parametrize("rate", ["beaucoup", "-5", "1001", "8²", "85,555"])
def test_a_bad_rate_is_refused_in_french_and_changes_nothing(browser: Browser, engine: Engine,
                                                             rate: str) -> None:
    response = browser.post(f"/periodes/{PERIOD}/tarif", {"taux": rate})
    assert response.status_code == 400
    assert "Taux horaire" in html.unescape(response.text)
    with Session(engine) as session:
        period = session.get(TensionPeriod, PERIOD)
        assert period is not None and period.hourly_rate is None


def test_generating_twice_leads_to_the_job_already_queued(browser: Browser) -> None:
    first = browser.post(f"/periodes/{PERIOD}/calculs", {"duree": "20"})
    second = browser.post(f"/periodes/{PERIOD}/calculs", {"duree": "60"})
    location = first.headers["location"]
    assert re.fullmatch(rf"/periodes/{PERIOD}/calculs/\d+", location)
    assert second.headers["location"] == location
    page = html.unescape(browser.client.get(location).text)
    assert "en attente d'un calculateur" in page and "Annuler le calcul" in page
    assert browser.post(f"{location}/annuler", {}).status_code == 303
    assert "annulé" in browser.client.get(location).text


def test_home_lists_upcoming_periods_first_with_seats_and_offers(browser: Browser,
                                                                 session: Session) -> None:
    load_period(session, date(2027, 1, 4), date(2026, 12, 20), period_id="hiver-passe")
    load_period(session, date(2027, 9, 6), date(2027, 8, 20), period_id="rentree")
    text = html.unescape(browser.client.get("/").text)
    names = re.findall(r'<a href="/periodes/([^"]+)">', text)
    # The clock is 1 June 2027: July and September are ahead (soonest first), January past.
    assert names == [PERIOD, "rentree", "hiver-passe"]
    assert "16 places / 10 disponibilités" in text


def test_a_week_prints_who_is_on_each_slot_and_the_empty_seats(browser: Browser) -> None:
    base = f"/periodes/{PERIOD}/versions/1/semaine"
    text = html.unescape(browser.client.get(base).text)
    assert "Semaine du 5 juillet 2027" in text and "lundi 5 juillet" in text
    assert text.count("Dr Bruno Petit") == 2 and "(place vide)" in text
    assert "Semaine précédente" not in text and "?du=2027-07-12" in text
    second = html.unescape(browser.client.get(f"{base}?du=2027-07-14").text)
    assert "Semaine du 12 juillet 2027" in second and "Dr Bruno Petit" not in second
    assert browser.client.get(f"{base}?du=2099-01-01").status_code == 200  # the last week
    bad = browser.client.get(f"{base}?du=demain")
    assert bad.status_code == 400 and "AAAA-MM-JJ" in bad.text


def test_inviting_from_the_page_shows_working_links_and_revoking_kills_them(
        browser: Browser, engine: Engine) -> None:
    page = html.unescape(browser.client.get(f"/periodes/{PERIOD}/invitations").text)
    assert "Médecins de la période" in page and "Dr Bruno Petit" in page
    issued = browser.post(f"/periodes/{PERIOD}/invitations/inviter", {"medecin": "dr-anne"})
    assert issued.status_code == 200
    [link] = re.findall(r'value="(http[^"]+/g/[^"]+)"', issued.text)
    path = "/g/" + link.rsplit("/g/", 1)[1]
    assert browser.client.get(path).status_code == 200  # the GP's form opens
    assert browser.post(f"/periodes/{PERIOD}/invitations/dr-anne/revoquer", {}
                        ).status_code == 303
    assert browser.client.get(path).status_code == 404
    # A whole organisation at once: its two members.
    members = browser.post(f"/periodes/{PERIOD}/invitations/inviter",
                           {"structure": "cpts-val"})
    assert len(re.findall(r'value="http[^"]+/g/', members.text)) == 2
    refused = browser.post(f"/periodes/{PERIOD}/invitations/inviter", {})
    assert refused.status_code == 400 and "Invitation" in html.unescape(refused.text)


def test_the_version_page_charts_each_doctors_hours_against_their_offer(
        browser: Browser, engine: Engine) -> None:
    text = html.unescape(browser.client.get(f"/periodes/{PERIOD}/versions/1").text)
    with Session(engine) as session:
        problem = problem_from_db(session, PERIOD)
    slots = problem.slot_by_id()
    bruno = problem.doctor_by_id()["dr-bruno"]
    offered = sum(slots[s].minutes for s in bruno.availability) / 60
    # Dr Bruno works 2 evenings of 4 h; the longest offer (his: the only one) spans the chart.
    assert f"Dr Bruno Petit : 8 h sur {offered:g} h proposées" in text
    assert '<rect x="190" y="3" height="16" width="420.0" fill="#d6e4f0">' in text
    assert f'width="{round(420 * 8 / offered, 1)}" fill="#005a9c">' in text


def test_period_pages_are_never_cached(browser: Browser) -> None:
    """They show doctors' data and, after an invitation, personal links shown once."""
    for path in (f"/periodes/{PERIOD}", f"/periodes/{PERIOD}/invitations",
                 f"/periodes/{PERIOD}/versions/1/export/planning.csv"):
        response = browser.client.get(path)
        assert response.headers["cache-control"] == "no-store", path
    issued = browser.post(f"/periodes/{PERIOD}/invitations/inviter", {"medecin": "dr-anne"})
    assert issued.headers["cache-control"] == "no-store"
    assert issued.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(("status", "pins", "needle"), [
    # Two doctors pinned on a one-seat evening: the pins contradict each other.
    ("infeasible", ("dr-anne", "dr-bruno"),
     "les épinglages du créneau (lundi 5 juillet, 20:00–24:00) : Dr Anne Martin, Dr Bruno Petit "
     "— plus d'épinglages que de places sur le créneau. Levez l’un de ces épinglages, puis "
     "relancez le calcul."),
    ("infeasible", (), "Aucun planning ne respecte toutes les règles à la fois"),
    ("unknown", (), "Aucun planning trouvé dans le temps donné : relancez le calcul avec une "
                    "durée plus longue."),
])
def test_a_failed_job_says_why_in_french(browser: Browser, engine: Engine, status: str,
                                         pins: tuple[str, ...], needle: str) -> None:
    with Session(engine) as session:
        for position, doctor in enumerate(pins):
            session.add(PinRow(period_id=PERIOD, doctor_id=doctor, slot_id=EVENINGS[0],
                               position=position))
        job = request_job(session, PERIOD, requested_by="cadre@chiv.test",
                          time_limit_seconds=5, seed=1, now=NOW, stale_after=timedelta(0))
        job_id = job.id
        session.commit()
        assert job_id is not None and claim(session, job_id, "test", NOW) is not None
        assert finish(session, job_id, 1, JobState.FAILED, NOW,
                      f"no rota ({status}): nothing was saved", "hard rules: no rota")
    page = html.unescape(browser.client.get(f"/periodes/{PERIOD}/calculs/{job_id}").text)
    assert needle in page
    assert "hard rules" not in page.split("Journal")[0]  # the English error stays out
    listed = html.unescape(browser.client.get(f"/periodes/{PERIOD}").text)
    assert "pas de planning (voir le calcul)" in listed and "['" not in listed


def test_a_version_breaking_a_rule_now_says_which_and_is_not_published(
        browser: Browser, session: Session) -> None:
    """Dr Bruno declares an absence on one of his evenings after version 1 was made: its page
    names the broken rule in French, and publishing it is refused with the same words."""
    session.add(DateAway(doctor_id="dr-bruno", period_id=PERIOD, first=date(2027, 7, 5),
                         last=date(2027, 7, 5)))
    session.commit()
    line = "Dr Bruno Petit — lundi 5 juillet, 20:00–24:00 : le médecin est absent à cette date"
    page = html.unescape(browser.client.get(f"/periodes/{PERIOD}/versions/1").text)
    assert line in page and "il ne peut pas être publié" in page
    # Refused at once, before the confirmation the deadline would ask for; and confirmed too.
    for fields in ({}, {"confirme": "oui"}):
        refused = browser.post(f"/periodes/{PERIOD}/versions/1/publier", fields)
        assert refused.status_code == 409
        text = html.unescape(refused.text)
        assert "La version 1 ne peut pas être publiée" in text and line in text
    session.expire_all()
    assert [v.status for v in rota_versions(session, PERIOD)] == [RotaStatus.DRAFT]


def test_the_versions_and_jobs_are_dated_in_the_periods_local_time(
        browser: Browser, session: Session) -> None:
    """The server's clock is UTC; the manager reads Paris time (the period's time zone)."""
    assert browser.post(f"/periodes/{PERIOD}/calculs", {"duree": "20"}).status_code == 303
    (version,) = rota_versions(session, PERIOD)
    page = browser.client.get(f"/periodes/{PERIOD}").text
    paris = ZoneInfo("Europe/Paris")
    assert version.created_at.astimezone(paris).strftime("%d/%m/%Y %H:%M") in page
    assert version.created_at.astimezone(UTC).strftime("%d/%m/%Y %H:%M") not in page
    # The job was requested at the app's clock, NOW.
    assert NOW.astimezone(paris).strftime("%d/%m/%Y %H:%M") in page
    assert NOW.astimezone(UTC).strftime("%d/%m/%Y %H:%M") not in page
