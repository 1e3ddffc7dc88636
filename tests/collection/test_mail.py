"""Invitation emails through a real SMTP server listening on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from scheduler.collection.invitations import invite, send_invitations
from scheduler.collection.mail import MailError, MailNotConfigured, Outgoing, send
from scheduler.config.settings import Settings
from scheduler.domain.problem import Problem
from scheduler.models import DoctorRow, Invitation
from tests.support.collection import (
    BASE_URL,
    NOW,
    PERIOD,
    SmtpSink,
    body_of,
    free_port,
    load_period,
    set_clock,
)


@pytest.fixture
def backend() -> str:
    """Mail does not depend on the database: SQLite is enough here."""
    return "sqlite"


API = "/api/v1"
PLAIN = Settings(database_url="sqlite://", smtp_sender="Urgences <urgences@chiv.example.org>")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def period(session: Session) -> Problem:
    return load_period(session)


def test_invitation_email_holds_the_personal_link_that_opens_the_form(
    client: TestClient, sink: SmtpSink, period: Problem
) -> None:
    set_clock(client.app, NOW)  # type: ignore[arg-type]
    client.app.state.settings = sink.settings(client.app.state.settings)  # type: ignore[attr-defined]
    response = client.post(f"{API}/periods/{PERIOD}/invitations",
                           json={"doctor_ids": ["dr-anne"], "send_email": True})
    assert response.status_code == 201
    [issued] = response.json()
    assert (issued["emailed"], issued["email_error"]) == (True, "")
    [message] = sink.messages
    assert message["To"] == "anne.martin@example.org"
    assert "Été test" in message["Subject"]
    body = body_of(message)
    assert issued["url"] in body.split()
    assert "Bonjour Dr Anne Martin," in body and "25 juin 2027" in body
    path = issued["url"].removeprefix(client.app.state.settings.base_url)  # type: ignore[attr-defined]
    assert client.get(path).status_code == 200


def test_sent_invitation_is_recorded(session: Session, sink: SmtpSink, period: Problem) -> None:
    issued = invite(session, PERIOD, ["dr-anne", "dr-bruno"], now=NOW, base_url=BASE_URL)
    send_invitations(session, sink.settings(PLAIN), PERIOD, issued, now=NOW)
    rows = session.exec(select(Invitation).order_by(Invitation.id)).all()  # type: ignore[arg-type]
    assert [(r.emailed_to, r.emailed_at, r.email_error) for r in rows] == [
        ("anne.martin@example.org", NOW, ""), ("bruno.petit@example.org", NOW, "")]
    assert [e[1] for e in sink.envelopes] == [["anne.martin@example.org"],
                                              ["bruno.petit@example.org"]]
    assert {e[0] for e in sink.envelopes} == {"urgences@chiv.example.org"}


def test_unreachable_server_is_recorded_and_the_link_still_works(
    session: Session, period: Problem
) -> None:
    issued = invite(session, PERIOD, ["dr-anne"], now=NOW, base_url=BASE_URL)
    nowhere = PLAIN.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port(),
                                       "smtp_timeout_seconds": 5})
    [result] = send_invitations(session, nowhere, PERIOD, issued, now=NOW)
    assert result.email_error.startswith("cannot use the SMTP server 127.0.0.1:")
    [row] = session.exec(select(Invitation)).all()
    assert row.emailed_at is None and row.email_error == result.email_error


def test_doctor_without_an_email_address_is_reported_not_sent(
    session: Session, sink: SmtpSink, period: Problem
) -> None:
    session.add(DoctorRow(id="dr-sans", name="Dr Sans Courriel"))
    session.commit()
    issued = invite(session, PERIOD, ["dr-sans", "dr-anne"], now=NOW, base_url=BASE_URL)
    results = send_invitations(session, sink.settings(PLAIN), PERIOD, issued, now=NOW)
    assert [r.email_error for r in results] == ["the doctor has no email address", ""]
    assert len(sink.messages) == 1


def test_login_uses_the_configured_credentials() -> None:
    message = Outgoing(to="a@example.org", subject="Essai", body="Bonjour\n")
    with SmtpSink(authenticate=("relay", "s3cret")) as sink:
        good = sink.settings(PLAIN, smtp_username="relay", smtp_password=SecretStr("s3cret"))
        send(good, message)
        bad = sink.settings(PLAIN, smtp_username="relay", smtp_password=SecretStr("wrong"))
        with pytest.raises(MailError, match="cannot use the SMTP server"):
            send(bad, message)
    assert len(sink.messages) == 1


def test_no_smtp_host_means_mail_is_not_configured() -> None:
    with pytest.raises(MailNotConfigured):
        send(PLAIN, Outgoing(to="a@example.org", subject="x", body="x"))


def test_coordinator_link_is_emailed_to_the_coordinator(client: TestClient, sink: SmtpSink,
                                                        period: Problem) -> None:
    set_clock(client.app, NOW)  # type: ignore[arg-type]
    client.app.state.settings = sink.settings(client.app.state.settings)  # type: ignore[attr-defined]
    response = client.post(f"{API}/organisations/cpts-val/coordinator-links",
                           json={"send_email": True, "period_id": PERIOD})
    assert response.status_code == 201
    url = response.json()["url"]
    [message] = sink.messages
    assert message["To"] == "coordination@cpts-val.example.org"
    assert url in body_of(message).split() and "/c/" in url
