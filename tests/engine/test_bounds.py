"""The coverage bound of the flow relaxation (`engine/bounds.py`): each count it keeps makes a
hole it must see (a breaking case) and lets the seat be filled otherwise (a keeping case), and
on random regions it never passes the optimum CP-SAT proves on the whole model."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from ortools.sat.python import cp_model

from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.problem import DoctorSlot, Rules
from scheduler.engine.bounds import coverage_bound
from scheduler.engine.constraints import RotaModel
from scheduler.engine.objectives import coverage
from tests.support.factories import doctor, problem, slot

MON, TUE = "2026-07-06", "2026-07-07"  # one ISO week
NEXT_MON = "2026-07-13"


def test_every_seat_can_be_filled() -> None:
    slots = [slot("a", f"{MON} 20:00"), slot("b", f"{TUE} 20:00", seats=2)]
    p = problem(slots, [doctor("x", ["a", "b"]), doctor("y", ["b"])])
    assert coverage_bound(p) == 0


def test_a_slot_nobody_offered_is_a_hole_weighted_by_its_priority() -> None:
    p = problem([slot("a", f"{MON} 20:00", priority=3, seats=2)], [doctor("x", [])])
    assert coverage_bound(p) == 6


def test_skills_and_dates_away_leave_a_hole() -> None:
    paed = slot("a", f"{MON} 20:00", skills=("paediatrics",))
    assert coverage_bound(problem([paed], [doctor("x", ["a"])])) == 1
    assert coverage_bound(problem([paed], [doctor("x", ["a"],
                                                  skills=frozenset({"paediatrics"}))])) == 0
    away = ((date(2026, 7, 6), date(2026, 7, 6)),)
    assert coverage_bound(problem([slot("a", f"{MON} 20:00")],
                                  [doctor("x", ["a"], away=away)])) == 1


@pytest.mark.parametrize(("caps", "holes"), [
    ({"max_shifts": 1}, 1), ({"max_shifts": 2}, 0),
    ({"max_hours": 4.0}, 1), ({"max_hours": 8.0}, 0),
])
def test_the_period_and_hours_caps_count(caps: dict[str, object], holes: int) -> None:
    slots = [slot("a", f"{MON} 20:00"), slot("b", f"{NEXT_MON} 20:00")]
    assert coverage_bound(problem(slots, [doctor("x", ["a", "b"], **caps)])) == holes


@pytest.mark.parametrize(("second", "holes"), [(TUE, 1), (NEXT_MON, 0)])
def test_the_weekly_cap_counts_per_iso_week(second: str, holes: int) -> None:
    slots = [slot("a", f"{MON} 20:00"), slot("b", f"{second} 20:00")]
    p = problem(slots, [doctor("x", ["a", "b"], max_shifts_per_week=1)])
    assert coverage_bound(p) == holes


@pytest.mark.parametrize(("rest", "holes"), [(11, 1), (5, 0)])
def test_one_day_holds_the_shifts_the_rest_allows(rest: float, holes: int) -> None:
    slots = [slot("a", f"{MON} 08:00", hours=6), slot("b", f"{MON} 20:00")]
    p = problem(slots, [doctor("x", ["a", "b"])], min_rest_hours=rest)
    assert coverage_bound(p) == holes


@pytest.mark.parametrize(("per_day", "holes"), [(1, 1), (None, 0)])
def test_the_shifts_per_day_rule_counts(per_day: int | None, holes: int) -> None:
    slots = [slot("a", f"{MON} 08:00"), slot("b", f"{MON} 14:00")]
    p = problem(slots, [doctor("x", ["a", "b"])], min_rest_hours=0)
    p = replace(p, rules=Rules(min_rest_hours=0, max_shifts_per_day=per_day))
    assert coverage_bound(p) == holes


def test_a_removed_assignment_is_no_arc() -> None:
    p = problem([slot("a", f"{MON} 20:00")], [doctor("x", ["a"])])
    assert coverage_bound(p) == 0
    assert coverage_bound(replace(p, removed=(DoctorSlot(doctor="x", slot="a"),))) == 1


def test_an_empty_problem_has_nothing_uncovered() -> None:
    assert coverage_bound(problem([], [])) == 0


@pytest.mark.parametrize("seed", range(6))
def test_never_above_the_optimum_of_the_whole_model(seed: int) -> None:
    """On small regions with every rule (caps, rest, travel, consecutive days, skills,
    dates away), the bound is at most the coverage CP-SAT proves optimal, and it is no
    trivial 0: these regions have holes (8–21) and the bound finds most of them."""
    p = synthetic_problem(StressShape(sites=3, days=21, doctors=60, seed=seed,
                                      offer_rate=0.2))
    p = replace(p, rules=replace(p.rules, travel_buffer_minutes=90))
    m = RotaModel.build(p)
    m.model.minimize(coverage(m).expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    assert solver.solve(m.model) == cp_model.OPTIMAL
    optimum = round(solver.objective_value)
    assert optimum > 0
    assert 0.75 * optimum <= coverage_bound(p) <= optimum
