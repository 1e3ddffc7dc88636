"""Organisations (CPTS, SAMI...): their coordinators' read-only links."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from scheduler.access.scope import reaches_period
from scheduler.collection.coordinators import coordinator_message, issue_coordinator_link
from scheduler.collection.mail import MailError, send
from scheduler.models import Organisation, TensionPeriod
from scheduler.scenario.fields import Id
from scheduler.web.auth import MANAGER_ONLY, PathId, ReachDep, manager_reach, not_allowed
from scheduler.web.deps import NowDep, SessionDep, SettingsDep
from scheduler.web.errors import refusals, unprocessable

router = APIRouter(prefix="/organisations", tags=["organisations"],
                   dependencies=[Depends(manager_reach)], responses=MANAGER_ONLY)


class CoordinatorLinkIn(BaseModel):
    #: Restrict the link to one period (it then expires with it). Only an admin may leave it
    #: out: such a link shows every period of every site.
    period_id: Id | None = None
    #: Email the link to the organisation's coordinator.
    send_email: bool = False


class CoordinatorLinkOut(BaseModel):
    url: str
    emailed_to: str | None


@router.post("/{organisation_id}/coordinator-links", status_code=201,
             response_model=CoordinatorLinkOut,
             responses=refusals({502: "The email could not be sent"}))
def create_coordinator_link(organisation_id: PathId, body: CoordinatorLinkIn,
                            session: SessionDep, settings: SettingsDep, reach: ReachDep,
                            now: NowDep) -> CoordinatorLinkOut:
    """A read-only link for a CPTS/SAMI coordinator to follow their members' answers."""
    if body.period_id is None and not reach.is_admin:
        raise unprocessable("period_id", "a manager gives the period the link is for")
    if body.period_id is not None and not reaches_period(session, reach, body.period_id):
        raise not_allowed(reach, session.get(TensionPeriod, body.period_id) is not None)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise HTTPException(status_code=404, detail="Organisation not found")
    if body.send_email and not (settings.smtp_host and organisation.coordinator_email):
        raise unprocessable("send_email",
                            "needs the SMTP settings and the organisation's coordinator_email")
    url = issue_coordinator_link(session, organisation_id, now=now, base_url=settings.base_url,
                                 period_id=body.period_id)
    if not body.send_email:
        return CoordinatorLinkOut(url=url, emailed_to=None)
    try:
        send(settings, coordinator_message(organisation, url, settings.ed_contact))
    except MailError as exc:
        raise HTTPException(status_code=502, detail=f"Email not sent: {exc}") from None
    return CoordinatorLinkOut(url=url, emailed_to=organisation.coordinator_email)
