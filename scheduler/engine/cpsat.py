"""CP-SAT as the stages use it: the solve options, the solver's parameters for one phase, and
the relay that reports each rota CP-SAT finds as a progress event."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.rota import Progress
from scheduler.engine.objectives import Objective

ProgressCallback = Callable[[Progress], None]


#: Workers for a weighted solve on a small machine. CP-SAT's default portfolio below 6 workers
#: has no worker with the full LP relaxation, and without it the bound stalls (measured on the
#: Curtois benchmark, Instance2 at 10 s on 2 cores: bound 208 by default, 828 = optimal).
SMALL_PORTFOLIO = ("max_lp", "core", "quick_restart_no_lp", "default_lp")


class SolveCancelled(Exception):
    """A solve stopped by `Cancellation.cancel`: it returns no rota."""


class Cancellation:
    """Stops a solve from another thread (a job's manager pressing "cancel").

    `cancel()` stops the CP-SAT search running now (`CpSolver.stop_search`) and makes the solve
    raise `SolveCancelled` at its next step, within a fraction of a second. Calling it again
    is harmless, and covers a search that was starting at the first call.
    """

    def __init__(self) -> None:
        self._cancelled = False
        self._lock = threading.Lock()
        self._running: set[cp_model.CpSolver] = set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            for solver in self._running:
                solver.stop_search()

    def check(self) -> None:
        """Raise `SolveCancelled` once cancelled."""
        if self._cancelled:
            raise SolveCancelled

    @contextmanager
    def running(self, solver: cp_model.CpSolver) -> Iterator[None]:
        """Around `solver.solve(...)`: stoppable while it runs; raises `SolveCancelled`
        before it starts or after it stopped, once cancelled."""
        with self._lock:
            self.check()
            self._running.add(solver)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(solver)
        self.check()


@contextmanager
def stoppable(options: SolveOptions, solver: cp_model.CpSolver) -> Iterator[None]:
    """`Cancellation.running` when the options carry one, else nothing."""
    if options.cancellation is None:
        yield
        return
    with options.cancellation.running(solver):
        yield


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
    #: Set to stop the solve from another thread (`SolveCancelled` is raised).
    cancellation: Cancellation | None = None


class ProgressRelay(cp_model.CpSolverSolutionCallback):
    """Reports each rota CP-SAT finds, with the stage's best bound so far (`floor`: what earlier
    phases of the stage proved), and stops the search at a rota whose value is `stop_at` or
    less (a bound proven otherwise: nothing better exists)."""

    def __init__(self, objective: Objective, started: float, progress: ProgressCallback | None,
                 floor: float = -math.inf, stop_at: float = -math.inf) -> None:
        super().__init__()
        self._objective = objective
        self._started = started
        self._progress = progress
        self._floor = floor
        self._stop_at = stop_at
        #: Set at the first rota found (read from another thread by a give-up timer).
        self.found = False
        #: Set when it stopped the search at `stop_at` (the work budget did not end it).
        self.stopped = False

    def on_solution_callback(self) -> None:
        self.found = True
        if self.objective_value <= self._stop_at:
            # A proven bound reached (the flow bound of coverage...): the rota is optimal and
            # searching on cannot improve it. (Deterministic: the same rota each run.)
            self.stopped = True
            self.stop_search()
        if self._progress is not None:
            bound = max(self._floor, self.best_objective_bound)
            self._progress(
                Progress(
                    stage=self._objective.name,
                    value=self.objective_value / self._objective.scale,
                    bound=bound / self._objective.scale,
                    elapsed=time.monotonic() - self._started,
                )
            )


def make_solver(options: SolveOptions, budget: float, wall_budget: float, linearization: int,
            *, small_portfolio: bool = False, lp_upfront: bool = False,
            bound_only: bool = False, one_worker: bool = False) -> cp_model.CpSolver:
    """A CP-SAT solver for one phase of a stage: `budget` of work (deterministic seconds, or
    wall seconds when not deterministic), `wall_budget` seconds at most, the linearisation
    level; the small portfolio for weighted solves, every constraint in the LP from the start,
    or the LP-bound tree search (proves bounds, finds no rotas); `one_worker` for many small
    solves in a row (one doctor's model each, `construct.py`)."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = options.seed
    params.linearization_level = linearization
    # Every constraint in the LP from the start: a better bound and a good rota sooner on the
    # sum of squares (CHIV).
    params.add_lp_constraints_lazily = not lp_upfront
    # A tree search on the LP bound: proves higher bounds, finds no rotas.
    params.optimize_with_lb_tree_search = bound_only
    if options.deterministic:
        params.num_workers = 1
        params.max_deterministic_time = budget
        # The time limit still holds on a slow or busy machine (where the work budget would
        # overrun it); a stage cut this way is no longer reproducible run to run.
        params.max_time_in_seconds = wall_budget
    else:
        params.num_workers = 1 if one_worker else options.workers
        params.max_time_in_seconds = wall_budget
        workers = options.workers or os.cpu_count() or 1
        if small_portfolio and workers <= len(SMALL_PORTFOLIO):
            params.num_workers = workers
            params.subsolvers.extend(SMALL_PORTFOLIO[:workers])
    return solver


def cut_by_clock(options: SolveOptions, solver: cp_model.CpSolver,
                 status: cp_model.CpSolverStatus, work: float
                 ) -> bool:
    """Whether a finished deterministic solve with a work budget of `work` deterministic
    seconds was ended by its wall-clock limit instead (a slow or busy machine): then it is
    not reproducible, the same input and seed may give another rota. Not for a solve stopped
    on purpose (a bound reached, a cancellation); False when not deterministic, where the
    clock is the limit. (CP-SAT ended by its work budget reports at least that much work.)"""
    return options.deterministic and status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) \
        and solver.deterministic_time < work
