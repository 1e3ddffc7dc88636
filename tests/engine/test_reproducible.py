"""Whether a rota is reproducible (`Rota.reproducible`): a deterministic solve is, unless the
wall clock ended some part of it before its work budget; each part says when the clock did."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

import scheduler.engine.stages as stages
from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.benchmark import Minimums
from scheduler.domain.rota import SolveStatus
from scheduler.engine.bounds import coverage_bound
from scheduler.engine.constraints import RotaModel
from scheduler.engine.construct import construct
from scheduler.engine.cpsat import SolveOptions, cut_by_clock
from scheduler.engine.greedy import greedy_rota
from scheduler.engine.neighbourhoods import improve
from scheduler.engine.objectives import coverage, fairness
from scheduler.engine.repair import improve_in_groups, repair_coverage
from scheduler.engine.report import rota_report
from scheduler.scenario.inputs import read_input
from scheduler.solver import solve
from tests.support import REPO
from tests.support.factories import doctor, problem, slot
from tests.support.stages import budgets_for_any_machine

CHIV: Path = REPO / "scenarios" / "chiv-summer-2026.yaml"
REGION = synthetic_problem(StressShape(sites=2, days=14, doctors=40, seed=1))
DETERMINISTIC = SolveOptions(time_limit_seconds=5)
SEVERAL_WORKERS = SolveOptions(time_limit_seconds=5, deterministic=False)


def _fairness_model() -> tuple[RotaModel, list[int]]:
    """CHIV's fairness stage (coverage held at its optimum), which CP-SAT does not prove in
    seconds, and a covering rota."""
    m = RotaModel.build(read_input(CHIV).problem)
    cover = coverage(m)
    m.model.minimize(cover.expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m.model) == cp_model.OPTIMAL
    m.model.add(cover.expr <= round(solver.objective_value))
    m.model.minimize(fairness(m).expr)
    return m, list(solver.response_proto.solution)


def _solve(m: RotaModel, work: float, wall: float
           ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = work
    solver.parameters.max_time_in_seconds = wall
    return solver, solver.solve(m.model)


def test_a_search_ended_by_its_work_budget_is_not_cut_and_one_ended_by_the_clock_is() -> None:
    m, _ = _fairness_model()
    solver, status = _solve(m, work=0.2, wall=60)
    assert status in (cp_model.FEASIBLE, cp_model.UNKNOWN)  # (the work budget ended it)
    assert not cut_by_clock(DETERMINISTIC, solver, status, 0.2)
    solver, status = _solve(m, work=1000, wall=0.3)
    assert not cut_by_clock(SEVERAL_WORKERS, solver, status, 1000)  # (the clock is its limit)
    assert cut_by_clock(DETERMINISTIC, solver, status, 1000)


def test_the_groups_say_when_their_deadline_ended_them() -> None:
    rota = greedy_rota(REGION)
    bound = coverage_bound(REGION)
    for options in (DETERMINISTIC, SEVERAL_WORKERS):
        late = repair_coverage(REGION, rota, bound=bound, options=options, budget=10,
                               deadline=time.monotonic())
        assert late.rounds == 0 and late.cut_by_clock is options.deterministic
    on_time = repair_coverage(REGION, rota, bound=bound, options=DETERMINISTIC, budget=0.5,
                              deadline=time.monotonic() + 60)
    assert on_time.rounds > 0 and not on_time.cut_by_clock
    late = improve_in_groups(REGION, rota, objective=fairness, held=(coverage,), bound=0,
                             options=DETERMINISTIC, budget=10, deadline=time.monotonic())
    assert late.rounds == 0 and late.cut_by_clock
    on_time = improve_in_groups(REGION, rota, objective=fairness, held=(coverage,), bound=0,
                                options=DETERMINISTIC, budget=0.3,
                                deadline=time.monotonic() + 60)
    assert on_time.rounds > 0 and not on_time.cut_by_clock


def test_the_neighbourhood_search_says_when_its_wall_budget_ended_it() -> None:
    m, values = _fairness_model()
    objective = fairness(m)
    loads = objective.loads
    assert loads is not None

    def search(budget: float, wall_budget: float) -> bool:
        found = improve(m, values, objective.evaluate(_pairs(m, values)),
                        lambda vals: loads(_pairs(m, vals)), budget=budget,
                        wall_budget=wall_budget, seed=0,
                        configure=lambda s: setattr(s.parameters, "num_workers", 1))
        return found.cut_by_clock

    assert not search(budget=0.5, wall_budget=60)
    assert search(budget=1000, wall_budget=0.3)


def _pairs(m: RotaModel, values: list[int]) -> frozenset[tuple[str, str]]:
    return frozenset(key for key, var in m.x.items() if values[var.index])


def test_a_deterministic_solve_ended_by_its_work_budgets_is_reproducible(
        monkeypatch: pytest.MonkeyPatch) -> None:
    budgets_for_any_machine(monkeypatch)
    first, second = (solve(REGION, SolveOptions(time_limit_seconds=4)) for _ in range(2))
    assert first.reproducible and second.reproducible
    assert first.assignments == second.assignments
    assert rota_report(REGION, first)["metrics"]["reproducible"] is True


def test_a_solve_the_clock_cuts_says_it_may_not_be_reproducible(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A work budget no machine does within the limit: the clock ends the searches (CHIV's
    # fairness stage is never proven in seconds, so its search runs until then).
    monkeypatch.setattr(stages, "DETERMINISTIC_SECONDS_PER_SECOND", 1000.0)
    p = read_input(CHIV).problem
    rota = solve(p, SolveOptions(time_limit_seconds=3))
    assert rota.status is SolveStatus.FEASIBLE
    assert not rota.reproducible
    assert rota_report(p, rota)["metrics"]["reproducible"] is False


def test_a_solve_on_several_workers_is_not_reproducible() -> None:
    p = problem([slot("s", "2026-07-06 20:00")], [doctor("x", ["s"])])
    assert solve(p, SolveOptions(time_limit_seconds=2)).reproducible
    assert not solve(p, SolveOptions(time_limit_seconds=2, deterministic=False)).reproducible


def test_a_search_stopped_at_a_proven_bound_is_not_cut_by_the_clock() -> None:
    # A bound proven before the search (the flow's) that the first rota reaches: the search
    # stops there on purpose, long before its work budget, and stays reproducible.
    m, values = _fairness_model()
    objective = fairness(m)
    rota = stages._Incumbent(solution=set(), values=None)
    run = stages._StageRun(m, objective, rota, DETERMINISTIC, 2, time.monotonic(),
                           time.monotonic() + 60)
    run.bound = float(objective.evaluate(_pairs(m, values)))  # (any rota found reaches it)
    stages._hint(m, set(_pairs(m, values)), values)
    run.search(stages._Budget(work=100.0, wall=60.0))
    assert rota.values is not None and run.used < 100.0
    assert not rota.cut_by_clock


def test_building_doctor_by_doctor_says_when_the_clock_ended_it() -> None:
    week = [slot(f"d{6 + i}", f"2026-07-{6 + i:02d} 08:00", hours=8, seats=2) for i in range(5)]
    ids = [s.id for s in week]
    p = problem(week, [doctor("x", ids), doctor("y", ids)],
                minimums={"x": Minimums(min_hours=24), "y": Minimums(min_hours=16)})
    on_time = construct(p, coverage, DETERMINISTIC, budget=2.0, wall_budget=30.0)
    assert on_time.rota is not None and not on_time.cut_by_clock
    late = construct(p, coverage, DETERMINISTIC, budget=2.0, wall_budget=-1.0)
    assert late.rota is None and late.cut_by_clock
    assert not construct(p, coverage, SEVERAL_WORKERS, budget=2.0, wall_budget=-1.0).cut_by_clock
