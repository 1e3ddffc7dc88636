"""JSON API for collecting answers: invitations, roster import, coordinator links, answers.

Bad input answers 422 with `{"detail": [{"field": ..., "message": ...}]}` and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, Field

from scheduler import store
from scheduler.answers import (
    Answers,
    AnswersClosed,
    AnswersRejected,
    NotInvited,
    answers_open,
    deadline_end,
    save_answers,
    stored_answers,
    summarise,
)
from scheduler.errors import InputError
from scheduler.invitations import (
    DoctorLink,
    answer_statuses,
    coordinator_message,
    doctors_to_invite,
    invite,
    issue_coordinator_link,
    open_doctor_link,
    revoke,
    send_invitations,
)
from scheduler.mail import MailError, send
from scheduler.models import DoctorPeriod, Organisation, TensionPeriod
from scheduler.problem import Answer
from scheduler.roster import RosterPreview, import_roster, preview_roster
from scheduler.routers.deps import NowDep, SessionDep, SettingsDep

router = APIRouter(tags=["invitations"])

#: A roster of a few thousand lines is well under this.
MAX_ROSTER_BYTES = 2_000_000


class Problem(BaseModel):
    field: str
    message: str


class ProblemsOut(BaseModel):
    detail: list[Problem]


BAD_INPUT: dict[int | str, dict[str, Any]] = {422: {"model": ProblemsOut}}


def unprocessable(exc: InputError) -> HTTPException:
    return HTTPException(status_code=422, detail=[
        {"field": p.field, "message": p.message} for p in exc.problems
    ])


# Invitations -------------------------------------------------------------------------------

class InviteIn(BaseModel):
    """Whom to invite: doctor ids, every member of an organisation, or every doctor."""

    doctor_ids: list[str] = []
    organisation_id: str | None = None
    all: bool = False
    #: Email each doctor their link (needs the SMTP settings).
    send_email: bool = False


class InvitationOut(BaseModel):
    doctor_id: str
    name: str
    #: The personal link; shown once, only its hash is stored.
    url: str
    emailed_to: str | None
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


@router.post("/periods/{period_id}/invitations", status_code=201,
             response_model=list[InvitationOut], responses=BAD_INPUT)
def create_invitations(period_id: str, body: InviteIn, session: SessionDep,
                       settings: SettingsDep, now: NowDep) -> list[InvitationOut]:
    """Invite doctors to a period: each gets a new personal link, emailed if asked."""
    if body.send_email and not settings.smtp_host:
        raise HTTPException(status_code=422, detail=[
            {"field": "send_email", "message": "email is not configured on this server"}])
    try:
        ids = doctors_to_invite(session, doctor_ids=body.doctor_ids,
                                organisation_id=body.organisation_id, everyone=body.all)
        issued = invite(session, period_id, ids, now=now, base_url=settings.base_url)
    except InputError as exc:
        raise unprocessable(exc) from None
    if body.send_email:
        issued = send_invitations(session, settings, period_id, issued, now=now)
    return [InvitationOut(doctor_id=i.doctor_id, name=i.doctor_name, url=i.url,
                          emailed_to=i.emailed_to, email_error=i.email_error) for i in issued]


@router.get("/periods/{period_id}/invitations", response_model=list[AnswerStatusOut])
def list_invitations(period_id: str, session: SessionDep) -> list[AnswerStatusOut]:
    """Who takes part in the period: invited and emailed when, answered when, slots offered."""
    if session.get(TensionPeriod, period_id) is None:
        raise HTTPException(status_code=404, detail="Period not found")
    return [AnswerStatusOut.model_validate(s, from_attributes=True)
            for s in answer_statuses(session, period_id)]


class RevokedOut(BaseModel):
    revoked: int


@router.delete("/periods/{period_id}/invitations/{doctor_id}", response_model=RevokedOut)
def revoke_invitations(period_id: str, doctor_id: str, session: SessionDep,
                       now: NowDep) -> RevokedOut:
    """Revoke every live personal link of the doctor for the period."""
    if session.get(DoctorPeriod, (doctor_id, period_id)) is None:
        raise HTTPException(status_code=404, detail="Doctor not found in this period")
    return RevokedOut(revoked=revoke(session, period_id, doctor_id, now=now))


# Coordinator links --------------------------------------------------------------------------

class CoordinatorLinkIn(BaseModel):
    #: Restrict the link to one period (it then expires with it).
    period_id: str | None = None
    #: Email the link to the organisation's coordinator.
    send_email: bool = False


class CoordinatorLinkOut(BaseModel):
    url: str
    emailed_to: str | None


@router.post("/organisations/{organisation_id}/coordinator-links", status_code=201,
             response_model=CoordinatorLinkOut, responses=BAD_INPUT)
def create_coordinator_link(organisation_id: str, body: CoordinatorLinkIn,
                            session: SessionDep, settings: SettingsDep,
                            now: NowDep) -> CoordinatorLinkOut:
    """A read-only link for a CPTS/SAMI coordinator to follow their members' answers."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise HTTPException(status_code=404, detail="Organisation not found")
    if body.send_email and not (settings.smtp_host and organisation.coordinator_email):
        raise HTTPException(status_code=422, detail=[{
            "field": "send_email",
            "message": "needs the SMTP settings and the organisation's coordinator_email"}])
    try:
        url = issue_coordinator_link(session, organisation_id, now=now,
                                     base_url=settings.base_url, period_id=body.period_id)
    except InputError as exc:
        raise unprocessable(exc) from None
    if not body.send_email:
        return CoordinatorLinkOut(url=url, emailed_to=None)
    try:
        send(settings, coordinator_message(organisation, url, settings.ed_contact))
    except MailError as exc:
        raise HTTPException(status_code=502, detail=f"Email not sent: {exc}") from None
    return CoordinatorLinkOut(url=url, emailed_to=organisation.coordinator_email)


# Roster import -------------------------------------------------------------------------------

class RosterLineOut(BaseModel):
    line: int
    name: str
    email: str
    phone: str | None
    rpps: str | None
    organisation_id: str | None
    action: str | None
    doctor_id: str | None
    problems: list[Problem]


class RosterOut(BaseModel):
    ok: bool
    encoding: str
    delimiter: str
    created: int
    updated: int
    unchanged: int
    lines: list[RosterLineOut]
    problems: list[Problem]


def _roster_out(preview: RosterPreview) -> RosterOut:
    return RosterOut(
        ok=preview.ok, encoding=preview.encoding, delimiter=preview.delimiter,
        created=preview.count("create"), updated=preview.count("update"),
        unchanged=preview.count("unchanged"),
        lines=[RosterLineOut(
            line=x.line, name=x.name, email=x.email, phone=x.phone, rpps=x.rpps,
            organisation_id=x.organisation_id, action=x.action, doctor_id=x.doctor_id,
            problems=[Problem(field=p.field, message=p.message) for p in x.problems],
        ) for x in preview.lines],
        problems=[Problem(field=p.field, message=p.message) for p in preview.problems],
    )


def _roster_bytes(file: UploadFile) -> bytes:
    # Sync routes run in the thread pool: read the spooled upload directly.
    data = file.file.read(MAX_ROSTER_BYTES + 1)
    if len(data) > MAX_ROSTER_BYTES:
        raise HTTPException(status_code=413, detail="Roster file too large")
    return data


RosterFile = Annotated[UploadFile, File(description="CSV: UTF-8, or ';'-separated Windows-1252")]
OrganisationField = Annotated[
    str | None, Form(description="Organisation for lines that name none")]


@router.post("/roster/preview", response_model=RosterOut)
def roster_preview(file: RosterFile, session: SessionDep,
                         organisation_id: OrganisationField = None) -> RosterOut:
    """What importing the CSV roster would do, line by line, with every problem. Writes nothing."""
    data = _roster_bytes(file)
    return _roster_out(preview_roster(session, data, organisation_id=organisation_id,
                                      source=file.filename or "roster"))


@router.post("/roster/import", response_model=RosterOut, responses=BAD_INPUT)
def roster_import(file: RosterFile, session: SessionDep,
                        organisation_id: OrganisationField = None) -> RosterOut:
    """Import the CSV roster: all lines or none. Doctors match by RPPS or email."""
    data = _roster_bytes(file)
    try:
        preview = import_roster(session, data, organisation_id=organisation_id,
                                source=file.filename or "roster")
    except InputError as exc:
        raise unprocessable(exc) from None
    return _roster_out(preview)


# Answers, through the doctor's personal link ----------------------------------------------------

class DateRange(BaseModel):
    first: date
    last: date


class AnswersIn(BaseModel):
    """A doctor's whole answer for the period; slots left out are not available."""

    availability: dict[str, Answer] = {}
    away: list[DateRange] = []
    max_shifts: int | None = None
    max_shifts_per_week: int | None = None
    comment: str = ""


class AnswersOut(AnswersIn):
    period_id: str
    doctor_id: str
    #: Whether answers can still change, and until when.
    open: bool
    deadline: datetime | None
    answered_at: datetime | None
    offered: int = Field(description="slots offered (available or preferred)")
    preferred: int


def _doctor_link(session: SessionDep, token: str, now: datetime) -> DoctorLink:
    link = open_doctor_link(session, token, now=now)
    if link is None:
        raise HTTPException(status_code=404, detail="Link not found")
    return link


def _answers_out(session: SessionDep, link: DoctorLink, now: datetime) -> AnswersOut:
    period, doctor_id = link.period, link.doctor.id
    answers = stored_answers(session, doctor_id, period.id)
    caps = session.get(DoctorPeriod, (doctor_id, period.id))
    if answers is None or caps is None:
        raise HTTPException(status_code=404, detail="Link not found")
    summary = summarise(answers, store.period_slots(session, period.id), period.timezone)
    return AnswersOut(
        period_id=period.id, doctor_id=doctor_id, open=answers_open(period, now),
        deadline=deadline_end(period), answered_at=caps.answered_at,
        availability=dict(answers.availability),
        away=[DateRange(first=f, last=last) for f, last in answers.away],
        max_shifts=answers.max_shifts, max_shifts_per_week=answers.max_shifts_per_week,
        comment=answers.comment, offered=summary.offered, preferred=summary.preferred,
    )


@router.get("/answers/{token}", response_model=AnswersOut)
def read_answers(token: str, session: SessionDep, now: NowDep) -> AnswersOut:
    """The doctor's saved answers for the period of their personal link."""
    return _answers_out(session, _doctor_link(session, token, now), now)


@router.put("/answers/{token}", response_model=AnswersOut,
            responses={**BAD_INPUT, 409: {"description": "Answers are closed"}})
def replace_answers(token: str, body: AnswersIn, session: SessionDep,
                    now: NowDep) -> AnswersOut:
    """Replace the doctor's whole answer (availability, dates away, caps, comment)."""
    link = _doctor_link(session, token, now)
    answers = Answers(
        availability=body.availability, away=tuple((r.first, r.last) for r in body.away),
        max_shifts=body.max_shifts, max_shifts_per_week=body.max_shifts_per_week,
        comment=body.comment,
    )
    try:
        save_answers(session, link.doctor.id, link.period.id, answers, now=now)
    except AnswersRejected as exc:
        raise unprocessable(exc) from None
    except AnswersClosed:
        raise HTTPException(status_code=409, detail="Answers are closed for this period"
                            ) from None
    except NotInvited:
        raise HTTPException(status_code=404, detail="Link not found") from None
    return _answers_out(session, link, now)
