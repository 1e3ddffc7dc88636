"""Invitations and the JSON API for collecting answers (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from scheduler.cli.main import main
from scheduler.collection.invitations import (
    answer_statuses,
    doctors_to_invite,
    invite,
    link_expiry,
    open_doctor_link,
    revoke,
)
from scheduler.config.settings import get_settings
from scheduler.domain.enums import TokenKind
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.models import AccessToken, DoctorPeriod, DoctorRow, Invitation, TensionPeriod
from scheduler.storage import tokens
from scheduler.storage.db import make_engine, migrate
from tests.support.collection import BASE_URL, NOW, PERIOD, link_secret, load_period, set_clock
from tests.support.web import bearer

API = "/api/v1"
PERIOD_END = datetime(2027, 7, 18, 22, 0, tzinfo=UTC)  # midnight after 18 July, Paris


@pytest.fixture
def period(session: Session) -> Problem:
    return load_period(session)


@pytest.fixture
def api(client: TestClient, period: Problem) -> TestClient:
    set_clock(client.app, NOW)  # type: ignore[arg-type]
    return client


def new_doctor(session: Session, doctor_id: str = "dr-new") -> None:
    session.add(DoctorRow(id=doctor_id, name="Dr Nouveau Venu", organisation_id="cpts-val",
                       email=f"{doctor_id}@example.org"))
    session.commit()


# Links -------------------------------------------------------------------------------------

def test_inviting_adds_the_doctor_to_the_period_with_a_link_that_opens(
    session: Session, period: Problem
) -> None:
    new_doctor(session)
    [issued] = invite(session, PERIOD, ["dr-new"], now=NOW, base_url=BASE_URL)
    assert issued.url.startswith(f"{BASE_URL}/g/")
    assert session.get(DoctorPeriod, ("dr-new", PERIOD)) is not None
    link = open_doctor_link(session, issued.url.rsplit("/", 1)[1], now=NOW)
    assert link is not None and (link.doctor.id, link.period.id) == ("dr-new", PERIOD)
    [row] = session.exec(select(Invitation)).all()
    assert (row.doctor_id, row.created_at, row.emailed_at) == ("dr-new", NOW, None)


def test_link_expires_when_the_period_ends(session: Session, period: Problem) -> None:
    secret = link_secret(session, "dr-anne")
    stored = session.get(TensionPeriod, PERIOD)
    assert stored is not None and link_expiry(stored) == PERIOD_END
    assert open_doctor_link(session, secret, now=PERIOD_END.replace(minute=0, hour=21))\
        is not None
    assert open_doctor_link(session, secret, now=PERIOD_END) is None


def test_link_secret_has_at_least_128_bits_and_only_its_hash_is_stored(
    session: Session, period: Problem
) -> None:
    secret = link_secret(session, "dr-anne")
    assert len(secret) * 6 >= 128
    hashes = session.exec(select(AccessToken.token_hash)).all()
    assert hashes == [tokens.hash_secret(secret)]


def test_inviting_again_keeps_the_earlier_link_until_revoked(session: Session,
                                                             period: Problem) -> None:
    first = link_secret(session, "dr-anne")
    second = link_secret(session, "dr-anne")
    assert open_doctor_link(session, first, now=NOW) is not None
    assert revoke(session, PERIOD, "dr-anne", now=NOW) == 2
    assert open_doctor_link(session, first, now=NOW) is None
    assert open_doctor_link(session, second, now=NOW) is None


def test_revoking_one_doctor_leaves_the_others_links(session: Session, period: Problem) -> None:
    anne, bruno = link_secret(session, "dr-anne"), link_secret(session, "dr-bruno")
    revoke(session, PERIOD, "dr-anne", now=NOW)
    assert open_doctor_link(session, anne, now=NOW) is None
    assert open_doctor_link(session, bruno, now=NOW) is not None


def test_inviting_an_unknown_doctor_names_the_field_and_writes_nothing(
    session: Session, period: Problem
) -> None:
    with pytest.raises(InputError) as caught:
        invite(session, PERIOD, ["dr-anne", "dr-ghost"], now=NOW, base_url=BASE_URL)
    assert [p.field for p in caught.value.problems] == ["doctor_ids"]
    assert "dr-ghost" in str(caught.value)
    assert session.exec(select(AccessToken).where(AccessToken.kind == TokenKind.DOCTOR_LINK)
                        ).all() == []


def test_inviting_to_a_period_that_has_ended_is_refused(session: Session,
                                                        period: Problem) -> None:
    with pytest.raises(InputError) as caught:
        invite(session, PERIOD, ["dr-anne"], now=PERIOD_END, base_url=BASE_URL)
    assert [p.field for p in caught.value.problems] == ["period"]


def test_choosing_an_organisation_invites_its_members_only(session: Session,
                                                           period: Problem) -> None:
    assert doctors_to_invite(session, organisation_id="cpts-val") == ["dr-anne", "dr-bruno"]
    with pytest.raises(InputError):
        doctors_to_invite(session, organisation_id="cpts-val", everyone=True)


def test_statuses_say_who_answered_and_how_much_they_offered(session: Session,
                                                             period: Problem) -> None:
    statuses = {s.doctor_id: s for s in answer_statuses(session, PERIOD)}
    assert statuses["dr-bruno"].answered_at is not None and statuses["dr-bruno"].offered == 9
    assert statuses["dr-anne"].answered_at is None and statuses["dr-anne"].offered == 0


# API: invitations --------------------------------------------------------------------------

def test_api_invite_returns_links_that_open_the_form(api: TestClient) -> None:
    response = api.post(f"{API}/periods/{PERIOD}/invitations",
                        json={"organisation_id": "cpts-val"})
    assert response.status_code == 201
    body = response.json()
    assert [i["doctor_id"] for i in body] == ["dr-anne", "dr-bruno"]
    path = body[0]["url"].removeprefix("http://127.0.0.1:8000")
    assert api.get(path).status_code == 200


def test_api_invite_unknown_doctor_is_422_naming_the_field(api: TestClient) -> None:
    response = api.post(f"{API}/periods/{PERIOD}/invitations", json={"doctor_ids": ["dr-x"]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "doctor_ids"


def test_api_invite_to_unknown_period_is_404_for_an_admin(api: TestClient) -> None:
    response = api.post(f"{API}/periods/nope/invitations", json={"all": True})
    assert response.status_code == 404


def test_api_invite_by_email_needs_the_smtp_settings(api: TestClient, session: Session) -> None:
    response = api.post(f"{API}/periods/{PERIOD}/invitations",
                        json={"all": True, "send_email": True})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "send_email"
    assert session.exec(select(AccessToken).where(AccessToken.kind == TokenKind.DOCTOR_LINK)
                        ).all() == []


def test_api_lists_who_answered(api: TestClient) -> None:
    response = api.get(f"{API}/periods/{PERIOD}/invitations")
    assert response.status_code == 200
    rows = {r["doctor_id"]: r for r in response.json()}
    assert rows["dr-bruno"]["offered"] == 9 and rows["dr-bruno"]["answered_at"] is not None
    assert rows["dr-anne"]["answered_at"] is None


def test_api_revoking_kills_the_link(api: TestClient, session: Session) -> None:
    secret = link_secret(session, "dr-anne")
    response = api.delete(f"{API}/periods/{PERIOD}/invitations/dr-anne")
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert api.get(f"/g/{secret}").status_code == 404


def test_api_revoking_for_a_doctor_outside_the_period_is_404(api: TestClient) -> None:
    assert api.delete(f"{API}/periods/{PERIOD}/invitations/dr-ghost").status_code == 404


# API: answers through the personal link ------------------------------------------------------

def test_api_answers_round_trip(api: TestClient, session: Session) -> None:
    secret = link_secret(session, "dr-anne")
    body = {"availability": {"chiv-20270705-2000": "preferred", "chiv-20270710-1400": "available"},
            "away": [{"first": "2027-07-14", "last": "2027-07-14"}],
            "max_shifts": 2, "max_shifts_per_week": None, "max_weekends": 1, "comment": "ok"}
    put = api.put(f"{API}/answers", headers=bearer(secret), json=body)
    assert put.status_code == 200
    got = api.get(f"{API}/answers", headers=bearer(secret)).json()
    assert got["availability"] == body["availability"] and got["away"] == body["away"]
    assert (got["max_shifts"], got["max_weekends"]) == (2, 1)
    assert (got["offered"], got["preferred"], got["open"]) == (2, 1, True)
    assert got["deadline"] == "2027-06-25T22:00:00Z"


def test_api_answers_bad_input_is_422_with_every_field(api: TestClient, session: Session) -> None:
    secret = link_secret(session, "dr-anne")
    body = {"availability": {"chiv-20990101-2000": "available"},
            "away": [{"first": "2027-07-14", "last": "2027-07-12"}], "max_shifts": 500,
            "max_weekends": 61}
    response = api.put(f"{API}/answers", headers=bearer(secret), json=body)
    assert response.status_code == 422
    fields = [p["field"] for p in response.json()["detail"]]
    assert fields == ["availability.chiv-20990101-2000", "max_shifts", "max_weekends",
                      "away[0].last"]
    assert api.get(f"{API}/answers", headers=bearer(secret)).json()["availability"] == {}


def test_api_answers_after_the_deadline_is_409(api: TestClient, session: Session) -> None:
    secret = link_secret(session, "dr-anne")
    set_clock(api.app, datetime(2027, 6, 26, tzinfo=UTC))  # type: ignore[arg-type]
    response = api.put(f"{API}/answers", headers=bearer(secret), json={"availability": {}})
    assert response.status_code == 409
    assert api.get(f"{API}/answers", headers=bearer(secret)).json()["open"] is False


def test_api_answers_with_an_unknown_link_is_401(api: TestClient) -> None:
    assert api.get(f"{API}/answers", headers=bearer("A" * 32)).status_code == 401
    assert api.put(f"{API}/answers", headers=bearer("A" * 32), json={}).status_code == 401
    assert api.get(f"{API}/answers").status_code == 401


def test_openapi_documents_the_collection_endpoints(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/periods/{period_id}/invitations", "/answers", "/roster/preview",
                 "/roster/import", "/organisations/{organisation_id}/coordinator-links",
                 "/coordinator"):
        assert f"{API}{path}" in paths
    assert "/g/{token}" not in paths  # pages are not API


# CLI -----------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SQLite database holding the period, configured for the CLI through the environment."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(url)
    engine = make_engine(url)
    start = date.today() + timedelta(days=60)  # the CLI runs on the real clock
    with Session(engine) as session:
        load_period(session, start, start - timedelta(days=7))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SCHEDULER_BASE_URL", "https://relief.example")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_invites_an_organisation_and_prints_the_links(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invite", PERIOD, "--organisation", "cpts-val"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines[:2]] == ["dr-anne", "dr-bruno"]
    assert all(line.split("\t")[2].startswith("https://relief.example/g/") for line in lines[:2])
    assert lines[2] == f"2 links issued for {PERIOD}"


def test_cli_invite_by_email_without_smtp_is_one_clear_error(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invite", PERIOD, "--doctor", "dr-anne", "--send"]) == 1
    assert capsys.readouterr().err == (
        "error: --send: no SMTP host configured (SCHEDULER_SMTP_HOST)\n")


def test_cli_issues_a_coordinator_link(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coordinator-link", "cpts-val", "--period", PERIOD]) == 0
    assert capsys.readouterr().out.startswith("https://relief.example/c/")
