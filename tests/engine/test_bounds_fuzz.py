"""The flow bounds (`engine/bounds.py`) against exact optima on random small problems: never
above CP-SAT's optimum of the exact objective (true squares, not chords), across the clock
changes, slots over midnight, quarter-hour units, `max_seats`, caps, rest and travel, pins,
removed assignments and coverage held with some slack. A bound above an optimum would make a
stage claim "proven optimal" wrongly."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from scheduler.domain.problem import (
    Answer,
    Doctor,
    DoctorSlot,
    Period,
    Problem,
    Rules,
    Site,
    Slot,
)
from scheduler.engine.bounds import balance_bound, coverage_bound, preferences_bound
from scheduler.engine.constraints import RotaModel
from scheduler.engine.objectives import carry_minutes, coverage, load_unit_minutes

PARIS, UTC = ZoneInfo("Europe/Paris"), ZoneInfo("UTC")


def _problem(rng: random.Random) -> Problem:
    """Up to 9 slots over a week around a clock change, 2-5 doctors with random caps."""
    base = date(2026, 10, 22) if rng.random() < 0.7 else date(2026, 3, 26)
    slots = []
    for i in range(rng.randint(3, 9)):
        day = base + timedelta(days=rng.randint(0, 5))
        begin = datetime(day.year, day.month, day.day, rng.choice([0, 2, 8, 14, 20, 22, 23]),
                         rng.choice([0, 0, 30, 15]), tzinfo=PARIS)
        end = (begin.astimezone(UTC)
               + timedelta(hours=rng.choice([1, 2, 4, 6, 10, 12, 2.5]))).astimezone(PARIS)
        seats = rng.randint(0, 2)
        slots.append(Slot(id=f"s{i}", site=rng.choice(["a", "b"]), start=begin, end=end,
                          seats=seats, priority=rng.randint(1, 3),
                          max_seats=None if rng.random() < 0.6 else seats + rng.randint(0, 2),
                          tags=frozenset({"night"}) if rng.random() < 0.4 else frozenset()))
    doctors = []
    for j in range(rng.randint(2, 5)):
        caps: dict[str, float] = {}
        if rng.random() < 0.3:
            caps["max_shifts"] = rng.randint(0, 3)
        if rng.random() < 0.3:
            caps["max_shifts_per_week"] = rng.randint(0, 3)
        if rng.random() < 0.3:
            caps["max_hours"] = rng.choice([0, 4, 7.5, 13])
        if rng.random() < 0.3:
            caps["max_consecutive_days"] = rng.randint(1, 3)
        if rng.random() < 0.5:
            caps["carry_over_hours"] = rng.choice([0.5, 2.25, 10])
        doctors.append(Doctor(
            id=f"d{j}", availability={s.id: rng.choice([Answer.AVAILABLE, Answer.PREFERRED])
                                      for s in slots if rng.random() < 0.6},
            **caps))  # type: ignore[arg-type]
    p = Problem(period=Period(id="t", start=base - timedelta(days=1), end=base + timedelta(7)),
                rules=Rules(min_rest_hours=rng.choice([0, 1, 5, 11]),
                            travel_buffer_minutes=rng.choice([0, 60, 300]),
                            max_shifts_per_day=rng.choice([None, 1, 2])),
                sites=(Site(id="a", name="A"), Site(id="b", name="B")),
                slots=tuple(slots), doctors=tuple(doctors))
    pairs = [(d.id, s) for d in doctors for s in d.availability]
    if pairs and rng.random() < 0.4:
        p = replace(p, removed=tuple(DoctorSlot(doctor=d, slot=s)
                                     for d, s in rng.sample(pairs, k=min(2, len(pairs)))))
    if pairs and rng.random() < 0.3:
        p = replace(p, pinned=(DoctorSlot(doctor=pairs[0][0], slot=pairs[0][1]),))
    return p


def _minimum(p: Problem, objective: Callable[[RotaModel], cp_model.LinearExprT],
             coverage_at_most: int | None = None) -> int | None:
    """CP-SAT's optimum of `objective` (None: no rota, e.g. a pin breaking a rule)."""
    m = RotaModel.build(p)
    if coverage_at_most is not None:
        m.model.add(coverage(m).expr <= coverage_at_most)
    m.model.minimize(objective(m))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    status = solver.solve(m.model)
    if status == cp_model.INFEASIBLE:
        return None
    assert status == cp_model.OPTIMAL
    return round(solver.objective_value)


def _squares(counts: Callable[[Slot], bool], with_carry: bool
             ) -> Callable[[RotaModel], cp_model.LinearExprT]:
    """The exact sum of squared loads (multiplications, no chords)."""
    def make(m: RotaModel) -> cp_model.LinearExprT:
        unit = load_unit_minutes(m)
        terms = []
        for d in m.problem.doctors:
            pairs = [(s, v) for s, v in m.doctor_vars(d) if counts(s)]
            carry = carry_minutes(d) // unit if with_carry else 0
            high = carry + sum(s.minutes // unit for s, _ in pairs)
            load = m.model.new_int_var(carry, high, "")
            m.model.add(load == carry + sum((s.minutes // unit) * v for s, v in pairs))
            square = m.model.new_int_var(0, high * high, "")
            m.model.add_multiplication_equality(square, [load, load])
            terms.append(square)
        return sum(terms)
    return make


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, 10**9), st.integers(0, 4))
def test_no_bound_passes_an_exact_optimum(seed: int, slack: int) -> None:
    p = _problem(random.Random(seed))
    covered = _minimum(p, lambda m: coverage(m).expr)
    if covered is None:
        return  # (the pin breaks a rule: no rota to bound)
    assert coverage_bound(p) <= covered
    held = covered + slack
    unit = load_unit_minutes(RotaModel(p))
    for counts, with_carry in ((lambda s: True, True), (lambda s: s.unpopular, False)):
        optimum = _minimum(p, _squares(counts, with_carry), held)
        assert optimum is not None
        assert balance_bound(p, unit=unit, counts=counts, with_carry_over=with_carry,
                             coverage_at_most=held) <= optimum
    doctors = p.doctor_by_id()
    plain = _minimum(p, lambda m: sum(v for (d, s), v in m.x.items()
                                      if doctors[d].availability[s] is Answer.AVAILABLE), held)
    assert plain is not None
    assert preferences_bound(p, coverage_at_most=held) <= plain
