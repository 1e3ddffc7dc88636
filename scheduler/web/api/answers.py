"""A GP's answers through their personal link, as JSON (the form's twin for scripts and apps)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from scheduler.collection.answers import (
    MAX_AWAY_RANGES,
    Answers,
    AnswersClosed,
    NotInvited,
    StaleAnswers,
    answers_open,
    deadline_end,
    save_answers,
    stored_answers,
)
from scheduler.collection.invitations import DoctorLink
from scheduler.domain.problem import Answer
from scheduler.domain.text import MAX_SLOTS_PER_PERIOD
from scheduler.models import DoctorPeriod
from scheduler.scenario.fields import Comment, Day, Id
from scheduler.web.auth import LINK_ONLY, DoctorLinkDep
from scheduler.web.deps import NowDep, SessionDep
from scheduler.web.errors import refusals

# The GP's personal link is the bearer token: `Authorization: Bearer <secret of /g/<secret>>`.
router = APIRouter(prefix="/answers", tags=["answers"], responses=LINK_ONLY)


class DateRange(BaseModel):
    first: Day
    last: Day


class AnswersIn(BaseModel):
    """A doctor's whole answer for the period; slots left out are not available."""

    availability: dict[Id, Answer] = Field({}, max_length=MAX_SLOTS_PER_PERIOD)
    away: list[DateRange] = Field([], max_length=MAX_AWAY_RANGES)
    max_shifts: int | None = Field(None, ge=0, le=2**31 - 1)
    max_shifts_per_week: int | None = Field(None, ge=0, le=2**31 - 1)
    max_weekends: int | None = Field(
        None, ge=0, le=2**31 - 1,
        description="at most this many weekends worked (a Saturday or a Sunday worked counts "
                    "once); the period's own rule still applies when lower")
    comment: Comment = ""


class AnswersPut(AnswersIn):
    """The answer to save; with `expected_revision`, only if the stored answers are still at
    that revision (else 409: another save came in between)."""

    expected_revision: int | None = Field(
        None, ge=0, le=2**31 - 1,
        description="the `revision` read before editing: a save on older answers is refused")


class AnswersOut(AnswersIn):
    period_id: str
    doctor_id: str
    #: Raised by every save (`expected_revision` of the next one).
    revision: int
    #: Whether answers can still change, and until when.
    open: bool
    deadline: datetime | None
    answered_at: datetime | None
    offered: int = Field(description="slots offered (available or preferred)")
    preferred: int


def _stored_out(session: SessionDep, link: DoctorLink, now: datetime) -> AnswersOut:
    period, doctor_id = link.period, link.doctor.id
    answers = stored_answers(session, doctor_id, period.id)
    caps = session.get(DoctorPeriod, (doctor_id, period.id))
    if answers is None or caps is None:
        raise HTTPException(status_code=404, detail="Link not found")
    return _answers_out(link, answers, caps.answered_at, now, answers.revision or 0)


def _answers_out(link: DoctorLink, answers: Answers, answered_at: datetime | None,
                 now: datetime, revision: int) -> AnswersOut:
    period = link.period
    # Every stored answer is for one of the period's slots (`stored_answers` joins them).
    preferred = sum(a == Answer.PREFERRED for a in answers.availability.values())
    return AnswersOut(
        period_id=period.id, doctor_id=link.doctor.id, open=answers_open(period, now),
        deadline=deadline_end(period), answered_at=answered_at,
        availability=dict(answers.availability),
        away=[DateRange(first=f, last=last) for f, last in answers.away],
        max_shifts=answers.max_shifts, max_shifts_per_week=answers.max_shifts_per_week,
        max_weekends=answers.max_weekends,
        comment=answers.comment, offered=len(answers.availability), preferred=preferred,
        revision=revision,
    )


@router.get("", response_model=AnswersOut)
def read_answers(link: DoctorLinkDep, session: SessionDep, now: NowDep) -> AnswersOut:
    """The doctor's saved answers for the period of their personal link."""
    return _stored_out(session, link, now)


@router.put("", response_model=AnswersOut, responses=refusals(
    {409: "Answers are closed for this period, or changed since `expected_revision`"}))
def replace_answers(link: DoctorLinkDep, body: AnswersPut, session: SessionDep,
                    now: NowDep) -> AnswersOut:
    """Replace the doctor's whole answer (availability, dates away, caps, comment); with
    `expected_revision`, only if no other save came in since that revision was read."""
    answers = Answers(
        availability=body.availability, away=tuple((r.first, r.last) for r in body.away),
        max_shifts=body.max_shifts, max_shifts_per_week=body.max_shifts_per_week,
        max_weekends=body.max_weekends, comment=body.comment,
    )
    try:
        stored = save_answers(session, link.doctor.id, link.period.id, answers, now=now,
                              expected_revision=body.expected_revision)
    except StaleAnswers as stale:
        raise HTTPException(status_code=409, detail=f"Answers changed since revision "
                            f"{stale.expected} (now {stale.current}): read them again"
                            ) from None
    except AnswersClosed:
        raise HTTPException(status_code=409, detail="Answers are closed for this period"
                            ) from None
    except NotInvited:
        raise HTTPException(status_code=404, detail="Link not found") from None
    return _answers_out(link, stored, now, now, stored.revision or 0)
