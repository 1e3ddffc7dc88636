"""The rota's objectives in DESIGN's priority order, each a linear expression to minimise.

1. coverage: uncovered seats weighted by slot priority;
2. stability: published assignments a re-plan changes;
3. fairness: sum of squared loads (the water-filling balance of DESIGN), then the same for the
   unpopular slots (nights, weekends, public holidays);
4. preferences: assignments on plain "available" answers (so "preferred" ones are used first).

Squares are modelled exactly on the integer grid of loads: loads are sums of slot lengths, so
they are multiples of the greatest common divisor of those lengths (the load unit). On that grid,
L² equals the maximum of the chords between consecutive grid points, a convex piecewise-linear
function whose LP relaxation is tight — much stronger than a multiplication constraint.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.problem import Answer, Doctor, Slot
from scheduler.rules import RotaModel

#: At most this many chords per doctor; a coarser grid keeps big instances small.
MAX_CHORDS = 160


@dataclass(frozen=True)
class Objective:
    name: str
    expr: cp_model.LinearExprT
    #: Divide the integer objective by this to report it in its natural unit (hours²...).
    scale: float = 1.0


def coverage(m: RotaModel) -> Objective:
    """Uncovered seats, each weighted by its slot's priority."""
    expr = sum(slot.priority * m.uncovered[slot.id] for slot in m.problem.slots)
    return Objective("coverage", expr)


def stability(m: RotaModel) -> Objective:
    """Published assignments changed by a re-plan (0 when nothing was published)."""
    changed = [
        1 - m.x[p.doctor, p.slot] if (p.doctor, p.slot) in m.x else 1
        for p in m.problem.published
    ]
    return Objective("stability", sum(changed))


def preferences(m: RotaModel) -> Objective:
    """Assignments on plain "available" answers: fewer means more "preferred" ones used."""
    doctors = m.problem.doctor_by_id()
    plain = [
        v
        for (doctor_id, slot_id), v in m.x.items()
        if doctors[doctor_id].availability[slot_id] is Answer.AVAILABLE
    ]
    return Objective("preferences", sum(plain))


def fairness(m: RotaModel) -> Objective:
    """Sum of squared loads (hours worked plus carried-over hours)."""
    return _sum_of_squares(m, "fairness", lambda s: True, with_carry_over=True)


def fairness_unpopular(m: RotaModel) -> Objective:
    """Sum of squared hours on unpopular slots (nights, weekends, public holidays)."""
    return _sum_of_squares(m, "fairness_unpopular", lambda s: s.unpopular, with_carry_over=False)


def load_unit_minutes(m: RotaModel) -> int:
    """The load grid: the gcd of every slot length and carried-over time, in minutes."""
    values = [s.minutes for s in m.problem.slots]
    values += [carry_minutes(d) for d in m.problem.doctors]
    return math.gcd(*values) or 60


def carry_minutes(doctor: Doctor) -> int:
    return round(doctor.carry_over_hours * 60)


def _sum_of_squares(
    m: RotaModel, name: str, counts: Callable[[Slot], bool], *, with_carry_over: bool
) -> Objective:
    unit = load_unit_minutes(m)
    terms: list[cp_model.IntVar] = []
    for doctor in m.problem.doctors:
        pairs = [(s, v) for s, v in m.doctor_vars(doctor) if counts(s)]
        carry = carry_minutes(doctor) // unit if with_carry_over else 0
        if not pairs and not carry:
            continue
        load = sum((s.minutes // unit) * v for s, v in pairs) + carry
        top = carry + _max_load_units(doctor, [s for s, _ in pairs], unit)
        terms.append(_square(m.model, load, carry, top, f"{name}_sq[{doctor.id}]"))
    # Report in hours²: one unit² is (unit/60)² hours².
    return Objective(name, sum(terms), scale=(60 / unit) ** 2)


def _max_load_units(doctor: Doctor, slots: list[Slot], unit: int) -> int:
    """An upper bound on a doctor's load from their caps, in load units."""
    lengths = sorted((s.minutes // unit for s in slots), reverse=True)
    top = sum(lengths[: doctor.max_shifts] if doctor.max_shifts is not None else lengths)
    if doctor.max_hours is not None:
        top = min(top, math.floor(doctor.max_hours * 60 / unit + 1e-6))
    return top


def _square(
    model: cp_model.CpModel, load: cp_model.LinearExprT, low: int, high: int, name: str
) -> cp_model.IntVar:
    """sq >= load² on the grid low..high, exact at the grid points (chords of the parabola)."""
    sq = model.new_int_var(low * low, high * high, name)
    step = max(1, math.ceil((high - low) / MAX_CHORDS))
    points = [*list(range(low, high, step)), high]
    for a, b in itertools.pairwise(points):
        # Chord through (a, a²) and (b, b²): y = (a + b)·L − a·b.
        model.add(sq >= (a + b) * load - a * b)
    return sq
