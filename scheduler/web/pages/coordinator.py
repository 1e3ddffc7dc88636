"""A CPTS/SAMI coordinator's view at `/c/{token}`: their members, who answered, how many
slots each offered (read-only), and re-sending a member's invitation by email.

The coordinator never sees a member's personal link: a re-sent invitation goes to the member.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.collection.coordinators import (
    coordinator_periods,
    open_coordinator_link,
    resend_invitations,
    selected_period,
)
from scheduler.collection.invitations import AnswerStatus, answer_statuses
from scheduler.domain import french
from scheduler.domain.errors import InputError
from scheduler.web.deps import FieldsDep, NowDep, SessionDep, SettingsDep
from scheduler.web.templating import bad_request_page, not_found_page, page

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/c/{token}", response_class=HTMLResponse)
def coordinator_page(request: Request, token: str, session: SessionDep, settings: SettingsDep,
                     now: NowDep, periode: str | None = None, envoyes: int | None = None,
                     echecs: int = 0) -> Response:
    """The organisation's members and their answers for one period."""
    link = open_coordinator_link(session, token, now=now)
    if link is None:
        return not_found_page(request, settings.ed_contact)
    periods = coordinator_periods(session, link)
    period = selected_period(periods, periode)
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
    period = selected_period(coordinator_periods(session, link), posted.get("periode"))
    if "periode" in posted and (period is None or period.id != posted["periode"]):
        return bad_request_page(request, "Période : cette période n'est pas suivie par votre "
                                         "organisation.", settings.ed_contact)
    if period is None:
        return RedirectResponse(f"/c/{token}", status_code=303)
    members = answer_statuses(session, period.id, organisation_id=link.organisation.id)
    wanted = posted.get("membre", "")
    if wanted != "*sans-reponse" and wanted not in {m.doctor_id for m in members}:
        return bad_request_page(request, "Membre : ce médecin ne fait pas partie de votre "
                                         "organisation.", settings.ed_contact)
    if not settings.smtp_host:
        return RedirectResponse(f"/c/{token}", status_code=303)
    targets = [m.doctor_id for m in members if m.taking_part and (
        m.doctor_id == wanted or (wanted == "*sans-reponse" and m.answered_at is None))]
    try:
        sent, failed = resend_invitations(session, settings, link, period, targets,
                                          now=now)
    except InputError:  # the period has ended: links can no longer be issued
        sent, failed = 0, len(targets)
    return RedirectResponse(f"/c/{token}?periode={period.id}&envoyes={sent}&echecs={failed}",
                            status_code=303)
