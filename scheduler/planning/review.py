"""A stored rota version as the manager reviews it, in French: the rota by day, each uncovered
seat with its reason, each doctor's load against what they offered, the fairness certificate
and what a re-plan changed; and a week of it to print. Everything is recomputed on the
period as stored now (as `scheduler export` does), so the page and `rota.json` agree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from scheduler.domain import french
from scheduler.domain.problem import Problem
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from scheduler.engine.explain import uncovered_reasons
from scheduler.engine.explain_fr import reason_fr, slot_fr, violation_fr
from scheduler.models import RotaVersion
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import version_rota


@dataclass(frozen=True)
class SlotLine:
    """One slot of the day: its hours and label, who is on it, the seats left empty."""

    slot_id: str
    hours: str
    label: str
    site: str
    doctors: list[str]
    empty: int


@dataclass(frozen=True)
class DayLines:
    day: date
    title: str
    slots: list[SlotLine]


@dataclass(frozen=True)
class Hole:
    """Empty seats of one slot, and why, in French."""

    slot_id: str
    when: str
    seats: int
    reason: str


@dataclass(frozen=True)
class Load:
    doctor: str
    shifts: int
    hours: float
    offered: int
    max_shifts: int | None
    #: Hours of the slots offered (what the doctor could have worked at most).
    offered_hours: float = 0.0


@dataclass(frozen=True)
class Bar:
    """One doctor's row of the load chart, in the SVG's units."""

    y: int
    doctor: str
    hours_width: float
    offered_width: float
    text: str


#: Manager decisions (pins, removals): counted apart from the hard rules, as a version made
#: before a decision cannot follow it.
DECISIONS = (Rule.PINNED, Rule.REMOVED)
#: The load chart's geometry: a name column, then bars scaled to the longest offer.
CHART_NAME_WIDTH, CHART_BAR_WIDTH, CHART_ROW = 190, 420, 22


def load_bars(loads: list[Load]) -> list[Bar]:
    """The load chart: assigned hours over offered hours, one bar per doctor."""
    longest = max((load.offered_hours for load in loads), default=0.0) or 1.0
    return [Bar(y=i * CHART_ROW, doctor=load.doctor,
                hours_width=round(CHART_BAR_WIDTH * load.hours / longest, 1),
                offered_width=round(CHART_BAR_WIDTH * load.offered_hours / longest, 1),
                text=f"{load.hours:g} h sur {load.offered_hours:g} h proposées")
            for i, load in enumerate(loads)]


@dataclass
class Review:
    """One version, reviewed (see the module's docstring)."""

    total_seats: int
    covered_seats: int
    days: list[DayLines]
    holes: list[Hole]
    loads: list[Load]
    justified_complaints: int
    hard_rule_violations: int
    #: Pins and removals decided after this version was made that it does not follow.
    decisions_not_followed: int = 0
    #: Each hard rule broken, in French (`explain_fr.violation_fr`): the doctor, the slots,
    #: the rule.
    violations: list[str] = field(default_factory=list)
    changes: dict[str, Any] | None = field(default=None)


def review(session: Session, version: RotaVersion) -> Review:
    """Review `version` on its period as stored now."""
    problem = problem_from_db(session, version.period_id)
    assignments = version_rota(session, version)
    names = {d.id: d.name or d.id for d in problem.doctors}
    slots = problem.slot_by_id()
    pairs = [(a.doctor, a.slot) for a in assignments]
    checker = RotaChecker(problem)
    on_slot: dict[str, list[str]] = defaultdict(list)
    for doctor, slot in pairs:
        on_slot[slot].append(names.get(doctor, doctor))
    loads = checker.loads(pairs)
    violations = checker.violations(pairs)
    shifts: dict[str, int] = defaultdict(int)
    for doctor, _slot in pairs:
        shifts[doctor] += 1
    return Review(
        total_seats=problem.total_seats, covered_seats=len(set(pairs)),
        days=_days(problem, on_slot),
        holes=[Hole(slot_id=r.slot, when=slot_fr(problem, r.slot), seats=r.seats,
                    reason=reason_fr(problem, r))
               for r in uncovered_reasons(problem, assignments)],
        loads=sorted((Load(doctor=names[d.id], shifts=shifts[d.id],
                           hours=round(loads[d.id] - d.carry_over_hours, 1),
                           offered=len(d.availability), max_shifts=d.max_shifts,
                           offered_hours=round(sum(slots[s].minutes for s in d.availability
                                                   if s in slots) / 60, 1))
                      for d in problem.doctors if d.availability or shifts[d.id]),
                     key=lambda load: (-load.hours, load.doctor)),
        justified_complaints=len(checker.justified_complaints(pairs)),
        hard_rule_violations=sum(1 for v in violations if v.rule not in DECISIONS),
        decisions_not_followed=sum(1 for v in violations if v.rule in DECISIONS),
        violations=list(dict.fromkeys(violation_fr(problem, v) for v in violations
                                      if v.rule not in DECISIONS)),
        changes=_changes(problem, version.statistics.get("changes"), names),
    )


def _days(problem: Problem, on_slot: dict[str, list[str]]) -> list[DayLines]:
    by_day: dict[date, list[SlotLine]] = defaultdict(list)
    sites = {s.id: s.name for s in problem.sites}
    for slot in sorted(problem.slots, key=lambda s: (s.start, s.site)):
        start, end = slot.start.astimezone(problem.tz), slot.end.astimezone(problem.tz)
        doctors = sorted(on_slot.get(slot.id, []))
        by_day[start.date()].append(SlotLine(
            slot_id=slot.id, hours=french.slot_hours(start, end), label=slot.label,
            site=sites.get(slot.site, slot.site), doctors=doctors,
            empty=max(0, slot.seats - len(doctors))))
    return [DayLines(day=day, title=french.weekday_date(day), slots=lines)
            for day, lines in sorted(by_day.items())]


def _changes(problem: Problem, stored: dict[str, Any] | None, names: dict[str, str]
             ) -> dict[str, Any] | None:
    """What the re-plan changed, with names and slots in words."""
    if not stored:
        return None

    def who(doctor: str) -> str:
        return names.get(doctor, doctor)

    return {
        "kept": stored["kept"],
        "moved": [f"{slot_fr(problem, m['slot'])} : {who(m['from'])} → {who(m['to'])}"
                  for m in stored["moved"]],
        "added": [f"{slot_fr(problem, a['slot'])} : {who(a['doctor'])}"
                  for a in stored["added"]],
        "removed": [f"{slot_fr(problem, r['slot'])} : {who(r['doctor'])}"
                    for r in stored["removed"]],
    }


@dataclass(frozen=True)
class Week:
    """A week of a version, to print: its days, the slots' hours in rows, who is on each."""

    monday: date
    title: str
    days: list[str]
    #: (hours and label, one cell per day: the doctors' names, "" without a slot that day,
    #: or None where a seat is left empty).
    rows: list[tuple[str, list[list[str] | None]]]
    previous: date | None
    next: date | None


def week(session: Session, version: RotaVersion, day: date | None) -> Week:
    """The week (Monday to Sunday) holding `day` (default: the period's first), clamped to
    the period."""
    problem = problem_from_db(session, version.period_id)
    first, last = problem.period.start, problem.period.end
    day = min(max(day or first, first), last)
    monday = day - timedelta(days=day.weekday())
    names = {d.id: d.name or d.id for d in problem.doctors}
    on_slot: dict[str, list[str]] = defaultdict(list)
    for a in version_rota(session, version):
        on_slot[a.slot].append(names.get(a.doctor, a.doctor))
    cells: dict[str, dict[int, list[str] | None]] = defaultdict(dict)
    order: dict[str, datetime] = {}
    for slot in problem.slots:
        start, end = slot.start.astimezone(problem.tz), slot.end.astimezone(problem.tz)
        offset = (start.date() - monday).days
        if not 0 <= offset < 7:
            continue
        key = french.slot_hours(start, end) + (f" — {slot.label}" if slot.label else "")
        if len(problem.sites) > 1:  # two sites' slots never share a row
            key += f" ({next((s.name for s in problem.sites if s.id == slot.site), slot.site)})"
        order.setdefault(key, start.replace(year=2000, month=1, day=1))
        doctors = sorted(on_slot.get(slot.id, []))
        cells[key][offset] = doctors + ["(place vide)"] * max(0, slot.seats - len(doctors))
    rows = [(key, [cells[key].get(i) for i in range(7)])
            for key in sorted(cells, key=lambda k: (order[k], k))]
    days = [french.weekday_date(monday + timedelta(days=i)) for i in range(7)]
    return Week(monday=monday, title=f"Semaine du {french.long_date(monday)}", days=days,
                rows=rows,
                previous=monday - timedelta(days=7) if monday > first else None,
                next=monday + timedelta(days=7) if monday + timedelta(days=6) < last else None)
