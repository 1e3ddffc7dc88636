"""A first rota built doctor by doctor, for problems whose empty rota breaks a rule.

With minimum rules (minimum hours, minimum consecutive days or days off) the empty rota is no
longer a rota, and on large instances CP-SAT's search on the whole model may find none within
the time limit (Curtois Instances 20–24 at 60 s: none). But every hard rule except the seats is
one doctor's own, and the seats only cap how many doctors a slot takes. So doctors are placed one
after the other: each one's own small model (their slots, with the seats the doctors before them
left; `RotaModel` with every rule) is solved for the first stage's objective given the others'
rotas (the uncovered seats it can fill, its over-cover and wishes), and the union keeps every hard
rule by construction. It is a greedy rota (each doctor's best reply to those before), a start
for the whole model's search, which then improves it.

Each doctor's own rota comes first from the dynamic programme of `day_grid.py` (milliseconds,
checked rule by rule), and from CP-SAT on their own model only when that finds none.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.benchmark import minimums_of
from scheduler.domain.problem import Doctor, Problem
from scheduler.engine.constraints import RotaModel
from scheduler.engine.cpsat import (
    Cancellation,
    SolveOptions,
    cut_by_clock,
    make_solver,
    stoppable,
)
from scheduler.engine.day_grid import day_grid_rota, gains
from scheduler.engine.objectives import Objective
from scheduler.engine.subproblem import restricted

#: Each doctor's share of the budget is at least this many seconds (or deterministic seconds).
MIN_SHARE = 0.02


@dataclass(frozen=True)
class Built:
    """What building spent, and the rota when every doctor got one."""

    #: (doctor id, slot id) pairs keeping every hard rule; None when a doctor got no rota.
    rota: set[tuple[str, str]] | None
    #: CP-SAT work used: deterministic seconds in deterministic mode, else wall seconds.
    work: float
    wall: float
    #: In deterministic mode, the wall clock ended a part of it before its work budget (a
    #: slow or busy machine): the same input and seed may give another rota.
    cut_by_clock: bool = False


def construct(problem: Problem, objective: Callable[[RotaModel], Objective],
              options: SolveOptions, *, budget: float, wall_budget: float) -> Built:
    """A rota keeping every hard rule, built doctor by doctor, or none when a doctor's own
    rules admit no rota with the seats the doctors before them left, within the budget (the
    caller then searches the whole model without it).

    Doctors with a minimum rule go first (in problem order, then the others): they need seats,
    the others only take what is left. `objective` is the first stage's (`coverage`, or
    `weighted` for benchmarks); `budget` is CP-SAT work (deterministic seconds in deterministic
    mode, else wall seconds) and `wall_budget` wall seconds, both shared out evenly over the
    doctors still to place.
    """
    started = time.monotonic()
    taken: Counter[str] = Counter(p.slot for p in problem.pinned)
    rota: set[tuple[str, str]] = set()
    work_used = 0.0
    cut = False
    doctors = sorted(problem.doctors, key=lambda d: not has_minimum(problem, d))
    for index, doctor in enumerate(doctors):
        if options.cancellation is not None:
            options.cancellation.check()
        left = len(doctors) - index
        if time.monotonic() - started > wall_budget:
            return Built(None, work_used, time.monotonic() - started,
                         cut_by_clock=options.deterministic)
        own_pins = Counter(p.slot for p in problem.pinned if p.doctor == doctor.id)
        alone = _doctor_alone(problem, doctor, taken - own_pins)
        fast = day_grid_rota(alone, doctor)
        if fast is not None:  # (checked rule by rule already)
            rota.update((doctor.id, sid) for sid in fast)
            taken.update(sid for sid in fast if sid not in own_pins)
            continue
        m = RotaModel.build(alone)
        # Their best reply to the doctors before them within their share; failing any rota
        # by then (their own rules alone can take a while: minimum hours against runs and
        # days off), any rota of theirs with all the time left.
        m.model.minimize(objective(m).expr)
        chosen = None
        for goal in ("best", "any"):
            if goal == "any":
                m.model.clear_objective()  # type: ignore[no-untyped-call]
            wall_left = wall_budget - (time.monotonic() - started)
            work_left = budget - work_used
            share = left if goal == "best" else 1
            # Linearisation level 2: a doctor's minimum hours against their days off and run
            # rules is a counting problem CP-SAT's search does not solve without the LP
            # (Curtois Instance 20: no rota for one employee in 10 s at level 1, optimal in
            # 0.2 s at level 2).
            solver = make_solver(options, max(MIN_SHARE, work_left / share),
                                 max(MIN_SHARE, wall_left / share), 2, one_worker=True)
            with stoppable(options, solver):
                status = solver.solve(m.model)
            work_used += solver.deterministic_time if options.deterministic else solver.wall_time
            cut = cut or cut_by_clock(options, solver, status, max(MIN_SHARE, work_left / share))
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                chosen = [sid for (_, sid), var in m.x.items() if solver.value(var)]
                break
            if status == cp_model.INFEASIBLE:
                break
        if chosen is None:
            return Built(None, work_used, time.monotonic() - started, cut_by_clock=cut)
        rota.update((doctor.id, sid) for sid in chosen)
        taken.update(sid for sid in chosen if sid not in own_pins)
    _, replies_cut = improve_by_best_replies(problem, rota, taken,
                                             deadline=started + wall_budget,
                                             cancellation=options.cancellation)
    return Built(rota, work_used, time.monotonic() - started,
                 cut_by_clock=cut or (replies_cut and options.deterministic))


#: At most this many rounds of best replies (each doctor once a round).
REPLY_ROUNDS = 3


def improve_by_best_replies(problem: Problem, rota: set[tuple[str, str]], taken: Counter[str],
                            *, deadline: float, cancellation: Cancellation | None = None
                            ) -> tuple[int, bool]:
    """Rounds of best replies, in place: each doctor in turn takes off their rota and takes the
    day grid's rota (`day_grid.py`) against the others' instead when it gains more (the
    first stage's gain of their slots given the others': seats filled, over-cover, wishes), so
    the rota only improves and keeps every rule (the day grid's rota is checked). Stops after
    `REPLY_ROUNDS` rounds, a round without change, or at `deadline` (`time.monotonic()`; a wall
    clock, so a deterministic solve on a machine too slow for it gives up reproducibility
    rather than its time limit). Returns the number of replies taken (a doctor may count once
    a round) and whether `deadline` ended the rounds. `taken` (slot id -> doctors on it) is
    kept in step. Raises `SolveCancelled` when `cancellation` is cancelled."""
    mine: dict[str, list[str]] = {}
    for d, s in rota:
        mine.setdefault(d, []).append(s)
    pinned = {p.doctor for p in problem.pinned}
    changed = 0
    for _ in range(REPLY_ROUNDS):
        before = changed
        for doctor in problem.doctors:
            if time.monotonic() > deadline:
                return changed, True
            if cancellation is not None:
                cancellation.check()
            if doctor.id in pinned:
                continue
            own = mine.get(doctor.id, [])
            others = taken - Counter(own)
            alone = _doctor_alone(problem, doctor, others)
            gain = gains(alone, doctor)
            reply = day_grid_rota(alone, doctor, gain)
            if reply is None or sum(gain[s] for s in reply) <= sum(gain[s] for s in own):
                continue
            rota.difference_update((doctor.id, s) for s in own)
            rota.update((doctor.id, s) for s in reply)
            mine[doctor.id] = reply
            taken.subtract(own)
            taken.update(reply)
            changed += 1
        if changed == before:
            break
    return changed, False


def has_minimum(problem: Problem, doctor: Doctor) -> bool:
    """Whether the doctor has a minimum rule a rota can break (one day in a row is no rule):
    then the empty rota is not theirs."""
    least = minimums_of(problem, doctor.id)
    return least.min_hours is not None or (least.min_consecutive_days or 0) > 1 \
        or (doctor.min_days_off or 0) > 1


def _doctor_alone(problem: Problem, doctor: Doctor, taken: Counter[str]) -> Problem:
    """The problem of one doctor: their offered slots with the seats others left, their pins
    and removed assignments."""
    return restricted(problem, (doctor,), taken)
