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

#: The stages in priority order: objective, share of the time limit (unused time moves on),
#: CP-SAT linearisation level. Full linearisation (2) adds the cuts that make the
#: sum-of-squares bound tight (CHIV fairness gap ~10 % → ~1 %), but slows the large, easy
#: assignment LPs of coverage down by an order of magnitude, so those keep the default (1).
STAGES: tuple[tuple[Callable[[RotaModel], Objective], float, int], ...] = (
    (coverage, 2.0, 1),
    (stability, 1.0, 1),
    (fairness, 3.0, 2),
    (fairness_unpopular, 1.5, 2),
    (preferences, 1.0, 1),
)


@dataclass(frozen=True, kw_only=True)
class SolveOptions:
    time_limit_seconds: float = 60.0
    seed: int = 0
    #: CP-SAT workers when not deterministic; 0 = one per core.
    workers: int = 0
    #: Same input and seed → same rota on any machine: one search worker, and the time limit
    #: turned into CP-SAT deterministic time (work done, not seconds elapsed). Wall-clock time
    #: still caps each stage, so an overloaded machine may give up reproducibility.
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
    # The empty rota plus the pins is always feasible: a first solution for free.
    solution: set[tuple[str, str]] = {(p.doctor, p.slot) for p in problem.pinned}
    values: list[int] | None = None  # every model variable of the last stage's rota
    objectives: list[_Stage] = []
    rate = DETERMINISTIC_SECONDS_PER_SECOND if options.deterministic else 1.0
    limit, spent = options.time_limit_seconds * rate, 0.0
    for index, (make_objective, share, linearization) in enumerate(STAGES):
        objective = make_objective(m)
        shares_left = sum(weight for _, weight, _ in STAGES[index:])
        budget = max(0.05, (limit - spent) * share / shares_left)
        wall_left = options.time_limit_seconds - (time.monotonic() - started)
        wall_budget = max(1.0, wall_left * share / shares_left)
        stage_started = time.monotonic()
        if index > 0:
            # (Not on the first stage: hinting the empty rota leads CP-SAT's search astray.)
            _hint(m, solution, values)
        m.model.minimize(objective.expr)
        solver = _solver(options, budget, wall_budget, linearization)
        result = solver.solve(m.model, _ProgressRelay(objective, started, options.progress))
        spent += solver.deterministic_time if options.deterministic else solver.wall_time
        if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = {key for key, var in m.x.items() if solver.boolean_value(var)}
            values = list(solver.response_proto.solution)
        # Else no rota within the budget: the previous one (at worst the empty rota) stands.
        objectives.append(_Stage(objective, solver.best_objective_bound,
                                 result == cp_model.OPTIMAL, time.monotonic() - stage_started))
        # Later stages may not worsen this one.
        m.model.add(objective.expr <= objective.evaluate(frozenset(solution)))

    # Complaints left by unproven stages: handing them over is lexicographically better
    # (coverage and stability kept, fairness strictly improved), so it is always done.
    solution, moves = hand_over_complaints(problem, solution)
    reports = _reports(objectives, frozenset(solution), moved=moves > 0)
    status = SolveStatus.OPTIMAL if all(r.proven for r in reports) else SolveStatus.FEASIBLE
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


def _hint(m: RotaModel, solution: set[tuple[str, str]], values: list[int] | None) -> None:
    """Start from the previous rota: every variable when known, else the assignments."""
    m.model.clear_hints()  # type: ignore[no-untyped-call]
    hint = m.model.proto.solution_hint
    if values is not None:
        hint.vars.extend(range(len(values)))
        hint.values.extend(values)
        return
    for key, var in m.x.items():
        m.model.add_hint(var, int(key in solution))


@dataclass(frozen=True)
class _Stage:
    objective: Objective
    bound: float
    proven: bool
    seconds: float


def _reports(stages: list[_Stage], final: frozenset[tuple[str, str]], *, moved: bool
             ) -> list[StageReport]:
    """Each stage's value on the final rota, its bound, and whether it is proven optimal.

    A hand-over after the stages improves fairness, which voids the proofs of the stages after
    it (they were optimal under the old fairness value).
    """
    reports, after_fairness = [], False
    for stage in stages:
        objective = stage.objective
        after_fairness |= objective.name.startswith("fairness")
        reports.append(StageReport(
            name=objective.name,
            value=objective.evaluate(final) / objective.scale,
            bound=stage.bound / objective.scale,
            proven=stage.proven and not (moved and after_fairness),
            seconds=stage.seconds,
        ))
    return reports


def _solver(options: SolveOptions, budget: float, wall_budget: float, linearization: int
            ) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = options.seed
    params.linearization_level = linearization
    if options.deterministic:
        params.num_workers = 1
        params.max_deterministic_time = budget
        # The time limit still holds on a slow or busy machine (where the work budget would
        # overrun it); a stage cut this way is no longer reproducible run to run.
        params.max_time_in_seconds = 2 * wall_budget
    else:
        params.num_workers = options.workers
        params.max_time_in_seconds = wall_budget
    return solver
