"""Database ↔ domain: rebuild a period's `Problem`, save solved rotas, read what the API shows.

Plain functions on a session; nothing here commits except where a docstring says so.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from scheduler.domain.enums import RotaStatus
from scheduler.domain.problem import Answer, Doctor, DoctorSlot, Period, Problem, Rules, Site, Slot
from scheduler.domain.rota import Rota
from scheduler.engine.report import rota_report
from scheduler.models import (
    AssignmentRow,
    Availability,
    DateAway,
    DateAwayPublic,
    DoctorPeriod,
    DoctorRow,
    PeriodDoctorPublic,
    PeriodSite,
    PinRow,
    RotaVersion,
    SiteRow,
    SlotRow,
    TensionPeriod,
)


class UnknownPeriod(LookupError):
    """No tension period with this id."""


# Problem ---------------------------------------------------------------------------------

def problem_from_db(session: Session, period_id: str) -> Problem:
    """The solver's input for a stored period, equal to the expanded scenario it came from."""
    period = session.get(TensionPeriod, period_id)
    if period is None:
        raise UnknownPeriod(period_id)
    tz = ZoneInfo(period.timezone)
    answers = _answers(session, period_id)
    away = period_away(session, period_id)
    doctors = tuple(
        Doctor(
            id=doctor.id,
            name=doctor.name,
            max_shifts=caps.max_shifts,
            max_shifts_per_week=caps.max_shifts_per_week,
            max_consecutive_days=caps.max_consecutive_days,
            max_hours=caps.max_hours,
            skills=frozenset(doctor.skills),
            availability=answers.get(doctor.id, {}),
            away=tuple((a.first, a.last) for a in away.get(doctor.id, [])),
            carry_over_hours=caps.carry_over_hours,
        )
        for doctor, caps in _doctor_rows(session, period_id)
    )
    pins = session.exec(
        select(PinRow)
        .join(SlotRow, col(SlotRow.id) == PinRow.slot_id)
        .where(SlotRow.period_id == period_id)
        .order_by(col(PinRow.position))
    ).all()
    return Problem(
        period=Period(
            id=period.id, start=period.start, end=period.end, timezone=period.timezone
        ),
        rules=Rules(
            min_rest_hours=period.min_rest_hours,
            travel_buffer_minutes=period.travel_buffer_minutes,
        ),
        sites=tuple(
            Site(id=s.id, name=s.name, address=s.address, contact=s.contact)
            for s in period_sites(session, period_id)
        ),
        slots=tuple(_problem_slot(s, tz) for s in period_slots(session, period_id)),
        doctors=doctors,
        pinned=tuple(DoctorSlot(doctor=p.doctor_id, slot=p.slot_id) for p in pins),
    )


def _problem_slot(slot: SlotRow, tz: ZoneInfo) -> Slot:
    # Stored in UTC; the problem speaks the period's local time.
    return Slot(
        id=slot.id,
        site=slot.site_id,
        start=slot.start.astimezone(tz),
        end=slot.end.astimezone(tz),
        seats=slot.seats,
        skills=frozenset(slot.skills),
        priority=slot.priority,
        tags=frozenset(slot.tags),
        label=slot.label,
    )


def _answers(session: Session, period_id: str) -> dict[str, dict[str, Answer]]:
    out: dict[str, dict[str, Answer]] = defaultdict(dict)
    for row in period_availability(session, period_id):
        out[row.doctor_id][row.slot_id] = Answer(row.answer)
    return out


def _doctor_rows(session: Session, period_id: str) -> list[tuple[DoctorRow, DoctorPeriod]]:
    rows = session.exec(
        select(DoctorRow, DoctorPeriod)
        .join(DoctorPeriod, col(DoctorPeriod.doctor_id) == DoctorRow.id)
        .where(DoctorPeriod.period_id == period_id)
        .order_by(col(DoctorPeriod.position))
    ).all()
    return [(doctor, caps) for doctor, caps in rows]


# Rota versions -------------------------------------------------------------------------

def save_rota(
    session: Session, period_id: str, problem: Problem, rota: Rota, *, note: str = ""
) -> RotaVersion:
    """Store `rota` as the period's next draft version, with the solver's statistics.

    Flushes (the version gets its id) but does not commit: the caller owns the transaction.
    """
    if problem.period.id != period_id:
        raise ValueError(f"the problem is for period {problem.period.id!r}, not {period_id!r}")
    slots, doctors = problem.slot_by_id(), problem.doctor_by_id()
    strays = sorted(
        f"{a.doctor}/{a.slot}"
        for a in rota.assignments
        if a.slot not in slots or a.doctor not in doctors
    )
    if strays:
        raise ValueError(f"assignments outside the problem: {', '.join(strays)}")
    last = session.exec(
        select(func.max(RotaVersion.number)).where(RotaVersion.period_id == period_id)
    ).one()
    version = RotaVersion(
        period_id=period_id,
        number=(last or 0) + 1,
        status=RotaStatus.DRAFT,
        seed=rota.seed,
        solver_status=rota.status,
        statistics=rota_report(problem, rota),
        note=note,
    )
    session.add(version)
    session.flush()
    assert version.id is not None  # set by the flush
    session.add_all(
        AssignmentRow(rota_version_id=version.id, doctor_id=a.doctor, slot_id=a.slot,
                      pinned=a.pinned)
        for a in rota.assignments
    )
    session.flush()
    return version


def rota_versions(session: Session, period_id: str) -> list[RotaVersion]:
    """The period's rota versions, oldest first."""
    return list(
        session.exec(
            select(RotaVersion)
            .where(RotaVersion.period_id == period_id)
            .order_by(col(RotaVersion.number))
        ).all()
    )


def rota_assignments(session: Session, version_id: int) -> list[AssignmentRow]:
    """The assignments of one rota version, in slot order."""
    return list(
        session.exec(
            select(AssignmentRow)
            .join(SlotRow, col(SlotRow.id) == AssignmentRow.slot_id)
            .where(AssignmentRow.rota_version_id == version_id)
            .order_by(col(SlotRow.position), col(AssignmentRow.doctor_id))
        ).all()
    )


# Reading a period ------------------------------------------------------------------------

def periods(session: Session) -> list[TensionPeriod]:
    """Every tension period, latest first."""
    return list(
        session.exec(
            select(TensionPeriod).order_by(col(TensionPeriod.start).desc(), col(TensionPeriod.id))
        ).all()
    )


def period_sites(session: Session, period_id: str) -> list[SiteRow]:
    return list(
        session.exec(
            select(SiteRow)
            .join(PeriodSite, col(PeriodSite.site_id) == SiteRow.id)
            .where(PeriodSite.period_id == period_id)
            .order_by(col(PeriodSite.position))
        ).all()
    )


def period_slots(
    session: Session,
    period_id: str,
    *,
    site: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[SlotRow]:
    """The period's slots in problem order; optionally one site's, starting first..last."""
    query = select(SlotRow).where(SlotRow.period_id == period_id)
    if site is not None:
        query = query.where(SlotRow.site_id == site)
    if first is not None or last is not None:
        period = session.get(TensionPeriod, period_id)
        tz = ZoneInfo(period.timezone if period else "UTC")
        if first is not None:
            query = query.where(col(SlotRow.start) >= _local_midnight(first, tz))
        if last is not None:
            query = query.where(col(SlotRow.start) < _local_midnight(last + timedelta(days=1), tz))
    return list(session.exec(query.order_by(col(SlotRow.position))).all())


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # A shift belongs to the local date on which it starts (DESIGN, counting conventions).
    return datetime.combine(day, time(), tzinfo=tz)


def period_availability(
    session: Session, period_id: str, *, doctor: str | None = None
) -> list[Availability]:
    """The answers given for the period's slots, by doctor then slot order."""
    query = (
        select(Availability)
        .join(SlotRow, col(SlotRow.id) == Availability.slot_id)
        .where(SlotRow.period_id == period_id)
    )
    if doctor is not None:
        query = query.where(Availability.doctor_id == doctor)
    ordered = query.order_by(col(Availability.doctor_id), col(SlotRow.position))
    return list(session.exec(ordered).all())


def period_away(session: Session, period_id: str) -> dict[str, list[DateAway]]:
    """Dates away per doctor, in the order given."""
    out: dict[str, list[DateAway]] = defaultdict(list)
    rows = session.exec(
        select(DateAway).where(DateAway.period_id == period_id).order_by(col(DateAway.id))
    ).all()
    for row in rows:
        out[row.doctor_id].append(row)
    return out


def period_doctors(session: Session, period_id: str) -> list[PeriodDoctorPublic]:
    """The doctors taking part in the period, with their caps and dates away."""
    away = period_away(session, period_id)
    return [
        PeriodDoctorPublic(
            id=doctor.id,
            name=doctor.name,
            organisation_id=doctor.organisation_id,
            skills=doctor.skills,
            away=[DateAwayPublic(first=a.first, last=a.last) for a in away.get(doctor.id, [])],
            **_caps(caps),
        )
        for doctor, caps in _doctor_rows(session, period_id)
    ]


def _caps(caps: DoctorPeriod) -> dict[str, Any]:
    return caps.model_dump(exclude={"doctor_id", "period_id", "position"})
