"""Improving a large rota by CP-SAT on small groups of doctors: the holes of coverage
(`repair_coverage`), then the later stages' objectives (`improve_in_groups`).

On a 5,000-doctor region the greedy rota (`greedy.py`) leaves seats that a better rota covers
(coverage 100 where the flow bound of `bounds.py` says 75), and CP-SAT on the whole model does
not improve it within a minute (its presolve alone takes ~20 s). A seat left empty can usually
be filled by moving a few shifts: a doctor who offered it takes it and gives up a shift that
another doctor takes over, and so on. So each round here takes an uncovered slot, frees the
doctors who may take it and, breadth first, doctors who may take the shifts those doctors hold
(up to `GROUP` doctors), keeps everybody else's rota, and solves the coverage of that small
problem (`subproblem.restricted`: the freed doctors' slots with the seats the others leave)
exactly with CP-SAT, starting from the current rota. The new rota is kept only when it covers
strictly more (priority-weighted), so the rota only improves and keeps every hard rule (the
small model holds every rule of the freed doctors, and the others' rotas are unchanged).

Rounds go over the uncovered slots by priority then start; a pass with no gain doubles the
group (up to `MAX_GROUP`), and the search ends at the bound, at a pass with no gain at the
largest group, or at the budget.

The later stages (the balance of loads, of unpopular slots, the preferences) are improved the
same way (`improve_in_groups`): each round frees a few doctors weighing most on the objective
(the most loaded; those with the most plain answers worked) and doctors who may take their
shifts, and solves that small problem for the objective with every earlier stage's objective
held at its value on the group (each is a sum over doctors or slots, so the group's part not
growing keeps the whole from growing). CP-SAT on the whole 1,000-doctor model found nothing
better than the built rota in 25 s on these stages.

Deterministic for a given seed (seeded sampling, CP-SAT work budgets), except where the
wall-clock deadline cuts it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.problem import Doctor, Problem, Slot
from scheduler.engine.bounds import Eligible
from scheduler.engine.constraints import RotaModel
from scheduler.engine.cpsat import SolveOptions, cut_by_clock, make_solver, stoppable
from scheduler.engine.eligibility import eligible_pairs
from scheduler.engine.objectives import ObjectiveFn, coverage
from scheduler.engine.subproblem import restricted

#: Doctors freed around an uncovered slot in the first pass, and at most (the group doubles
#: after a pass without gain). The 5,000-doctor region reaches its bound (75 from 100) in one
#: pass of 24 in ~1 s; groups of doctors who merely offered the slot (without the skill it
#: needs) took two passes up to 400 doctors.
GROUP, MAX_GROUP = 24, 96
#: CP-SAT work of one round (deterministic seconds in deterministic mode, else wall seconds),
#: and the least a round of `improve_in_groups` is charged: CP-SAT's deterministic time of a
#: small model is near 0 while building it takes a tenth of a second, so the work budget, not
#: the clock, ends the search (the same rota on any machine fast enough).
ROUND_BUDGET = 0.2
ROUND_WORK = 0.02

Pairs = set[tuple[str, str]]


@dataclass(frozen=True)
class Repaired:
    """The improved rota and what it took."""

    rota: Pairs
    #: The objective improved, on `rota` (for the repair: coverage, priority × uncovered
    #: seats), in the model's units.
    value: int
    rounds: int
    gains: int
    #: CP-SAT work used (deterministic seconds in deterministic mode, else wall seconds).
    work: float
    wall: float
    #: In deterministic mode, the wall-clock deadline ended it (or one of its solves) before
    #: its work budget and bound did: the same input and seed may give another rota.
    cut_by_clock: bool = False


def repair_coverage(problem: Problem, rota: Pairs, *, bound: int, options: SolveOptions,
                    budget: float, deadline: float,
                    on_improvement: Callable[[int], None] | None = None,
                    eligible: Eligible = None) -> Repaired:
    """Improve the coverage of `rota` ((doctor id, slot id) pairs keeping every hard rule of
    `problem`, which has no minimum rule) until it reaches `bound` (a proven lower bound,
    `bounds.coverage_bound`), `budget` of CP-SAT work is used, or `deadline`
    (`time.monotonic()`) passes. Returns a rota at least as good, keeping every hard rule;
    `on_improvement` hears each better value; `eligible`: the problem's eligible pairs when
    known. Raises `SolveCancelled` when `options.cancellation` is cancelled."""
    started = time.monotonic()
    rng = random.Random(options.seed)
    state = _State(problem, rota, eligible)
    value = _coverage(problem.slots, state.taken)
    rounds = gains = 0
    work = 0.0
    group = GROUP
    cut = False
    while value > bound:
        gained = False
        holes = sorted((s for s in problem.slots if state.taken[s.id] < s.seats),
                       key=lambda s: (-s.priority, s.start_utc, s.id))
        for hole in holes:
            if value <= bound or work >= budget or cut:
                break
            if time.monotonic() >= deadline:
                cut = True
                break
            if options.cancellation is not None:
                options.cancellation.check()
            if state.taken[hole.id] >= hole.seats:
                continue  # (filled by an earlier round of this pass)
            freed = _group(hole, state.able, state.held, group, rng)
            if not freed:
                continue
            mine = state.pairs_of(freed)
            others = state.taken - Counter(s for _, s in mine)
            better, used, round_cut = _solve(restricted(problem, freed, others), mine, options,
                                             min(ROUND_BUDGET, budget - work),
                                             max(0.05, deadline - time.monotonic()))
            rounds += 1
            work += used
            cut = cut or round_cut
            if better is None:
                continue
            state.replace(freed, mine, better)
            value = _coverage(problem.slots, state.taken)
            gained = True
            gains += 1
            if on_improvement is not None:
                on_improvement(value)
        if value <= bound or work >= budget or cut or (not gained and group >= MAX_GROUP):
            break
        if time.monotonic() >= deadline:
            cut = True
            break
        if not gained:
            group = min(MAX_GROUP, group * 2)
    return Repaired(state.rota, value, rounds, gains, work, time.monotonic() - started,
                    cut_by_clock=cut and options.deterministic)


def _coverage(slots: tuple[Slot, ...], taken: Counter[str]) -> int:
    return sum(s.priority * max(0, s.seats - taken[s.id]) for s in slots)


def _group(hole: Slot, able: dict[str, list[Doctor]], held: dict[str, set[str]], size: int,
           rng: random.Random) -> list[Doctor]:
    """Up to `size` doctors around a hole: those who may take it (`able`: eligible and not
    removed from it), then breadth first those who may take a shift the group holds, each
    level in a seeded random order."""
    chosen: dict[str, Doctor] = {}
    level = list(able.get(hole.id, []))
    while level and len(chosen) < size:
        rng.shuffle(level)
        for doctor in level[: size - len(chosen)]:
            chosen[doctor.id] = doctor
        seen = set(chosen)
        following: dict[str, Doctor] = {}
        for doctor in level:
            for slot_id in sorted(held.get(doctor.id, ())):
                for other in able.get(slot_id, []):
                    if other.id not in seen:
                        following.setdefault(other.id, other)
        level = list(following.values())
    return list(chosen.values())


def _solve(sub: Problem, current: Pairs, options: SolveOptions, work: float, wall: float,
           objective: ObjectiveFn = coverage, held: Sequence[ObjectiveFn] = ()
           ) -> tuple[Pairs | None, float, bool]:
    """The small problem's best rota for `objective` from the current one, every `held`
    objective no worse than on the current rota, when strictly better than it; the work it
    took; and whether the clock cut it (`cpsat.cut_by_clock`)."""
    m = RotaModel.build(sub)
    goal = objective(m)
    if isinstance(goal.expr, int):
        return None, 0.0, False  # (nothing to decide)
    for make in held:
        kept = make(m)
        if not isinstance(kept.expr, int):
            m.model.add(kept.expr <= kept.evaluate(frozenset(current)))
    m.model.minimize(goal.expr)
    m.model.add(goal.expr <= goal.evaluate(frozenset(current)) - 1)
    for key, var in m.x.items():
        m.model.add_hint(var, int(key in current))
    solver = make_solver(options, work, wall, 1, one_worker=True)
    with stoppable(options, solver):
        status = solver.solve(m.model)
    used = solver.deterministic_time if options.deterministic else solver.wall_time
    cut = cut_by_clock(options, solver, status, work)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, used, cut
    return {key for key, var in m.x.items() if solver.value(var)}, used, cut


#: Doctors weighing most on the objective freed per round (drawn with a geometric bias towards
#: the heaviest), the group's size at first and at most (grown after a gain, shrunk after a
#: round without), and rounds in a row without a gain that end the search. Measured on the
#: 1,000-doctor region's unpopular balance (2026-12-01, same work budget): groups up to 64 and
#: rounds of 0.5 s, 187,468; up to 32 and 0.2 s, 185,348; starting at 8, no gain at all.
HEAVY_PER_ROUND, HEAVY_BIAS = 4, 0.3
FIRST_GROUP, LARGEST_GROUP = 16, 32
STALE_ROUNDS = 60


def improve_in_groups(problem: Problem, rota: Pairs, *, objective: ObjectiveFn,
                      held: Sequence[ObjectiveFn], bound: int, options: SolveOptions,
                      budget: float, deadline: float,
                      on_improvement: Callable[[int], None] | None = None,
                      eligible: Eligible = None) -> Repaired:
    """Improve `rota` ((doctor id, slot id) pairs keeping every hard rule of `problem`, which
    has no minimum rule) on `objective`, each objective of `held` (the earlier stages) never
    worse, until it reaches `bound` (a proven lower bound), `budget` of CP-SAT work is used,
    `deadline` (`time.monotonic()`) passes or `STALE_ROUNDS` rounds in a row gain nothing.
    Returns a rota at least as good on every objective (`value`: `objective`'s). The doctors
    freed first are those weighing most on it (`Objective.weights`; `ValueError` for an
    objective without); `on_improvement` hears each better value; `eligible`: the
    problem's eligible pairs when known. Raises `SolveCancelled` when
    `options.cancellation` is cancelled."""
    started = time.monotonic()
    rng = random.Random(options.seed)
    state = _State(problem, rota, eligible)
    whole = objective(RotaModel(problem), search=False)
    if whole.weights is None:
        raise ValueError(f"{whole.name} does not split by doctor: no groups to choose")
    weights = whole.weights
    value = whole.evaluate(frozenset(state.rota))
    rounds = gains = stale = 0
    work = 0.0
    size = FIRST_GROUP
    cut = False
    while value > bound and stale < STALE_ROUNDS and work < budget and not cut:
        if time.monotonic() >= deadline:
            cut = True
            break
        if options.cancellation is not None:
            options.cancellation.check()
        freed = _heavy_group(weights(frozenset(state.rota)), state, size, rng)
        mine = state.pairs_of(freed)
        others = state.taken - Counter(slot for _, slot in mine)
        better, used, round_cut = _solve(restricted(problem, freed, others), mine, options,
                                         min(ROUND_BUDGET, budget - work),
                                         max(0.05, deadline - time.monotonic()), objective,
                                         held)
        rounds += 1
        work += max(used, ROUND_WORK)
        cut = cut or round_cut
        if better is None:
            stale += 1
            size = max(HEAVY_PER_ROUND, size - 2)
            continue
        state.replace(freed, mine, better)
        value = whole.evaluate(frozenset(state.rota))
        gains += 1
        if on_improvement is not None:
            on_improvement(value)
        stale = 0
        size = min(LARGEST_GROUP, size + 2)
    return Repaired(state.rota, value, rounds, gains, work, time.monotonic() - started,
                    cut_by_clock=cut and options.deterministic)


class _State:
    """A rota with who holds what and how many doctors each slot has, kept in step, and who
    may take each slot (eligible, not removed)."""

    def __init__(self, problem: Problem, rota: Pairs, eligible: Eligible) -> None:
        removed = {(p.doctor, p.slot) for p in problem.removed}
        self.able: dict[str, list[Doctor]] = {}
        for doctor, slot in eligible_pairs(problem) if eligible is None else eligible:
            if (doctor.id, slot.id) not in removed:
                self.able.setdefault(slot.id, []).append(doctor)
        self.doctors = problem.doctor_by_id()
        self.rota = set(rota)
        self.taken = Counter(slot for _, slot in self.rota)
        self.held: dict[str, set[str]] = {}
        for doctor_id, slot_id in self.rota:
            self.held.setdefault(doctor_id, set()).add(slot_id)

    def pairs_of(self, doctors: Sequence[Doctor]) -> Pairs:
        return {(d.id, s) for d in doctors for s in self.held.get(d.id, ())}

    def replace(self, doctors: Sequence[Doctor], old: Pairs, new: Pairs) -> None:
        """The doctors' rotas `old` become `new`."""
        for doctor in doctors:
            self.held.pop(doctor.id, None)
        for doctor_id, slot_id in new:
            self.held.setdefault(doctor_id, set()).add(slot_id)
        self.rota = (self.rota - old) | new
        self.taken = self.taken - Counter(s for _, s in old) + Counter(s for _, s in new)


def _heavy_group(weight: dict[str, int], state: _State, size: int, rng: random.Random
                 ) -> list[Doctor]:
    """A few of the heaviest doctors (the heaviest first, with luck) and, in a seeded random
    order, doctors who may take a shift they hold; up to `size` doctors."""
    ranked = sorted(weight, key=lambda d: (-weight[d], d))
    chosen: dict[str, Doctor] = {}
    while ranked and len(chosen) < min(HEAVY_PER_ROUND, size, len(ranked)):
        doctor_id = ranked[min(int(rng.expovariate(HEAVY_BIAS)), len(ranked) - 1)]
        chosen[doctor_id] = state.doctors[doctor_id]
    relievers = sorted({d.id for heavy in list(chosen) for slot in sorted(state.held.get(heavy, ()))
                        for d in state.able.get(slot, [])} - set(chosen))
    rng.shuffle(relievers)
    for doctor_id in relievers[: size - len(chosen)]:
        chosen[doctor_id] = state.doctors[doctor_id]
    return list(chosen.values())
