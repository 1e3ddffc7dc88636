"""Two tabs on one GP form (issue 14's case), on SQLite and PostgreSQL: tab A loads the form;
tab B saves a preferred night and a cap of 2; tab A, stale, saves Bastille Day. Tab A's save is
refused with a French message showing the answers now stored (tab B's), never a silent
overwrite; from there a save works. The JSON API refuses the same way with
`expected_revision`. Also: week links, dates away contradicting offered slots said on save, and
the form and the shifts page linking to each other."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, update

from scheduler.collection.answers import stored_answers
from scheduler.domain.enums import PeriodStatus
from scheduler.domain.problem import Answer
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.models import TensionPeriod
from scheduler.publication.publish import publish
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import save_rota
from scheduler.web.csrf import FIELD
from tests.support.collection import NOW, PERIOD, link_secret, load_period, set_clock
from tests.support.dump import dump
from tests.support.web import app_client, form_revision

NIGHT = "chiv-20270711-2000"  # Sunday evening
BASTILLE_DAY = "chiv-20270714-0800"


@pytest.fixture
def anne(engine: Engine, session: Session) -> Iterator[tuple[TestClient, str]]:
    load_period(session)
    path = f"/g/{link_secret(session, 'dr-anne')}"
    session.commit()
    with app_client(engine) as client:
        set_clock(client.app, NOW)  # type: ignore[arg-type]
        yield client, path


def _save(client: TestClient, path: str, revision: str, **fields: str) -> httpx.Response:
    return client.post(path, follow_redirects=False, data={
        "formulaire": "disponibilites", "action": "save", "revision": revision,
        FIELD: client.cookies.get(FIELD) or "", **fields})


def test_a_stale_tab_is_refused_and_shown_the_answers_saved_meanwhile(
        anne: tuple[TestClient, str], engine: Engine) -> None:
    client, path = anne
    tab_a = form_revision(client.get(path).text)
    tab_b = form_revision(client.get(path).text)
    saved = _save(client, path, tab_b, **{f"slot:{NIGHT}": "preferred", "max_shifts": "2"})
    assert saved.status_code == 303
    before = dump(engine)
    stale = _save(client, path, tab_a, **{f"slot:{BASTILLE_DAY}": "available"})
    page = html.unescape(stale.text)
    assert stale.status_code == 409
    assert "Vos réponses ont changé entre-temps : rien n'a été enregistré" in page
    assert "1 créneau proposé (dont 1 préféré), au plus 2 gardes" in page
    assert f'name="slot:{NIGHT}" value="preferred" checked' in page  # tab B's answers shown
    assert f'name="slot:{BASTILLE_DAY}" value="none" checked' in page
    assert re.search(r'name="max_shifts"[^>]*value="2"', page)
    assert dump(engine) == before
    with Session(engine) as session:
        stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None
    assert (dict(stored.availability), stored.max_shifts) == ({NIGHT: Answer.PREFERRED}, 2)
    # From the refused page (built on the stored answers), the save goes through.
    again = _save(client, path, form_revision(stale.text), **{
        f"slot:{NIGHT}": "preferred", f"slot:{BASTILLE_DAY}": "available", "max_shifts": "2"})
    assert again.status_code == 303


def test_the_same_save_sent_twice_is_saved_once_not_refused(
        anne: tuple[TestClient, str], engine: Engine) -> None:
    """A double tap on "Enregistrer" (no script to stop it): the second request carries the
    same revision, but what it asks is what is stored — a success, nothing written twice."""
    client, path = anne
    revision = form_revision(client.get(path).text)
    fields = {f"slot:{NIGHT}": "preferred", "max_shifts": "2"}
    assert _save(client, path, revision, **fields).status_code == 303
    before = dump(engine)
    assert _save(client, path, revision, **fields).status_code == 303
    assert dump(engine) == before
    refused = _save(client, path, revision, **{**fields, "max_shifts": "3"})
    assert refused.status_code == 409  # a different answer on old ground: still refused


def test_the_api_refuses_a_save_on_an_olderform_revision(anne: tuple[TestClient, str],
                                                      engine: Engine) -> None:
    client, path = anne
    auth = {"Authorization": f"Bearer {path.removeprefix('/g/')}"}
    read = client.get("/api/v1/answers", headers=auth).json()
    first = client.put("/api/v1/answers", headers=auth, json={
        "availability": {NIGHT: "preferred"}, "expected_revision": read["revision"]})
    assert first.status_code == 200 and first.json()["revision"] == read["revision"] + 1
    before = dump(engine)
    stale = client.put("/api/v1/answers", headers=auth, json={
        "availability": {BASTILLE_DAY: "available"}, "expected_revision": read["revision"]})
    assert stale.status_code == 409
    assert stale.json()["detail"] == (f"Answers changed since revision {read['revision']} "
                                      f"(now {read['revision'] + 1}): read them again")
    assert dump(engine) == before


def test_weeks_have_links_to_jump_between_them(anne: tuple[TestClient, str]) -> None:
    client, path = anne
    page = html.unescape(client.get(path).text)
    assert '<nav class="week-nav" id="semaines" aria-label="Aller à une semaine">' in page
    weeks = re.findall(r'<h3 id="(semaine-\d+)">', page)
    assert len(weeks) >= 2
    for week in weeks:
        assert f'href="#{week}"' in page  # every week can be reached from the list
    assert page.count("Semaine suivante") == len(weeks) - 1


def test_dates_away_contradicting_offered_slots_are_said_on_save(
        anne: tuple[TestClient, str]) -> None:
    client, path = anne
    saved = _save(client, path, form_revision(client.get(path).text), **{
        f"slot:{NIGHT}": "preferred", f"slot:{BASTILLE_DAY}": "available",
        "away-0-first": "2027-07-11", "away-0-last": "2027-07-11"})
    assert saved.status_code == 303
    page = " ".join(re.sub(r"<[^>]+>", "", html.unescape(
        client.get(saved.headers["location"]).text)).split())
    assert "Vos réponses sont enregistrées" in page
    assert ("1 créneau proposé (« Dispo » ou « Préféré ») tombe pendant une de vos absences : "
            "dimanche 11 juillet, 20:00–24:00.") in page
    assert "Ils ne vous seront pas attribués" in page


def test_the_form_and_the_shifts_page_link_to_each_other_before_and_after_publication(
        anne: tuple[TestClient, str], engine: Engine) -> None:
    """The form is the one link a GP gets: it always leads to their shifts and calendar
    subscription, saying whether the rota is published yet (a version published from the
    manager's pages, or the period marked published)."""
    client, path = anne
    before = html.unescape(client.get(path).text)
    assert f'href="{path}/agenda"' in before and "pas encore publié" in before
    with Session(engine) as session:
        problem = problem_from_db(session, PERIOD)
        slot = next(s.id for s in problem.slots
                    if s.id in problem.doctor_by_id()["dr-bruno"].availability)
        save_rota(session, PERIOD, problem, Rota(status=SolveStatus.FEASIBLE, assignments=[
            Assignment(doctor="dr-bruno", slot=slot)]))
        session.commit()
        publish(session, PERIOD, now=NOW)
        session.commit()
    after = html.unescape(client.get(path).text)
    assert f'href="{path}/agenda"' in after and "Le planning est publié" in after
    assert f'href="{path}"' in client.get(f"{path}/agenda").text
    with Session(engine) as session:
        session.exec(update(TensionPeriod).where(TensionPeriod.id == PERIOD).values(
            status=PeriodStatus.PUBLISHED))
        session.commit()
    assert "Le planning est publié" in html.unescape(client.get(path).text)
