"""A coordinator's JSON view through their secret link: members, answers, re-sending."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from scheduler.collection.coordinators import (
    coordinator_periods,
    resend_invitations,
    selected_period,
)
from scheduler.collection.invitations import answer_statuses
from scheduler.domain.text import MAX_DOCTORS_PER_PERIOD
from scheduler.scenario.fields import Id
from scheduler.web.auth import LINK_ONLY, CoordinatorLinkDep
from scheduler.web.deps import NowDep, SessionDep, SettingsDep
from scheduler.web.errors import refusals, unprocessable

# The coordinator's link is the bearer token: `Authorization: Bearer <secret of /c/<secret>>`.
router = APIRouter(prefix="/coordinator", tags=["coordinator"], responses=LINK_ONLY)


class MemberOut(BaseModel):
    doctor_id: str
    name: str
    taking_part: bool
    invited_at: datetime | None
    emailed_at: datetime | None
    answered_at: datetime | None
    offered: int
    preferred: int
    max_shifts: int | None


class CoordinatorViewOut(BaseModel):
    organisation_id: str
    organisation_name: str
    period_id: str | None
    periods: list[str]
    members: list[MemberOut]


class ResendIn(BaseModel):
    doctor_ids: list[Id] = Field(max_length=MAX_DOCTORS_PER_PERIOD)


class ResendOut(BaseModel):
    sent: int
    failed: int


@router.get("", response_model=CoordinatorViewOut)
def coordinator_view(link: CoordinatorLinkDep, session: SessionDep,
                     period_id: Id | None = None) -> CoordinatorViewOut:
    """Members of the link's organisation, who answered and how many slots each offered."""
    periods = coordinator_periods(session, link)
    period = selected_period(periods, period_id)
    members = (answer_statuses(session, period.id, organisation_id=link.organisation.id)
               if period else [])
    return CoordinatorViewOut(
        organisation_id=link.organisation.id, organisation_name=link.organisation.name,
        period_id=period.id if period else None, periods=[p.id for p in periods],
        members=[MemberOut.model_validate(m, from_attributes=True) for m in members],
    )


@router.post("/resend", response_model=ResendOut, responses=refusals({
    404: "No such period followed by the organisation", 409: "Email is not configured"}))
def coordinator_resend(link: CoordinatorLinkDep, body: ResendIn, session: SessionDep,
                       settings: SettingsDep, now: NowDep,
                       period_id: Id | None = None) -> ResendOut:
    """Email the named members (taking part in the period) a fresh personal link."""
    period = selected_period(coordinator_periods(session, link), period_id)
    if period is None:
        raise HTTPException(status_code=404, detail="Period not found")
    if not settings.smtp_host:
        raise HTTPException(status_code=409, detail="Email is not configured")
    members = {m.doctor_id for m in answer_statuses(
        session, period.id, organisation_id=link.organisation.id) if m.taking_part}
    strangers = [d for d in body.doctor_ids if d not in members]
    if strangers:
        raise unprocessable("doctor_ids",
                            f"not members taking part in {period.id}: {', '.join(strangers)}")
    sent, failed = resend_invitations(session, settings, link, period, body.doctor_ids, now=now)
    return ResendOut(sent=sent, failed=failed)
