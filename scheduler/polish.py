"""Removing justified complaints left by a time-limited fairness stage.

A justified complaint (DESIGN, "Fairness, precisely") is a shift that a less-loaded doctor could
take from a more-loaded one without breaking a rule. Handing it over keeps coverage and lowers the
sum of squared loads by 2·h·(gap − h) > 0, so it is a lexicographic improvement; repeating until
none is left terminates and certifies the rota. Deterministic: moves are taken in a fixed order.
"""

from __future__ import annotations

from scheduler.checker import RotaChecker
from scheduler.problem import Problem

#: Safety net for huge instances; each move strictly lowers the sum of squares anyway.
MAX_MOVES = 500


def hand_over_complaints(
    problem: Problem, assignments: set[tuple[str, str]], max_moves: int = MAX_MOVES
) -> tuple[set[tuple[str, str]], int]:
    """Apply complaint moves until none is left; return the new assignments and the move count."""
    checker = RotaChecker(problem)
    current = set(assignments)
    # Handing over a published assignment would cost stability, which ranks above fairness.
    published = {(p.doctor, p.slot) for p in problem.published}
    for moves in range(max_moves):
        complaints = checker.justified_complaints(current, keep=published & current)
        if not complaints:
            return current, moves
        best = max(
            complaints,
            key=lambda c: (c.holder_load - c.claimant_load, c.slot, c.holder, c.claimant),
        )
        current.remove((best.holder, best.slot))
        current.add((best.claimant, best.slot))
    return current, max_moves
