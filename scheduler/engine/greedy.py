"""A first rota in plain Python, seat by seat, for problems too large for CP-SAT to find one
quickly.

On a 5,000-doctor region (50 sites, 92 days, 214,000 doctor × slot variables) CP-SAT's single
deterministic worker spends ~20 s presolving the coverage stage and finds its first rota after
~50 s: a 60 s solve ended with the empty rota. This builds one in a few seconds: the slots in
priority order (then by start), each seat to the doctor who offered it with the least load so
far (hours worked plus carried-over hours; the published holder first when re-planning, a
"preferred" answer first among equals), when the independent checker
(`checker.RotaChecker.doctor_violations`) says one more shift breaks none of their rules. Pins
are placed first and removed assignments never made. It is a start for the whole model's
search, which improves it; the stages keep it only if CP-SAT finds nothing as good.

Only for problems without minimum rules: with them a partial rota may break a doctor's minimum
(`construct.py` builds those).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from scheduler.domain.problem import Answer, Doctor, Problem, Slot
from scheduler.engine.checker import RotaChecker

Pairs = set[tuple[str, str]]


def greedy_rota(problem: Problem) -> Pairs:
    """A rota keeping every hard rule of `problem` (which has no minimum rule), as (doctor id,
    slot id) pairs: pins, then each slot's seats filled greedily (see the module)."""
    checker = RotaChecker(problem)
    slots = problem.slot_by_id()
    doctors = problem.doctor_by_id()
    removed = {(p.doctor, p.slot) for p in problem.removed}
    published = {(p.doctor, p.slot) for p in problem.published}
    rank = {d.id: i for i, d in enumerate(problem.doctors)}
    worked: dict[str, list[Slot]] = defaultdict(list)
    minutes = Counter({d.id: round(d.carry_over_hours * 60) for d in problem.doctors})
    taken: Counter[str] = Counter()
    rota: Pairs = set()

    def place(doctor: Doctor, slot: Slot) -> None:
        rota.add((doctor.id, slot.id))
        worked[doctor.id].append(slot)
        minutes[doctor.id] += slot.minutes
        taken[slot.id] += 1

    for pin in problem.pinned:
        if pin.doctor in doctors and pin.slot in slots and (pin.doctor, pin.slot) not in rota:
            place(doctors[pin.doctor], slots[pin.slot])
    offered = checker.offers
    for slot in sorted(problem.slots, key=lambda s: (-s.priority, s.start_utc, s.id)):
        if taken[slot.id] >= slot.seats:
            continue
        candidates = sorted(
            (d for d in offered[slot.id]
             if (d.id, slot.id) not in removed and (d.id, slot.id) not in rota),
            key=lambda d: ((d.id, slot.id) not in published, minutes[d.id],
                           d.availability[slot.id] is not Answer.PREFERRED, rank[d.id]))
        for doctor in candidates:
            if not checker.doctor_violations(doctor, [*worked[doctor.id], slot]):
                place(doctor, slot)
                if taken[slot.id] >= slot.seats:
                    break
    return rota
