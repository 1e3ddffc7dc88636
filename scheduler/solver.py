"""The rota engine: a `Problem` in, a `Rota` out. Pure: no database, HTTP or printing.

Objectives are solved lexicographically (DESIGN, "Objectives, in this order of priority"): each
stage minimises one objective with every earlier objective held at the value it reached, and
starts from the previous stage's rota as a hint, so a later stage can never cost an earlier one.
A problem in the weighted mode (`Problem.objective_mode`, used for staffing benchmarks) is solved
in one stage instead, minimising the weighted sum of coverage, over-cover and lost wishes.
"""

from __future__ import annotations

import os
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
    over_cover,
    preferences,
    stability,
    weighted,
    wishes,
)
from scheduler.polish import hand_over_complaints
from scheduler.problem import Problem
from scheduler.rota import Assignment, Conflict, Progress, Rota, SolveStatus, StageReport
from scheduler.rules import RotaModel

ProgressCallback = Callable[[Progress], None]

#: CP-SAT's deterministic time done per second by one worker on the reference machine (2-core
#: CI box, measured on the CHIV scenario); turns a time limit into a reproducible work budget.
DETERMINISTIC_SECONDS_PER_SECOND = 0.25

Stage = tuple[Callable[[RotaModel], Objective], float, int]

#: The stages in priority order: objective, share of the time limit (unused time moves on),
#: CP-SAT linearisation level. Full linearisation (2) adds the cuts that make the
#: sum-of-squares bound tight (CHIV fairness gap ~10 % → ~1 %), but slows the large, easy
#: assignment LPs of coverage down by an order of magnitude, so those keep the default (1).
STAGES: tuple[Stage, ...] = (
    (coverage, 2.0, 1),
    (stability, 1.0, 1),
    (fairness, 3.0, 2),
    (fairness_unpopular, 1.5, 2),
    (preferences, 1.0, 1),
)

#: The weighted mode's one stage, with the full linearisation: its bound comes from the LP.
WEIGHTED_STAGES: tuple[Stage, ...] = ((weighted, 1.0, 2),)

#: Workers for a weighted solve on a small machine. CP-SAT's default portfolio below 6 workers
#: has no worker with the full LP relaxation, and without it the bound stalls (measured on the
#: Curtois benchmark, Instance2 at 10 s on 2 cores: bound 208 by default, 828 = optimal).
SMALL_PORTFOLIO = ("max_lp", "core", "quick_restart_no_lp", "default_lp")

#: Hard rules a subset of a rota can break although the whole rota keeps them: pinned
#: assignments alone are not judged by them, and handing a shift over could break them.
MINIMUM_RULES = frozenset({"minimum hours", "minimum consecutive days", "minimum days off"})


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
    """Build the rota: the stages of `stages_for(problem)` in priority order, then hand-overs."""
    options = options or SolveOptions()
    started = time.monotonic()
    conflicts = [c for c in pinned_conflicts(problem) if c.rule not in MINIMUM_RULES]
    if conflicts:
        return Rota(status=SolveStatus.INFEASIBLE, conflicts=conflicts, seed=options.seed)

    m = RotaModel.build(problem)
    # The empty rota plus the pins is always feasible: a first solution for free.
    solution: set[tuple[str, str]] = {(p.doctor, p.slot) for p in problem.pinned}
    values: list[int] | None = None  # every model variable of the last stage's rota
    objectives: list[_Stage] = []
    rate = DETERMINISTIC_SECONDS_PER_SECOND if options.deterministic else 1.0
    limit, spent = options.time_limit_seconds * rate, 0.0
    stages = stages_for(problem)
    weighted_mode = problem.objective_mode == "weighted"
    for index, (make_objective, share, linearization) in enumerate(stages):
        objective = make_objective(m)
        shares_left = sum(weight for _, weight, _ in stages[index:])
        budget = max(0.05, (limit - spent) * share / shares_left)
        wall_left = options.time_limit_seconds - (time.monotonic() - started)
        wall_budget = max(1.0, wall_left * share / shares_left)
        stage_started = time.monotonic()
        if index > 0:
            # (Not on the first stage: hinting the empty rota leads CP-SAT's search astray.)
            _hint(m, solution, values)
        m.model.minimize(objective.expr)
        solver = _solver(options, budget, wall_budget, linearization,
                         small_portfolio=weighted_mode)
        result = solver.solve(m.model, _ProgressRelay(objective, started, options.progress))
        spent += solver.deterministic_time if options.deterministic else solver.wall_time
        if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = {key for key, var in m.x.items() if solver.boolean_value(var)}
            values = list(solver.response_proto.solution)
        elif values is None and _has_minimums(problem):
            # Minimum rules make the empty rota no fallback: without a rota, say so.
            infeasible = result == cp_model.INFEASIBLE
            return Rota(status=SolveStatus.INFEASIBLE if infeasible else SolveStatus.UNKNOWN,
                        conflicts=[Conflict(rule="hard rules", records=(),
                                            message="no rota keeps every hard rule")]
                        if infeasible else [],
                        solve_seconds=time.monotonic() - started, seed=options.seed)
        # Else no rota within the budget: the previous one (at worst the empty rota) stands.
        objectives.append(_Stage(objective, solver.best_objective_bound,
                                 result == cp_model.OPTIMAL, time.monotonic() - stage_started))
        # Later stages may not worsen this one.
        m.model.add(objective.expr <= objective.evaluate(frozenset(solution)))

    # Complaints left by unproven stages: handing them over is lexicographically better
    # (coverage and stability kept, fairness strictly improved), so it is always done.
    # (Not in the weighted mode, which has no fairness objective, nor with minimum rules, which
    # a hand-over could break for the doctor giving the shift away.)
    moves = 0
    if not weighted_mode and not _has_minimums(problem):
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


def stages_for(problem: Problem) -> tuple[Stage, ...]:
    """The stages of this problem: DESIGN's order, with the over-cover and wishes stages only
    where the problem has them (so other problems' reports are unchanged), or the weighted one.
    """
    if problem.objective_mode == "weighted":
        return WEIGHTED_STAGES
    out: list[Stage] = []
    for stage in STAGES:
        if stage[0] is preferences and any(d.wishes for d in problem.doctors):
            out.append((wishes, 1.0, 1))
        out.append(stage)
        if stage[0] is coverage and any(s.max_seats is not None for s in problem.slots):
            out.append((over_cover, 1.0, 1))
    return tuple(out)


def _has_minimums(problem: Problem) -> bool:
    return any(d.min_hours is not None or d.min_consecutive_days is not None
               or d.min_days_off is not None for d in problem.doctors)


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


def _solver(options: SolveOptions, budget: float, wall_budget: float, linearization: int,
            *, small_portfolio: bool = False) -> cp_model.CpSolver:
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
        workers = options.workers or os.cpu_count() or 1
        if small_portfolio and workers <= len(SMALL_PORTFOLIO):
            params.num_workers = workers
            params.subsolvers.extend(SMALL_PORTFOLIO[:workers])
    return solver
