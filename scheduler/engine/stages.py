"""The solver stages: a `Problem` in, a `Rota` out (`scheduler.solver` is the entry).

Objectives are solved lexicographically (DESIGN, "Objectives, in this order of priority"): each
stage minimises one objective with every earlier objective held at the value it reached, and
starts from the previous stage's rota as a hint, so a later stage can never cost an earlier one.
A problem in the weighted mode (`Problem.objective_mode`, used for staffing benchmarks) is solved
in one stage instead, minimising the weighted sum of coverage, over-cover and lost wishes.

Long on purpose: the stage loop, its phases (`_StageRun`) and the first rota of a problem with
minimum rules share the incumbent and the budgets; split, each part would pass them all around.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Conflict, Progress, Rota, SolveStatus, StageReport
from scheduler.domain.rules import RuleKind
from scheduler.engine.constraints import RotaModel
from scheduler.engine.construct import construct, has_minimum
from scheduler.engine.cpsat import (
    ProgressRelay,
    SolveOptions,
    cut_by_clock,
    make_solver,
    stoppable,
)
from scheduler.engine.explain import explain_uncovered, pinned_conflicts
from scheduler.engine.greedy import greedy_rota
from scheduler.engine.neighbourhoods import improve
from scheduler.engine.objectives import (
    Objective,
    ObjectiveFn,
    coverage,
    fairness,
    fairness_unpopular,
    over_cover,
    preferences,
    stability,
    weighted,
    wishes,
)
from scheduler.engine.polish import hand_over_complaints
from scheduler.engine.repair import improve_in_groups, repair_coverage

#: CP-SAT's deterministic time done per second by one worker on the reference machine (2-core
#: CI box, measured on the CHIV scenario: ~0.42 idle, ~0.25 under load); turns a time limit into
#: a reproducible work budget. Wall time still caps each stage on a slower machine.
DETERMINISTIC_SECONDS_PER_SECOND = 0.3

Stage = tuple[ObjectiveFn, float, int]

#: The stages in priority order: objective, share of the time limit (unused time moves on),
#: CP-SAT linearisation level. Full linearisation (2) adds the cuts that make the
#: sum-of-squares bound tight (CHIV fairness gap ~10 % → ~1 %), but slows the large, easy
#: assignment LPs of coverage down by an order of magnitude, so those keep the default (1).
STAGES: tuple[Stage, ...] = (
    (coverage, 2.0, 1),
    (stability, 1.0, 1),
    (fairness, 4.0, 2),
    (fairness_unpopular, 1.5, 2),
    (preferences, 1.0, 1),
)

#: The weighted mode's one stage, with the full linearisation: its bound comes from the LP.
WEIGHTED_STAGES: tuple[Stage, ...] = ((weighted, 1.0, 2),)

#: A balance stage (fairness) runs in three phases, with these shares of its budget: CP-SAT's
#: search (a good rota and the LP bound come early), the neighbourhood search
#: (`neighbourhoods.py`; a single CP-SAT worker improves the rota slowly), and CP-SAT's
#: LP-bound tree search, which proves higher bounds. On CHIV at 10 s this takes the fairness
#: gap from 1.0–1.3 % (CP-SAT alone) to 0.8–0.9 % over seeds 0–4.
BALANCE_PHASES = (0.25, 0.45, 0.30)

#: In deterministic mode a stage may run this many times its share of the time limit before
#: the wall clock cuts it, so that on a normally loaded machine the work budget ends it.
WALL_SLACK = 2.0
#: Whatever the slack, the stages' search ends by this share of the time limit: what follows
#: (hand-overs, the uncovered seats' reasons, the reports) fits in the rest and in the 5 % a
#: limit may be exceeded by (issue 15: a 60 s solve of the regional stress scenario took
#: 67.4 s of wall time, its fairness stage running past its share).
SEARCH_END = 0.95
#: Hand-overs (`polish.py`) stop by this share of the time limit: the uncovered seats' reasons
#: and the reports fit in the rest and the 5 % slack.
HAND_OVER_END = 0.98
#: ...but they have at least this many seconds whatever the clock says: on CHIV they take
#: milliseconds, and a loaded machine reaching the deadline must not cost its certificate.
#: (The uncovered seats' reasons too.)
HAND_OVER_FLOOR = 1.0
#: The uncovered seats' reasons stop examining slots at this share of the time limit (they
#: took 40 s after a 60 s solve of Curtois Instance 22); the 5 % slack is the caller's.
EXPLAIN_END = 1.0
#: With minimum rules (no empty rota to fall back on), the share of a first stage's time the
#: whole model has to find a rota before one is built doctor by doctor (`construct.py`), and
#: the share of the time left that building may take (Curtois Instance 20: none in 60 s on the
#: whole model; built in ~30 s).
FIRST_ROTA_SHARE = 0.1
CONSTRUCT_SHARE = 0.75
#: From this many doctor × slot pairs offered, a problem with minimum rules gets its rota built
#: doctor by doctor before the whole model (Curtois Instance 23: 387,655 variables, built in
#: 3.5 s; Instance 24: 1.13 M, 9–12 s, on 2026-12-01). Building takes at most about
#: `BUILD_SECONDS_PER_PAIR` a pair (on 2026-12-01, 8–11 µs on the largest instances and up to
#: 22 µs on the smallest; 22–49 µs on 2026-11-30, before the build was made faster, on a
#: slower machine); when that is over `MODEL_SHARE` of the time limit, the model is not built
#: at all, else building doctor by doctor has `CONSTRUCT_FIRST_SHARE` of the search time.
BUILD_FIRST_FROM_PAIRS = 300_000
BUILD_SECONDS_PER_PAIR = 40e-6
MODEL_SHARE = 0.5
CONSTRUCT_FIRST_SHARE = 0.5
#: From this many doctor × slot variables, a problem without minimum rules starts from a greedy
#: rota (`greedy.py`; not in the weighted mode, whose wishes and over-cover it ignores),
#: repaired (`repair.py`): the 5,000-doctor region (214,000) had none from CP-SAT in 60 s; on
#: the 1,000-doctor one (43,000) the repaired rota reaches the flow bound in 0.6 s where
#: CP-SAT took 5 s, and handed over it is fairer than CP-SAT's after 45 s. CHIV (1,541) is
#: far below, its rota unchanged.
GREEDY_FROM_VARIABLES = 20_000
#: The share of a fairness stage's wall time that handing a built rota's shifts over may take.
HAND_OVER_SHARE = 0.5
#: The share of the coverage stage's budget that filling the greedy rota's holes may take
#: (`repair.py`; the 5,000-doctor region: 100 → 75, the flow bound, in ~1 s).
REPAIR_SHARE = 0.5



def solve(problem: Problem, options: SolveOptions | None = None) -> Rota:
    """Build the rota: the stages of `stages_for(problem)` in priority order, then hand-overs.

    Raises `SolveCancelled` when `options.cancellation` is cancelled during the solve.
    """
    options = options or SolveOptions()
    started = time.monotonic()
    conflicts = [c for c in pinned_conflicts(problem)
                 if c.rule is None or c.rule.kind is not RuleKind.MINIMUM]
    if conflicts:
        return Rota(status=SolveStatus.INFEASIBLE, conflicts=conflicts, seed=options.seed,
                    reproducible=options.deterministic)

    # The empty rota plus the pins is a first solution for free (unless minimum rules).
    rota = _Incumbent(solution={(p.doctor, p.slot) for p in problem.pinned})
    objectives: list[_Stage] = []
    rate = DETERMINISTIC_SECONDS_PER_SECOND if options.deterministic else 1.0
    limit = options.time_limit_seconds * rate
    deadline = started + options.time_limit_seconds * SEARCH_END
    stages = stages_for(problem)
    weighted_mode = problem.objective_mode == "weighted"
    m, modelled, spent = _model(problem, options, rota, stages[0][0], deadline)
    if not modelled and not rota.built:
        # Too large to model in time, and no rota built doctor by doctor within it.
        return Rota(status=SolveStatus.UNKNOWN, solve_seconds=time.monotonic() - started,
                    seed=options.seed,
                    reproducible=rota.reproducible(options))
    coverage_value = sum(s.priority * s.seats for s in problem.slots)
    for index, (make_objective, share, linearization) in enumerate(stages):
        if options.cancellation is not None:
            options.cancellation.check()
        # No search time left (CP-SAT's presolve alone of a 5,000-doctor region takes seconds
        # past any limit), or no model: the stage keeps the rota as it is, unproven, and its
        # objective is only evaluated (building the fairness chords there takes seconds more).
        skipped = not modelled or ((index > 0 or rota.built) and time.monotonic() >= deadline)
        rota.cut_by_clock |= modelled and skipped
        objective = make_objective(m, search=not skipped)
        shares_left = sum(weight for _, weight, _ in stages[index:])
        wall_left = deadline - time.monotonic()
        budget = _Budget(work=max(0.05, (limit - spent) * share / shares_left),
                         wall=max(1.0, wall_left * share / shares_left))
        stage_started = time.monotonic()
        run = _StageRun(m, objective, rota, options, linearization, started, deadline)
        if not skipped and rota.built and objective.name == "fairness" \
                and not _has_minimums(problem):
            # A built rota (greedy, repaired) is far from balanced, and handing shifts over
            # from the most loaded doctors (`polish.py`) balances it in a second: the
            # 1,000-doctor region's fairness from 119,745 to 117,453 (bound 116,531) in 0.5 s,
            # where CP-SAT and the neighbourhoods reached 126,817 in 37 s. (Cut by the wall
            # clock only past its share, like the hand-overs after the stages.)
            rota.solution, moves, cut = hand_over_complaints(problem, rota.solution, deadline=min(
                deadline, time.monotonic() + budget.wall * HAND_OVER_SHARE))
            rota.cut_by_clock |= cut
            run.wall += time.monotonic() - stage_started
            if moves:
                rota.values = None  # (CP-SAT's variables were those of the rota before)
        if not skipped:
            if index > 0 or rota.built:
                # (Not on the first stage: hinting the empty rota leads CP-SAT astray.)
                _hint(m, rota.solution, rota.values)
            m.model.minimize(objective.expr)
        if not skipped and objective.relaxed_bound is not None:
            # A flow relaxation's bound (`bounds.py`, seconds on a 5,000-doctor region, where
            # CP-SAT proves none): a rota reaching it is optimal, and the search stops there.
            bound_started = time.monotonic()
            run.bound = run.relaxed_bound = float(objective.relaxed_bound(coverage_value))
            run.wall += time.monotonic() - bound_started
        first_rota = index == 0 and rota.values is None and not rota.built \
            and _has_minimums(problem)
        if skipped:
            pass
        elif isinstance(objective.expr, int) and not first_rota:
            # Nothing to decide (stability with no published rota, no unpopular slot...): the
            # objective is that number; CP-SAT's presolve of a 5,000-doctor region took 8 s.
            # (Not for a first rota under minimum rules: whether one exists is still open.)
            run.bound, run.proven = objective.expr, True
        elif index > 0 and rota.built and rota.values is None and not weighted_mode \
                and objective.weights is not None and not _has_minimums(problem):
            # A large rota built and repaired: CP-SAT on the whole model improves it little
            # (nothing in 25 s on the 1,000-doctor region), small groups of doctors do.
            run.regroup(budget, make_objective, [make for make, _, _ in stages[:index]])
        elif objective.loads is not None and (rota.values is not None or rota.built):
            run.balance(budget)
        else:
            if index == 0 and not first_rota and not weighted_mode \
                    and not _has_minimums(problem) and len(m.x) >= GREEDY_FROM_VARIABLES:
                # Too large for CP-SAT to find a rota soon: start from a greedy one, with its
                # holes filled around (`repair.py`). (Not with minimum rules, which neither
                # keeps: a rota built doctor by doctor stands there.)
                rota.solution, rota.built = greedy_rota(problem), True
                run.repair(run.phase(budget, REPAIR_SHARE))
                _hint(m, rota.solution, None)
            if not first_rota and objective.evaluate(frozenset(rota.solution)) <= run.bound:
                # The rota so far (pins, a built one) reaches the bound: nothing to search.
                run.proven = True
            elif not first_rota:
                run.search(run.phase(budget, 1.0), small_portfolio=weighted_mode)
            elif not _first_rota(problem, m, run, budget, make_objective, options, deadline,
                                 small_portfolio=weighted_mode):
                # Minimum rules make the empty rota no fallback: without a rota, say so.
                return Rota(status=SolveStatus.UNKNOWN, solve_seconds=time.monotonic() - started,
                            seed=options.seed,
                            reproducible=rota.reproducible(options))
        if run.status == cp_model.INFEASIBLE:
            # Only the first stage can be infeasible (later ones have its rota as a solution),
            # and the empty rota keeps every rule but the minimum ones.
            return Rota(status=SolveStatus.INFEASIBLE,
                        conflicts=[Conflict(rule=None, records=(),
                                            message="no rota keeps every hard rule")],
                        solve_seconds=time.monotonic() - started, seed=options.seed,
                        reproducible=rota.reproducible(options))
        # Else without a rota within the budget, the previous one (at worst the empty rota)
        # stands.
        spent += run.used
        value = objective.evaluate(frozenset(rota.solution))
        if objective.name == "coverage":
            coverage_value = value  # (held by every later stage)
        # Every objective is a sum of non-negative terms: 0 bounds it when CP-SAT proved less
        # (a skipped stage's -inf, a search stopped before its LP).
        bound = max(run.bound, 0.0)
        objectives.append(_Stage(objective, bound, run.proven or value <= bound,
                                 time.monotonic() - stage_started))
        if not skipped:
            # Later stages may not worsen this one (after a skipped one, none is searched).
            m.model.add(objective.expr <= value)

    # Complaints left by unproven stages: handing them over is lexicographically better
    # (coverage and stability kept, fairness strictly improved), so it is always done.
    # (Not in the weighted mode, which has no fairness objective, nor with minimum rules, which
    # a hand-over could break for the doctor giving the shift away.)
    moves = 0
    solution = rota.solution
    if not weighted_mode and not _has_minimums(problem):
        solution, moves, cut = hand_over_complaints(problem, solution, deadline=max(
            started + options.time_limit_seconds * HAND_OVER_END,
            time.monotonic() + HAND_OVER_FLOOR))
        rota.cut_by_clock |= cut
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
        uncovered=explain_uncovered(problem, assignments, deadline=max(
            started + options.time_limit_seconds * EXPLAIN_END,
            time.monotonic() + HAND_OVER_FLOOR)),
        stages=reports,
        solve_seconds=time.monotonic() - started,
        seed=options.seed,
        reproducible=rota.reproducible(options),
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


@dataclass
class _Incumbent:
    """The best rota so far: its assignments and, once CP-SAT found one, every variable."""

    solution: set[tuple[str, str]]
    values: list[int] | None = None
    #: `solution` was built doctor by doctor (`construct.py`): a rota, though CP-SAT's
    #: variables are unknown.
    built: bool = False
    #: The wall clock ended some part of the solve (a search, a building, hand-overs, a
    #: stage skipped at the deadline) before its work budget, on a machine too slow or busy
    #: for it: the same input and seed may give another rota. (Only read in deterministic
    #: mode, `Rota.reproducible`: without a work budget the clock always ends the parts.)
    cut_by_clock: bool = False

    def reproducible(self, options: SolveOptions) -> bool:
        """`Rota.reproducible` of this solve: deterministic, and nothing cut by the clock."""
        return options.deterministic and not self.cut_by_clock

    def take(self, m: RotaModel, values: list[int]) -> None:
        self.values = values
        self.solution = set(_assigned(m, values))


def _assigned(m: RotaModel, values: list[int]) -> frozenset[tuple[str, str]]:
    """The (doctor, slot) pairs a full solution of the model assigns."""
    return frozenset(key for key, var in m.x.items() if values[var.index])


@dataclass(frozen=True)
class _Budget:
    #: CP-SAT deterministic seconds (wall seconds when not deterministic).
    work: float
    #: Seconds: the limit itself when not deterministic, else a safety net.
    wall: float


class _StageRun:
    """One stage's solve: improves the incumbent rota, accumulates the bound and work done."""

    def __init__(self, m: RotaModel, objective: Objective, rota: _Incumbent,
                 options: SolveOptions, linearization: int, started: float,
                 deadline: float) -> None:
        self.m, self.objective, self.rota = m, objective, rota
        self.options, self.linearization, self.started = options, linearization, started
        #: When every stage's search must have ended (`SEARCH_END`), whatever its slack.
        self.deadline = deadline
        self.status = cp_model.UNKNOWN
        self.bound = -math.inf
        #: The bound CP-SAT itself proved (`bound` also takes the flow relaxation's).
        self.searched_bound = -math.inf
        #: The flow relaxation's bound, set before the search (`bounds.py`).
        self.relaxed_bound = -math.inf
        self.proven = False
        self.used = 0.0  # work, in the budget's unit
        self.wall = 0.0

    def search(self, budget: _Budget, *, small_portfolio: bool = False,
               lp_upfront: bool = False, bound_only: bool = False,
               give_up_after: float | None = None) -> bool:
        """CP-SAT on the whole model (from the incumbent as hint when there is one); stopped
        after `give_up_after` wall seconds if it has found no rota by then (True: it was)."""
        solver = make_solver(self.options, budget.work, budget.wall, self.linearization,
                         small_portfolio=small_portfolio, lp_upfront=lp_upfront,
                         bound_only=bound_only)
        relay = ProgressRelay(self.objective, self.started, self.options.progress,
                              floor=self.bound, stop_at=self.bound)
        timer, cut = None, threading.Event()

        def give_up() -> None:
            if not relay.found:
                cut.set()
                solver.stop_search()

        if give_up_after is not None:
            timer = threading.Timer(give_up_after, give_up)
            timer.daemon = True
            timer.start()
        try:
            with stoppable(self.options, solver):
                status = solver.solve(self.m.model, relay)
        finally:
            if timer is not None:
                timer.cancel()
        self._count(solver)
        if not relay.stopped and cut_by_clock(self.options, solver, status, budget.work):
            self.rota.cut_by_clock = True
        self.bound = max(self.bound, solver.best_objective_bound)
        self.searched_bound = max(self.searched_bound, solver.best_objective_bound)
        if status == cp_model.OPTIMAL:
            self.proven = True
        if status == cp_model.INFEASIBLE and self.rota.values is None:
            self.status = status
        elif status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = list(solver.response_proto.solution)
            if self.rota.values is None:
                # (A rota built doctor by doctor stays unless CP-SAT's is no worse.)
                if not self.rota.built or self._value(values) <= self._value_of_rota():
                    self.rota.take(self.m, values)
            else:
                # The bound search keeps the rota unless it finds a strictly better one (a rota
                # of equal value found only when the clock allowed would break reproducibility).
                value, current = self._value(values), self._value(self.rota.values)
                if value < current or (value == current and not bound_only):
                    self.rota.take(self.m, values)
            self.status = status
        return cut.is_set()

    def repair(self, budget: _Budget) -> None:
        """The coverage of the incumbent rota (built, not CP-SAT's) improved around its
        holes, up to the stage's bound (`repair.py`)."""
        repaired = repair_coverage(self.m.problem, self.rota.solution,
                                   bound=math.ceil(self.bound), options=self.options,
                                   budget=budget.work,
                                   deadline=time.monotonic() + budget.wall,
                                   on_improvement=self._report, eligible=self.m.eligible)
        self.rota.solution = repaired.rota
        self.rota.cut_by_clock |= repaired.cut_by_clock
        self.used += repaired.work
        self.wall += repaired.wall

    def regroup(self, budget: _Budget, make_objective: ObjectiveFn,
                held: list[ObjectiveFn]) -> None:
        """The incumbent rota (built, not CP-SAT's) improved by small groups of doctors on
        this stage's objective, the earlier stages' held (`repair.improve_in_groups`)."""
        phase = self.phase(budget, 1.0)
        done = improve_in_groups(self.m.problem, self.rota.solution, objective=make_objective,
                                 held=held, bound=math.ceil(self.bound), options=self.options,
                                 budget=phase.work, deadline=time.monotonic() + phase.wall,
                                 on_improvement=self._report, eligible=self.m.eligible)
        self.rota.solution = done.rota
        self.rota.cut_by_clock |= done.cut_by_clock
        self.used += done.work
        self.wall += done.wall

    def balance(self, budget: _Budget) -> None:
        """A balance stage: CP-SAT for a good rota and the LP bound, then the neighbourhood
        search for better rotas, then CP-SAT again proving a higher bound, unless its bound
        so far is below the flow relaxation's (the 1,000-doctor region's fairness: CP-SAT's
        154,472 h² against the flow's 466,124, and its tree search spent 10 s without passing
        it): that time moves on to the later stages."""
        first, second, _ = BALANCE_PHASES
        self.search(self.phase(budget, first), lp_upfront=True)
        if not self.proven and self.rota.values is not None:
            self.neighbourhoods(self.phase(budget, second / (1 - first)))
        if not self.proven and self._value_of_rota() > self.bound \
                and self.searched_bound >= self.relaxed_bound:
            _hint(self.m, self.rota.solution, self.rota.values)
            self.search(self.phase(budget, 1.0), lp_upfront=True, bound_only=True)

    def neighbourhoods(self, budget: _Budget) -> None:
        assert self.rota.values is not None and self.objective.loads is not None
        loads = self.objective.loads

        def configure(solver: cp_model.CpSolver) -> None:
            params = solver.parameters
            params.random_seed = self.options.seed
            params.linearization_level = self.linearization
            params.num_workers = 1 if self.options.deterministic else self.options.workers

        deterministic = self.options.deterministic
        found = improve(self.m, self.rota.values, self._value(self.rota.values),
                        lambda values: loads(_assigned(self.m, values)),
                        budget=budget.work if deterministic else math.inf,
                        wall_budget=budget.wall, seed=self.options.seed, configure=configure,
                        on_improvement=self._report,
                        guard=lambda solver: stoppable(self.options, solver))
        self.used += found.deterministic_time if deterministic else found.wall_time
        self.wall += found.wall_time
        self.rota.cut_by_clock |= found.cut_by_clock
        self.rota.take(self.m, found.values)
        if found.proven:
            # A round that freed every doctor found nothing better: the rota is optimal.
            self.proven = True
            self.bound = max(self.bound, found.objective)

    def phase(self, stage: _Budget, share: float) -> _Budget:
        """A phase's budget: `share` of the work this stage has left. In deterministic mode the
        work budget ends each phase and the clock is only a safety net (the stage's wall time
        times WALL_SLACK, minus what it used), so that the rota does not depend on the
        machine's speed; otherwise `share` of the wall time left. Never past the deadline of
        every stage's search."""
        work = max(0.0, stage.work - self.used) * share
        left = max(0.1, self.deadline - time.monotonic())
        if self.options.deterministic:
            return _Budget(work, min(left, max(0.1, stage.wall * WALL_SLACK - self.wall)))
        return _Budget(work, min(left, max(0.1, stage.wall - self.wall) * share))

    def _count(self, solver: cp_model.CpSolver) -> None:
        self.used += solver.deterministic_time if self.options.deterministic \
            else solver.wall_time
        self.wall += solver.wall_time

    def _value(self, values: list[int]) -> int:
        return self.objective.evaluate(_assigned(self.m, values))

    def _value_of_rota(self) -> int:
        return self.objective.evaluate(frozenset(self.rota.solution))

    def _report(self, value: int) -> None:
        if self.options.progress is not None:
            self.options.progress(Progress(
                stage=self.objective.name, value=value / self.objective.scale,
                bound=self.bound / self.objective.scale,
                elapsed=time.monotonic() - self.started))


def _model(problem: Problem, options: SolveOptions, rota: _Incumbent,
           first_objective: ObjectiveFn, deadline: float) -> tuple[RotaModel, bool, float]:
    """The whole model, whether it was built, and the CP-SAT work spent before it. Built at
    once, except with minimum rules from `BUILD_FIRST_FROM_PAIRS` doctor × slot pairs: then a
    rota is built doctor by doctor first (`construct.py`, into `rota`), within
    `CONSTRUCT_FIRST_SHARE` of the search time when the model's build (`BUILD_SECONDS_PER_PAIR`
    each) fits in `MODEL_SHARE` of the time limit, and then the model is built; else within
    all of it and without the model (an empty one: no search; without a rota either, the
    caller says so)."""
    pairs = sum(len(d.availability) for d in problem.doctors)
    if pairs < BUILD_FIRST_FROM_PAIRS or not _has_minimums(problem):
        return RotaModel.build(problem), True, 0.0
    limit = options.time_limit_seconds
    with_model = pairs * BUILD_SECONDS_PER_PAIR <= limit * MODEL_SHARE
    share = CONSTRUCT_FIRST_SHARE if with_model else 1.0
    wall = max(0.0, deadline - time.monotonic()) * share
    # The work budget from the time limit alone (the clock's reading differs run to run).
    work = limit * SEARCH_END * share * DETERMINISTIC_SECONDS_PER_SECOND \
        if options.deterministic else wall
    built = construct(problem, first_objective, options, budget=work, wall_budget=wall)
    rota.cut_by_clock |= built.cut_by_clock
    if built.rota is not None:
        rota.solution, rota.built = built.rota, True
    if not with_model:
        return RotaModel(problem), False, built.work
    return RotaModel.build(problem), True, built.work


def _has_minimums(problem: Problem) -> bool:
    """Whether a doctor has a minimum rule a rota can break (one day in a row is no rule)."""
    return any(has_minimum(problem, d) for d in problem.doctors)


def _first_rota(problem: Problem, m: RotaModel, run: _StageRun, budget: _Budget,
                make_objective: ObjectiveFn, options: SolveOptions,
                deadline: float, *, small_portfolio: bool) -> bool:
    """The first stage of a problem whose empty rota breaks a minimum rule: the whole model
    for `FIRST_ROTA_SHARE` of the stage; without a rota by then, one built doctor by doctor
    (`construct.py`, its work charged to the stage); then the whole model's search goes on
    (from the rota when there is one). False when no rota came of it, True when one did or the
    problem is proven infeasible (`run.status`)."""
    deterministic = options.deterministic
    phase = run.phase(budget, FIRST_ROTA_SHARE if deterministic else 1.0)
    cut = run.search(phase, small_portfolio=small_portfolio,
                     give_up_after=None if deterministic else phase.wall * FIRST_ROTA_SHARE)
    if run.status == cp_model.INFEASIBLE or run.proven:
        return True  # (the caller reports an infeasible problem)
    if run.rota.values is None:
        built = construct(problem, make_objective, options,
                          budget=max(0.0, budget.work - run.used) * CONSTRUCT_SHARE,
                          wall_budget=max(0.0, deadline - time.monotonic()) * CONSTRUCT_SHARE)
        run.used += built.work
        run.wall += built.wall
        run.rota.cut_by_clock |= built.cut_by_clock
        if built.rota is not None:
            run.rota.solution, run.rota.built = built.rota, True
            _hint(m, run.rota.solution, None)
    else:
        _hint(m, run.rota.solution, run.rota.values)
    if deterministic or cut or run.rota.values is None:
        run.search(run.phase(budget, 1.0), small_portfolio=small_portfolio)
    return run.rota.values is not None or run.rota.built


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
