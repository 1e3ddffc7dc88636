"""The rota rules as CP-SAT constraints: one `add_<rule>` per rule of DESIGN.

Availability, dates away and skills are enforced by `eligibility.py` (a variable exists only for
an eligible doctor × slot pair); everything else is added here on a `RotaModel`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ortools.sat.python import cp_model

from scheduler.eligibility import eligible_pairs, in_conflict
from scheduler.problem import Doctor, Problem, Slot


@dataclass
class RotaModel:
    """A CP-SAT model of one problem: x[doctor, slot] = 1 when the doctor works the slot."""

    problem: Problem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    uncovered: dict[str, cp_model.IntVar] = field(default_factory=dict)
    by_doctor: dict[str, list[Slot]] = field(default_factory=lambda: defaultdict(list))
    by_slot: dict[str, list[Doctor]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, problem: Problem) -> RotaModel:
        m = cls(problem)
        for doctor, slot in eligible_pairs(problem):
            m.x[doctor.id, slot.id] = m.model.new_bool_var(f"x[{doctor.id},{slot.id}]")
            m.by_doctor[doctor.id].append(slot)
            m.by_slot[slot.id].append(doctor)
        for rule in HARD_RULES:
            rule(m)
        return m

    def doctor_vars(self, doctor: Doctor) -> list[tuple[Slot, cp_model.IntVar]]:
        return [(s, self.x[doctor.id, s.id]) for s in self.by_doctor[doctor.id]]


def add_seats(m: RotaModel) -> None:
    """Seats: at most `seats` doctors per slot; the rest are uncovered seats."""
    for slot in m.problem.slots:
        assigned = [m.x[d.id, slot.id] for d in m.by_slot[slot.id]]
        u = m.model.new_int_var(0, slot.seats, f"uncovered[{slot.id}]")
        m.model.add(sum(assigned) + u == slot.seats)
        m.uncovered[slot.id] = u


def add_no_overlap_rest_and_travel(m: RotaModel) -> None:
    """No overlapping slots for a doctor, minimum rest between shifts, travel buffer between sites.

    With one required gap g for every pair, two slots conflict exactly when their intervals
    extended by g, [start, end + g), intersect: an interval graph, whose maximal cliques are
    found at slot starts. One at-most-one per clique is far tighter than one clause per pair.
    Pairs that only conflict through a travel buffer longer than the rest get a clause each.
    """
    rules = m.problem.rules
    rest = timedelta(hours=rules.min_rest_hours)
    for doctor in m.problem.doctors:
        slots = sorted(m.by_doctor[doctor.id], key=lambda s: (s.start_utc, s.end_utc, s.id))
        spans = [(s.start_utc, s.end_utc + rest, s.id) for s in slots]
        cliques: set[tuple[str, ...]] = set()
        for at, _, _ in spans:
            clique = tuple(sid for start, until, sid in spans if start <= at < until)
            if len(clique) > 1:
                cliques.add(clique)
        for clique in sorted(cliques):
            m.model.add_at_most_one(m.x[doctor.id, sid] for sid in clique)
        if rules.travel_buffer_minutes > rules.min_rest_hours * 60:
            _add_travel_pairs(m, doctor, slots, rest)


def _add_travel_pairs(m: RotaModel, doctor: Doctor, slots: list[Slot], rest: timedelta) -> None:
    rules = m.problem.rules
    buffer = timedelta(minutes=rules.travel_buffer_minutes)
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if b.start_utc >= a.end_utc + buffer:
                break
            if a.site != b.site and b.start_utc >= a.end_utc + rest and in_conflict(
                a, b, rules.min_rest_hours, rules.travel_buffer_minutes
            ):
                m.model.add_bool_or([m.x[doctor.id, a.id].Not(), m.x[doctor.id, b.id].Not()])


def add_period_cap(m: RotaModel) -> None:
    """At most N shifts in the period."""
    for doctor in m.problem.doctors:
        if doctor.max_shifts is not None:
            m.model.add(sum(v for _, v in m.doctor_vars(doctor)) <= doctor.max_shifts)


def add_weekly_cap(m: RotaModel) -> None:
    """At most M shifts per ISO week (of the local start date)."""
    tz = m.problem.tz
    for doctor in m.problem.doctors:
        if doctor.max_shifts_per_week is None:
            continue
        weeks: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for slot, var in m.doctor_vars(doctor):
            iso = slot.start_date(tz).isocalendar()
            weeks[iso.year, iso.week].append(var)
        for week_vars in weeks.values():
            if len(week_vars) > doctor.max_shifts_per_week:
                m.model.add(sum(week_vars) <= doctor.max_shifts_per_week)


def add_hours_cap(m: RotaModel) -> None:
    """At most H hours in the period (real elapsed time)."""
    for doctor in m.problem.doctors:
        if doctor.max_hours is None:
            continue
        limit = math.floor(doctor.max_hours * 60 + 1e-6)
        m.model.add(sum(s.minutes * v for s, v in m.doctor_vars(doctor)) <= limit)


def add_consecutive_days_cap(m: RotaModel) -> None:
    """At most K consecutive working days (a shift belongs to its local start date)."""
    tz = m.problem.tz
    for doctor in m.problem.doctors:
        k = doctor.max_consecutive_days
        if k is None:
            continue
        per_day: dict[date, list[cp_model.IntVar]] = defaultdict(list)
        for slot, var in m.doctor_vars(doctor):
            per_day[slot.start_date(tz)].append(var)
        works: dict[date, cp_model.IntVar] = {}
        for day, day_vars in per_day.items():
            w = m.model.new_bool_var(f"works[{doctor.id},{day}]")
            for v in day_vars:
                m.model.add_implication(v, w)
            works[day] = w
        if k >= len(works):
            continue
        for first in sorted(works):
            window = [first + timedelta(days=i) for i in range(k + 1)]
            if all(day in works for day in window):
                m.model.add(sum(works[day] for day in window) <= k)


def add_site_caps(m: RotaModel) -> None:
    """At most N shifts at one site, where a doctor sets per-site caps (multi-site periods)."""
    for doctor in m.problem.doctors:
        for site, cap in doctor.max_shifts_per_site.items():
            here = [v for s, v in m.doctor_vars(doctor) if s.site == site]
            if len(here) > cap:
                m.model.add(sum(here) <= cap)


def add_pinned(m: RotaModel) -> None:
    """Pinned assignments stay (their feasibility is checked before solving)."""
    for pin in m.problem.pinned:
        m.model.add(m.x[pin.doctor, pin.slot] == 1)


def add_removed(m: RotaModel) -> None:
    """Assignments the manager removed by hand stay removed."""
    for pair in m.problem.removed:
        var = m.x.get((pair.doctor, pair.slot))
        if var is not None:
            m.model.add(var == 0)


HARD_RULES: tuple[Callable[[RotaModel], None], ...] = (
    add_seats,
    add_no_overlap_rest_and_travel,
    add_period_cap,
    add_weekly_cap,
    add_hours_cap,
    add_consecutive_days_cap,
    add_site_caps,
    add_pinned,
    add_removed,
)
