"""A new period described field by field in the browser, on SQLite and PostgreSQL: the form
proposes the usual slots; a valid form stores the period and its slots all at once (the same
validation as a scenario file); every bad field is named in French and nothing is written;
a manager creates periods of their own sites only, an admin may add a site."""

from __future__ import annotations

import html
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.domain.enums import Role
from scheduler.models import SiteRow, TensionPeriod
from scheduler.storage.problems import problem_from_db
from scheduler.web.csrf import FIELD
from tests.support.collection import PERIOD, load_period
from tests.support.dump import dump
from tests.support.web import signed_in

NEW = "/periodes-nouvelle"
#: Monday 14 to Sunday 20 December 2026; no public holiday.
WEEK = [("nom", "Urgences — semaine de test"), ("debut", "2026-12-14"), ("fin", "2026-12-20"),
        ("date_limite", "2026-12-07"), ("site", "chiv"),
        ("creneau1_libelle", "Soirée"), ("creneau1_debut", "18:00"), ("creneau1_fin", "24:00"),
        ("creneau1_places", "2"), *(("creneau1_jours", d) for d in ("mon", "tue", "wed",
                                                                       "thu", "fri")),
        ("creneau2_libelle", "Nuit de week-end"), ("creneau2_debut", "20:00"),
        ("creneau2_fin", "08:00"), ("creneau2_places", "1"), ("creneau2_priorite", "4"),
        ("creneau2_jours", "sat"), ("creneau2_jours", "sun")]


def _client(engine: Engine, session: Session, role: Role) -> Iterator[TestClient]:
    load_period(session)
    yield from signed_in(engine, session, role)


@pytest.fixture
def manager(engine: Engine, session: Session) -> Iterator[TestClient]:
    yield from _client(engine, session, Role.MANAGER)


@pytest.fixture
def admin(engine: Engine, session: Session) -> Iterator[TestClient]:
    yield from _client(engine, session, Role.ADMIN)


def _post(client: TestClient, fields: list[tuple[str, str]]) -> httpx.Response:
    body = urlencode([*fields, (FIELD, client.cookies.get(FIELD) or "")])
    return client.post(f"{NEW}/saisie", content=body, follow_redirects=False,
                       headers={"content-type": "application/x-www-form-urlencoded"})


def _problems(response: httpx.Response) -> str:
    text = html.unescape(response.text)
    return text[text.index("La période n'a pas été créée"):text.index("</div>")]


def test_the_blank_form_proposes_the_usual_slots(manager: TestClient) -> None:
    text = html.unescape(manager.get(NEW).text)
    assert 'name="creneau1_libelle" value="Soirée de semaine"' in text
    assert 'name="creneau2_jours" value="holiday" checked' in text
    assert 'name="site" value="chiv" checked' in text  # the manager's only site
    assert "Ou charger un fichier de scénario" in text


def test_a_valid_form_stores_the_period_and_its_slots(manager: TestClient,
                                                      engine: Engine) -> None:
    answer = _post(manager, WEEK)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/periodes/urgences-semaine-de-test"
    with Session(engine) as session:
        period = session.get(TensionPeriod, "urgences-semaine-de-test")
        assert period is not None and period.availability_deadline is not None
        problem = problem_from_db(session, period.id)
    slots = sorted((s.start.isoformat(), s.seats, s.priority) for s in problem.slots)
    assert len(slots) == 7  # five evenings, two weekend nights
    assert slots[0] == ("2026-12-14T18:00:00+01:00", 2, 1)
    saturday_night = next(s for s in problem.slots if s.start.day == 19)
    assert saturday_night.end.isoformat() == "2026-12-20T08:00:00+01:00"
    assert saturday_night.priority == 4  # the row's own, above the night's 3
    assert "Urgences — semaine de test" in manager.get(answer.headers["location"]).text
    # The same form sent twice (a double click): the period already made, nothing more.
    before = dump(engine)
    assert _post(manager, WEEK).headers["location"] == answer.headers["location"]
    assert dump(engine) == before
    # Another period of the same name: the next free identifier.
    other = [(k, "2026-12-08" if k == "date_limite" else v) for k, v in WEEK]
    assert _post(manager, other).headers["location"] == "/periodes/urgences-semaine-de-test-2"


def test_the_holiday_priority_covers_bridge_days_and_a_site_checked_twice_counts_once(
        manager: TestClient, engine: Engine) -> None:
    """Ascension 2027 is Thursday 6 May: Friday 7 is a bridge day, with the priority the form
    calls "fériés et ponts"."""
    fields = [("nom", "Pont de l'Ascension"), ("debut", "2027-05-03"), ("fin", "2027-05-09"),
              ("site", "chiv"), ("site", "chiv"), ("priorite_ferie", "1"),
              ("creneau1_debut", "18:00"), ("creneau1_fin", "22:00"), ("creneau1_places", "1"),
              *(("creneau1_jours", d) for d in ("mon", "tue", "wed", "thu", "fri", "holiday"))]
    answer = _post(manager, fields)
    assert answer.status_code == 303, _problems(answer)
    with Session(engine) as session:
        problem = problem_from_db(session, "pont-de-l-ascension")
    friday = next(s for s in problem.slots if s.start.day == 7)
    assert "bridge" in friday.tags and friday.priority == 1


def test_a_date_given_twice_is_named_on_its_own_row(manager: TestClient) -> None:
    fields = [*WEEK, ("exception2_date", "2026-12-18"), ("exception2_comme", "holiday"),
              ("exception3_date", "2026-12-18"), ("exception3_comme", "sun")]
    assert "Jour particulier, ligne 3 : date</a> : cette date est donnée deux fois" in \
        _problems(_post(manager, fields))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"fin": "2026-12-01"}, "Dernier jour", "la fin précède le début"),
    ({"debut": "31/02/2026"}, "Premier jour", "date attendue (jj/mm/aaaa)"),
    ({"nom": ""}, "Nom", "obligatoire"),
    ({"creneau1_debut": "25:00"}, "Créneau, ligne 1 : début", "heure attendue (HH:MM"),
    ({"creneau1_places": "deux"}, "Créneau, ligne 1 : places",
     "un nombre entier entre 0 et 50"),
    ({"creneau1_places": "1_0"}, "Créneau, ligne 1 : places",
     "un nombre entier entre 0 et 50"),
    ({"creneau1_places": ""}, "Créneau, ligne 1 : places",
     "indiquez le nombre de places, ou activez le modèle de besoins du site"),
    ({"creneau2_priorite": "0"}, "Créneau, ligne 2 : priorité", "un nombre entier entre 1"),
    ({"repos": "30"}, "Repos minimal", "un nombre entre 0 et 24"),
    ({"site": "ailleurs"}, "Sites", "un site coché n'est pas des vôtres"),
    ({"nouveau_site_id": "chic", "nouveau_site_nom": "CHIC"}, "Nouveau site",
     "seul un administrateur crée un site"),
    ({"identifiant": PERIOD}, "Identifiant",
     "une période porte déjà cet identifiant"),
    ({"identifiant": "Pas Un Identifiant"}, "Identifiant", "format non valide"),
    ({"exception1_date": "2026-12-18"}, "Jour particulier, ligne 1 : traité comme",
     "choisissez le jour à imiter"),
    ({"fin": "2027-12-20"}, "Dernier jour", "une période dure au plus un an"),
    ({"creneau3_libelle": "Double", "creneau3_debut": "18:00", "creneau3_fin": "24:00",
      "creneau3_jours": "mon"}, "Créneau, ligne 3 : début",
     "ce créneau en recouvre un autre du même site"),
])
def test_a_bad_field_is_named_in_french_and_nothing_is_written(
        manager: TestClient, engine: Engine, changes: dict[str, str], field: str,
        message: str) -> None:
    fields = [(k, changes.get(k, v)) for k, v in WEEK]
    fields += [(k, v) for k, v in changes.items() if k not in dict(WEEK)]
    before = dump(engine)
    answer = _post(manager, fields)
    assert answer.status_code == 422
    problems = _problems(answer)
    assert f"{field}</a> : {message}" in problems
    assert dump(engine) == before
    assert 'value="Nuit de week-end"' in answer.text  # what was typed is kept


def test_a_row_with_no_day_checked_is_refused(manager: TestClient) -> None:
    fields = [(k, v) for k, v in WEEK if k != "creneau2_jours"]
    assert "Créneau, ligne 2 : jours</a> : cochez au moins un jour" in _problems(
        _post(manager, fields))


def test_seats_left_empty_come_from_the_sites_gap_model(manager: TestClient,
                                                        engine: Engine) -> None:
    fields = [(k, "" if k.endswith("_places") else v) for k, v in WEEK]
    fields += [("besoins_chiv_actif", "oui"), ("besoins_chiv_part", "30"),
               ("besoins_chiv_rythme", "2,5"), ("besoins_chiv_salles", "3"),
               *((f"besoins_chiv_{d}", " ".join(["10"] * 24))
                 for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))]
    answer = _post(manager, fields)
    assert answer.status_code == 303, _problems(answer)
    with Session(engine) as session:
        problem = problem_from_db(session, "urgences-semaine-de-test")
    # 10 arrivals an hour × 30 % = 3 patients an hour for a GP seeing 2.5: 2 seats (rounded
    # up), within the 3 rooms.
    assert {s.seats for s in problem.slots} == {2}


def test_a_bad_gap_model_line_is_named(manager: TestClient) -> None:
    fields = [*WEEK, ("besoins_chiv_actif", "oui"), ("besoins_chiv_mon", "1 2 3")]
    problems = _problems(_post(manager, fields))
    assert "Modèle de besoins (CHIV — urgences adultes) : lundi</a> : 24 nombres" in problems
    assert ("Modèle de besoins (CHIV — urgences adultes) : part relevant d'un généraliste</a> : "
            "obligatoire") in problems


def test_an_admin_may_create_a_period_on_a_new_site(admin: TestClient, engine: Engine) -> None:
    fields = [(k, v) for k, v in WEEK if k != "site"]
    fields += [("nouveau_site_id", "chic"), ("nouveau_site_nom", "CHI de Créteil"),
               ("creneau1_site", "chic"), ("creneau2_site", "chic")]
    answer = _post(admin, fields)
    assert answer.status_code == 303, _problems(answer)
    with Session(engine) as session:
        assert session.exec(select(SiteRow.name).where(SiteRow.id == "chic")).one() == \
            "CHI de Créteil"
        assert {s.site for s in problem_from_db(session, "urgences-semaine-de-test").slots} == {
            "chic"}
