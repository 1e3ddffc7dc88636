"""The bounds of the flow relaxations (`engine/bounds.py`): each count the coverage bound keeps
makes a hole it must see (a breaking case) and lets the seat be filled otherwise (a keeping
case); each cap the balance bound keeps moves hours to others; on random regions neither passes
the optimum CP-SAT proves on the whole model."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from ortools.sat.python import cp_model

from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.problem import Answer, DoctorSlot, Problem, Rules
from scheduler.engine.bounds import balance_bound, coverage_bound, preferences_bound
from scheduler.engine.constraints import RotaModel
from scheduler.engine.objectives import coverage, fairness, fairness_unpopular, preferences
from scheduler.solver import SolveOptions, solve
from tests.support.factories import doctor, problem, slot
from tests.support.stages import budgets_for_any_machine

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


# -- the balance objectives' bound ------------------------------------------------------------

def _fair(p: Problem, coverage_at_most: int = 0, *, unpopular: bool = False) -> int:
    """The bound in hours² (unit: one hour)."""
    return balance_bound(p, unit=60, counts=(lambda s: s.unpopular) if unpopular else
                         (lambda s: True), with_carry_over=not unpopular,
                         coverage_at_most=coverage_at_most)


# Three 4-hour evenings in three ISO weeks: 12 hours to share between x and y.
EVENINGS = [slot(f"e{i}", f"2026-07-{6 + 7 * i:02d} 20:00") for i in range(3)]
IDS = [s.id for s in EVENINGS]


def test_the_hours_are_shared_as_evenly_as_the_relaxation_allows() -> None:
    # 6 h each (the relaxation splits a seat's hours; a rota does 8 + 4 = 80).
    assert _fair(problem(EVENINGS, [doctor("x", IDS), doctor("y", IDS)])) == 72


def test_carried_over_hours_count_in_the_load() -> None:
    p = problem(EVENINGS, [doctor("x", IDS, carry_over_hours=4.0), doctor("y", IDS)])
    assert _fair(p) == 8 * 8 + 8 * 8  # y takes 8 h, x 4 h on top of their 4


@pytest.mark.parametrize("caps", [{"max_shifts": 1}, {"max_hours": 4.0}])
def test_a_doctor_capped_leaves_the_rest_to_others(caps: dict[str, object]) -> None:
    p = problem(EVENINGS, [doctor("x", IDS), doctor("y", IDS, **caps)])
    assert _fair(p) == 8 * 8 + 4 * 4


def test_the_weekly_cap_counts() -> None:
    week = [slot(f"w{i}", f"2026-07-{6 + i:02d} 20:00") for i in range(3)]
    ids = [s.id for s in week]
    assert _fair(problem(week, [doctor("x", ids), doctor("y", ids)])) == 72
    assert _fair(problem(week, [doctor("x", ids),
                                doctor("y", ids, max_shifts_per_week=1)])) == 80


@pytest.mark.parametrize(("rest", "bound"), [(11, 6 * 6 + 24 * 24), (5, 10 * 10 + 20 * 20)])
def test_a_day_holds_what_the_rest_allows(rest: float, bound: int) -> None:
    # A 6-hour day and a 4-hour evening: x, the only one for the day, would take the evening
    # from y (20 hours carried over) but cannot under an 11-hour rest.
    day = [slot("d", "2026-07-06 08:00", hours=6), slot("e", "2026-07-06 20:00")]
    p = problem(day, [doctor("x", ["d", "e"]), doctor("y", ["e"], carry_over_hours=20.0)],
                min_rest_hours=rest)
    assert _fair(p) == bound


def test_seats_that_may_stay_uncovered_lower_what_must_be_carried() -> None:
    p = problem(EVENINGS, [doctor("x", IDS), doctor("y", IDS)])
    assert _fair(p, coverage_at_most=1) == 4 * 4 + 4 * 4  # 8 h to carry
    assert _fair(p, coverage_at_most=3) == 0


def test_the_unpopular_balance_counts_only_unpopular_slots_and_no_carry_over() -> None:
    nights = [slot("n", "2026-07-06 20:00", hours=12, tags=("night",)),
              slot("e", "2026-07-07 20:00")]
    p = problem(nights, [doctor("x", ["n", "e"], carry_over_hours=12.0)])
    assert _fair(p, unpopular=True) == 12 * 12
    assert _fair(p) == (12 + 16) ** 2


@pytest.mark.parametrize("seed", [0, 1, 2, 4])
def test_the_balance_bound_is_never_above_the_optimum(seed: int) -> None:
    """On small regions, at the optimal coverage, the bound is at most the sum of squares
    CP-SAT proves optimal (and within 15 % of it)."""
    p = synthetic_problem(StressShape(sites=2, days=14, doctors=30, seed=seed,
                                      offer_rate=0.25))
    m = RotaModel.build(p)
    held = coverage(m)
    m.model.minimize(held.expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 30
    assert solver.solve(m.model) == cp_model.OPTIMAL
    reached = round(solver.objective_value)
    m.model.add(held.expr <= reached)
    for make in (fairness, fairness_unpopular):
        objective = make(m)
        m.model.minimize(objective.expr)
        assert solver.solve(m.model) == cp_model.OPTIMAL
        optimum = round(solver.objective_value)
        assert objective.relaxed_bound is not None
        assert 0.85 * optimum <= objective.relaxed_bound(reached) <= optimum


def test_the_stages_report_the_flow_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve stopped early reports at least the flow's bound for coverage and fairness
    (CP-SAT's own is far lower at scale), in hours²."""
    budgets_for_any_machine(monkeypatch)  # (no stage skipped for want of time)
    p = synthetic_problem(StressShape(sites=3, days=21, doctors=120, seed=1))
    rota = solve(p, SolveOptions(time_limit_seconds=2))
    m = RotaModel.build(p)
    stage = {s.name: s for s in rota.stages}
    covered = round(stage["coverage"].value)
    assert stage["coverage"].bound >= coverage_bound(p)
    for make in (fairness, fairness_unpopular):
        objective = make(m)
        assert objective.relaxed_bound is not None
        flow = objective.relaxed_bound(covered) / objective.scale
        assert flow > 0
        assert flow <= stage[objective.name].bound <= stage[objective.name].value


# -- the preferences bound ---------------------------------------------------------------------

def test_plain_answers_are_counted_only_where_the_seats_need_them() -> None:
    two = [slot("a", "2026-07-06 20:00"), slot("b", "2026-07-06 21:00")]  # one evening
    x = doctor("x", {"a": Answer.PREFERRED, "b": Answer.PREFERRED})
    y = doctor("y", {"a": Answer.AVAILABLE, "b": Answer.AVAILABLE})
    p = problem(two, [x, y])
    assert preferences_bound(p, coverage_at_most=0) == 1  # x can take only one
    assert preferences_bound(p, coverage_at_most=1) == 0  # one seat may stay empty
    both = problem(two, [x, replace(y, availability={"a": Answer.PREFERRED,
                                                     "b": Answer.PREFERRED})])
    assert preferences_bound(both, coverage_at_most=0) == 0


def test_the_preferences_bound_is_never_above_the_optimum() -> None:
    p = synthetic_problem(StressShape(sites=2, days=14, doctors=30, seed=3, offer_rate=0.25))
    m = RotaModel.build(p)
    held = coverage(m)
    m.model.minimize(held.expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    assert solver.solve(m.model) == cp_model.OPTIMAL
    reached = round(solver.objective_value)
    m.model.add(held.expr <= reached)
    objective = preferences(m)
    m.model.minimize(objective.expr)
    assert solver.solve(m.model) == cp_model.OPTIMAL
    assert objective.relaxed_bound is not None
    assert objective.relaxed_bound(reached) <= round(solver.objective_value)


def test_a_fine_load_unit_goes_in_blocks_and_stays_a_lower_bound() -> None:
    p = problem(EVENINGS, [doctor("x", IDS), doctor("y", IDS)])
    exact = 2 * 360 * 360  # 6 h each, in minutes²
    by_minute = balance_bound(p, unit=1, counts=lambda s: True, with_carry_over=True,
                              coverage_at_most=0)
    assert 0.95 * exact <= by_minute <= exact


def test_the_models_eligible_pairs_give_the_same_bounds() -> None:
    p = synthetic_problem(StressShape(sites=2, days=14, doctors=30, seed=4, offer_rate=0.25))
    given = RotaModel.build(p).eligible
    assert given is not None and RotaModel(p).eligible is None
    assert coverage_bound(p, eligible=given) == coverage_bound(p)
    assert preferences_bound(p, coverage_at_most=3, eligible=given) == \
        preferences_bound(p, coverage_at_most=3)
    assert balance_bound(p, unit=60, counts=lambda s: True, with_carry_over=True,
                         coverage_at_most=3, eligible=given) == \
        balance_bound(p, unit=60, counts=lambda s: True, with_carry_over=True,
                      coverage_at_most=3)
