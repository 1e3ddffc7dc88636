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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ortools.sat.python import cp_model

from scheduler.domain.problem import Answer, Doctor, Slot
from scheduler.engine.bounds import balance_bound, coverage_bound, preferences_bound
from scheduler.engine.constraints import RotaModel

#: At most this many chords per doctor; a coarser grid keeps big instances small.
MAX_CHORDS = 160


Pairs = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Objective:
    name: str
    expr: cp_model.LinearExprT
    #: The same objective computed on a rota in plain Python (integer, in the model's units).
    evaluate: Callable[[Pairs], int]
    #: Divide the integer objective by this to report it in its natural unit (hours²...).
    scale: float = 1.0
    #: For a balance objective: each doctor's load on a rota (in the model's units).
    loads: Callable[[Pairs], dict[str, int]] | None = None
    #: A lower bound computed without CP-SAT (`bounds.py`, in the model's units), given the
    #: coverage value the stage holds; None when the objective has none.
    relaxed_bound: Callable[[int], int] | None = None
    #: Each doctor's share of the objective on a rota (their load; the plain answers they
    #: work), to choose whom to re-plan first (`repair.improve_in_groups`); None when the
    #: objective does not split by doctor that way.
    weights: Callable[[Pairs], dict[str, int]] | None = None


class ObjectiveFn(Protocol):
    """An objective's maker: `search=False` gives its evaluation only (`expr` is 0 and the
    model is left untouched), for a stage with no search time left: building the fairness
    chords of a 5,000-doctor region alone takes seconds."""

    def __call__(self, m: RotaModel, *, search: bool = True) -> Objective: ...


def coverage(m: RotaModel, *, search: bool = True) -> Objective:
    """Uncovered seats, each weighted by its slot's priority."""
    slots = m.problem.slots
    expr = _linear([m.uncovered[s.id] for s in slots], [s.priority for s in slots]) \
        if search else 0

    def evaluate(pairs: Pairs) -> int:
        taken = Counter(slot for _, slot in pairs)
        return sum(s.priority * max(0, s.seats - taken[s.id]) for s in m.problem.slots)

    return Objective("coverage", expr, evaluate,
                     relaxed_bound=lambda _coverage: coverage_bound(m.problem,
                                                                    eligible=m.eligible))


def over_cover(m: RotaModel, *, search: bool = True) -> Objective:
    """Doctors beyond `seats` on slots that allow more (`max_seats`), each at its slot's cost."""
    slots = m.problem.slot_by_id()
    expr = _linear(list(m.over.values()), [slots[sid].over_cover_cost for sid in m.over]) \
        if search else 0

    def evaluate(pairs: Pairs) -> int:
        taken = Counter(slot for _, slot in pairs)
        return sum(s.over_cover_cost * max(0, taken[s.id] - s.seats)
                   for s in m.problem.slots if s.max_seats is not None)

    return Objective("over_cover", expr, evaluate)


def wishes(m: RotaModel, *, search: bool = True) -> Objective:
    """Lost wishes: the weight of each wished-for slot not worked and each unwanted one worked."""
    # Σ weight·(1 − x) over the wishes for, Σ −weight·x over those against: one weighted
    # sum and a constant (a sum of 25,000 small expressions took 0.3 s on Curtois
    # Instance 24).
    constant = 0
    variables: list[cp_model.IntVar] = []
    coefficients: list[int] = []
    for doctor in m.problem.doctors if search else ():
        for slot_id, weight in doctor.wishes.items():
            var = m.x.get((doctor.id, slot_id))
            if var is None:
                # A wish the rules never let come true is lost for good; the opposite is kept.
                constant += max(weight, 0)
                continue
            if weight > 0:
                constant += weight
            variables.append(var)
            coefficients.append(-weight)
    wished = [(d.id, s, w) for d in m.problem.doctors for s, w in d.wishes.items()]

    def evaluate(pairs: Pairs) -> int:
        return sum(abs(w) for d, s, w in wished if ((d, s) in pairs) == (w < 0))

    return Objective("wishes", _linear(variables, coefficients, constant), evaluate)


def _linear(variables: list[cp_model.IntVar], coefficients: list[int], constant: int = 0
            ) -> cp_model.LinearExprT:
    """Σ coefficients·variables + constant in one expression (a Python `sum` of many terms
    builds one object per term); the plain integer without variables, which tells a stage
    it has nothing to decide (`stages.solve`)."""
    if not variables:
        return constant
    return cp_model.LinearExpr.weighted_sum(variables, coefficients) + constant


def weighted(m: RotaModel, *, search: bool = True) -> Objective:
    """The weighted mode's single objective: priority × uncovered seats + over-cover costs +
    lost wishes (the penalty of published staff-scheduling benchmarks)."""
    parts = (coverage(m, search=search), over_cover(m, search=search), wishes(m, search=search))

    def evaluate(pairs: Pairs) -> int:
        return sum(part.evaluate(pairs) for part in parts)

    return Objective("weighted", sum(part.expr for part in parts), evaluate)


def stability(m: RotaModel, *, search: bool = True) -> Objective:
    """Published assignments changed by a re-plan (0 when nothing was published)."""
    changed = [
        1 - m.x[p.doctor, p.slot] if (p.doctor, p.slot) in m.x else 1
        for p in (m.problem.published if search else ())
    ]
    published = {(p.doctor, p.slot) for p in m.problem.published}
    return Objective("stability", sum(changed), lambda pairs: len(published - pairs))


def preferences(m: RotaModel, *, search: bool = True) -> Objective:
    """Assignments on plain "available" answers: fewer means more "preferred" ones used."""
    doctors = m.problem.doctor_by_id()
    plain = [
        v
        for (doctor_id, slot_id), v in (m.x.items() if search else ())
        if doctors[doctor_id].availability[slot_id] is Answer.AVAILABLE
    ]

    def plain_by_doctor(pairs: Pairs) -> dict[str, int]:
        return dict(Counter(d for d, s in pairs
                            if doctors[d].availability.get(s) is Answer.AVAILABLE))

    def evaluate(pairs: Pairs) -> int:
        return sum(plain_by_doctor(pairs).values())

    return Objective("preferences", sum(plain), evaluate,
                     relaxed_bound=lambda coverage_at_most: preferences_bound(
                         m.problem, coverage_at_most=coverage_at_most, eligible=m.eligible),
                     weights=plain_by_doctor)


def fairness(m: RotaModel, *, search: bool = True) -> Objective:
    """Sum of squared loads (hours worked plus carried-over hours)."""
    return _sum_of_squares(m, "fairness", lambda s: True, with_carry_over=True, search=search)


def fairness_unpopular(m: RotaModel, *, search: bool = True) -> Objective:
    """Sum of squared hours on unpopular slots (nights, weekends, public holidays)."""
    return _sum_of_squares(m, "fairness_unpopular", lambda s: s.unpopular, with_carry_over=False,
                           search=search)


def load_unit_minutes(m: RotaModel) -> int:
    """The load grid: the gcd of every slot length and carried-over time, in minutes."""
    values = [s.minutes for s in m.problem.slots]
    values += [carry_minutes(d) for d in m.problem.doctors]
    return math.gcd(*values) or 60


def carry_minutes(doctor: Doctor) -> int:
    return round(doctor.carry_over_hours * 60)


def _sum_of_squares(
    m: RotaModel, name: str, counts: Callable[[Slot], bool], *, with_carry_over: bool,
    search: bool
) -> Objective:
    unit = load_unit_minutes(m)
    terms: list[cp_model.IntVar] = []
    for doctor in m.problem.doctors if search else ():
        pairs = [(s, v) for s, v in m.doctor_vars(doctor) if counts(s)]
        carry = carry_minutes(doctor) // unit if with_carry_over else 0
        if not pairs and not carry:
            continue
        load = sum((s.minutes // unit) * v for s, v in pairs) + carry
        reachable = [carry + x for x in _reachable_loads(doctor, [s for s, _ in pairs], unit)]
        terms.append(_square(m.model, load, reachable, f"{name}_sq[{doctor.id}]"))
    slots = m.problem.slot_by_id()
    carries = {d.id: carry_minutes(d) // unit if with_carry_over else 0 for d in m.problem.doctors}

    def loads(pairs: Pairs) -> dict[str, int]:
        out = Counter(carries)
        for d, s in pairs:
            if counts(slots[s]):
                out[d] += slots[s].minutes // unit
        return dict(out)

    def evaluate(pairs: Pairs) -> int:
        return sum(load * load for load in loads(pairs).values())

    def relaxed_bound(coverage_at_most: int) -> int:
        return balance_bound(m.problem, unit=unit, counts=counts,
                             with_carry_over=with_carry_over, coverage_at_most=coverage_at_most,
                             eligible=m.eligible)

    # Report in hours²: one unit² is (unit/60)² hours².
    return Objective(name, sum(terms), evaluate, scale=(60 / unit) ** 2, loads=loads,
                     relaxed_bound=relaxed_bound, weights=loads)


def _reachable_loads(doctor: Doctor, slots: list[Slot], unit: int) -> list[int]:
    """Every load (in units) a doctor could reach with these slots within their shift and hour
    caps: subset sums of the slot lengths (a superset of what the other rules allow).

    Chords between reachable loads only make the relaxation much tighter than chords between
    every grid point (a doctor doing 4 h and 6 h shifts never has a load of 2 h), and the
    square stays exact at every load the rota can really give.
    """
    max_count = len(slots) if doctor.max_shifts is None else min(len(slots), doctor.max_shifts)
    top = sum(sorted((s.minutes // unit for s in slots), reverse=True)[:max_count])
    if doctor.max_hours is not None:
        top = min(top, math.floor(doctor.max_hours * 60 / unit + 1e-6))
    # fewest[x] = fewest shifts summing to x (bounded knapsack over the lengths on offer).
    fewest = [0] + [max_count + 1] * top
    for length in (s.minutes // unit for s in slots):
        for x in range(top, length - 1, -1):
            if fewest[x - length] + 1 < fewest[x]:
                fewest[x] = fewest[x - length] + 1
    return [x for x in range(top + 1) if fewest[x] <= max_count]


def _square(model: cp_model.CpModel, load: cp_model.LinearExprT, reachable: list[int],
            name: str) -> cp_model.IntVar:
    """sq >= load² on the reachable loads, exact there (chords of the parabola)."""
    low, high = reachable[0], reachable[-1]
    sq = model.new_int_var(low * low, high * high, name)
    step = max(1, math.ceil((len(reachable) - 1) / MAX_CHORDS))
    points = reachable[::step] if (len(reachable) - 1) % step == 0 else \
        [*reachable[::step], high]
    for a, b in itertools.pairwise(points):
        # Chord through (a, a²) and (b, b²): y = (a + b)·L − a·b.
        model.add(sq >= (a + b) * load - a * b)
    return sq
