"""Who is calling: a manager or admin (session cookie or `Authorization: Bearer` API token), a
GP or a coordinator (their personal link's secret as the bearer token), or nobody.

Manager routes answer 401 without a credential that opens an account, and 403 for a period
(or rota version) outside the account's sites; for a manager, a period that does not exist
gets the same 403, so the answer never tells whether it exists (an admin, who reaches every
site, gets 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request

from scheduler.access.credentials import api_token_account, session_account
from scheduler.access.scope import Reach, reach_of, reaches_period
from scheduler.collection.coordinators import CoordinatorLink, open_coordinator_link
from scheduler.collection.invitations import DoctorLink, open_doctor_link
from scheduler.domain.text import ID_MAX
from scheduler.models import Account, RotaVersion, TensionPeriod
from scheduler.web.deps import NowDep, SessionDep, released

#: The browser session's cookie (HttpOnly, SameSite=Lax, Secure behind https).
SESSION_COOKIE = "scheduler_session"
#: An id in a path: never longer than an id may be (`domain.text`).
PathId = Annotated[str, Path(max_length=ID_MAX)]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer(request: Request) -> str | None:
    """The bearer secret of the request, if it has one."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def signed_in(request: Request, session: SessionDep, now: NowDep) -> Account | None:
    """The account of the request's browser session, or None."""
    secret = request.cookies.get(SESSION_COOKIE)
    return released(session, session_account(session, secret, now=now) if secret else None)


def manager_reach(request: Request, session: SessionDep, now: NowDep) -> Reach:
    """The calling manager's reach; 401 without a credential that opens an account."""
    secret = bearer(request)
    account = api_token_account(session, secret, now=now) if secret is not None \
        else signed_in(request, session, now)
    if account is None:
        raise HTTPException(status_code=401, detail="Not authenticated", headers=_CHALLENGE)
    return released(session, reach_of(session, account))


ReachDep = Annotated[Reach, Depends(manager_reach)]


def admin_reach(reach: ReachDep) -> Reach:
    """The caller's reach when an admin; 403 for a manager."""
    if not reach.is_admin:
        raise HTTPException(status_code=403, detail="Not allowed")
    return reach
AccountDep = Annotated[Account | None, Depends(signed_in)]


def not_allowed(reach: Reach, exists: bool) -> HTTPException:
    """403 outside one's reach (and for what does not exist); 404 only for an admin."""
    if reach.is_admin and not exists:
        return HTTPException(status_code=404, detail="Not found")
    return HTTPException(status_code=403, detail="Not allowed")


def reachable_period(period_id: PathId, session: SessionDep, reach: ReachDep) -> TensionPeriod:
    """The path's period, when the caller reaches it."""
    period = session.get(TensionPeriod, period_id)
    if period is None or not reaches_period(session, reach, period_id):
        raise not_allowed(reach, period is not None)
    return released(session, period)


PeriodDep = Annotated[TensionPeriod, Depends(reachable_period)]


def reachable_version(version_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
                      reach: ReachDep) -> RotaVersion:
    """The path's rota version, when the caller reaches its period."""
    version = session.get(RotaVersion, version_id)
    if version is None or not reaches_period(session, reach, version.period_id):
        raise not_allowed(reach, version is not None)
    return released(session, version)


VersionDep = Annotated[RotaVersion, Depends(reachable_version)]


def doctor_link(request: Request, session: SessionDep, now: NowDep) -> DoctorLink:
    """The GP whose personal link is the bearer token; 401 otherwise (403 for a manager)."""
    secret = bearer(request)
    link = open_doctor_link(session, secret, now=now) if secret is not None else None
    if link is None:
        raise _not_this_kind(session, secret, now)
    return released(session, link)


def coordinator_link(request: Request, session: SessionDep, now: NowDep) -> CoordinatorLink:
    """The coordinator whose link is the bearer token; 401 otherwise (403 for a manager)."""
    secret = bearer(request)
    link = open_coordinator_link(session, secret, now=now) if secret is not None else None
    if link is None:
        raise _not_this_kind(session, secret, now)
    return released(session, link)


def _not_this_kind(session: SessionDep, secret: str | None, now: NowDep) -> HTTPException:
    if secret is not None and api_token_account(session, secret, now=now) is not None:
        return HTTPException(status_code=403, detail="Not allowed")
    return HTTPException(status_code=401, detail="Not authenticated", headers=_CHALLENGE)


DoctorLinkDep = Annotated[DoctorLink, Depends(doctor_link)]
CoordinatorLinkDep = Annotated[CoordinatorLink, Depends(coordinator_link)]

#: `responses=` of the manager routers, so OpenAPI shows the refusals.
MANAGER_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credential opening a manager account"},
    403: {"description": "Outside the caller's sites (or no such record)"},
}
#: `responses=` of the GP and coordinator routes.
LINK_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "No personal link as the bearer token"},
    403: {"description": "A manager's credential, not a personal link"},
}
