"""A GP's answers for one period: availability per slot, dates away, caps and a comment.

`save_answers` replaces the doctor's whole answer for the period in one transaction. Two
saves for the same doctor (two browser tabs) run one after the other: the first statement of
the transaction is a write on the doctor's `doctor_period` row, which takes PostgreSQL's row
lock and SQLite's write lock before anything is read, so the second save waits. The final
state is always exactly one complete answer. A save that says which revision it was based on
(the form always does) is refused when another save came in between (`StaleAnswers`), so a
stale tab never replaces newer answers without a word.

Problems carry an English message (API, CLI) and a French one (the GP's form).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlmodel import Session, col, delete, func, insert, select, update

from scheduler.domain.enums import PeriodStatus
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.problem import Answer, Doctor
from scheduler.domain.text import COMMENT_MAX, text_problem
from scheduler.models import Availability, DateAway, DoctorPeriod, SlotRow, TensionPeriod

#: The caps a GP can give in the form: the domain's bounds, from 1 (0 would mean "never":
#: offering no slot says that).
MAX_SHIFTS = int(Doctor.BOUNDS["max_shifts"].high)
MAX_SHIFTS_PER_WEEK = int(Doctor.BOUNDS["max_shifts_per_week"].high)
MAX_WEEKENDS = int(Doctor.BOUNDS["max_weekends"].high)
MAX_AWAY_RANGES = 20
MAX_COMMENT_CHARS = COMMENT_MAX
#: Periods whose answers are still being collected.
OPEN_STATUSES = frozenset({PeriodStatus.DRAFT, PeriodStatus.COLLECTING})


@dataclass(frozen=True, kw_only=True)
class Answers:
    """What a GP says for one period; a slot absent from `availability` is not available."""

    availability: Mapping[str, Answer] = field(default_factory=dict)
    away: tuple[tuple[date, date], ...] = ()
    max_shifts: int | None = None
    max_shifts_per_week: int | None = None
    #: At most this many weekends worked (a Saturday or a Sunday worked counts once), as the
    #: GP gave it; the period's own rule still applies when lower
    #: (`models.DoctorPeriodBase.answered_max_weekends`).
    max_weekends: int | None = None
    comment: str = ""
    #: The stored revision these answers were read or saved as (None: not from storage);
    #: not part of what the GP says, so not compared.
    revision: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AnswerProblem:
    """One bad field: `field` as the API names it, the message in English and in French."""

    field: str
    message: str
    message_fr: str


class AnswersRejected(InputError):
    """The answers break a rule; nothing was written."""

    def __init__(self, problems: Sequence[AnswerProblem]) -> None:
        super().__init__([InputProblem("answers", p.field, p.message) for p in problems])
        self.answer_problems = list(problems)


class AnswersClosed(Exception):
    """The period no longer takes answers (deadline passed, or planning has started)."""


class NotInvited(LookupError):
    """The doctor does not take part in the period."""


class StaleAnswers(Exception):
    """The save was based on revision `expected` of the answers, but `current` is stored: they
    changed meanwhile (another tab, another device). Nothing was written."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"answers changed since revision {expected} (now {current})")
        self.expected, self.current = expected, current


# The deadline ------------------------------------------------------------------------------

def deadline_end(period: TensionPeriod) -> datetime | None:
    """The instant answers close: the end of the deadline day, in the period's time zone."""
    if period.availability_deadline is None:
        return None
    return local_midnight(period.availability_deadline + timedelta(days=1), period.timezone)


def answers_open(period: TensionPeriod, now: datetime) -> bool:
    """Whether a GP can still change their answers for `period` at `now`."""
    end = deadline_end(period)
    return period.status in OPEN_STATUSES and (end is None or now < end)


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant `day` begins in `timezone`, in UTC."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


# Checking ----------------------------------------------------------------------------------

def answer_problems(
    period: TensionPeriod, slot_ids: set[str], answers: Answers, *,
    weekend_rule: int | None = None,
) -> list[AnswerProblem]:
    """Everything wrong with `answers` for `period` whose slots are `slot_ids`, for a doctor
    whose weekends cap is `weekend_rule` (the period's rule, or the one set for them; None:
    none): a GP may only give a lower one."""
    out = [
        AnswerProblem(f"availability.{slot_id}", f"slot {slot_id!r} is not in this period",
                      "Ce créneau ne fait pas partie de la période.")
        for slot_id in sorted(set(answers.availability) - slot_ids)
    ]
    out += _cap_problems("max_shifts", answers.max_shifts, MAX_SHIFTS)
    out += _cap_problems("max_shifts_per_week", answers.max_shifts_per_week, MAX_SHIFTS_PER_WEEK)
    out += _cap_problems("max_weekends", answers.max_weekends, MAX_WEEKENDS) or \
        _weekend_rule_problems(answers.max_weekends, weekend_rule)
    if len(answers.away) > MAX_AWAY_RANGES:
        out.append(AnswerProblem("away", f"at most {MAX_AWAY_RANGES} date ranges",
                                 f"Au plus {MAX_AWAY_RANGES} périodes d'absence."))
    for i, (first, last) in enumerate(answers.away):
        out += _away_problems(period, i, first, last)
    if text_problem(answers.comment) is not None:
        out.append(AnswerProblem("comment", f"the comment {text_problem(answers.comment)}",
                                 "Le commentaire contient un caractère non valide."))
    if len(answers.comment) > MAX_COMMENT_CHARS:
        out.append(AnswerProblem(
            "comment", f"at most {MAX_COMMENT_CHARS} characters",
            f"Le commentaire est trop long ({len(answers.comment)} caractères, "
            f"au plus {MAX_COMMENT_CHARS}).",
        ))
    return out


def _cap_problems(name: str, value: int | None, highest: int) -> list[AnswerProblem]:
    if value is None or 1 <= value <= highest:
        return []
    return [AnswerProblem(name, f"must be between 1 and {highest} (or empty for no cap)",
                          f"Indiquez un nombre entre 1 et {highest}, ou laissez vide.")]


def _weekend_rule_problems(value: int | None, rule: int | None) -> list[AnswerProblem]:
    if value is None or rule is None or value <= rule:
        return []
    if rule == 0:
        return [AnswerProblem("max_weekends", "no weekend is planned for this doctor",
                              "L'équipe ne vous prévoit aucun week-end : laissez vide.")]
    return [AnswerProblem("max_weekends", f"at most {rule}: the period's rule for this doctor",
                          f"L'équipe en prévoit au plus {rule} pour vous : indiquez {rule} "
                          "ou moins, ou laissez vide.")]


def _away_problems(period: TensionPeriod, i: int, first: date, last: date) -> list[AnswerProblem]:
    if last < first:
        return [AnswerProblem(
            f"away[{i}].last", f"ends ({last}) before it starts ({first})",
            "La date de fin est avant la date de début.",
        )]
    if last < period.start or first > period.end:
        return [AnswerProblem(
            f"away[{i}].first",
            f"{first}..{last} is outside the period ({period.start}..{period.end})",
            "Cette absence est en dehors de la période.",
        )]
    return []


# Reading and saving ------------------------------------------------------------------------

def stored_answers(session: Session, doctor_id: str, period_id: str) -> Answers | None:
    """The doctor's saved answers for the period, or None if they do not take part in it."""
    caps = session.get(DoctorPeriod, (doctor_id, period_id))
    if caps is None:
        return None
    rows = session.exec(
        select(Availability.slot_id, Availability.answer)
        .join(SlotRow, (col(SlotRow.period_id) == Availability.period_id)
              & (col(SlotRow.id) == Availability.slot_id))
        .where(Availability.period_id == period_id, Availability.doctor_id == doctor_id)
        .order_by(col(SlotRow.position))
    ).all()
    away = session.exec(
        select(DateAway)
        .where(DateAway.doctor_id == doctor_id, DateAway.period_id == period_id)
        .order_by(col(DateAway.id))
    ).all()
    return Answers(
        availability={slot_id: Answer(answer) for slot_id, answer in rows},
        away=tuple((a.first, a.last) for a in away),
        max_shifts=caps.max_shifts,
        max_shifts_per_week=caps.max_shifts_per_week,
        max_weekends=caps.answered_max_weekends,
        comment=caps.comment,
        revision=caps.revision,
    )


def answers_revision(session: Session, doctor_id: str, period_id: str) -> int | None:
    """The revision of the doctor's stored answers (0 before any save), None if they do not
    take part in the period."""
    return session.exec(select(DoctorPeriod.revision).where(
        DoctorPeriod.doctor_id == doctor_id, DoctorPeriod.period_id == period_id)).first()


def save_answers(
    session: Session, doctor_id: str, period_id: str, answers: Answers, *, now: datetime,
    expected_revision: int | None = None,
) -> Answers:
    """Replace the doctor's answers for the period, all or nothing; commits on success and
    returns the answers as stored (availability in slot order, with their new revision). Each
    save raises the stored revision by one.

    `expected_revision` (the revision the form or client read): when the stored one differs,
    the answers changed meanwhile and `StaleAnswers` is raised — optimistic concurrency, so a
    stale tab never silently overwrites a newer save — unless they are exactly what is stored
    (the same save sent twice), which is then returned as saved, nothing written. Commits
    whatever the session read before (the save must start its own transaction with the
    locking write). Raises
    `NotInvited`, `AnswersClosed`, `AnswersRejected` or `StaleAnswers`; on any failure
    nothing is written.
    """
    session.commit()
    try:
        # The locking write first (see the module's docstring), which also stores the caps.
        locked = session.exec(
            update(DoctorPeriod)
            .where(col(DoctorPeriod.doctor_id) == doctor_id,
                   col(DoctorPeriod.period_id) == period_id)
            .values(answered_at=now, max_shifts=answers.max_shifts,
                    max_shifts_per_week=answers.max_shifts_per_week,
                    answered_max_weekends=answers.max_weekends, comment=answers.comment,
                    revision=col(DoctorPeriod.revision) + 1)
        )
        if locked.rowcount == 0:
            raise NotInvited(doctor_id)
        revision = answers_revision(session, doctor_id, period_id) or 0
        if expected_revision is not None and revision - 1 != expected_revision:
            session.rollback()  # undo the locking write (it set the caps); then read
            stored = stored_answers(session, doctor_id, period_id)
            session.commit()
            if stored is not None and stored == answers:
                # The same answer sent again (a double tap, a retry after a timeout): it is
                # what is stored, so the save stands, and nothing is written twice.
                return stored
            raise StaleAnswers(expected_revision, revision - 1)
        # Read again under the lock (not from the session's cache): the period may have
        # closed since the session last saw it.
        period = session.get(TensionPeriod, period_id, populate_existing=True)
        assert period is not None  # the doctor_period row references it
        if not answers_open(period, now):
            raise AnswersClosed(period_id)
        slot_order = period_slot_order(session, period_id)
        rule = session.exec(select(DoctorPeriod.max_weekends).where(
            DoctorPeriod.doctor_id == doctor_id, DoctorPeriod.period_id == period_id)).one()
        problems = answer_problems(period, set(slot_order), answers, weekend_rule=rule)
        if problems:
            raise AnswersRejected(problems)
        _replace(session, doctor_id, period_id, answers)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return replace(answers, revision=revision, availability=dict(sorted(
        answers.availability.items(), key=lambda item: slot_order[item[0]])))


def period_slot_order(session: Session, period_id: str) -> dict[str, int]:
    """The period's slot ids and their positions."""
    return dict(session.exec(select(SlotRow.id, SlotRow.position)
                             .where(SlotRow.period_id == period_id)).all())


def _replace(session: Session, doctor_id: str, period_id: str, answers: Answers) -> None:
    session.exec(
        delete(Availability).where(col(Availability.period_id) == period_id,
                                   col(Availability.doctor_id) == doctor_id)
    )
    session.exec(
        delete(DateAway).where(col(DateAway.doctor_id) == doctor_id,
                               col(DateAway.period_id) == period_id)
    )
    rows = [{"period_id": period_id, "doctor_id": doctor_id, "slot_id": slot_id,
             "answer": answer}
            for slot_id, answer in answers.availability.items()]
    if rows:
        session.exec(insert(Availability), params=rows)
    session.add_all(DateAway(doctor_id=doctor_id, period_id=period_id, first=first, last=last)
                    for first, last in answers.away)
    session.flush()


# Summary -----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Summary:
    offered: int
    preferred: int
    max_shifts: int | None
    max_shifts_per_week: int | None
    max_weekends: int | None
    away_ranges: int
    #: Slots offered that touch a date away (the solver will not use them).
    offered_while_away: int


def summarise(answers: Answers, slots: Sequence[SlotRow], timezone: str) -> Summary:
    tz = ZoneInfo(timezone)
    offered = [s for s in slots if s.id in answers.availability]
    return Summary(
        offered=len(offered),
        preferred=sum(answers.availability[s.id] == Answer.PREFERRED for s in offered),
        max_shifts=answers.max_shifts,
        max_shifts_per_week=answers.max_shifts_per_week,
        max_weekends=answers.max_weekends,
        away_ranges=len(answers.away),
        offered_while_away=sum(_touches_away(s, answers.away, tz) for s in offered),
    )


def offered_while_away(answers: Answers, slots: Sequence[SlotRow], timezone: str
                       ) -> list[SlotRow]:
    """The slots `answers` offer (available or preferred) that touch one of its dates away:
    a contradiction the solver settles by never assigning them."""
    tz = ZoneInfo(timezone)
    return [s for s in slots if s.id in answers.availability and _touches_away(s, answers.away,
                                                                               tz)]


def _touches_away(slot: SlotRow, away: Sequence[tuple[date, date]], tz: ZoneInfo) -> bool:
    # A shift touches every local date its [start, end) overlaps (DESIGN, counting conventions).
    first = slot.start.astimezone(tz).date()
    last = (slot.end.astimezone(tz) - timedelta(microseconds=1)).date()
    return any(a_first <= last and first <= a_last for a_first, a_last in away)


def offered_counts(session: Session, period_id: str) -> dict[str, tuple[int, int]]:
    """Per doctor: (slots offered, of which preferred) for the period."""
    preferred = func.sum(case((col(Availability.answer) == Answer.PREFERRED, 1), else_=0))
    rows = session.exec(
        select(Availability.doctor_id, func.count(), preferred)
        .where(Availability.period_id == period_id)
        .group_by(col(Availability.doctor_id))
    ).all()
    return {doctor: (int(total), int(pref or 0)) for doctor, total, pref in rows}
