"""The bad-input battery: every write route (and the paths and queries of the read routes) ×
malformed values, on SQLite and PostgreSQL. Each answer must be a 4xx naming what is wrong,
never a 5xx, and a dump of every table before and after must be identical: a rejected input
changes nothing."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account
from scheduler.access.credentials import issue_api_token, open_session
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.domain.enums import Role
from scheduler.web.auth import SESSION_COOKIE
from scheduler.web.csrf import FIELD
from tests.support.collection import BASE_URL, NOW, PERIOD, link_secret, load_period, set_clock
from tests.support.dump import dump
from tests.support.web import app_client

NUL, SURROGATE = "a\x00b", "\ud800"
HUGE = 2**70
DEEP = "[" * 10_000 + "]" * 10_000
SLOT = "chiv-20270705-2000"
PASSWORD = "a long password!"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    #: "json" (a value, or raw bytes when str), "raw", "form", "upload" or None.
    kind: str | None = None
    body: Any = None
    #: Who calls: "admin" (API token), "gp", "coordinator" (bearer links), "browser" (pages).
    who: str = "admin"


def _json(name: str, method: str, path: str, body: Any, who: str = "admin") -> Case:
    return Case(name, method, path, "json", body, who)


INVITE = f"/api/v1/periods/{PERIOD}/invitations"
LINKS = "/api/v1/organisations/cpts-val/coordinator-links"
SOLVE = f"/api/v1/periods/{PERIOD}/solve-jobs"
#: A slot of version 1 (the battery's period has none: the refusal comes first).
SLOT_PAGE = f"/periodes/{PERIOD}/versions/1/creneaux/{SLOT}"
CASES = [
    _json("invite: NUL id", "POST", INVITE, {"doctor_ids": [NUL]}),
    _json("invite: surrogate id", "POST", INVITE, {"doctor_ids": [SURROGATE]}),
    _json("invite: id too long", "POST", INVITE, {"doctor_ids": ["x" * 1000]}),
    _json("invite: ids not a list", "POST", INVITE, {"doctor_ids": "dr-anne"}),
    _json("invite: too many ids", "POST", INVITE, {"doctor_ids": ["dr-anne"] * 7000}),
    _json("invite: nobody", "POST", INVITE, {}),
    _json("invite: huge confirm", "POST", INVITE, {"all": True, "confirm": HUGE}),
    _json("invite: unknown organisation", "POST", INVITE, {"organisation_id": "nope"}),
    Case("invite: NaN", "POST", INVITE, "raw", b'{"confirm": NaN}'),
    Case("invite: Infinity", "POST", INVITE, "raw", b'{"confirm": Infinity}'),
    Case("invite: not JSON", "POST", INVITE, "raw", b"{"),
    Case("invite: not UTF-8", "POST", INVITE, "raw", b'{"doctor_ids": ["\xff\xfe"]}'),
    Case("invite: deep nesting", "POST", INVITE, "raw", DEEP.encode()),
    Case("invite: 5,000 digits", "POST", INVITE, "raw", b'{"confirm": ' + b"9" * 5000 + b"}"),
    _json("coordinator link: NUL period", "POST", LINKS, {"period_id": NUL}),
    _json("coordinator link: period a number", "POST", LINKS, {"period_id": 5}),
    _json("coordinator link: send_email a word", "POST", LINKS,
          {"period_id": PERIOD, "send_email": "maybe"}),
    _json("answers: NUL slot", "PUT", "/api/v1/answers", {"availability": {NUL: "available"}},
          "gp"),
    _json("answers: unknown answer", "PUT", "/api/v1/answers", {"availability": {SLOT: "maybe"}},
          "gp"),
    _json("answers: huge cap", "PUT", "/api/v1/answers", {"max_shifts": HUGE}, "gp"),
    _json("answers: cap out of range", "PUT", "/api/v1/answers", {"max_shifts": 500}, "gp"),
    _json("answers: NUL comment", "PUT", "/api/v1/answers", {"comment": NUL}, "gp"),
    _json("answers: surrogate comment", "PUT", "/api/v1/answers", {"comment": SURROGATE}, "gp"),
    _json("answers: comment too long", "PUT", "/api/v1/answers", {"comment": "x" * 3000}, "gp"),
    _json("answers: year 1 and 9999", "PUT", "/api/v1/answers",
          {"away": [{"first": "0001-01-01", "last": "9999-12-31"}]}, "gp"),
    _json("answers: away reversed", "PUT", "/api/v1/answers",
          {"away": [{"first": "2027-07-10", "last": "2027-07-01"}]}, "gp"),
    _json("answers: too many away ranges", "PUT", "/api/v1/answers",
          {"away": [{"first": "2027-07-06", "last": "2027-07-06"}] * 50}, "gp"),
    Case("answers: NaN cap", "PUT", "/api/v1/answers", "raw", b'{"max_shifts": NaN}', "gp"),
    _json("resend: NUL id", "POST", "/api/v1/coordinator/resend", {"doctor_ids": [NUL]},
          "coordinator"),
    Case("roster: NUL cell", "POST", "/api/v1/roster/import", "upload",
         b"name;email;rpps\nDr A\x00;a@example.org;\n"),
    Case("roster: 200 KB cell", "POST", "/api/v1/roster/import", "upload",
         b"name;email;rpps\n" + b"x" * 200_000 + b";a@example.org;\n"),
    Case("roster: invalid bytes", "POST", "/api/v1/roster/import", "upload",
         b"name;email;rpps\n\xff\xfe\x00;\x81;\n"),
    Case("roster: empty", "POST", "/api/v1/roster/import", "upload", b""),
    Case("roster: no header", "POST", "/api/v1/roster/import", "upload", b"a,b\n1,2\n"),
    _json("solve: time limit 0", "POST", SOLVE, {"time_limit_seconds": 0}),
    _json("solve: time limit a day", "POST", SOLVE, {"time_limit_seconds": 86_400}),
    _json("solve: seed 2^70", "POST", SOLVE, {"seed": HUGE}),
    _json("solve: negative seed", "POST", SOLVE, {"seed": -1}),
    _json("solve: unknown option", "POST", SOLVE, {"workers": 64}),
    Case("solve: NaN time limit", "POST", SOLVE, "raw", b'{"time_limit_seconds": NaN}'),
    Case("solve: not JSON", "POST", SOLVE, "raw", b"{"),
    Case("cancel: job id 2^31", "POST", "/api/v1/solve-jobs/2147483648/cancel"),
    Case("cancel: job id a word", "POST", "/api/v1/solve-jobs/abc/cancel"),
    Case("job id 2^31", "GET", "/api/v1/solve-jobs/2147483648"),
    Case("rota id 2^31", "GET", "/api/v1/rotas/2147483648"),
    Case("rota id negative", "GET", "/api/v1/rotas/-1"),
    Case("rota id a word", "GET", "/api/v1/rotas/abc"),
    Case("slots from year 1", "GET", f"/api/v1/periods/{PERIOD}/slots?first=0001-01-01"),
    Case("slots to year 9999", "GET", f"/api/v1/periods/{PERIOD}/slots?last=9999-12-31"),
    Case("slots: NUL site", "GET", f"/api/v1/periods/{PERIOD}/slots?site=a%00b"),
    Case("slots: zero limit", "GET", f"/api/v1/periods/{PERIOD}/slots?limit=0"),
    Case("slots: huge limit", "GET", f"/api/v1/periods/{PERIOD}/slots?limit=99999999"),
    Case("period: NUL id", "GET", "/api/v1/periods/a%00b"),
    Case("period: invalid UTF-8", "GET", "/api/v1/periods/%ff%fe"),
    Case("period: surrogate id", "GET", "/api/v1/periods/%ED%A0%80"),
    Case("revoke: NUL doctor", "DELETE", f"{INVITE}/a%00b"),
    Case("revoke: id too long", "DELETE", f"{INVITE}/{'x' * 500}"),
    Case("form: JSON body", "POST", "/g/{link}", "raw", b'{"action": "save"}', "browser"),
    Case("form: empty body", "POST", "/g/{link}", "form", {}, "browser"),
    Case("form: superscript cap", "POST", "/g/{link}", "form", {"max_shifts": "²"}, "browser"),
    Case("form: 5,000-digit cap", "POST", "/g/{link}", "form", {"max_shifts": "9" * 5000},
         "browser"),
    Case("form: NUL comment", "POST", "/g/{link}", "form", {"comment": NUL}, "browser"),
    Case("form: year 1 away", "POST", "/g/{link}", "form",
         {"away-0-first": "0001-01-01", "away-0-last": "0001-01-02"}, "browser"),
    Case("form: NUL slot", "POST", "/g/{link}", "form", {f"slot:{NUL}": "available"},
         "browser"),
    Case("form: unknown choice", "POST", "/g/{link}", "form", {f"slot:{SLOT}": "perhaps"},
         "browser"),
    Case("generate: unknown duration", "POST", f"/periodes/{PERIOD}/calculs", "form",
         {"duree": "7"}, "browser"),
    Case("generate: superscript duration", "POST", f"/periodes/{PERIOD}/calculs", "form",
         {"duree": "²"}, "browser"),
    Case("generate: NUL duration", "POST", f"/periodes/{PERIOD}/calculs", "form",
         {"duree": NUL}, "browser"),
    Case("cancel page: job 2^31", "POST", f"/periodes/{PERIOD}/calculs/2147483648/annuler",
         "form", {}, "browser"),
    Case("publish page: no such version", "POST",
         f"/periodes/{PERIOD}/versions/99999999999/publier", "form", {"confirme": "oui"},
         "browser"),
    Case("rate: a word", "POST", f"/periodes/{PERIOD}/tarif", "form", {"taux": "beaucoup"},
         "browser"),
    Case("rate: NUL", "POST", f"/periodes/{PERIOD}/tarif", "form", {"taux": NUL}, "browser"),
    Case("rate: superscript", "POST", f"/periodes/{PERIOD}/tarif", "form", {"taux": "8²"},
         "browser"),
    Case("rate: too high", "POST", f"/periodes/{PERIOD}/tarif", "form", {"taux": "99999"},
         "browser"),
    Case("rate: negative", "POST", f"/periodes/{PERIOD}/tarif", "form", {"taux": "-5"},
         "browser"),
    Case("assign: NUL doctor", "POST", f"{SLOT_PAGE}/affecter", "form", {"medecin": NUL},
         "browser"),
    Case("assign: unknown doctor", "POST", f"{SLOT_PAGE}/affecter", "form",
         {"medecin": "x" * 500}, "browser"),
    Case("remove: NUL doctor", "POST", f"{SLOT_PAGE}/retirer", "form", {"medecin": NUL},
         "browser"),
    Case("pin: no doctor", "POST", f"{SLOT_PAGE}/epingler", "form", {}, "browser"),
    Case("invite page: nobody", "POST", f"/periodes/{PERIOD}/invitations/inviter", "form",
         {}, "browser"),
    Case("invite page: NUL doctor", "POST", f"/periodes/{PERIOD}/invitations/inviter", "form",
         {"medecin": NUL}, "browser"),
    Case("invite page: unknown organisation", "POST",
         f"/periodes/{PERIOD}/invitations/inviter", "form", {"structure": "x" * 300},
         "browser"),
    Case("invite page: email not configured", "POST",
         f"/periodes/{PERIOD}/invitations/inviter", "form",
         {"medecin": "dr-anne", "envoyer": "oui"}, "browser"),
    Case("revoke page: NUL doctor", "POST", f"/periodes/{PERIOD}/invitations/a%00b/revoquer",
         "form", {}, "browser"),
    Case("revoke page: not in the period", "POST",
         f"/periodes/{PERIOD}/invitations/dr-nobody/revoquer", "form", {}, "browser"),
    Case("edit: seats a word", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {f"places:{SLOT}": "deux", "confirme": "oui"}, "browser"),
    Case("edit: seats 51", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {f"places:{SLOT}": "51", "confirme": "oui"}, "browser"),
    Case("edit: priority 0", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {f"priorite:{SLOT}": "0", "confirme": "oui"}, "browser"),
    Case("edit: deadline year 9999", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {"date_limite": "9999-01-01", "confirme": "oui"}, "browser"),
    Case("edit: deadline NUL", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {"date_limite": NUL, "confirme": "oui"}, "browser"),
    Case("edit: new slot NUL date", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {"ajout1_date": NUL, "ajout1_debut": "18:00", "confirme": "oui"}, "browser"),
    Case("edit: new slot huge seats", "POST", f"/periodes/{PERIOD}/modifier", "form",
         {"ajout1_date": "2027-07-06", "ajout1_debut": "08:00", "ajout1_fin": "12:00",
          "ajout1_places": str(HUGE), "confirme": "oui"}, "browser"),
    Case("import page: no file", "POST", "/periodes-nouvelle", "form", {}, "browser"),
    Case("new period: NUL name", "POST", "/periodes-nouvelle/saisie", "form",
         {"nom": NUL, "debut": "2027-01-04", "fin": "2027-01-10", "site": "chiv",
          "creneau1_debut": "18:00", "creneau1_fin": "24:00", "creneau1_places": "1",
          "creneau1_jours": "mon"}, "browser"),
    Case("new period: site id too long", "POST", "/periodes-nouvelle/saisie", "form",
         {"nom": "Essai", "site": "x" * 10_000}, "browser"),
    Case("new period: huge seats", "POST", "/periodes-nouvelle/saisie", "form",
         {"nom": "Essai", "debut": "2027-01-04", "fin": "2027-01-10", "site": "chiv",
          "creneau1_debut": "18:00", "creneau1_fin": "24:00", "creneau1_places": str(HUGE),
          "creneau1_jours": "mon"}, "browser"),
    Case("roster page: no file", "POST", f"/periodes/{PERIOD}/annuaire", "form",
         {"structure": NUL}, "browser"),
    Case("roster page: NUL content", "POST", f"/periodes/{PERIOD}/annuaire/importer", "form",
         {"contenu": NUL}, "browser"),
    Case("roster page: NUL structure", "POST", f"/periodes/{PERIOD}/annuaire/importer",
         "form", {"contenu": base64.urlsafe_b64encode(zlib.compress(
             b"name;email;rpps\nDr A;a@example.org;\n")).decode(), "structure": NUL},
         "browser"),
    Case("roster page: unknown structure", "POST", f"/periodes/{PERIOD}/annuaire/importer",
         "form", {"contenu": base64.urlsafe_b64encode(zlib.compress(
             b"name;email;rpps\nDr A;a@example.org;\n")).decode(), "structure": "nowhere"},
         "browser"),
    Case("sign-in: NUL email", "POST", "/connexion", "form",
         {"email": NUL, "mot_de_passe": "x"}, "browser"),
    Case("sign-in: huge password", "POST", "/connexion", "form",
         {"email": "a@b.fr", "mot_de_passe": "x" * 1_000_000}, "browser"),
    Case("password: NUL new password", "POST", "/mot-de-passe", "form",
         {"actuel": PASSWORD, "nouveau": NUL * 10, "confirmation": NUL * 10}, "browser"),
    Case("coordinator page: NUL period", "POST", "/c/{coordinator}/relancer", "form",
         {"membre": "*sans-reponse", "periode": NUL}, "browser"),
    Case("coordinator page: NUL member", "POST", "/c/{coordinator}/relancer", "form",
         {"membre": NUL, "periode": PERIOD}, "browser"),
]


@dataclass
class Battery:
    client: TestClient
    engine: Engine
    secrets: dict[str, str]
    csrf: str


@pytest.fixture
def battery(engine: Engine, session: Session) -> Iterator[Battery]:
    load_period(session)
    admin = create_account(session, email="admin@test.invalid", password=PASSWORD,
                           role=Role.ADMIN, now=NOW)
    secrets = {
        "admin": issue_api_token(session, admin, now=NOW),
        "gp": link_secret(session, "dr-anne"),
        "coordinator": issue_coordinator_link(session, "cpts-val", now=NOW, base_url=BASE_URL,
                                              period_id=PERIOD).rsplit("/", 1)[1],
        "session": open_session(session, admin, now=NOW, hours=2),
    }
    with app_client(engine, unknown_link_rate="100000/minute",
                    sign_in_rate="100000/minute") as client:
        set_clock(client.app, NOW)  # type: ignore[arg-type]
        client.get("/")
        csrf = client.cookies.get(FIELD) or ""
        # A credential's last use is written once a minute: write it now, before any dump.
        client.get("/api/v1/periods", headers={"Authorization": f"Bearer {secrets['admin']}"})
        client.cookies.set(SESSION_COOKIE, secrets["session"])
        client.get("/")
        yield Battery(client=client, engine=engine, secrets=secrets, csrf=csrf)


def send(battery: Battery, case: Case) -> int:
    client, secrets = battery.client, battery.secrets
    client.cookies.clear()
    path = case.path.replace("{link}", secrets["gp"]).replace("{coordinator}",
                                                              secrets["coordinator"])
    headers: dict[str, str] = {}
    if case.who in ("admin", "gp", "coordinator"):
        headers["Authorization"] = f"Bearer {secrets[case.who]}"
    else:
        client.cookies.set(FIELD, battery.csrf)
        client.cookies.set(SESSION_COOKIE, secrets["session"])
    if case.kind == "json":
        content = json.dumps(case.body).encode("utf-8", "surrogatepass")
        headers["content-type"] = "application/json"
        response = client.request(case.method, path, content=content, headers=headers)
    elif case.kind == "raw":
        headers["content-type"] = "application/json"
        response = client.request(case.method, path, content=case.body, headers=headers)
    elif case.kind == "form":
        data = {**case.body, FIELD: battery.csrf}
        if path.startswith("/g/") and case.name != "form: empty body":
            data = {"formulaire": "disponibilites", "action": "save", **data}
        elif case.name == "form: empty body":
            data = {FIELD: battery.csrf}
        response = client.request(case.method, path, data=data, headers=headers,
                                  follow_redirects=False)
    elif case.kind == "upload":
        response = client.post(path, headers=headers,
                               files={"file": ("roster.csv", case.body, "text/csv")})
    else:
        response = client.request(case.method, path, headers=headers)
    return response.status_code


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_input_is_refused_and_changes_nothing(battery: Battery, case: Case) -> None:
    before = dump(battery.engine)
    status = send(battery, case)
    assert 400 <= status < 500, status
    assert dump(battery.engine) == before


def test_the_battery_covers_every_write_route() -> None:
    from fastapi.routing import APIRoute

    from scheduler.api import ROUTERS

    writes = {prefix + route.path for router, prefix in ROUTERS for route in router.routes
              if isinstance(route, APIRoute) and route.methods & {"POST", "PUT", "DELETE"}}
    tried = {c.path.replace(f"{INVITE}/", f"{INVITE}/{{doctor_id}}|").split("|")[0]
             .replace(PERIOD, "{period_id}").replace("cpts-val", "{organisation_id}")
             .replace("2147483648", "{job_id}").replace("99999999999", "{number}")
             .replace("/versions/1/", "/versions/{number}/").replace(SLOT, "{slot_id}")
             .replace("/invitations/dr-nobody/", "/invitations/{doctor_id}/")
             .replace("{link}", "{token}").replace("{coordinator}", "{token}")
             for c in CASES if c.method in ("POST", "PUT", "DELETE")}
    # Sign-out, the feed-link rotation, the roster preview and the coordinator page's
    # re-send take no free input beyond what the cases above already send them.
    untried = writes - tried - {"/deconnexion", "/g/{token}/agenda/rotate-feed",
                                "/api/v1/roster/preview"}
    assert untried == set()
