"""Removing justified complaints left by a time-limited fairness stage.

A justified complaint (DESIGN, "Fairness, precisely") is a shift that a less-loaded doctor could
take from a more-loaded one without breaking a rule. Handing it over keeps coverage and lowers the
sum of squared loads by 2·h·(gap − h) > 0, so it is a lexicographic improvement; repeating until
none is left terminates and certifies the rota. Deterministic: the most loaded doctors' shifts are
offered first, to the least loaded doctors first.
"""

from __future__ import annotations

import time
from collections import defaultdict

from scheduler.domain.problem import Problem, Slot
from scheduler.engine.checker import RotaChecker, hours

#: Safety net for huge instances; each move strictly lowers the sum of squares anyway.
MAX_MOVES = 2000


class _Rota:
    """Assignments with loads and per-doctor shifts kept up to date move after move."""

    def __init__(self, problem: Problem, assignments: set[tuple[str, str]]) -> None:
        self.checker = RotaChecker(problem)
        self.pairs = set(assignments)
        self.slots = problem.slot_by_id()
        self.load = self.checker.loads(self.pairs)
        self.shifts: dict[str, list[Slot]] = defaultdict(list)
        for doctor_id, slot_id in sorted(self.pairs):
            self.shifts[doctor_id].append(self.slots[slot_id])
        self.offers = self.checker.offers

    def hand_over(self, slot: Slot, holder: str, claimant: str) -> None:
        self.pairs.remove((holder, slot.id))
        self.pairs.add((claimant, slot.id))
        self.shifts[holder].remove(slot)
        self.shifts[claimant].append(slot)
        self.load[holder] -= hours(slot)
        self.load[claimant] += hours(slot)


def hand_over_complaints(
    problem: Problem, assignments: set[tuple[str, str]], max_moves: int = MAX_MOVES,
    deadline: float | None = None,
) -> tuple[set[tuple[str, str]], int, bool]:
    """Apply complaint moves until none is left, or until `deadline` (a `time.monotonic()`
    instant: on a 5,000-doctor region a few hundred moves took 12 s past the time limit);
    return the new assignments, the move count and whether `deadline` stopped them. Each move
    is an improvement, so stopping early keeps a better rota than the one given, only not
    certified free of complaints."""
    rota = _Rota(problem, assignments)
    # Pinned shifts never move; published ones neither (stability ranks above fairness).
    frozen = {(p.doctor, p.slot) for p in (*problem.pinned, *problem.published)}
    removed = {(p.doctor, p.slot) for p in problem.removed}
    for moves in range(max_moves):
        if deadline is not None and time.monotonic() >= deadline:
            return rota.pairs, moves, True
        move = _first_complaint(rota, frozen, removed)
        if move is None:
            return rota.pairs, moves, False
        rota.hand_over(*move)
    return rota.pairs, max_moves, False


def _first_complaint(
    rota: _Rota, frozen: set[tuple[str, str]], removed: set[tuple[str, str]]
) -> tuple[Slot, str, str] | None:
    for holder in sorted(rota.shifts, key=lambda d: (-rota.load[d], d)):
        for slot in sorted(rota.shifts[holder], key=lambda s: s.id):
            if (holder, slot.id) in frozen:
                continue
            length = hours(slot)
            claimants = sorted(rota.offers[slot.id], key=lambda d: (rota.load[d.id], d.id))
            for claimant in claimants:
                if rota.load[holder] - rota.load[claimant.id] <= length + 1e-9:
                    break  # sorted by load: nobody further is light enough
                pair = (claimant.id, slot.id)
                if pair in rota.pairs or pair in removed:
                    continue
                mine = rota.shifts[claimant.id]
                if not rota.checker.doctor_violations(claimant, [*mine, slot]):
                    return slot, holder, claimant.id
    return None
