"""More seats covered on a large rota: CP-SAT on small groups of doctors around each hole.

On a 5,000-doctor region the greedy rota (`greedy.py`) leaves seats that a better rota covers
(coverage 100 where the flow bound of `bounds.py` says 75), and CP-SAT on the whole model does
not improve it within a minute (its presolve alone takes ~20 s). A seat left empty can usually
be filled by moving a few shifts: a doctor who offered it takes it and gives up a shift that
another doctor takes over, and so on. So each round here takes an uncovered slot, frees the
doctors who offered it and, breadth first, doctors who offered the shifts those doctors hold
(up to `GROUP` doctors), keeps everybody else's rota, and solves the coverage of that small
problem (`subproblem.restricted`: the freed doctors' slots with the seats the others leave)
exactly with CP-SAT, starting from the current rota. The new rota is kept only when it covers
strictly more (priority-weighted), so the rota only improves and keeps every hard rule (the
small model holds every rule of the freed doctors, and the others' rotas are unchanged).

Rounds go over the uncovered slots by priority then start; a pass with no gain doubles the
group (up to `MAX_GROUP`), and the search ends at the bound, at a pass with no gain at the
largest group, or at the budget. Deterministic for a given seed (seeded sampling, CP-SAT work
budgets), except where the wall-clock deadline cuts it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.problem import Doctor, Problem, Slot
from scheduler.engine.constraints import RotaModel
from scheduler.engine.cpsat import SolveOptions, make_solver, stoppable
from scheduler.engine.eligibility import eligible_pairs
from scheduler.engine.objectives import coverage
from scheduler.engine.subproblem import restricted

#: Doctors freed around an uncovered slot in the first pass, and at most (the group doubles
#: after a pass without gain). Measured on the 5,000-doctor region: ... (see the README).
GROUP, MAX_GROUP = 24, 96
#: CP-SAT work of one round (deterministic seconds in deterministic mode, else wall seconds).
ROUND_BUDGET = 0.5

Pairs = set[tuple[str, str]]


@dataclass(frozen=True)
class Repaired:
    """The repaired rota and what it took."""

    rota: Pairs
    #: The coverage objective of `rota` (priority × uncovered seats).
    value: int
    rounds: int
    gains: int
    #: CP-SAT work used (deterministic seconds in deterministic mode, else wall seconds).
    work: float
    wall: float


def repair_coverage(problem: Problem, rota: Pairs, *, bound: int, options: SolveOptions,
                    budget: float, deadline: float) -> Repaired:
    """Improve the coverage of `rota` ((doctor id, slot id) pairs keeping every hard rule of
    `problem`, which has no minimum rule) until it reaches `bound` (a proven lower bound,
    `bounds.coverage_bound`), `budget` of CP-SAT work is used, or `deadline`
    (`time.monotonic()`) passes. Returns a rota at least as good, keeping every hard rule.
    Raises `SolveCancelled` when `options.cancellation` is cancelled."""
    started = time.monotonic()
    rng = random.Random(options.seed)
    removed = {(p.doctor, p.slot) for p in problem.removed}
    able: dict[str, list[Doctor]] = {}
    for doctor, slot in eligible_pairs(problem):
        if (doctor.id, slot.id) not in removed:
            able.setdefault(slot.id, []).append(doctor)
    rota = set(rota)
    taken = Counter(slot for _, slot in rota)
    held: dict[str, set[str]] = {}
    for doctor_id, slot_id in rota:
        held.setdefault(doctor_id, set()).add(slot_id)
    value = _coverage(problem.slots, taken)
    rounds = gains = 0
    work = 0.0
    group = GROUP
    while value > bound:
        gained = False
        holes = sorted((s for s in problem.slots if taken[s.id] < s.seats),
                       key=lambda s: (-s.priority, s.start_utc, s.id))
        for hole in holes:
            if value <= bound or work >= budget or time.monotonic() >= deadline:
                break
            if options.cancellation is not None:
                options.cancellation.check()
            if taken[hole.id] >= hole.seats:
                continue  # (filled by an earlier round of this pass)
            freed = _group(hole, able, held, group, rng)
            if not freed:
                continue
            mine = {(d.id, s) for d in freed for s in held.get(d.id, ())}
            others = taken - Counter(s for _, s in mine)
            better, used = _solve(restricted(problem, freed, others), mine, options,
                                  min(ROUND_BUDGET, budget - work),
                                  max(0.05, deadline - time.monotonic()))
            rounds += 1
            work += used
            if better is None:
                continue
            for doctor in freed:
                held.pop(doctor.id, None)
            for doctor_id, slot_id in better:
                held.setdefault(doctor_id, set()).add(slot_id)
            rota = (rota - mine) | better
            taken = others + Counter(s for _, s in better)
            new_value = _coverage(problem.slots, taken)
            gained |= new_value < value
            gains += 1
            value = new_value
        if value <= bound or work >= budget or time.monotonic() >= deadline:
            break
        if not gained:
            if group >= MAX_GROUP:
                break
            group = min(MAX_GROUP, group * 2)
    return Repaired(rota, value, rounds, gains, work, time.monotonic() - started)


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


def _solve(sub: Problem, current: Pairs, options: SolveOptions, work: float, wall: float
           ) -> tuple[Pairs | None, float]:
    """The small problem's best coverage from the current rota, when strictly better than it;
    and the work it took."""
    m = RotaModel.build(sub)
    objective = coverage(m)
    before = objective.evaluate(frozenset(current))
    m.model.minimize(objective.expr)
    m.model.add(objective.expr <= before - 1)
    for key, var in m.x.items():
        m.model.add_hint(var, int(key in current))
    solver = make_solver(options, work, wall, 1, one_worker=True)
    with stoppable(options, solver):
        status = solver.solve(m.model)
    used = solver.deterministic_time if options.deterministic else solver.wall_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, used
    return {key for key, var in m.x.items() if solver.value(var)}, used
