"""The coordinator's view at /c/{token}: their members, who answered, how many slots each
offered (read-only), and re-sending invitations by email."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from scheduler.collection.answers import Answers, save_answers
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.domain.enums import TokenKind
from scheduler.domain.problem import Answer, Problem
from scheduler.models import DoctorRow
from scheduler.storage import tokens
from tests.support.collection import (
    BASE_URL,
    NOW,
    PERIOD,
    SmtpSink,
    body_of,
    link_secret,
    load_period,
    set_clock,
)
from tests.support.web import bearer

API = "/api/v1"


@pytest.fixture
def period(session: Session, client: TestClient) -> Problem:
    set_clock(client.app, NOW)  # type: ignore[arg-type]
    return load_period(session)


@pytest.fixture
def view(session: Session, period: Problem) -> str:
    """The path of the CPTS du Val coordinator's link."""
    url = issue_coordinator_link(session, "cpts-val", now=NOW, base_url=BASE_URL)
    return url.removeprefix(BASE_URL)


@pytest.fixture
def mail(client: TestClient) -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        client.app.state.settings = sink.settings(client.app.state.settings)  # type: ignore[attr-defined]
        yield sink


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row(html: str, doctor_id: str) -> str:
    match = re.search(rf'<tr [^>]*data-doctor="{doctor_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {doctor_id}"
    return text(match[1])


def test_coordinator_sees_who_answered_and_how_many_slots_each_offered(
    client: TestClient, view: str
) -> None:
    response = client.get(view)
    assert response.status_code == 200
    html = response.text
    assert "CPTS du Val (fictive)" in html
    assert "Répondu le" in row(html, "dr-bruno")  # when the scenario was loaded
    assert "9 créneaux" in row(html, "dr-bruno") and "au plus 3 gardes" in row(html, "dr-bruno")
    assert "Pas encore répondu" in row(html, "dr-anne")
    assert "2 membre(s) invité(s) sur 2 ; 1 a répondu" in text(html)


def test_coordinator_sees_only_their_own_members(client: TestClient, view: str) -> None:
    html = client.get(view).text
    assert "Chloé Durand" not in html  # a SAMI doctor
    assert 'data-doctor="dr-anne"' in html


def test_a_gps_saved_answer_shows_in_the_coordinator_view(client: TestClient, view: str,
                                                          session: Session) -> None:
    offer = {"chiv-20270705-2000": Answer.AVAILABLE, "chiv-20270711-0800": Answer.PREFERRED}
    save_answers(session, "dr-anne", PERIOD, Answers(availability=offer, max_shifts=1), now=NOW)
    anne = row(client.get(view).text, "dr-anne")
    assert "Répondu le 1er juin 2027" in anne
    assert "2 créneaux (dont 1 préféré)" in anne and "au plus 1 garde" in anne


def test_member_outside_the_period_is_shown_as_not_invited(client: TestClient, view: str,
                                                           session: Session) -> None:
    session.add(DoctorRow(id="dr-new", name="Dr Nouveau", organisation_id="cpts-val"))
    session.commit()
    assert "Pas invité·e à cette période" in row(client.get(view).text, "dr-new")


def test_the_view_is_read_only(client: TestClient, view: str) -> None:
    html = client.get(view).text
    assert 'name="slot:' not in html and "/g/" not in html  # no answers, no personal links


def test_resending_emails_the_member_a_fresh_link(client: TestClient, view: str,
                                                  mail: SmtpSink) -> None:
    response = client.post(f"{view}/relancer", data={"membre": "dr-anne", "periode": PERIOD},
                           follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "1 invitation(s) renvoyée(s) par e-mail" in text(page)
    [message] = mail.messages
    assert message["To"] == "anne.martin@example.org"
    [url] = [w for w in body_of(message).split() if "/g/" in w]
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert "Envoyée le 1er juin 2027" in row(page, "dr-anne")


def test_resending_to_everyone_without_an_answer_skips_those_who_answered(
    client: TestClient, view: str, mail: SmtpSink
) -> None:
    client.post(f"{view}/relancer", data={"membre": "*sans-reponse"})
    assert [m["To"] for m in mail.messages] == ["anne.martin@example.org"]


def test_resending_to_someone_elses_member_sends_nothing(client: TestClient, view: str,
                                                         mail: SmtpSink) -> None:
    response = client.post(f"{view}/relancer", data={"membre": "dr-chloe"})
    assert response.status_code == 400
    assert "Membre : ce médecin ne fait pas partie de votre organisation" in text(response.text)
    assert mail.messages == []


def test_without_mail_settings_there_is_no_resend(client: TestClient, view: str) -> None:
    html = client.get(view).text
    assert "L'envoi d'e-mails n'est pas configuré" in text(html)
    assert "Renvoyer l'invitation" not in html


def test_unknown_revoked_or_wrong_kind_links_show_the_error_page(
    client: TestClient, view: str, session: Session
) -> None:
    doctor_link = link_secret(session, "dr-anne")
    tokens.revoke_all(session, TokenKind.COORDINATOR, now=NOW, organisation_id="cpts-val")
    session.commit()
    for path in (view, f"/c/{'B' * 32}", f"/c/{doctor_link}"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Ce lien n'est pas ou plus valide" in text(response.text)


# JSON ----------------------------------------------------------------------------------------

def test_api_lists_the_members_and_their_answers(client: TestClient, view: str) -> None:
    token = view.removeprefix("/c/")
    response = client.get(f"{API}/coordinator", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert (body["organisation_id"], body["period_id"]) == ("cpts-val", PERIOD)
    members = {m["doctor_id"]: m for m in body["members"]}
    assert set(members) == {"dr-anne", "dr-bruno"}
    assert members["dr-bruno"]["offered"] == 9 and members["dr-anne"]["answered_at"] is None


def test_api_resend_to_a_non_member_is_422(client: TestClient, view: str,
                                           mail: SmtpSink) -> None:
    token = view.removeprefix("/c/")
    response = client.post(f"{API}/coordinator/resend", headers=bearer(token),
                           json={"doctor_ids": ["dr-chloe"]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "doctor_ids"
    assert mail.messages == []


def test_api_with_an_unknown_coordinator_link_is_404(client: TestClient,
                                                     period: Problem) -> None:
    assert client.get(f"{API}/coordinator", headers=bearer("C" * 32)).status_code == 401
