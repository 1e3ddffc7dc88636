"""Editing a loaded period in the browser, on SQLite and PostgreSQL: the impact is shown before
anything is saved, a confirmed edit saves the deadline, seats and priorities in one go, and
bad values name their field in French and change nothing."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.models import Availability, PinRow, SlotRow, TensionPeriod
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import save_rota
from scheduler.web.csrf import FIELD
from scheduler.web.security import redact
from tests.support.cli import TINY
from tests.support.collection import PERIOD, load_period
from tests.support.dump import dump
from tests.support.web import signed_in

EVENING, SATURDAY = "chiv-20270705-2000", "chiv-20270710-1400"
EDIT = f"/periodes/{PERIOD}/modifier"
TWO_SITES = TINY.parent / "two-sites.yaml"


@pytest.fixture
def client(engine: Engine, session: Session) -> Iterator[TestClient]:
    problem = load_period(session)
    save_rota(session, PERIOD, problem, Rota(status=SolveStatus.FEASIBLE, assignments=[
        Assignment(doctor="dr-bruno", slot=EVENING)]))
    yield from signed_in(engine, session)


def _post(client: TestClient, data: dict[str, str]) -> httpx.Response:
    return client.post(EDIT, data={**data, FIELD: client.cookies.get(FIELD) or ""},
                       follow_redirects=False)


def _slot(engine: Engine, slot_id: str) -> SlotRow:
    with Session(engine) as session:
        return session.exec(select(SlotRow).where(SlotRow.period_id == PERIOD,
                                                  SlotRow.id == slot_id)).one()


def test_an_edit_shows_its_impact_then_saves_on_confirmation(client: TestClient,
                                                             engine: Engine) -> None:
    assert "Modifier la période" in client.get(EDIT).text
    asked = {"date_limite": "2027-06-30", f"annuler:{EVENING}": "oui",
             f"places:{SATURDAY}": "2", f"priorite:{SATURDAY}": "5"}
    before, priority = dump(engine), _slot(engine, SATURDAY).priority
    preview = _post(client, asked)
    text = html.unescape(preview.text)
    assert preview.status_code == 200 and "Ce que cela change" in text
    assert "La date limite des réponses passe au 30/06/2027" in text
    assert "1 créneau annulé ; 1 disponibilité donnée" in text  # Dr Bruno offered it
    assert "samedi 10 juillet, 14:00–20:00 : 1 → 2 place(s)." in text
    assert f"priorité {priority} → 5" in text
    assert "La version 1 (la plus récente) a 1 affectation(s) au-delà" in text
    assert dump(engine) == before  # nothing saved yet
    saved = _post(client, {**asked, "confirme": "oui"})
    assert (saved.status_code, saved.headers["location"]) == (303, f"/periodes/{PERIOD}")
    with Session(engine) as session:
        period = session.get(TensionPeriod, PERIOD)
        assert period is not None and period.availability_deadline == date(2027, 6, 30)
    assert _slot(engine, EVENING).seats == 0
    saturday = _slot(engine, SATURDAY)
    assert (saturday.seats, saturday.priority) == (2, 5)


@pytest.mark.parametrize(("data", "needle"), [
    ({f"places:{SATURDAY}": "deux"}, "Places (samedi 10 juillet, 14:00–20:00) : un nombre "
                                     "entier de 0 à 50."),
    ({f"places:{SATURDAY}": "51"}, "Places (samedi 10 juillet"),
    ({f"priorite:{SATURDAY}": "0"}, "Priorité (samedi 10 juillet, 14:00–20:00) : un "
                                    "nombre entier de 1 à 100."),
    ({"date_limite": "2027-08-01"}, "Date limite des réponses : une date au format"),
    ({f"places:{SATURDAY}": "0000099"}, "Places (samedi 10 juillet"),
    ({f"priorite:{SATURDAY}": "0000015000"}, "Priorité (samedi 10 juillet"),
    ({"date_limite": "demain"}, "Date limite des réponses"),
])
def test_bad_values_name_their_field_and_change_nothing(client: TestClient, engine: Engine,
                                                        data: dict[str, str],
                                                        needle: str) -> None:
    before = dump(engine)
    response = _post(client, {**data, "confirme": "oui"})
    assert response.status_code == 422
    assert needle in html.unescape(response.text)
    assert "Rien n'a été enregistré" in html.unescape(response.text)
    assert dump(engine) == before


def test_cancelling_a_slot_lifts_its_pins(client: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(PinRow(period_id=PERIOD, doctor_id="dr-bruno", slot_id=EVENING,
                           position=0))
        session.commit()
    preview = html.unescape(_post(client, {f"annuler:{EVENING}": "oui"}).text)
    assert "1 épinglage levé" in preview
    _post(client, {f"annuler:{EVENING}": "oui", "confirme": "oui"})
    with Session(engine) as session:
        assert session.get(PinRow, (PERIOD, "dr-bruno", EVENING)) is None


def _upload(client: TestClient, content: bytes, name: str = "scenario.yaml",
            token: str | None = None) -> httpx.Response:
    """As the page's form posts it: the token in the action's query."""
    token = client.cookies.get(FIELD) or "" if token is None else token
    return client.post(f"/periodes-nouvelle?csrftoken={token}",
                       files={"fichier": (name, content, "application/yaml")},
                       follow_redirects=False)


def test_a_scenario_file_creates_a_period_all_or_nothing(client: TestClient,
                                                         engine: Engine) -> None:
    assert "Charger la période" in client.get("/periodes-nouvelle").text
    untouched = dump(engine)
    forged = _upload(client, TINY.read_bytes(), "tiny.yaml", token="not-the-cookie")
    assert forged.status_code == 403 and dump(engine) == untouched
    # The token of the form's action never reaches a log line.
    assert "abc" not in redact("POST /periodes-nouvelle?csrftoken=abc.123-x HTTP/1.1")
    loaded = _upload(client, TINY.read_bytes(), "tiny.yaml")
    assert (loaded.status_code, loaded.headers["location"]) == (303, "/periodes/tiny-2026-07")
    assert client.get("/periodes/tiny-2026-07").status_code == 200
    before = dump(engine)
    # A broken file: every problem named with its field; nothing written.
    broken = TINY.read_text(encoding="utf-8").replace("end: 2026-07-12", "end: 2026-07-01")
    broken = broken.replace("id: tiny-2026-07", "id: tiny-broken")
    refused = _upload(client, broken.encode(), "broken.yaml")
    text = html.unescape(refused.text)
    assert refused.status_code == 422 and "rien n'a été enregistré" in text
    assert "broken.yaml : period : la fin précède le début" in text
    unclosed = _upload(client, b"period: [unclosed", "bad.yaml")
    assert unclosed.status_code == 422
    assert "syntaxe YAML non valide ligne 1" in html.unescape(unclosed.text)
    typo = _upload(client, TINY.read_bytes().replace(b"timezone:", b"time_zone:"), "typo.yaml")
    assert "typo.yaml : period.time_zone : champ inconnu" in html.unescape(typo.text)
    assert dump(engine) == before


def test_a_manager_loads_only_periods_of_their_sites(client: TestClient,
                                                     engine: Engine) -> None:
    before = dump(engine)
    refused = _upload(client, TWO_SITES.read_bytes(), "two-sites.yaml")
    assert refused.status_code == 422
    assert "sites hors des vôtres : chic" in html.unescape(refused.text)
    assert dump(engine) == before


def test_added_slots_are_shown_then_stored_and_the_answers_kept(client: TestClient,
                                                                engine: Engine) -> None:
    """Two slots added to the loaded period: the impact names them; once confirmed they are
    the period's, tagged as the expansion would tag them (Bastille Day: a public holiday; a
    night), and every answer given before is still there."""
    asked = {"ajout1_date": "2027-07-14", "ajout1_debut": "22:00", "ajout1_fin": "08:00",
             "ajout1_places": "2", "ajout1_priorite": "4", "ajout1_libelle": "Nuit du 14",
             "ajout2_date": "2027-07-11", "ajout2_debut": "18:00", "ajout2_fin": "00:00",
             "ajout2_places": "1",
             "ajout3_date": "2027-07-17", "ajout3_debut": "21:00", "ajout3_fin": "07:00"}
    with Session(engine) as session:
        answers_before = len(session.exec(select(Availability)).all())
    before = dump(engine)
    text = html.unescape(_post(client, asked).text)
    assert "Nouveau créneau : mercredi 14 juillet, 22:00–08:00, 2 places" in text
    assert "Nouveau créneau : dimanche 11 juillet, 18:00–24:00, 1 place ;" in text
    assert dump(engine) == before
    assert _post(client, {**asked, "confirme": "oui"}).status_code == 303
    night, sunday = _slot(engine, "chiv-20270714-2200"), _slot(engine, "chiv-20270711-1800")
    assert (night.seats, night.priority, night.label) == (2, 4, "Nuit du 14")
    assert set(night.tags) == {"holiday", "night"} and set(sunday.tags) == {"weekend"}
    # No seats or priority given: one seat, and the highest priority its tags carry (a
    # Saturday night: the night's 3, as the expansion gives it).
    saturday = _slot(engine, "chiv-20270717-2100")
    assert (saturday.seats, saturday.priority, set(saturday.tags)) == (1, 3, {"weekend",
                                                                             "night"})
    with Session(engine) as session:
        assert len(session.exec(select(Availability)).all()) == answers_before
        problem = problem_from_db(session, PERIOD)
    assert {"chiv-20270714-2200", "chiv-20270711-1800"} <= {s.id for s in problem.slots}


@pytest.mark.parametrize(("data", "needle"), [
    ({"ajout1_date": "2027-08-01", "ajout1_debut": "18:00", "ajout1_fin": "22:00"},
     "Nouveau créneau, ligne 1 : un jour de la période"),
    ({"ajout1_date": "2027-07-05", "ajout1_debut": "20:00", "ajout1_fin": "24:00"},
     "Nouveau créneau, ligne 1 : un créneau de ce site commence déjà le 05/07/2027 à 20:00."),
    ({"ajout2_date": "2027-07-06", "ajout2_debut": "8h", "ajout2_fin": "12:00"},
     "Nouveau créneau, ligne 2 : début et fin au format HH:MM."),
    ({"ajout1_date": "2027-07-06", "ajout1_debut": "08:00", "ajout1_fin": "12:00",
      "ajout1_places": "0"}, "Nouveau créneau, ligne 1 : un nombre entier de 1 à 50."),
    ({"ajout1_date": "2027-07-06", "ajout1_debut": "08:00", "ajout1_fin": "12:00",
      "ajout1_libelle": "a\x00b"}, "Nouveau créneau, ligne 1 : un libellé de 80 caractères"),
    ({f"places:{SATURDAY}": ""}, "Places (samedi 10 juillet, 14:00–20:00) : un nombre entier"),
])
def test_a_bad_new_slot_is_named_and_changes_nothing(client: TestClient, engine: Engine,
                                                     data: dict[str, str], needle: str) -> None:
    before = dump(engine)
    response = _post(client, {**data, "confirme": "oui"})
    assert response.status_code == 422
    assert needle in html.unescape(response.text)
    assert dump(engine) == before


def _set_kind(engine: Engine, slot_id: str, kind: str) -> None:
    with Session(engine) as session:
        row = session.exec(select(SlotRow).where(SlotRow.period_id == PERIOD,
                                                 SlotRow.id == slot_id)).one()
        row.kind = kind
        session.add(row)
        session.commit()


def test_an_added_slot_takes_the_kind_chosen_or_that_of_the_slots_at_its_hours(
        client: TestClient, engine: Engine) -> None:
    """With kinds in the period (forbidden successions and kind caps use them), the form offers
    them; a new slot left without one takes the kind of the site's slots with the same hours."""
    _set_kind(engine, EVENING, "soir")
    _set_kind(engine, SATURDAY, "jour")
    page = html.unescape(client.get(EDIT).text)
    assert 'name="ajout1_type"' in page and '<option value="soir">soir</option>' in page
    # A Tuesday afternoon at the Saturday afternoon's hours; a morning said to be an evening.
    asked = {"ajout1_date": "2027-07-06", "ajout1_debut": "14:00", "ajout1_fin": "20:00",
             "ajout2_date": "2027-07-07", "ajout2_debut": "09:00", "ajout2_fin": "12:00",
             "ajout2_type": "soir",
             "ajout3_date": "2027-07-08", "ajout3_debut": "09:00", "ajout3_fin": "12:00",
             "confirme": "oui"}
    preview = html.unescape(_post(client, {**asked, "confirme": ""}).text)
    assert "Nouveau créneau : mardi 6 juillet, 14:00–20:00, 1 place, type jour ;" in preview
    assert "Nouveau créneau : jeudi 8 juillet, 09:00–12:00, 1 place ;" in preview
    assert _post(client, asked).status_code == 303
    assert _slot(engine, "chiv-20270706-1400").kind == "jour"
    assert _slot(engine, "chiv-20270707-0900").kind == "soir"
    assert _slot(engine, "chiv-20270708-0900").kind == ""


def test_an_added_slot_of_a_kind_the_period_lacks_is_refused(client: TestClient,
                                                              engine: Engine) -> None:
    _set_kind(engine, EVENING, "soir")
    before = dump(engine)
    response = _post(client, {"ajout1_date": "2027-07-06", "ajout1_debut": "09:00",
                              "ajout1_fin": "12:00", "ajout1_type": "nuit", "confirme": "oui"})
    assert response.status_code == 422
    assert "Nouveau créneau, ligne 1 : un des types de créneau de la période." in \
        html.unescape(response.text)
    assert dump(engine) == before
