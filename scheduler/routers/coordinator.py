"""A CPTS/SAMI coordinator's view at `/c/{token}`: their members, who answered, how many
slots each offered (read-only), and re-sending a member's invitation by email.

The coordinator never sees a member's personal link: a re-sent invitation goes to the member.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from scheduler import french
from scheduler.errors import InputError
from scheduler.invitations import (
    AnswerStatus,
    CoordinatorLink,
    answer_statuses,
    coordinator_periods,
    invite,
    open_coordinator_link,
    send_invitations,
)
from scheduler.models import TensionPeriod
from scheduler.routers.deps import FieldsDep, NowDep, SessionDep, SettingsDep
from scheduler.routers.form import PRIVATE
from scheduler.settings import Settings
from scheduler.web import not_found_page, page

router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/coordinator", tags=["coordinator"])


def _selected(periods: list[TensionPeriod], wanted: str | None) -> TensionPeriod | None:
    return next((p for p in periods if p.id == wanted), periods[0] if periods else None)


@router.get("/c/{token}", response_class=HTMLResponse)
def coordinator_page(request: Request, token: str, session: SessionDep, settings: SettingsDep,
                     now: NowDep, periode: str | None = None, envoyes: int | None = None,
                     echecs: int = 0) -> Response:
    """The organisation's members and their answers for one period."""
    link = open_coordinator_link(session, token, now=now)
    if link is None:
        return not_found_page(request, settings.ed_contact)
    periods = coordinator_periods(session, link)
    period = _selected(periods, periode)
    members = (answer_statuses(session, period.id, organisation_id=link.organisation.id)
               if period else [])
    invited = [m for m in members if m.taking_part]
    response = page(
        request, "coordinator.html", title=f"Suivi des membres — {link.organisation.name}",
        organisation=link.organisation, periods=periods, period=period, secret=token,
        rows=[_row(m, period.timezone) for m in members] if period else [],
        invited=len(invited), answered=sum(m.answered_at is not None for m in invited),
        total=len(members), sent=envoyes, failed=echecs,
        mail_ready=bool(settings.smtp_host), contact=settings.ed_contact,
        period_dates=(f"du {french.long_date(period.start)} au {french.long_date(period.end)}"
                      if period else ""),
    )
    response.headers.update(PRIVATE)
    return response


def _row(member: AnswerStatus, timezone: str) -> dict[str, object]:
    def day(moment: datetime | None) -> str:
        return french.long_date(moment.astimezone(ZoneInfo(timezone)).date()) \
            if moment else ""

    offered = french.plural(member.offered, "créneau", "créneaux")
    if member.preferred:
        offered += f" (dont {french.plural(member.preferred, 'préféré')})"
    return {
        "doctor_id": member.doctor_id, "name": member.name, "taking_part": member.taking_part,
        "invited": day(member.invited_at), "answered": day(member.answered_at),
        "emailed": day(member.emailed_at), "email_failed": bool(member.email_error),
        "offered": offered if member.answered_at else "",
        "cap": (f"au plus {french.plural(member.max_shifts, 'garde')}"
                if member.max_shifts is not None and member.answered_at else ""),
    }


@router.post("/c/{token}/relancer", response_class=HTMLResponse)
def coordinator_resend(request: Request, token: str, session: SessionDep,
                       settings: SettingsDep, now: NowDep, fields: FieldsDep) -> Response:
    """Email members a fresh personal link: one member, or every member yet to answer."""
    link = open_coordinator_link(session, token, now=now)
    if link is None:
        return not_found_page(request, settings.ed_contact)
    posted = dict(fields)
    period = _selected(coordinator_periods(session, link), posted.get("periode"))
    if period is None or not settings.smtp_host:
        return RedirectResponse(f"/c/{token}", status_code=303, headers=PRIVATE)
    members = answer_statuses(session, period.id, organisation_id=link.organisation.id)
    wanted = posted.get("membre", "")
    targets = [m.doctor_id for m in members if m.taking_part and (
        m.doctor_id == wanted or (wanted == "*sans-reponse" and m.answered_at is None))]
    try:
        sent, failed = _resend(session, settings, link, period, targets, now)
    except InputError:  # the period has ended: links can no longer be issued
        sent, failed = 0, len(targets)
    return RedirectResponse(f"/c/{token}?periode={period.id}&envoyes={sent}&echecs={failed}",
                            status_code=303, headers=PRIVATE)


def _resend(session: Session, settings: Settings, link: CoordinatorLink,
            period: TensionPeriod, doctor_ids: list[str], now: datetime) -> tuple[int, int]:
    if not doctor_ids:
        return 0, 0
    issued = invite(session, period.id, doctor_ids, now=now, base_url=settings.base_url,
                    requested_by=f"coordinator:{link.organisation.id}")
    results = send_invitations(session, settings, period.id, issued, now=now)
    failed = sum(bool(r.email_error) for r in results)
    return len(results) - failed, failed


# JSON ----------------------------------------------------------------------------------------

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
    doctor_ids: list[str]


class ResendOut(BaseModel):
    sent: int
    failed: int


@api_router.get("/{token}", response_model=CoordinatorViewOut)
def coordinator_view(token: str, session: SessionDep, now: NowDep,
                     period_id: str | None = None) -> CoordinatorViewOut:
    """Members of the link's organisation, who answered and how many slots each offered."""
    link = _link_or_404(session, token, now)
    periods = coordinator_periods(session, link)
    period = _selected(periods, period_id)
    members = (answer_statuses(session, period.id, organisation_id=link.organisation.id)
               if period else [])
    return CoordinatorViewOut(
        organisation_id=link.organisation.id, organisation_name=link.organisation.name,
        period_id=period.id if period else None, periods=[p.id for p in periods],
        members=[MemberOut.model_validate(m, from_attributes=True) for m in members],
    )


@api_router.post("/{token}/resend", response_model=ResendOut)
def coordinator_resend_api(token: str, body: ResendIn, session: SessionDep,
                           settings: SettingsDep, now: NowDep,
                           period_id: str | None = None) -> ResendOut:
    """Email the named members (taking part in the period) a fresh personal link."""
    link = _link_or_404(session, token, now)
    period = _selected(coordinator_periods(session, link), period_id)
    if period is None:
        raise HTTPException(status_code=404, detail="Period not found")
    if not settings.smtp_host:
        raise HTTPException(status_code=409, detail="Email is not configured")
    members = {m.doctor_id for m in answer_statuses(
        session, period.id, organisation_id=link.organisation.id) if m.taking_part}
    strangers = [d for d in body.doctor_ids if d not in members]
    if strangers:
        raise HTTPException(status_code=422, detail=[{
            "field": "doctor_ids",
            "message": f"not members taking part in {period.id}: {', '.join(strangers)}",
        }])
    try:
        sent, failed = _resend(session, settings, link, period, list(body.doctor_ids), now)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=[
            {"field": p.field, "message": p.message} for p in exc.problems]) from None
    return ResendOut(sent=sent, failed=failed)


def _link_or_404(session: Session, token: str, now: datetime) -> CoordinatorLink:
    link = open_coordinator_link(session, token, now=now)
    if link is None:
        raise HTTPException(status_code=404, detail="Link not found")
    return link
