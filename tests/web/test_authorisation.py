"""The authorisation matrix, built from the app's route table (DESIGN, "Who may see and do
what"): every route × every kind of caller has an expected outcome, checked through real HTTP
calls. A route added without a row here fails `test_every_route_has_a_row`.

Callers: anonymous; a GP with their personal link; another GP with theirs; a CPTS
coordinator with their link; the manager of another site; the manager of the period's site;
an admin; and a revoked credential (a revoked API token, a revoked personal link). Each
caller presents what they hold: a link in a page's path, the link or an API token as the API's
bearer token, a session cookie on the manager's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.credentials import issue_api_token, open_session, revoke_api_token
from scheduler.access.passwords import hash_password
from scheduler.api import ROUTERS
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.collection.invitations import invite, revoke
from scheduler.domain.enums import Role, TokenKind
from scheduler.domain.problem import Answer
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.models import Account, AccountSite, Availability, SiteRow
from scheduler.planning.jobs import request_cancel, request_job
from scheduler.publication.links import doctor_feed_secret
from scheduler.publication.publish import publish
from scheduler.storage import tokens
from scheduler.storage.rotas import save_rota
from scheduler.web.auth import SESSION_COOKIE
from scheduler.web.csrf import FIELD
from tests.support.collection import BASE_URL, NOW, PERIOD, load_period, set_clock
from tests.support.web import app_client

CALLERS = ("anonymous", "gp", "other_gp", "coordinator", "other_manager", "manager", "admin",
           "revoked")
MANAGERS = ("other_manager", "manager", "admin")
UNKNOWN = "u" * 32
#: One argon2 hash made once: the matrix is about who may do what, not about hashing.
HASH = hash_password("matrix password, long enough")
ROSTER = b"name;email;rpps\nDr Nouvelle Venue;nouvelle@example.org;\n"


@dataclass
class Caller:
    """What one caller holds (None: nothing of that kind)."""

    link: str | None = None  # a GP's personal link
    feed: str | None = None  # the GP's private feed secret
    coordinator: str | None = None
    api_token: str | None = None
    session: str | None = None
    site_feed: str | None = None
    all_feed: str | None = None


@dataclass
class World:
    client: TestClient
    callers: dict[str, Caller]
    version_id: int
    job_id: int
    csrf: str = field(default="")


def _account(session: Session, email: str, role: Role, sites: tuple[str, ...]) -> Account:
    account = Account(email=email, role=role, password_hash=HASH, created_at=NOW,
                      password_changed_at=NOW)
    session.add(account)
    session.flush()
    assert account.id is not None
    session.add_all(AccountSite(account_id=account.id, site_id=s) for s in sites)
    session.commit()
    return account


@pytest.fixture
def world(engine: Engine, session: Session) -> Iterator[World]:
    problem = load_period(session)
    session.add(SiteRow(id="chic", name="CHIC"))
    session.commit()
    [revoked_link, bruno, _chloe] = invite(session, PERIOD, ["dr-anne", "dr-bruno", "dr-chloe"],
                                           now=NOW, base_url=BASE_URL)
    revoke(session, PERIOD, "dr-anne", now=NOW)  # kills dr-anne's first link...
    [anne] = invite(session, PERIOD, ["dr-anne"], now=NOW, base_url=BASE_URL)  # ...not this one
    gp, other_gp = (i.url.rsplit("/", 1)[1] for i in (anne, bruno))
    coordinator = issue_coordinator_link(session, "cpts-val", now=NOW, base_url=BASE_URL,
                                         period_id=PERIOD).rsplit("/", 1)[1]
    # She offered the slot she holds (a row as her form would store it, her answers' revision
    # left alone): a rota breaking a rule is not publishable.
    session.add(Availability(period_id=PERIOD, doctor_id="dr-anne", slot_id=problem.slots[0].id,
                             answer=Answer.AVAILABLE))
    rota = Rota(status=SolveStatus.OPTIMAL,
                assignments=[Assignment(doctor="dr-anne", slot=problem.slots[0].id)])
    version = save_rota(session, PERIOD, problem, rota)
    session.commit()
    assert version.id is not None
    publish(session, PERIOD, now=NOW)
    session.commit()
    # A finished solve job (its event stream ends at once).
    job = request_job(session, PERIOD, requested_by="admin", time_limit_seconds=1, seed=0,
                      now=NOW, stale_after=timedelta(seconds=30))
    session.commit()
    request_cancel(session, job, NOW, by="admin")
    assert job.id is not None
    callers = {name: Caller() for name in CALLERS}
    callers["gp"] = Caller(link=gp, feed=doctor_feed_secret(session, link_secret=gp,
                                                           doctor_id="dr-anne", now=NOW))
    callers["other_gp"] = Caller(link=other_gp, feed=doctor_feed_secret(
        session, link_secret=other_gp, doctor_id="dr-bruno", now=NOW))
    callers["coordinator"] = Caller(coordinator=coordinator)
    for name, role, sites in (("other_manager", Role.MANAGER, ("chic",)),
                              ("manager", Role.MANAGER, ("chiv",)), ("admin", Role.ADMIN, ())):
        account = _account(session, f"{name}@test.invalid", role, sites)
        callers[name] = Caller(api_token=issue_api_token(session, account, now=NOW),
                               session=open_session(session, account, now=NOW, hours=2))
        if name == "manager":
            dead = issue_api_token(session, account, now=NOW)
            stored = tokens.resolve(session, TokenKind.API_TOKEN, dead, now=NOW)
            assert stored is not None and stored.id is not None
            revoke_api_token(session, account, stored.id, now=NOW)
            callers["revoked"] = Caller(api_token=dead,
                                        link=revoked_link.url.rsplit("/", 1)[1])
    callers["admin"].site_feed = tokens.issue(session, TokenKind.SITE_FEED, now=NOW,
                                              site_id="chiv")
    callers["admin"].all_feed = tokens.issue(session, TokenKind.MANAGER_FEED, now=NOW)
    session.commit()
    with app_client(engine, unknown_link_rate="100000/minute",
                    sign_in_rate="100000/minute") as client:
        set_clock(client.app, NOW + timedelta(minutes=5))  # type: ignore[arg-type]
        client.get("/")  # a browser's anti-CSRF cookie, which every caller's forms carry
        yield World(client=client, callers=callers, version_id=version.id, job_id=job.id,
                    csrf=client.cookies.get(FIELD) or "")


# The matrix ------------------------------------------------------------------------------------

Expect = dict[str, int]


def only(allowed: tuple[str, ...], ok: int, otherwise: int) -> Expect:
    return {c: ok if c in allowed else otherwise for c in CALLERS}


def manager_api(ok: int, other_site: int = 403) -> Expect:
    """A manager route: 401 without a manager's credential, 403 outside one's sites."""
    out = only(MANAGERS, ok, 401)
    out["other_manager"] = other_site
    return out


def link_api(owners: tuple[str, ...], ok: int) -> Expect:
    """A GP or coordinator route: its own link only; a manager's credential is 403."""
    out = only(owners, ok, 401)
    out.update({m: 403 for m in MANAGERS})
    return out


SIGNED_IN = only(MANAGERS, 200, 303)  # manager pages: the others are sent to sign in
#: A period's pages: a manager of another site is refused.
MANAGER_PAGE = {**SIGNED_IN, "other_manager": 403}
MANAGER_POST = {**dict.fromkeys(CALLERS, 303), "other_manager": 403}
EVERYONE = dict.fromkeys(CALLERS, 200)
GPS = ("gp", "other_gp")

#: (method, path) → (how the caller authenticates, request body, expected status per caller).
#: "bearer": the caller's credential for the API; "page": the caller's link in the path and
#: their session cookie; "feed": the caller's feed secret in the path.
MATRIX: dict[tuple[str, str], tuple[str, dict[str, object] | None, Expect]] = {
    ("GET", "/health"): ("page", None, EVERYONE),
    ("GET", "/api/v1/periods"): ("bearer", None, manager_api(200, other_site=200)),
    ("GET", "/api/v1/periods/{period_id}"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/periods/{period_id}/slots"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/periods/{period_id}/doctors"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/periods/{period_id}/availability"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/periods/{period_id}/rotas"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/rotas/{version_id}"): ("bearer", None, manager_api(200)),
    # The manager's job is queued; the admin's, right after, finds the period busy.
    ("POST", "/api/v1/periods/{period_id}/solve-jobs"): (
        "bearer", {"time_limit_seconds": 5}, {**manager_api(202), "admin": 409}),
    ("GET", "/api/v1/periods/{period_id}/solve-jobs"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/solve-jobs/{job_id}"): ("bearer", None, manager_api(200)),
    ("GET", "/api/v1/solve-jobs/{job_id}/events"): ("bearer", None, manager_api(200)),
    # Allowed, then refused: the job has finished.
    ("POST", "/api/v1/solve-jobs/{job_id}/cancel"): ("bearer", None, manager_api(409)),
    ("POST", "/api/v1/periods/{period_id}/invitations"): (
        "bearer", {"doctor_ids": ["dr-chloe"]}, manager_api(201)),
    ("GET", "/api/v1/periods/{period_id}/invitations"): ("bearer", None, manager_api(200)),
    ("DELETE", "/api/v1/periods/{period_id}/invitations/{doctor_id}"): (
        "bearer", None, manager_api(200)),
    ("POST", "/api/v1/organisations/{organisation_id}/coordinator-links"): (
        "bearer", {"period_id": PERIOD}, manager_api(201)),
    # Doctors are shared by every site: a manager's roster changes only the doctors they reach
    # (tests/collection/test_roster.py); any manager may send one.
    ("POST", "/api/v1/roster/preview"): ("roster", None, manager_api(200, other_site=200)),
    ("POST", "/api/v1/roster/import"): ("roster", None, manager_api(200, other_site=200)),
    ("GET", "/api/v1/answers"): ("bearer", None, link_api(GPS, 200)),
    ("PUT", "/api/v1/answers"): ("bearer", {"availability": {}}, link_api(GPS, 200)),
    ("GET", "/api/v1/coordinator"): ("bearer", None, link_api(("coordinator",), 200)),
    # Allowed, then refused for a business reason: email is not configured here.
    ("POST", "/api/v1/coordinator/resend"): (
        "bearer", {"doctor_ids": []}, link_api(("coordinator",), 409)),
    ("GET", "/feeds/doctor/{token}.ics"): ("feed", None, only(GPS, 200, 404)),
    ("GET", "/feeds/site/{site_id}/{token}.ics"): ("site_feed", None, only(("admin",), 200,
                                                                           404)),
    ("GET", "/feeds/site/{site_id}.ics"): ("page", None, dict.fromkeys(CALLERS, 404)),
    ("GET", "/feeds/all/{token}.ics"): ("all_feed", None, only(("admin",), 200, 404)),
    ("GET", "/openapi.json"): ("bearer", None, only(MANAGERS, 200, 401)),
    ("GET", "/docs"): ("page", None, SIGNED_IN),
    ("GET", "/redoc"): ("page", None, SIGNED_IN),
    ("GET", "/"): ("page", None, EVERYONE),
    ("POST", "/connexion"): ("page", {"email": "x@test.invalid", "mot_de_passe": "wrong one"},
                             dict.fromkeys(CALLERS, 401)),
    ("POST", "/deconnexion"): ("page", {}, dict.fromkeys(CALLERS, 303)),
    ("GET", "/mot-de-passe"): ("page", None, SIGNED_IN),
    ("POST", "/mot-de-passe"): ("page", {"actuel": "wrong", "nouveau": "x", "confirmation": "x"},
                                only(MANAGERS, 422, 303)),
    ("GET", "/g/{token}"): ("page", None, only(GPS, 200, 404)),
    ("POST", "/g/{token}"): ("page", {"formulaire": "disponibilites", "action": "save",
                                       "revision": "0"},
                             only(GPS, 303, 404)),
    ("GET", "/g/{token}/agenda"): ("page", None, only(GPS, 200, 404)),
    ("POST", "/g/{token}/agenda/rotate-feed"): ("page", {}, only(GPS, 303, 404)),
    ("GET", "/periodes/{period_id}"): ("page", None, MANAGER_PAGE),
    ("POST", "/periodes/{period_id}/calculs"): ("page", {"duree": "20"}, MANAGER_POST),
    ("GET", "/periodes/{period_id}/calculs/{job_id}"): ("page", None, MANAGER_PAGE),
    ("POST", "/periodes/{period_id}/calculs/{job_id}/annuler"): ("page", {}, MANAGER_POST),
    ("GET", "/periodes/{period_id}/versions/{number}"): ("page", None, MANAGER_PAGE),
    ("GET", "/periodes/{period_id}/versions/{number}/export/{what}.{suffix}"): (
        "page", None, MANAGER_PAGE),
    ("GET", "/periodes/{period_id}/besoins"): ("page", None, MANAGER_PAGE),
    ("GET", "/periodes/{period_id}/invitations"): ("page", None, MANAGER_PAGE),
    ("GET", "/periodes/{period_id}/modifier"): ("page", None, MANAGER_PAGE),
    # The upload and the import themselves are tested in test_roster_page.py: without a file,
    # or with an unreadable one, refused.
    ("GET", "/periodes/{period_id}/annuaire"): ("page", None, MANAGER_PAGE),
    ("POST", "/periodes/{period_id}/annuaire"): (
        "page", {}, {**MANAGER_POST, "manager": 422, "admin": 422}),
    ("POST", "/periodes/{period_id}/annuaire/importer"): (
        "page", {"contenu": "pas du base64"}, {**MANAGER_POST, "manager": 422, "admin": 422}),
    ("GET", "/periodes-nouvelle"): ("page", None, SIGNED_IN),
    # The upload itself is tested in test_period_edit.py; without a file it is refused.
    ("POST", "/periodes-nouvelle"): ("page", {}, {**dict.fromkeys(CALLERS, 303),
                                                  **dict.fromkeys(MANAGERS, 422)}),
    # The form itself is tested in test_period_new.py; empty, it is refused.
    ("POST", "/periodes-nouvelle/saisie"): ("page", {}, {**dict.fromkeys(CALLERS, 303),
                                                         **dict.fromkeys(MANAGERS, 422)}),
    # Without confirmation: what the edit changes, nothing saved yet.
    ("POST", "/periodes/{period_id}/modifier"): ("page", {}, MANAGER_PAGE),
    ("POST", "/periodes/{period_id}/invitations/inviter"): (
        "page", {"medecin": "dr-chloe"}, MANAGER_PAGE),
    ("POST", "/periodes/{period_id}/invitations/{doctor_id}/revoquer"): (
        "page", {}, MANAGER_POST),
    ("GET", "/periodes/{period_id}/versions/{number}/semaine"): ("page", None, MANAGER_PAGE),
    ("GET", "/periodes/{period_id}/versions/{number}/creneaux/{slot_id}"): (
        "page", None, MANAGER_PAGE),
    ("POST", "/periodes/{period_id}/versions/{number}/creneaux/{slot_id}/epingler"): (
        "page", {"medecin": "dr-anne"}, MANAGER_POST),
    # The manager's removal makes version 2: version 1 is then no longer the one to adjust.
    ("POST", "/periodes/{period_id}/versions/{number}/creneaux/{slot_id}/retirer"): (
        "page", {"medecin": "dr-anne"}, {**MANAGER_POST, "admin": 409}),
    # Allowed, then refused: the slot is full (dr-anne holds its one seat).
    ("POST", "/periodes/{period_id}/versions/{number}/creneaux/{slot_id}/affecter"): (
        "page", {"medecin": "dr-bruno"}, {**MANAGER_POST, "manager": 409, "admin": 409}),
    ("POST", "/periodes/{period_id}/tarif"): ("page", {"taux": "80"}, MANAGER_POST),
    # Before the deadline: the managers are asked to confirm.
    ("POST", "/periodes/{period_id}/versions/{number}/publier"): ("page", {}, MANAGER_PAGE),
    ("GET", "/c/{token}"): ("page", None, only(("coordinator",), 200, 404)),
    ("POST", "/c/{token}/relancer"): ("page", {"membre": "dr-anne"},
                                     only(("coordinator",), 303, 404)),
}


def routes() -> list[tuple[str, str]]:
    return sorted((method, prefix + route.path)
                  for router, prefix in ROUTERS for route in router.routes
                  if isinstance(route, APIRoute) for method in route.methods - {"HEAD"})


def test_every_route_has_a_row() -> None:
    assert sorted(MATRIX) == routes()


def test_every_operation_of_the_openapi_schema_has_a_row(world: World) -> None:
    admin = world.callers["admin"].api_token
    schema = world.client.get("/openapi.json", headers={"Authorization": f"Bearer {admin}"})
    operations = {(method.upper(), path) for path, item in schema.json()["paths"].items()
                  for method in item}
    assert operations and operations <= set(MATRIX)


# Calling a route as a caller ------------------------------------------------------------------

def _path(path: str, world: World, token: str | None) -> str:
    return (path.replace("{period_id}", PERIOD).replace("{version_id}", str(world.version_id))
            .replace("{job_id}", str(world.job_id)).replace("{number}", "1")
            .replace("{what}", "planning").replace("{suffix}", "csv")
            .replace("{slot_id}", "chiv-20270705-2000")
            .replace("{doctor_id}", "dr-chloe").replace("{organisation_id}", "cpts-val")
            .replace("{site_id}", "chiv").replace("{token}", token or UNKNOWN))


def _page_token(path: str, caller: Caller) -> str | None:
    return caller.coordinator if path.startswith("/c/") else caller.link


def _bearer(caller: Caller, path: str) -> str | None:
    if path.startswith("/api/v1/coordinator"):
        return caller.coordinator or caller.api_token or caller.link
    return caller.api_token or caller.link or caller.coordinator


KINDS: dict[str, Callable[[str, Caller], str | None]] = {
    "feed": lambda _p, c: c.feed,
    "site_feed": lambda _p, c: c.site_feed,
    "all_feed": lambda _p, c: c.all_feed,
}


def call(world: World, method: str, path: str, how: str, body: dict[str, object] | None,
         caller: Caller) -> int:
    client = world.client
    client.cookies.clear()  # a script holds no cookie; a browser (below) holds the CSRF one
    headers: dict[str, str] = {}
    if how in ("bearer", "roster"):
        secret = _bearer(caller, path)
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        url = _path(path, world, None)
        if how == "roster":
            response = client.post(url, headers=headers,
                                   files={"file": ("roster.csv", ROSTER, "text/csv")})
        else:
            response = client.request(method, url, headers=headers, json=body,
                                      follow_redirects=False)
        return response.status_code
    if how in KINDS:
        return client.get(_path(path, world, KINDS[how](path, caller))).status_code
    client.cookies.set(FIELD, world.csrf)
    if caller.session is not None:
        client.cookies.set(SESSION_COOKIE, caller.session)
    url = _path(path, world, _page_token(path, caller))
    data = None if body is None else {**body, FIELD: world.csrf}
    return client.request(method, url, data=data, follow_redirects=False).status_code


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: str(v))
def test_route_answers_each_caller_as_the_matrix_says(world: World, method: str,
                                                      path: str) -> None:
    how, body, expected = MATRIX[method, path]
    found = {name: call(world, method, path, how, body, world.callers[name])
             for name in CALLERS}
    assert found == expected


def test_anonymous_calls_to_every_api_route_get_401(world: World) -> None:
    # On both databases: nothing under /api/v1 answers without a credential.
    for method, path in routes():
        if path.startswith("/api/v1/"):
            how = "roster" if "roster" in path else "bearer"
            status = call(world, method, path, how, MATRIX[method, path][1], Caller())
            assert status == 401, (method, path)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_gp_and_coordinator_apis_answer_only_with_the_callers_own_data(world: World) -> None:
    for name, doctor in (("gp", "dr-anne"), ("other_gp", "dr-bruno")):
        secret = world.callers[name].link
        body = world.client.get("/api/v1/answers",
                                headers={"Authorization": f"Bearer {secret}"}).json()
        assert body["doctor_id"] == doctor
    coordinator = world.callers["coordinator"].coordinator
    view = world.client.get("/api/v1/coordinator",
                            headers={"Authorization": f"Bearer {coordinator}"}).json()
    assert view["organisation_id"] == "cpts-val"
    assert {m["doctor_id"] for m in view["members"]} == {"dr-anne", "dr-bruno"}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_manager_lists_only_the_periods_of_their_sites(world: World) -> None:
    def periods(name: str) -> list[str]:
        token = world.callers[name].api_token
        response = world.client.get("/api/v1/periods",
                                    headers={"Authorization": f"Bearer {token}"})
        return [p["id"] for p in response.json()]

    assert periods("manager") == periods("admin") == [PERIOD]
    assert periods("other_manager") == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_manager_cannot_tell_a_missing_period_from_another_sites(world: World) -> None:
    token = world.callers["other_manager"].api_token
    headers = {"Authorization": f"Bearer {token}"}
    missing = world.client.get("/api/v1/periods/no-such-period", headers=headers)
    elsewhere = world.client.get(f"/api/v1/periods/{PERIOD}", headers=headers)
    assert (missing.status_code, missing.json()) == (elsewhere.status_code, elsewhere.json())
    assert missing.status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_manager_cannot_mint_a_coordinator_link_for_every_period(world: World) -> None:
    token = world.callers["manager"].api_token
    response = world.client.post("/api/v1/organisations/cpts-val/coordinator-links",
                                 headers={"Authorization": f"Bearer {token}"}, json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "period_id"
