"""Inviting GPs to a period from the browser, in French: who takes part (invited, emailed,
answered, slots offered), inviting an organisation's members or chosen doctors (each gets a
new personal link, shown once, emailed when asked and configured; more than
`CONFIRM_ABOVE` emails need a confirmation), and revoking a doctor's links.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from scheduler.access.scope import reach_of, reachable_doctors
from scheduler.collection.invitations import (
    answer_statuses,
    doctors_to_invite,
    invite,
    revoke,
    send_invitations,
)
from scheduler.domain.errors import InputError
from scheduler.domain.french import numeric_moment
from scheduler.domain.text import text_problem
from scheduler.models import DoctorPeriod, DoctorRow, Organisation
from scheduler.web.api.invitations import CONFIRM_ABOVE
from scheduler.web.deps import FieldsDep, NowDep, SessionDep, SettingsDep
from scheduler.web.pages.scope import ManagerDep, PeriodPageDep, refused
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)


def _short(moment: datetime | None, timezone: str) -> str:
    return numeric_moment(moment, timezone, year=False) if moment is not None else "—"


@router.get("/periodes/{period_id}/invitations", response_class=HTMLResponse)
def invitations_page(request: Request, period: PeriodPageDep, session: SessionDep,
                     account: ManagerDep, settings: SettingsDep) -> Response:
    """Who takes part and how far they got; invite more; revoke."""
    within = reachable_doctors(session, reach_of(session, account))
    organisations = {o.id: o.name for o in session.exec(select(Organisation))}
    statuses = answer_statuses(session, period.id)
    tz = period.timezone
    taking_part = {s.doctor_id for s in statuses}
    others = [d for d in session.exec(select(DoctorRow).order_by(col(DoctorRow.name)))
              if d.id not in taking_part and (within is None or d.id in within)]
    rows = [{"id": s.doctor_id, "name": s.name,
             "organisation": organisations.get(s.organisation_id or "", "—"),
             "invited": _short(s.invited_at, tz), "emailed": _short(s.emailed_at, tz),
             "email_error": s.email_error, "answered": _short(s.answered_at, tz),
             "offered": s.offered} for s in statuses]
    imported = request.query_params.get("importes", "")
    return page(request, "invitations.html", title=f"Invitations — {period.name}",
                period=period, rows=rows, others=others, organisations=organisations,
                mail=bool(settings.smtp_host),
                imported=int(imported) if imported.isdigit() and len(imported) < 6 else None)


@router.post("/periodes/{period_id}/invitations/inviter", response_class=HTMLResponse)
def invite_page(request: Request, period: PeriodPageDep, session: SessionDep,
                account: ManagerDep, settings: SettingsDep, now: NowDep,
                fields: FieldsDep) -> Response:
    """Issue new personal links to an organisation's members or the doctors chosen."""
    form = dict(fields)
    chosen = [v for k, v in fields if k == "medecin"]
    organisation = form.get("structure") or None
    send = form.get("envoyer") == "oui"
    try:
        if any(len(v) > 64 or text_problem(v) for v in [*chosen, organisation or ""]):
            raise InputError.single("", "medecin", "un identifiant n'est pas valide")
        if send and not settings.smtp_host:
            raise InputError.single("", "envoyer", "l'envoi de courriels n'est pas configuré")
        ids = doctors_to_invite(
            session, doctor_ids=chosen if organisation is None else [],
            organisation_id=organisation,
            within=reachable_doctors(session, reach_of(session, account)))
    except InputError:
        session.rollback()
        return page(request, "error.html", status_code=400, title="Demande non valide",
                    message="Invitation : cochez des médecins ou choisissez une structure "
                            "connue (et l'envoi par courriel n'est possible que s'il est "
                            "configuré).")
    if send and len(ids) > CONFIRM_ABOVE and form.get("confirme") != str(len(ids)):
        return page(request, "invite_confirm.html", title="Confirmer l'envoi", period=period,
                    count=len(ids), fields=[(k, v) for k, v in fields if k != "csrftoken"])
    try:
        issued = invite(session, period.id, ids, now=now, base_url=settings.base_url,
                        requested_by=account.email)
    except InputError:
        return page(request, "error.html", status_code=409, title="Invitation impossible",
                    message="La période est terminée : on ne peut plus y inviter.")
    if send:
        issued = send_invitations(session, settings, period.id, issued, now=now)
    return page(request, "invited.html", title="Liens envoyés", period=period, issued=issued,
                sent=send)


@router.post("/periodes/{period_id}/invitations/{doctor_id}/revoquer")
def revoke_page(request: Request, period: PeriodPageDep, doctor_id: str,
                session: SessionDep, now: NowDep) -> Response:
    """Revoke every live link of the doctor for the period."""
    if len(doctor_id) > 64 or \
            session.get(DoctorPeriod, (doctor_id, period.id)) is None:
        return refused(request)
    revoke(session, period.id, doctor_id, now=now)
    return RedirectResponse(f"/periodes/{period.id}/invitations", status_code=303)
