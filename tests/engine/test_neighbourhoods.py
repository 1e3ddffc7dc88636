"""The neighbourhood search of the balance stages: it only ever improves, keeps every rule and
every earlier stage, and is reproducible."""

from __future__ import annotations

from ortools.sat.python import cp_model

from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.problem import Problem
from scheduler.engine.checker import RotaChecker
from scheduler.engine.constraints import RotaModel
from scheduler.engine.neighbourhoods import SearchResult, improve
from scheduler.engine.objectives import Objective, coverage, fairness
from tests.support.factories import doctor, problem, slot

Pairs = frozenset[tuple[str, str]]


def _covered_rota(p: Problem) -> tuple[RotaModel, Objective, list[int], int]:
    """A model minimising fairness with coverage held at its optimum, and a first rota found
    without any regard for fairness (CP-SAT on coverage alone)."""
    m = RotaModel.build(p)
    cover = coverage(m)
    m.model.minimize(cover.expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m.model) == cp_model.OPTIMAL
    values = list(solver.response_proto.solution)
    m.model.add(cover.expr <= round(solver.objective_value))
    balance = fairness(m)
    m.model.minimize(balance.expr)
    return m, balance, values, round(solver.objective_value)


def _pairs(m: RotaModel, values: list[int]) -> Pairs:
    return frozenset(key for key, var in m.x.items() if values[var.index])


def _search(m: RotaModel, objective: Objective, values: list[int], seed: int = 0
            ) -> SearchResult:
    loads = objective.loads
    assert loads is not None

    def configure(solver: cp_model.CpSolver) -> None:
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed

    return improve(m, values, objective.evaluate(_pairs(m, values)),
                   lambda vals: loads(_pairs(m, vals)), budget=1.0, wall_budget=30.0,
                   seed=seed, configure=configure)


PROBLEM = synthetic_problem(StressShape(sites=2, days=14, doctors=40, seed=1))


def test_the_search_improves_an_unbalanced_rota_and_keeps_every_rule_and_coverage() -> None:
    m, balance, values, covered = _covered_rota(PROBLEM)
    start = balance.evaluate(_pairs(m, values))
    seen: list[int] = []
    loads = balance.loads
    assert loads is not None
    found = improve(m, values, start, lambda vals: loads(_pairs(m, vals)), budget=1.0,
                    wall_budget=30.0, seed=0,
                    configure=lambda s: setattr(s.parameters, "num_workers", 1),
                    on_improvement=seen.append)
    after = _pairs(m, found.values)
    assert found.objective == balance.evaluate(after) < start
    assert seen and seen[-1] == found.objective and seen == sorted(seen, reverse=True)
    assert found.improvements == len(seen) <= found.rounds
    checker = RotaChecker(PROBLEM)
    assert checker.violations(after) == []
    assert coverage(m).evaluate(after) == covered


def test_the_search_never_returns_a_worse_rota() -> None:
    m, balance, values, _ = _covered_rota(PROBLEM)
    first = _search(m, balance, values)
    # From an already improved rota, rounds that find nothing better leave it as it is.
    again = _search(m, balance, first.values, seed=1)
    assert again.objective <= first.objective
    assert balance.evaluate(_pairs(m, again.values)) == again.objective


def test_the_search_leaves_the_model_as_it_found_it() -> None:
    m, balance, values, _ = _covered_rota(PROBLEM)
    proto = m.model.proto
    first = next(iter(m.x.values()))
    m.model.add_hint(first, 1)
    before = [list(v.domain) for v in proto.variables]
    constraints = len(proto.constraints)
    _search(m, balance, values)
    assert [list(v.domain) for v in proto.variables] == before
    assert len(proto.constraints) == constraints
    assert list(proto.objective.domain) == []
    assert (list(proto.solution_hint.vars), list(proto.solution_hint.values)) == (
        [first.index], [1])


def test_a_round_freeing_every_doctor_proves_the_optimum() -> None:
    # c can only take s0; a and b share the other five as evenly as possible: loads 4, 8, 12.
    slots = [slot(f"s{i}", f"2026-07-{6 + 2 * i:02d} 20:00") for i in range(6)]
    ids = [s.id for s in slots]
    m, balance, values, _ = _covered_rota(
        problem(slots, [doctor("a", ids), doctor("b", ids), doctor("c", ids[:1])]))
    found = _search(m, balance, values)
    assert found.proven and found.rounds <= 2
    # (Loads in the model's unit: the 4-hour shift length.)
    assert sorted(balance.loads(_pairs(m, found.values)).values()) == [1, 2, 3]


def test_the_search_is_reproducible() -> None:
    m, balance, values, _ = _covered_rota(PROBLEM)
    assert _search(m, balance, values).values == _search(m, balance, values).values


def test_no_budget_no_round() -> None:
    m, balance, values, _ = _covered_rota(PROBLEM)
    loads = balance.loads
    assert loads is not None
    found = improve(m, values, balance.evaluate(_pairs(m, values)),
                    lambda vals: loads(_pairs(m, vals)), budget=0.0, wall_budget=30.0,
                    seed=0, configure=lambda s: None)
    assert found.rounds == 0 and found.values == values
