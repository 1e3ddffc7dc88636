"""The staffing gaps of a period as answers come in, in French: for each slot the GP seats the
gap model asks for against the doctors offering it so far; a days × slots grid of them; the
answer rate of each organisation; and the slots at risk, grouped the way a manager acts on
them ("2 médecins de plus pour les dimanches soir d'août").

A slot is at risk while fewer doctors offer it than it has seats plus one spare (a single
withdrawal would leave a seat empty); its shortfall is the doctors missing to get there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from scheduler.domain import french
from scheduler.domain.problem import Problem, Slot
from scheduler.models import DoctorPeriod, DoctorRow, Organisation
from scheduler.storage.problems import problem_from_db

#: Doctors wanted beyond the seats, for a slot not to be at risk.
SPARE = 1


@dataclass(frozen=True)
class Cell:
    """One slot in the grid: seats needed, doctors offering, and how it stands."""

    slot_id: str
    needed: int
    offering: int
    #: "none" (nobody offers it), "short" (fewer than the seats), "tight" (no spare),
    #: "ok".
    level: str
    text: str


@dataclass(frozen=True)
class GridRow:
    day: date
    title: str
    cells: list[Cell | None]


@dataclass(frozen=True)
class Column:
    hours: str
    label: str


@dataclass(frozen=True)
class OrganisationRate:
    name: str
    invited: int
    answered: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


@dataclass(frozen=True)
class Risk:
    """Slots of one kind, weekday and month short of doctors, in words."""

    text: str
    slots: int
    shortfall: int


@dataclass(frozen=True)
class Gaps:
    seats: int
    offers: int
    columns: list[Column]
    rows: list[GridRow]
    organisations: list[OrganisationRate]
    risks: list[Risk]


def _level(needed: int, offering: int) -> str:
    if needed == 0:
        return "ok"
    if offering == 0:
        return "none"
    if offering < needed:
        return "short"
    return "tight" if offering < needed + SPARE else "ok"


def gaps(session: Session, period_id: str) -> Gaps:
    """The period's gaps as stored now. Raises `UnknownPeriod`."""
    problem = problem_from_db(session, period_id)
    offering: dict[str, int] = defaultdict(int)
    for doctor in problem.doctors:
        for slot_id in doctor.availability:
            offering[slot_id] += 1
    columns, rows = _grid(problem, offering)
    return Gaps(seats=problem.total_seats, offers=sum(offering.values()), columns=columns,
                rows=rows, organisations=_rates(session, period_id),
                risks=_risks(problem, offering))


def _local(problem: Problem, slot: Slot) -> tuple[date, str, str]:
    start, end = slot.start.astimezone(problem.tz), slot.end.astimezone(problem.tz)
    return start.date(), french.slot_hours(start, end), slot.label


def _grid(problem: Problem, offering: dict[str, int]) -> tuple[list[Column], list[GridRow]]:
    sites = {s.id: s.name for s in problem.sites}
    several = len(sites) > 1
    keys: dict[tuple[str, str], str] = {}
    by_day: dict[date, dict[tuple[str, str], Slot]] = defaultdict(dict)
    for slot in sorted(problem.slots, key=lambda s: s.start):
        day, hours, label = _local(problem, slot)
        if several:  # one column per site and hours: two sites' slots never share a cell
            label = f"{sites.get(slot.site, slot.site)} · {label}" if label else \
                sites.get(slot.site, slot.site)
        keys.setdefault((hours, label), hours)
        by_day[day][(hours, label)] = slot
    order = sorted(keys, key=lambda key: (key[0] < "08", key[0], key[1]))
    columns = [Column(hours=hours, label=label) for hours, label in order]
    rows = []
    for day, slots in sorted(by_day.items()):
        cells: list[Cell | None] = []
        for key in order:
            found = slots.get(key)
            if found is None:
                cells.append(None)
                continue
            count = offering[found.id]
            cells.append(Cell(
                slot_id=found.id, needed=found.seats, offering=count,
                level=_level(found.seats, count),
                text=f"{french.weekday_date(day)}, {key[0]} : "
                     f"{french.plural(count, 'médecin disponible', 'médecins disponibles')} "
                     f"pour {french.plural(found.seats, 'place')}"))
        rows.append(GridRow(day=day, title=french.weekday_date(day), cells=cells))
    return columns, rows


def _rates(session: Session, period_id: str) -> list[OrganisationRate]:
    rows = session.exec(
        select(DoctorPeriod.answered_at, Organisation.name)
        .join(DoctorRow, col(DoctorRow.id) == DoctorPeriod.doctor_id)
        .outerjoin(Organisation, col(Organisation.id) == DoctorRow.organisation_id)
        .where(DoctorPeriod.period_id == period_id)).all()
    invited: dict[str, int] = defaultdict(int)
    answered: dict[str, int] = defaultdict(int)
    for answered_at, name in rows:
        key = name or "Sans structure"
        invited[key] += 1
        answered[key] += answered_at is not None
    return sorted((OrganisationRate(name=k, invited=invited[k], answered=answered[k])
                   for k in invited), key=lambda r: (r.percent, r.name))


def _risks(problem: Problem, offering: dict[str, int]) -> list[Risk]:
    groups: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for slot in problem.slots:
        missing = slot.seats + SPARE - offering[slot.id]
        if slot.seats and missing > 0:
            day, hours, label = _local(problem, slot)
            groups[(day.month, day.weekday(), label or hours)].append(missing)
    risks = []
    for (month, weekday, label), shortfalls in groups.items():
        worst = max(shortfalls)
        what = f"les {french.WEEKDAYS_PLURAL[weekday]} ({label})" if label else \
            f"les {french.WEEKDAYS_PLURAL[weekday]}"
        risks.append(Risk(
            text=f"{french.plural(worst, 'médecin')} de plus pour {what} "
                 f"{french.month_with_de(month)} "
                 f"({french.plural(len(shortfalls), 'créneau', 'créneaux')})",
            slots=len(shortfalls), shortfall=worst))
    return sorted(risks, key=lambda r: (-r.shortfall * r.slots, r.text))
