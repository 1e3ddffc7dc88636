"""The fairness certificate on the shipped scenarios: zero justified complaints, no violation."""

from __future__ import annotations

import pytest

from scheduler.engine.checker import RotaChecker
from scheduler.scenario.inputs import read_input
from scheduler.solver import SolveOptions, solve
from tests.support import REPO

SCENARIOS = REPO / "scenarios"


@pytest.mark.parametrize("name", ["tiny.yaml", "two-sites.yaml", "october-dst.yaml"])
def test_shipped_scenario_rota_has_no_justified_complaint(name: str) -> None:
    problem = read_input(SCENARIOS / name).problem
    rota = solve(problem, SolveOptions(time_limit_seconds=5))
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    checker = RotaChecker(problem)
    assert checker.violations(pairs) == []
    assert checker.justified_complaints(pairs) == []
    assert rota.assignments, "a rota that assigns nothing is trivially fair"


def test_a_deliberately_unfair_rota_of_a_shipped_scenario_has_complaints() -> None:
    problem = read_input(SCENARIOS / "tiny.yaml").problem
    rota = solve(problem, SolveOptions(time_limit_seconds=5))
    checker = RotaChecker(problem)
    fair = [(a.doctor, a.slot) for a in rota.assignments]
    # Give every shift someone else could do to the most willing doctor, where rules allow.
    greedy = max(problem.doctors, key=lambda d: len(d.availability))
    unfair = list(fair)
    for i, (doctor, slot) in enumerate(unfair):
        candidate = [*unfair[:i], (greedy.id, slot), *unfair[i + 1:]]
        if doctor != greedy.id and not checker.violations(candidate):
            unfair = candidate
    assert unfair != fair
    assert checker.justified_complaints(unfair)
