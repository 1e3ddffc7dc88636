"""Filling a large rota's holes by re-solving small groups of doctors (`engine/repair.py`) and
the coverage stage that uses it with the flow bound: every rota is judged by the independent
checker, and the bound by CP-SAT's proof on the whole model (`test_bounds.py`)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest

import scheduler.engine.stages as stages
from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.benchmark import Minimums
from scheduler.domain.problem import Answer, DoctorSlot, Problem
from scheduler.domain.rota import Progress
from scheduler.engine.bounds import coverage_bound
from scheduler.engine.checker import RotaChecker
from scheduler.engine.constraints import RotaModel
from scheduler.engine.cpsat import Cancellation, ProgressRelay, SolveCancelled, SolveOptions
from scheduler.engine.greedy import greedy_rota
from scheduler.engine.objectives import (
    Objective,
    coverage,
    fairness,
    fairness_unpopular,
    preferences,
    stability,
)
from scheduler.engine.repair import improve_in_groups, repair_coverage
from scheduler.solver import solve
from tests.support.factories import doctor, problem, slot
from tests.support.stages import budgets_for_any_machine, count_regroups, count_searches

REGION = synthetic_problem(StressShape(sites=3, days=21, doctors=120, seed=2))
OPTIONS = SolveOptions(time_limit_seconds=5)


def _value(p: Problem, rota: set[tuple[str, str]]) -> int:
    taken = Counter(s for _, s in rota)
    return sum(s.priority * max(0, s.seats - taken[s.id]) for s in p.slots)


def _repair(p: Problem, rota: set[tuple[str, str]], *, budget: float = 10.0,
            options: SolveOptions = OPTIONS) -> tuple[set[tuple[str, str]], int]:
    done = repair_coverage(p, rota, bound=coverage_bound(p), options=options, budget=budget,
                           deadline=time.monotonic() + 30)
    assert RotaChecker(p).violations(done.rota) == []
    assert done.value == _value(p, done.rota)
    return done.rota, done.value


def test_a_hole_is_filled_by_moving_a_shift_to_another_doctor() -> None:
    # x holds a; b (same evening, so x cannot add it) stays empty though y could take a.
    slots = [slot("a", "2026-07-06 20:00"), slot("b", "2026-07-06 21:00")]
    p = problem(slots, [doctor("x", ["a", "b"]), doctor("y", ["a"])])
    rota, value = _repair(p, {("x", "a")})
    assert value == 0
    assert rota == {("x", "b"), ("y", "a")}


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_the_greedy_rota_reaches_the_flow_bound_on_regions(seed: int) -> None:
    p = synthetic_problem(StressShape(sites=3, days=21, doctors=120, seed=seed))
    start = greedy_rota(p)
    rota, value = _repair(p, start)
    assert value == coverage_bound(p) < _value(p, start)
    again, _ = _repair(p, start)
    assert again == rota  # reproducible


def test_pins_and_removed_assignments_are_kept() -> None:
    start = greedy_rota(REGION)
    held = sorted(start)
    pins = tuple(DoctorSlot(doctor=d, slot=s) for d, s in held[:5])
    removed = tuple(DoctorSlot(doctor=d, slot=s) for d, s in held[5:15])
    p = replace(REGION, pinned=pins, removed=removed)
    start = greedy_rota(p)
    rota, value = _repair(p, start)  # (the checker judges pins and removals too)
    assert {(x.doctor, x.slot) for x in pins} <= rota
    assert value <= _value(p, start)


def test_a_bound_out_of_reach_ends_the_search_with_the_rota_kept() -> None:
    # Three evenings in a row for the only doctor, at most two days running: the flow
    # relaxation (no consecutive days) says 0, the best rota leaves one hole.
    days = [slot(f"d{i}", f"2026-07-{6 + i:02d} 20:00") for i in range(3)]
    p = problem(days, [doctor("x", [s.id for s in days], max_consecutive_days=2)])
    assert coverage_bound(p) == 0
    rota, value = _repair(p, {("x", "d0"), ("x", "d2")})
    assert len(rota) == 2
    assert value == 1


def test_no_budget_no_change() -> None:
    start = greedy_rota(REGION)
    rota, value = _repair(REGION, start, budget=0.0)
    assert rota == start and value == _value(REGION, start)


def test_cancelled() -> None:
    cancellation = Cancellation()
    cancellation.cancel()
    with pytest.raises(SolveCancelled):
        _repair(REGION, greedy_rota(REGION),
                options=replace(OPTIONS, cancellation=cancellation))


def test_the_coverage_stage_is_proven_by_the_flow_bound_without_searching(
        monkeypatch: pytest.MonkeyPatch) -> None:
    searched = count_searches(monkeypatch)
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    rota = solve(REGION, OPTIONS)
    assert RotaChecker(REGION).violations([(a.doctor, a.slot) for a in rota.assignments]) == []
    first = rota.stages[0]
    assert first.name == "coverage" and first.proven
    assert first.value == first.bound == coverage_bound(REGION)
    assert "coverage" not in searched


class _Stopped(Exception):
    pass


@pytest.mark.parametrize(("value", "stops"), [(5.0, True), (6.0, False)])
def test_the_search_stops_at_a_rota_reaching_a_proven_bound(
        monkeypatch: pytest.MonkeyPatch, value: float, stops: bool) -> None:
    relay = ProgressRelay(Objective("coverage", 0, lambda pairs: 0), 0.0, None, stop_at=5.0)
    monkeypatch.setattr(ProgressRelay, "objective_value", property(lambda self: value))

    def stop(self: ProgressRelay) -> None:
        raise _Stopped

    monkeypatch.setattr(ProgressRelay, "stop_search", stop)
    if stops:
        with pytest.raises(_Stopped):
            relay.on_solution_callback()
    else:
        relay.on_solution_callback()
    assert relay.found


def test_a_built_rota_is_handed_over_before_the_fairness_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    hand_over = stages.hand_over_complaints

    def counted(problem: Problem, assignments: set[tuple[str, str]], **kw: object
                ) -> tuple[set[tuple[str, str]], int, bool]:
        done = hand_over(problem, assignments, **kw)  # type: ignore[arg-type]
        calls.append(done[1])
        return done

    monkeypatch.setattr(stages, "hand_over_complaints", counted)
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    rota = solve(REGION, OPTIONS)
    assert len(calls) == 2 and calls[0] > 0  # in the fairness stage, then after the stages
    pairs = {(a.doctor, a.slot) for a in rota.assignments}
    assert RotaChecker(REGION).violations(pairs) == []
    m = RotaModel.build(REGION)
    built = repair_coverage(REGION, greedy_rota(REGION), bound=coverage_bound(REGION),
                            options=OPTIONS, budget=10.0, deadline=time.monotonic() + 30).rota
    assert fairness(m).evaluate(frozenset(pairs)) < fairness(m).evaluate(frozenset(built))


# -- the later stages by groups ----------------------------------------------------------------

HELD = (coverage, stability, fairness)


def _values(p: Problem, rota: set[tuple[str, str]]) -> dict[str, int]:
    m = RotaModel(p)
    return {make.__name__: make(m, search=False).evaluate(frozenset(rota))
            for make in (*HELD, fairness_unpopular, preferences)}


def test_groups_improve_the_unpopular_balance_and_hold_the_earlier_stages() -> None:
    published = tuple(DoctorSlot(doctor=d, slot=s) for d, s in sorted(greedy_rota(REGION))[::7])
    p = replace(REGION, published=published)
    start, _ = _repair(p, greedy_rota(p))
    before = _values(p, start)

    def improved() -> set[tuple[str, str]]:
        done = improve_in_groups(p, start, objective=fairness_unpopular, held=HELD, bound=0,
                                 options=OPTIONS, budget=2.0,
                                 deadline=time.monotonic() + 60)
        assert done.gains > 0 and done.value == _values(p, done.rota)["fairness_unpopular"]
        return done.rota

    rota = improved()
    assert RotaChecker(p).violations(rota) == []
    after = _values(p, rota)
    assert after["fairness_unpopular"] < before["fairness_unpopular"]
    for make in HELD:
        assert after[make.__name__] <= before[make.__name__]
    assert improved() == rota  # reproducible: the work budget ends it, not the clock


def test_groups_move_a_plain_answer_to_a_doctor_who_preferred_it() -> None:
    days = [slot("a", "2026-07-06 20:00"), slot("b", "2026-07-08 20:00")]
    x = doctor("x", {"a": Answer.AVAILABLE, "b": Answer.PREFERRED})
    y = doctor("y", {"a": Answer.PREFERRED, "b": Answer.AVAILABLE})
    p = problem(days, [x, y])
    start = {("x", "a"), ("y", "b")}
    done = improve_in_groups(p, start, objective=preferences, held=HELD, bound=0,
                             options=OPTIONS, budget=1.0, deadline=time.monotonic() + 30)
    assert done.rota == {("x", "b"), ("y", "a")} and done.value == 0


def test_groups_keep_a_rota_at_its_bound() -> None:
    start = {("x", "a")}
    p = problem([slot("a", "2026-07-06 20:00")], [doctor("x", ["a"])])
    reached = fairness(RotaModel(p), search=False).evaluate(frozenset(start))
    done = improve_in_groups(p, start, objective=fairness, held=(coverage,), bound=reached,
                             options=OPTIONS, budget=1.0, deadline=time.monotonic() + 30)
    assert done.rota == start and done.rounds == 0


def test_later_stages_of_a_built_rota_go_by_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    stages_by_groups = count_regroups(monkeypatch)
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    budgets_for_any_machine(monkeypatch)  # (no stage skipped for want of time)
    rota = solve(REGION, OPTIONS)
    assert stages_by_groups == ["fairness", "fairness_unpopular", "preferences"]
    assert RotaChecker(REGION).violations([(a.doctor, a.slot) for a in rota.assignments]) == []


def test_a_large_problem_with_minimum_rules_keeps_its_rota_built_doctor_by_doctor(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The greedy rota and its repair ignore minimum rules: y owes 16 hours.
    monkeypatch.setattr(stages, "BUILD_FIRST_FROM_PAIRS", 0)
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    evenings = [slot(f"s{i}", f"2026-07-{6 + i:02d} 20:00") for i in range(4)]
    ids = [s.id for s in evenings]
    p = problem(evenings, [doctor("x", ids), doctor("y", ids, carry_over_hours=20.0)],
                minimums={"y": Minimums(min_hours=16)})
    rota = solve(p, OPTIONS)
    assert RotaChecker(p).violations([(a.doctor, a.slot) for a in rota.assignments]) == []


def test_stability_does_not_go_by_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="stability"):
        improve_in_groups(REGION, greedy_rota(REGION), objective=stability, held=(coverage,),
                          bound=0, options=OPTIONS, budget=1.0,
                          deadline=time.monotonic() + 30)
    grouped = count_regroups(monkeypatch)
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    published = tuple(DoctorSlot(doctor=d, slot=s) for d, s in sorted(greedy_rota(REGION))[::5])
    p = replace(REGION, published=published)
    rota = solve(p, OPTIONS)
    assert "stability" not in grouped and "fairness" in grouped
    assert RotaChecker(p).violations([(a.doctor, a.slot) for a in rota.assignments]) == []


def test_a_large_solve_reports_the_progress_of_its_groups(
        monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[Progress] = []
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    solve(REGION, replace(OPTIONS, progress=events.append))
    by_stage: dict[str, list[Progress]] = {}
    for event in events:
        by_stage.setdefault(event.stage, []).append(event)
    # The repair's gains on coverage, the groups' on a balance (CP-SAT searches none of them).
    assert "coverage" in by_stage
    assert {"fairness", "fairness_unpopular", "preferences"} & by_stage.keys()
    for stage_events in by_stage.values():
        values = [e.value for e in stage_events]
        assert values == sorted(values, reverse=True)
        assert all(e.bound <= e.value for e in stage_events)
