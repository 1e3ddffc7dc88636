"""Invitations to a period: personal links issued (and emailed), who answered, revoking links."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from scheduler.access.scope import reachable_doctors
from scheduler.collection.invitations import (
    answer_statuses,
    doctors_to_invite,
    invite,
    revoke,
    send_invitations,
)
from scheduler.domain.text import MAX_DOCTORS_PER_PERIOD
from scheduler.models import DoctorPeriod
from scheduler.scenario.fields import Id
from scheduler.web.auth import MANAGER_ONLY, PathId, PeriodDep, ReachDep, manager_reach
from scheduler.web.deps import NowDep, SessionDep, SettingsDep
from scheduler.web.errors import unprocessable

#: Emailing more doctors than this in one request needs their number as confirmation.
CONFIRM_ABOVE = 50

router = APIRouter(prefix="/periods/{period_id}/invitations", tags=["invitations"],
                   dependencies=[Depends(manager_reach)], responses=MANAGER_ONLY)


class InviteIn(BaseModel):
    """Whom to invite: doctor ids, every member of an organisation, or every doctor."""

    doctor_ids: list[Id] = Field([], max_length=MAX_DOCTORS_PER_PERIOD)
    organisation_id: Id | None = None
    all: bool = False
    #: Email each doctor their link (needs the SMTP settings).
    send_email: bool = False
    #: To email more than `CONFIRM_ABOVE` doctors at once, the number being emailed.
    confirm: int | None = Field(None, ge=0, le=MAX_DOCTORS_PER_PERIOD)


class InvitationOut(BaseModel):
    doctor_id: str
    name: str
    #: The personal link; shown once, only its hash is stored.
    url: str
    #: Whether the link went out by email (the address is not repeated here).
    emailed: bool
    email_error: str


class AnswerStatusOut(BaseModel):
    doctor_id: str
    name: str
    organisation_id: str | None
    invited_at: datetime | None
    emailed_at: datetime | None
    email_error: str
    answered_at: datetime | None
    offered: int
    preferred: int
    max_shifts: int | None


@router.post("", status_code=201, response_model=list[InvitationOut])
def create_invitations(period: PeriodDep, body: InviteIn, session: SessionDep,
                       settings: SettingsDep, reach: ReachDep, now: NowDep
                       ) -> list[InvitationOut]:
    """Invite doctors to a period: each gets a new personal link, emailed if asked."""
    if body.send_email and not settings.smtp_host:
        raise unprocessable("send_email", "email is not configured on this server")
    ids = doctors_to_invite(session, doctor_ids=body.doctor_ids,
                            organisation_id=body.organisation_id, everyone=body.all,
                            within=reachable_doctors(session, reach))
    if body.send_email and len(ids) > CONFIRM_ABOVE and body.confirm != len(ids):
        raise unprocessable("confirm", f"this emails {len(ids)} doctors: send again with "
                            f"confirm: {len(ids)} to go ahead")
    issued = invite(session, period.id, ids, now=now, base_url=settings.base_url)
    if body.send_email:
        issued = send_invitations(session, settings, period.id, issued, now=now)
    return [InvitationOut(doctor_id=i.doctor_id, name=i.doctor_name, url=i.url,
                          emailed=i.emailed_to is not None and not i.email_error,
                          email_error=i.email_error) for i in issued]


@router.get("", response_model=list[AnswerStatusOut])
def list_invitations(period: PeriodDep, session: SessionDep) -> list[AnswerStatusOut]:
    """Who takes part in the period: invited and emailed when, answered when, slots offered."""
    return [AnswerStatusOut.model_validate(s, from_attributes=True)
            for s in answer_statuses(session, period.id)]


class RevokedOut(BaseModel):
    revoked: int


@router.delete("/{doctor_id}", response_model=RevokedOut)
def revoke_invitations(period: PeriodDep, doctor_id: PathId, session: SessionDep,
                       now: NowDep) -> RevokedOut:
    """Revoke every live personal link of the doctor for the period."""
    if session.get(DoctorPeriod, (doctor_id, period.id)) is None:
        raise HTTPException(status_code=404, detail="Doctor not found in this period")
    return RevokedOut(revoked=revoke(session, period.id, doctor_id, now=now))
