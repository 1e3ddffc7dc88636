"""Database → domain: a stored period's `Problem`, exactly as its file described it.

Every field of the problem comes back: the period's rules and objective mode, the sites and
slots in problem order (kinds, most seats, over-cover costs included), every doctor's caps
(a weekends cap the GP gave in their form only ever tightens the one stored for them),
answers, dates away, carried-over hours, per-site and per-kind caps, weekends, days off and
wishes, the manager's pinned and removed assignments, and, when a rota version is published, its
assignments as `published` (so that planning again changes as few of them as possible).
The domain types check their own bounds as they are built.
"""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from scheduler.domain.enums import RotaStatus
from scheduler.domain.problem import (
    Answer,
    Doctor,
    DoctorSlot,
    ObjectiveMode,
    Period,
    Problem,
    Rules,
    Site,
    Slot,
)
from scheduler.models import (
    AssignmentRow,
    PinRow,
    RemovalRow,
    RotaVersion,
    SiteRow,
    SlotRow,
    TensionPeriod,
)
from scheduler.storage.periods import (
    period_availability,
    period_away,
    period_doctor_rows,
    period_sites,
    period_slots,
)


class UnknownPeriod(LookupError):
    """No tension period with this id."""


def problem_from_db(session: Session, period_id: str) -> Problem:
    """The solver's input for a stored period, equal to the problem it was loaded from (with
    the published rota version's assignments as `published`). Raises UnknownPeriod."""
    period = session.get(TensionPeriod, period_id)
    if period is None:
        raise UnknownPeriod(period_id)
    tz = ZoneInfo(period.timezone)
    mode = _objective_mode(period.objective_mode)
    return Problem(
        period=Period(id=period.id, start=period.start, end=period.end,
                      timezone=period.timezone),
        rules=Rules(
            min_rest_hours=period.min_rest_hours,
            travel_buffer_minutes=period.travel_buffer_minutes,
            max_shifts_per_day=period.max_shifts_per_day,
            forbidden_successions=tuple((a, b) for a, b in period.forbidden_successions),
        ),
        sites=tuple(_site(s) for s in period_sites(session, period_id)),
        slots=tuple(_slot(s, tz) for s in period_slots(session, period_id)),
        doctors=_doctors(session, period_id),
        pinned=_decisions(session, PinRow, period_id),
        removed=_decisions(session, RemovalRow, period_id),
        published=published_assignments(session, period_id),
        objective_mode=mode,
    )


def _objective_mode(stored: str) -> ObjectiveMode:
    if stored == "weighted":
        return "weighted"
    if stored == "lexicographic":
        return "lexicographic"
    raise ValueError(f"objective_mode: unknown mode {stored!r}")


def published_assignments(session: Session, period_id: str) -> tuple[DoctorSlot, ...]:
    """The assignments of the period's published rota version (none when nothing is)."""
    rows = session.exec(
        select(AssignmentRow.doctor_id, AssignmentRow.slot_id)
        .join(RotaVersion, col(RotaVersion.id) == AssignmentRow.rota_version_id)
        .where(RotaVersion.period_id == period_id, RotaVersion.status == RotaStatus.PUBLISHED)
    ).all()
    return tuple(sorted(DoctorSlot(doctor=d, slot=s) for d, s in rows))


def _site(row: SiteRow) -> Site:
    return Site(id=row.id, name=row.name, address=row.address, contact=row.contact)


def _slot(row: SlotRow, tz: ZoneInfo) -> Slot:
    # Stored in UTC; the problem speaks the period's local time.
    return Slot(
        id=row.id, site=row.site_id, start=row.start.astimezone(tz), end=row.end.astimezone(tz),
        seats=row.seats, skills=frozenset(row.skills), priority=row.priority,
        tags=frozenset(row.tags), label=row.label, kind=row.kind, max_seats=row.max_seats,
        over_cover_cost=row.over_cover_cost,
    )


def _doctors(session: Session, period_id: str) -> tuple[Doctor, ...]:
    answers: dict[str, dict[str, Answer]] = defaultdict(dict)
    for row in period_availability(session, period_id):
        answers[row.doctor_id][row.slot_id] = Answer(row.answer)
    away = period_away(session, period_id)
    return tuple(
        Doctor(
            id=doctor.id, name=doctor.name, skills=frozenset(doctor.skills),
            max_shifts=caps.max_shifts, max_shifts_per_week=caps.max_shifts_per_week,
            max_consecutive_days=caps.max_consecutive_days, max_hours=caps.max_hours,
            availability=answers.get(doctor.id, {}),
            away=tuple((a.first, a.last) for a in away.get(doctor.id, [])),
            carry_over_hours=caps.carry_over_hours,
            max_shifts_per_site=dict(caps.max_shifts_per_site),
            max_shifts_by_kind=dict(caps.max_shifts_by_kind),
            min_days_off=caps.min_days_off,
            max_weekends=lowest(caps.max_weekends, caps.answered_max_weekends),
            wishes=dict(caps.wishes),
        )
        for doctor, caps in period_doctor_rows(session, period_id)
    )


def lowest(*caps: int | None) -> int | None:
    """The tightest of some caps (None: no cap): `lowest(2, None) == 2`, `lowest() is None`."""
    given = [cap for cap in caps if cap is not None]
    return min(given) if given else None


def _decisions(session: Session, table: type[PinRow] | type[RemovalRow], period_id: str
               ) -> tuple[DoctorSlot, ...]:
    rows = session.exec(
        select(table.doctor_id, table.slot_id)
        .where(table.period_id == period_id)
        .order_by(col(table.position))
    ).all()
    return tuple(DoctorSlot(doctor=d, slot=s) for d, s in rows)
