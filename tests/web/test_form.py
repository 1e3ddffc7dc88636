"""The GP form at /g/{token}: plain HTML posts, French messages, read-only after the deadline,
and the same error page for any link that does not work."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from scheduler.collection.answers import stored_answers
from scheduler.collection.invitations import revoke
from scheduler.domain.enums import TokenKind
from scheduler.domain.problem import Answer, Problem
from scheduler.models import DoctorPeriod
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import parse_scenario
from scheduler.storage import tokens
from scheduler.storage.loader import load_scenario_into
from scheduler.storage.periods import period_slots
from scheduler.web.csrf import FIELD
from scheduler.web.pages.form import FORM_MARK
from scheduler.web.pages.form_view import weekends_with_slots
from tests.support.collection import (
    NOW,
    PERIOD,
    link_secret,
    load_period,
    scenario_data,
    set_clock,
)
from tests.support.web import form_revision

#: The hidden field every copy of the GP form carries.
FORM = {FORM_MARK: "disponibilites"}

MONDAY = "chiv-20270705-2000"
SUNDAY_MORNING = "chiv-20270711-0800"
SUNDAYS_OF_JULY = {"chiv-20270711-0800", "chiv-20270711-2000", "chiv-20270718-0800",
                   "chiv-20270718-2000"}
AFTER_DEADLINE = datetime(2027, 6, 26, 8, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def backend() -> str:
    """Pages only: saving is tested on both databases in test_answers and the answers API."""
    return "sqlite"


@pytest.fixture
def period(session: Session, client: TestClient) -> Problem:
    set_clock(client.app, NOW)  # type: ignore[arg-type]
    return load_period(session)


@pytest.fixture
def anne(session: Session, period: Problem) -> str:
    """The URL path of Dr Anne Martin's personal link (she has not answered yet)."""
    return f"/g/{link_secret(session, 'dr-anne')}"


def text(html: str) -> str:
    """The page as a reader sees its words: entities decoded, white space collapsed."""
    return " ".join(unescape(html).split())


def checked(html: str) -> dict[str, str]:
    """slot id → the checked choice, as the page shows it."""
    return dict(re.findall(r'name="slot:([^"]+)" value="(\w+)" checked', html))


def offered(html: str) -> set[str]:
    return {slot for slot, choice in checked(html).items() if choice != "none"}


def save(client: TestClient, path: str, **fields: str) -> object:
    """As a browser: open the page, then save on the revision it shows (a link that no
    longer opens the page: as on a page opened before)."""
    opened = client.get(path)
    revision = form_revision(opened.text) if opened.status_code == 200 else "0"
    return client.post(path, data={**FORM, "revision": revision, "action": "save",
                                   FIELD: client.cookies.get(FIELD) or "", **fields},
                       follow_redirects=False)


def test_link_opens_the_form_with_every_slot_of_the_period(client: TestClient, anne: str,
                                                          period: Problem) -> None:
    response = client.get(anne)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in response.text
    assert "Dr Anne Martin" in response.text
    assert set(checked(response.text)) == {s.id for s in period.slots}
    assert "Semaine du lundi 5 juillet" in response.text
    assert "mercredi 14 juillet (férié)" in response.text
    assert "jusqu'au 25 juin 2027 inclus" in text(response.text)


def test_form_shows_the_answers_already_stored(client: TestClient, session: Session,
                                               period: Problem) -> None:
    response = client.get(f"/g/{link_secret(session, 'dr-bruno')}")
    evenings = {s.id for s in period.slots if "Soirée" in s.label}
    assert offered(response.text) == evenings
    assert "9 créneaux proposés, au plus 3 gardes." in text(response.text)


def test_saving_redirects_to_a_confirmation_with_a_summary(client: TestClient, anne: str,
                                                           session: Session) -> None:
    response = save(client, anne, **{f"slot:{MONDAY}": "available",
                                     f"slot:{SUNDAY_MORNING}": "preferred"},
                    max_shifts="4", max_shifts_per_week="2", comment="Pas le mardi.")
    assert response.status_code == 303  # type: ignore[attr-defined]
    confirmation = client.get(response.headers["location"])  # type: ignore[attr-defined]
    assert "Vos réponses sont enregistrées" in confirmation.text
    assert ("2 créneaux proposés (dont 1 préféré), au plus 4 gardes, au plus 2 par semaine."
            in text(confirmation.text))
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.comment == "Pas le mardi."
    assert stored.availability == {MONDAY: Answer.AVAILABLE, SUNDAY_MORNING: Answer.PREFERRED}


def test_coming_back_shows_the_saved_answers(client: TestClient, anne: str) -> None:
    save(client, anne, **{f"slot:{MONDAY}": "preferred"}, max_shifts="2",
         **{"away-0-first": "2027-07-14", "away-0-last": "2027-07-15"})
    again = client.get(anne).text
    assert checked(again)[MONDAY] == "preferred"
    assert 'name="max_shifts" value="2"' in text(again)
    assert 'value="2027-07-14"' in again and 'value="2027-07-15"' in again
    assert "Réponses enregistrées le 1er juin 2027 à 11:00" in text(again)


def test_quick_action_prefills_the_grid_keeps_hand_choices_and_saves_nothing(
    client: TestClient, anne: str, session: Session
) -> None:
    response = client.post(anne, data={**FORM, "action": "quick:dimanches-2027-07",
                                       f"slot:{MONDAY}": "available",
                                       f"slot:{SUNDAY_MORNING}": "preferred"})
    assert response.status_code == 200
    choices = checked(response.text)
    assert offered(response.text) == SUNDAYS_OF_JULY | {MONDAY}
    assert choices[SUNDAY_MORNING] == "preferred"  # not downgraded by the quick action
    assert "3 créneaux marqués « Dispo »" in text(response.text)
    assert "Rien n'est encore enregistré" in text(response.text)
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.availability == {}


def test_weekday_evenings_quick_action_leaves_out_the_holiday(client: TestClient,
                                                             anne: str) -> None:
    response = client.post(anne, data={**FORM, "action": "quick:soirees-semaine"})
    assert len(offered(response.text)) == 9  # ten weekdays, minus 14 July
    assert "chiv-20270714-2000" not in offered(response.text)


def test_clear_quick_action_withdraws_every_slot(client: TestClient, anne: str) -> None:
    response = client.post(anne, data={**FORM, "action": "quick:effacer",
                                       f"slot:{MONDAY}": "preferred"})
    assert offered(response.text) == set()


def test_adding_a_date_away_row_keeps_what_was_typed(client: TestClient, anne: str) -> None:
    response = client.post(anne, data={**FORM, "action": "add-away", "away-0-first": "2027-07-06",
                                       "away-0-last": "2027-07-07", "comment": "Bonjour"})
    assert response.status_code == 200
    assert 'name="away-2-first"' in response.text  # the typed row, plus two empty ones
    assert 'value="2027-07-06"' in response.text and ">Bonjour</textarea>" in response.text


def test_bad_input_gets_french_field_messages_and_nothing_is_written(
    client: TestClient, anne: str, session: Session
) -> None:
    response = save(client, anne, **{f"slot:{MONDAY}": "available",
                                     "slot:chiv-20990101-2000": "available"},
                    max_shifts="0", max_shifts_per_week="beaucoup",
                    **{"away-0-first": "2027-07-10", "away-0-last": "2027-07-08"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "Vos réponses ne sont pas enregistrées" in html
    assert 'id="max_shifts-erreur">Indiquez un nombre entre 1 et 200' in html
    assert 'id="max_shifts_per_week-erreur">Indiquez un nombre entier' in html
    assert 'id="away-0-last-erreur">La date de fin est avant la date de début.' in html
    assert ("Créneau « chiv-20990101-2000 » : Ce créneau ne fait pas partie de la période."
            in text(html))
    assert checked(html)[MONDAY] == "available"  # what was typed is kept
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.availability == {} and stored.max_shifts is None


def test_a_cap_too_high_is_refused_naming_the_range_and_a_huge_one_too(
    client: TestClient, anne: str
) -> None:
    """100000 is a whole number: the message gives the range, not "a whole number"."""
    html = save(client, anne, max_shifts="100000",  # type: ignore[attr-defined]
                max_shifts_per_week="1" + "0" * 40).text
    assert 'id="max_shifts-erreur">Indiquez un nombre entre 1 et 200' in html
    assert 'id="max_shifts_per_week-erreur">Ce nombre est bien trop grand' in html


def test_half_filled_date_away_names_the_missing_date(client: TestClient, anne: str) -> None:
    response = save(client, anne, **{"away-0-first": "2027-07-10"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert 'id="away-0-last-erreur">Indiquez la date de fin' in response.text  # type: ignore[attr-defined]


def test_after_the_deadline_the_page_is_read_only(client: TestClient, anne: str) -> None:
    save(client, anne, **{f"slot:{MONDAY}": "available"})
    set_clock(client.app, AFTER_DEADLINE)  # type: ignore[arg-type]
    html = client.get(anne).text
    assert "La date limite de réponse (25 juin 2027) est passée" in text(html)
    assert '<fieldset class="form-body" disabled>' in html
    assert 'value="save"' not in html and "quick:" not in html
    assert checked(html)[MONDAY] == "available"


def test_posting_after_the_deadline_changes_nothing(client: TestClient, anne: str,
                                                    session: Session) -> None:
    set_clock(client.app, AFTER_DEADLINE)  # type: ignore[arg-type]
    response = save(client, anne, **{f"slot:{MONDAY}": "available"}, max_shifts="3")
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert checked(response.text)[MONDAY] == "none"  # type: ignore[attr-defined]
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.availability == {} and stored.max_shifts is None


def test_unknown_revoked_and_expired_links_get_the_same_french_page(
    client: TestClient, session: Session, period: Problem
) -> None:
    revoked = link_secret(session, "dr-anne")
    revoke(session, PERIOD, "dr-anne", now=NOW)
    other_kind = tokens.issue(session, TokenKind.FEED, now=NOW, doctor_id="dr-bruno")
    expiring = link_secret(session, "dr-chloe")
    session.commit()
    pages = [client.get(f"/g/{secret}") for secret in
             ("A" * 32, revoked, other_kind, "not-even-a-token")]
    set_clock(client.app, datetime(2027, 7, 18, 22, 0, tzinfo=UTC))  # type: ignore[arg-type]
    pages.append(client.get(f"/g/{expiring}"))  # the period ended at midnight, Paris time
    for response in pages:
        assert response.status_code == 404
        assert "Ce lien n'est pas ou plus valide" in text(response.text)
        assert "delestage.urgences@example.org" in response.text
        assert "Traceback" not in response.text
    assert len({r.text for r in pages}) == 1  # nothing tells them apart


def test_posting_to_a_revoked_link_writes_nothing(client: TestClient, session: Session,
                                                   anne: str) -> None:
    revoke(session, PERIOD, "dr-anne", now=NOW)
    response = save(client, anne, **{f"slot:{MONDAY}": "available"})
    assert response.status_code == 404  # type: ignore[attr-defined]
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.availability == {}


def test_personal_pages_are_not_cached(client: TestClient, anne: str) -> None:
    assert client.get(anne).headers["cache-control"] == "no-store"


class _Inputs(HTMLParser):
    """Collects inputs and whether each has a label (by `for`, or wrapping it)."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.inside_label = 0
        self.unlabelled: list[str] = []
        self.pending: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.inside_label += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        elif (tag in {"input", "textarea", "select"} and a.get("type") != "hidden"
              and not self.inside_label):
            self.pending.append((a.get("id") or "", a.get("name") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.inside_label -= 1


def test_every_field_of_the_form_has_a_label(client: TestClient, anne: str) -> None:
    parser = _Inputs()
    parser.feed(client.get(anne).text)
    unlabelled = [name for ident, name in parser.pending if ident not in parser.label_for]
    assert parser.pending and unlabelled == []


# Weekends worked -------------------------------------------------------------------------

def test_a_gp_caps_their_weekends_and_the_summary_says_so(client: TestClient, anne: str,
                                                          session: Session) -> None:
    page = text(client.get(anne).text)
    assert "Week-ends travaillés, au plus" in page
    assert "Un samedi ou un dimanche travaillé compte pour un week-end ; la période en compte 2." \
        in page
    response = save(client, anne, **{f"slot:{SUNDAY_MORNING}": "available"}, max_weekends="1")
    confirmation = client.get(response.headers["location"])  # type: ignore[attr-defined]
    assert "1 créneau proposé, au plus 1 week-end." in text(confirmation.text)
    assert 'name="max_weekends" value="1"' in text(confirmation.text)
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.max_weekends == 1


def test_the_form_names_the_periods_weekend_rule(client: TestClient, anne: str,
                                                 session: Session) -> None:
    caps = session.get(DoctorPeriod, ("dr-anne", PERIOD))
    assert caps is not None
    caps.max_weekends = 2
    session.add(caps)
    session.commit()
    assert ("L'équipe en prévoit au plus 2 pour vous : vous pouvez indiquer moins."
            in text(client.get(anne).text))
    response = save(client, anne, max_weekends="3")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert ('id="max_weekends-erreur">L\'équipe en prévoit au plus 2 pour vous : indiquez 2 '
            "ou moins" in text(response.text))  # type: ignore[attr-defined]


def test_no_weekend_question_when_the_rule_allows_none(client: TestClient, anne: str,
                                                      session: Session) -> None:
    caps = session.get(DoctorPeriod, ("dr-anne", PERIOD))
    assert caps is not None
    caps.max_weekends, caps.answered_max_weekends = 0, 2  # given before the rule became 0
    session.add(caps)
    session.commit()
    html = client.get(anne).text
    assert "Week-ends travaillés" not in html
    assert '<input type="hidden" name="max_weekends" value="">' in html
    assert save(client, anne, max_weekends="").status_code == 303  # type: ignore[attr-defined]


@pytest.mark.parametrize(("typed", "message"), [
    ("61", "Indiquez un nombre entre 1 et 60, ou laissez vide."),
    ("0", "Indiquez un nombre entre 1 et 60, ou laissez vide."),
    ("deux", "Indiquez un nombre entier, ou laissez vide."),
])
def test_a_bad_weekends_cap_is_named_in_french_and_nothing_is_written(
    client: TestClient, anne: str, session: Session, typed: str, message: str
) -> None:
    response = save(client, anne, **{f"slot:{MONDAY}": "available"}, max_weekends=typed)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = text(response.text)  # type: ignore[attr-defined]
    assert f'id="max_weekends-erreur">{message}' in html
    assert f"Nombre de week-ends : {message}" in html  # the list at the top links to it
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.availability == {} and stored.max_weekends is None


def test_without_weekend_slots_the_question_is_not_asked_and_an_answer_is_kept(
    client: TestClient, session: Session, period: Problem
) -> None:
    data = scenario_data(date(2027, 8, 2), date(2027, 7, 25), period_id="semaine-test")
    data["slot_templates"] = [t for t in data["slot_templates"] if t["id"] == "soir"]
    scenario = parse_scenario(data, "semaine")
    load_scenario_into(session, scenario, expand(scenario, "semaine"), "semaine", now=NOW)
    path = f"/g/{link_secret(session, 'dr-anne', period_id='semaine-test')}"
    caps = session.get(DoctorPeriod, ("dr-anne", "semaine-test"))
    assert caps is not None
    caps.answered_max_weekends = 1  # given before the period lost its weekends
    session.add(caps)
    session.commit()
    html = client.get(path).text
    assert "Week-ends travaillés" not in html
    assert '<input type="hidden" name="max_weekends" value="1">' in html
    hidden = dict(re.findall(r'<input type="hidden" name="(max_weekends)" value="(\d*)">', html))
    assert save(client, path, **hidden).status_code == 303  # type: ignore[attr-defined]
    stored = stored_answers(session, "dr-anne", "semaine-test")
    assert stored is not None and stored.max_weekends == 1


def test_cancelled_slots_do_not_count_as_weekends_to_work(session: Session,
                                                          period: Problem) -> None:
    slots = period_slots(session, PERIOD)
    assert weekends_with_slots(slots, "Europe/Paris") == 2
    second_weekend = {s.id for s in slots if s.start.astimezone(PARIS).day in (17, 18)}
    assert second_weekend
    cancelled = [s.model_copy(update={"seats": 0}) if s.id in second_weekend else s
                 for s in slots]
    assert weekends_with_slots(cancelled, "Europe/Paris") == 1
