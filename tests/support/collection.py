"""A small future period for the collection tests (invitations, form, coordinator, import).

Two weeks from Monday 5 July 2027 with the 14 July holiday on the Wednesday; answers close at
the end of 25 June 2027. Tests run the web app's clock at `NOW` (well before the deadline); the
browser test, which runs a real server on the real clock, shifts the dates to the future.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi import FastAPI
from sqlmodel import Session

from scheduler.collection.invitations import invite
from scheduler.config.settings import Settings
from scheduler.domain.problem import Problem
from scheduler.domain.rpps import make_rpps
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import parse_scenario
from scheduler.storage.loader import load_scenario_into
from scheduler.web.deps import now_utc

PERIOD = "ete-test"
START = date(2027, 7, 5)
DEADLINE = date(2027, 6, 25)
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
BASE_URL = "http://test.invalid"


def scenario_data(start: date = START, deadline: date = DEADLINE, period_id: str = PERIOD
                  ) -> dict[str, Any]:
    """Two weeks of weekday evenings, Saturday afternoons, Sunday/holiday day and evening."""
    return {
        "period": {"id": period_id, "name": f"Été test ({period_id})" if period_id != PERIOD
                   else "Été test", "start": start.isoformat(),
                   "end": (start + timedelta(days=13)).isoformat(),
                   "availability_deadline": deadline.isoformat()},
        "sites": [{"id": "chiv", "name": "CHIV — urgences adultes"}],
        "slot_templates": [
            {"id": "soir", "site": "chiv", "days": ["mon", "tue", "wed", "thu", "fri"],
             "start": "20:00", "end": "24:00", "seats": 1, "label": "Soirée de semaine"},
            {"id": "samedi", "site": "chiv", "days": ["sat"], "start": "14:00", "end": "20:00",
             "seats": 1, "label": "Samedi après-midi"},
            {"id": "dimanche-matin", "site": "chiv", "days": ["sun", "holiday"],
             "start": "08:00", "end": "14:00", "seats": 1, "label": "Dimanche matin"},
            {"id": "dimanche-soir", "site": "chiv", "days": ["sun", "holiday"],
             "start": "20:00", "end": "24:00", "seats": 1, "label": "Dimanche soir"},
        ],
        "organisations": [
            {"id": "cpts-val", "name": "CPTS du Val (fictive)", "kind": "cpts",
             "coordinator_email": "coordination@cpts-val.example.org"},
            {"id": "sami-94", "name": "SAMI 94 (fictif)", "kind": "sami"},
        ],
        "doctors": [
            {"id": "dr-anne", "name": "Dr Anne Martin", "email": "anne.martin@example.org",
             "rpps": make_rpps("1000000100"), "organisation": "cpts-val"},
            {"id": "dr-bruno", "name": "Dr Bruno Petit", "email": "bruno.petit@example.org",
             "rpps": make_rpps("1000000200"), "organisation": "cpts-val",
             "caps": {"max_shifts": 3},
             "availability": [{"answer": "available", "templates": ["soir"]}]},
            {"id": "dr-chloe", "name": "Dr Chloé Durand", "email": "chloe.durand@example.org",
             "rpps": make_rpps("1000000300"), "organisation": "sami-94"},
        ],
    }


def load_period(session: Session, start: date = START, deadline: date = DEADLINE,
                period_id: str = PERIOD) -> Problem:
    scenario = parse_scenario(scenario_data(start, deadline, period_id), "collection")
    problem = expand(scenario, "collection")
    load_scenario_into(session, scenario, problem, f"collection-{start}", now=NOW)
    return problem


def link_secret(session: Session, doctor_id: str, now: datetime = NOW,
                period_id: str = PERIOD) -> str:
    """Invite the doctor and return the secret of their new personal link."""
    [issued] = invite(session, period_id, [doctor_id], now=now, base_url=BASE_URL)
    return issued.url.rsplit("/", 1)[1]


def set_clock(app: FastAPI, now: datetime) -> None:
    app.dependency_overrides[now_utc] = lambda: now


# A real SMTP server on loopback -------------------------------------------------------------

class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 (a free port) keeping every message it receives."""

    def __init__(self, *, authenticate: tuple[str, str] | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()
        options: dict[str, Any] = {}
        if authenticate is not None:
            options = {"authenticator": _Authenticator(*authenticate), "auth_require_tls": False}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        raw = envelope.original_content or envelope.content
        self.messages.append(message_from_bytes(raw, policy=policy.default))
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def settings(self, base: Settings, **extra: Any) -> Settings:
        return base.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": self.port,
                                       "smtp_security": "none",
                                       "smtp_messages_per_second": 1000, **extra})


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login, auth_data.password) == (self.username, self.password)
        return AuthResult(success=ok, handled=False)  # the server answers 235 or 535


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content
