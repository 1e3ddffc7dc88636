"""The rota engine: a `Problem` in, a `Rota` out. Pure: no database, HTTP or printing.

Objectives are solved lexicographically (DESIGN, "Objectives, in this order of priority"): each
stage minimises one objective with every earlier objective held at the value it reached, and
starts from the previous stage's rota as a hint, so a later stage can never cost an earlier one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.explain import explain_uncovered, pinned_conflicts
from scheduler.objectives import (
    Objective,
    coverage,
    fairness,
    fairness_unpopular,
    preferences,
    stability,
)
from scheduler.polish import hand_over_complaints
from scheduler.problem import Problem
from scheduler.rota import Assignment, Progress, Rota, SolveStatus, StageReport
from scheduler.rules import RotaModel

ProgressCallback = Callable[[Progress], None]

#: CP-SAT's deterministic time done per second by one worker on the reference machine (2-core
#: CI box, measured on the CHIV scenario); turns a time limit into a reproducible work budget.
DETERMINISTIC_SECONDS_PER_SECOND = 0.25

#: The stages in priority order.
STAGES: tuple[Callable[[RotaModel], Objective], ...] = (
    coverage,
    stability,
    fairness,
    fairness_unpopular,
    preferences,
)


@dataclass(frozen=True, kw_only=True)
class SolveOptions:
    time_limit_seconds: float = 60.0
    seed: int = 0
    #: CP-SAT workers when not deterministic; 0 = one per core.
    workers: int = 0
    #: Same input and seed → same rota on any machine: one search worker, and the time limit
    #: counted in CP-SAT's deterministic time (work done, not seconds elapsed).
    deterministic: bool = True
    progress: ProgressCallback | None = None


class _ProgressRelay(cp_model.CpSolverSolutionCallback):
    def __init__(self, objective: Objective, started: float, progress: ProgressCallback | None
                 ) -> None:
        super().__init__()
        self._objective = objective
        self._started = started
        self._progress = progress

    def on_solution_callback(self) -> None:
        if self._progress is not None:
            self._progress(
                Progress(
                    stage=self._objective.name,
                    value=self.objective_value / self._objective.scale,
                    bound=self.best_objective_bound / self._objective.scale,
                    elapsed=time.monotonic() - self._started,
                )
            )


def solve(problem: Problem, options: SolveOptions | None = None) -> Rota:
    """Build the rota: coverage first, then fairness, then preferences."""
    options = options or SolveOptions()
    started = time.monotonic()
    conflicts = pinned_conflicts(problem)
    if conflicts:
        return Rota(status=SolveStatus.INFEASIBLE, conflicts=conflicts, seed=options.seed)

    m = RotaModel.build(problem)
    reports: list[StageReport] = []
    solution: set[tuple[str, str]] | None = None
    status = SolveStatus.OPTIMAL
    rate = DETERMINISTIC_SECONDS_PER_SECOND if options.deterministic else 1.0
    limit, spent = options.time_limit_seconds * rate, 0.0
    for index, make_objective in enumerate(STAGES):
        objective = make_objective(m)
        budget = max(0.05, (limit - spent) / (len(STAGES) - index))
        stage_started = time.monotonic()
        if solution is not None:
            m.model.clear_hints()  # type: ignore[no-untyped-call]
            for key, var in m.x.items():
                m.model.add_hint(var, int(key in solution))
        m.model.minimize(objective.expr)
        solver = _solver(options, budget)
        result = solver.solve(m.model, _ProgressRelay(objective, started, options.progress))
        spent += solver.deterministic_time if options.deterministic else solver.wall_time
        if result not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if solution is None:  # cannot happen with feasible pins, but never crash
                return Rota(status=SolveStatus.UNKNOWN, seed=options.seed)
            status = SolveStatus.FEASIBLE
            reports.append(_not_reached(objective, stage_started))
            continue
        proven = result == cp_model.OPTIMAL
        solution = {key for key, var in m.x.items() if solver.boolean_value(var)}
        value = round(solver.objective_value)
        if not proven and objective.name.startswith("fairness"):
            # Unproven fairness may leave complaints; handing them over is lexicographically
            # better (coverage kept, fairness strictly improved), so it is always allowed.
            solution, moves = hand_over_complaints(problem, solution)
            if moves:
                value = round(_value(objective, m, solution))
        if not proven:
            status = SolveStatus.FEASIBLE
        reports.append(
            StageReport(
                name=objective.name,
                value=value / objective.scale,
                bound=solver.best_objective_bound / objective.scale,
                proven=proven,
                seconds=time.monotonic() - stage_started,
            )
        )
        # Later stages may not worsen this one.
        m.model.add(objective.expr <= value)

    assert solution is not None
    pins = {(p.doctor, p.slot) for p in problem.pinned}
    assignments = [
        Assignment(doctor=d, slot=s, pinned=(d, s) in pins)
        for d, s in sorted(solution, key=lambda pair: (pair[1], pair[0]))
    ]
    return Rota(
        status=status,
        assignments=assignments,
        uncovered=explain_uncovered(problem, assignments),
        stages=reports,
        solve_seconds=time.monotonic() - started,
        seed=options.seed,
    )


def _value(objective: Objective, m: RotaModel, solution: set[tuple[str, str]]) -> float:
    """The objective's integer value for a rota, evaluated by CP-SAT on the fixed assignment."""
    fixed = m.model.clone()
    fixed.clear_hints()  # type: ignore[no-untyped-call]
    for key, var in m.x.items():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == int(key in solution))
    fixed.minimize(objective.expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    solver.solve(fixed)
    return float(solver.objective_value)


def _not_reached(objective: Objective, stage_started: float) -> StageReport:
    return StageReport(name=objective.name, value=float("nan"), bound=float("nan"), proven=False,
                       seconds=time.monotonic() - stage_started)


def _solver(options: SolveOptions, budget: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = options.seed
    if options.deterministic:
        params.num_workers = 1
        params.max_deterministic_time = budget
        # A safety net only: hitting it would make the result depend on machine load.
        params.max_time_in_seconds = 3 * budget / DETERMINISTIC_SECONDS_PER_SECOND + 5
    else:
        params.num_workers = options.workers
        params.max_time_in_seconds = budget
    return solver
