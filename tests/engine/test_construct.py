"""The first rota built doctor by doctor (`engine.construct`) and the solve falling back on it.

Every rota built here is judged by the independent checker; the seats are counted by hand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

import scheduler.engine.construct as construct_module
import scheduler.engine.stages as stages
from benchmarks.curtois.engine import problem_from_instance, roster_from_pairs
from benchmarks.curtois.evaluate import evaluate
from benchmarks.curtois.instance import Instance
from benchmarks.curtois.parse import parse_instance
from benchmarks.curtois.run import BENCHMARK_DIR
from scheduler.domain.benchmark import Minimums
from scheduler.domain.problem import Problem
from scheduler.domain.rota import SolveStatus
from scheduler.engine.checker import RotaChecker
from scheduler.engine.construct import Built, construct
from scheduler.engine.objectives import coverage, weighted
from scheduler.solver import SolveOptions, solve
from tests.support.factories import doctor, problem, slot

OPTIONS = SolveOptions(time_limit_seconds=5)
# Mon 6 .. Fri 10 July 2026, one 8-hour day slot a day, two seats each.
WEEK = [slot(f"d{6 + i}", f"2026-07-{6 + i:02d} 08:00", hours=8, seats=2) for i in range(5)]
ALL = [s.id for s in WEEK]
#: x must work 24 hours, y 16.
X24_Y16 = {"x": Minimums(min_hours=24), "y": Minimums(min_hours=16)}


def build(p: Problem, **kw: float) -> Built:
    return construct(p, coverage, OPTIONS, budget=kw.get("budget", 2.0),
                     wall_budget=kw.get("wall_budget", 5.0))


def test_each_doctor_keeps_their_minimum_hours_and_every_other_rule() -> None:
    p = problem(WEEK, [doctor("x", ALL, max_consecutive_days=3),
                       doctor("y", ALL, min_days_off=2)],
                minimums={"x": Minimums(min_hours=24), "y": Minimums(min_hours=16)})
    rota = build(p).rota
    assert rota is not None
    assert RotaChecker(p).violations(sorted(rota)) == []
    hours = Counter(d for d, _ in rota)
    assert hours["x"] * 8 >= 24 and hours["y"] * 8 >= 16


def test_a_doctor_only_gets_the_seats_the_doctors_before_them_left() -> None:
    one_seat = [replace(s, seats=1) for s in WEEK[:2]]
    ids = [s.id for s in one_seat]
    p = problem(one_seat, [doctor("x", ids), doctor("y", ids), doctor("z", ids)])
    rota = build(p).rota
    assert rota is not None
    assert Counter(s for _, s in rota) == {"d6": 1, "d7": 1}
    assert RotaChecker(p).violations(sorted(rota)) == []


def test_pins_stay_and_count_against_the_seats() -> None:
    one_seat = [replace(s, seats=1) for s in WEEK[:2]]
    ids = [s.id for s in one_seat]
    p = problem(one_seat, [doctor("x", ids), doctor("y", ids)], pinned=[("y", "d6")])
    rota = build(p).rota
    assert rota is not None and ("y", "d6") in rota and ("x", "d6") not in rota


def test_no_rota_when_a_doctors_own_rules_admit_none() -> None:
    # 40 hours asked of a doctor offering 16.
    p = problem(WEEK, [doctor("x", ALL[:2])], minimums={"x": Minimums(min_hours=40)})
    assert build(p).rota is None


def test_the_solve_falls_back_on_the_built_rota_when_the_whole_model_finds_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # No time at all for the whole model's first try: the rota comes from the construction,
    # then the search improves it; both are judged by the checker.
    calls: list[int] = []

    searches: list[int] = []
    search = stages._StageRun.search

    def counted(*args: object, **kw: float) -> Built:
        calls.append(len(searches))
        return construct(*args, **kw)  # type: ignore[arg-type]

    def counted_search(self: stages._StageRun, *args: object, **kw: object) -> bool:
        searches.append(1)
        return search(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(stages._StageRun, "search", counted_search)

    monkeypatch.setattr(stages, "FIRST_ROTA_SHARE", 0.0)
    monkeypatch.setattr(stages, "construct", counted)
    p = problem(WEEK, [doctor("x", ALL), doctor("y", ALL)], minimums=X24_Y16)
    rota = solve(p, OPTIONS)
    # Built after the whole model's first try, and searched from after.
    assert calls == [1] and len(searches) >= 2
    assert rota.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(p).violations(pairs) == []
    assert sum(1 for d, _ in pairs if d == "x") >= 3


def test_a_curtois_instance_built_doctor_by_doctor_breaks_no_rule_of_the_evaluator() -> None:
    instance = parse_instance(BENCHMARK_DIR / "instances" / "Instance2.txt")
    p = problem_from_instance(instance)
    rota = construct(p, weighted, SolveOptions(time_limit_seconds=20), budget=20,
                     wall_budget=20).rota
    assert rota is not None
    evaluation = evaluate(instance, roster_from_pairs(sorted(rota), p))
    assert evaluation.violations == ()
    assert RotaChecker(p).violations(sorted(rota)) == []


# Five 8-hour day slots, one seat each: `a` has no rule and could take them all; `b` needs 16 h.
GREEDY = [replace(s, seats=1) for s in WEEK]


def test_doctors_with_a_minimum_rule_are_placed_first() -> None:
    p = problem(GREEDY, [doctor("a", ALL), doctor("b", ALL)],
                minimums={"b": Minimums(min_hours=16)})
    built = build(p)
    assert built.rota is not None
    assert sum(1 for d, _ in built.rota if d == "b") >= 2
    assert RotaChecker(p).violations(sorted(built.rota)) == []


def test_the_solve_searches_on_when_no_rota_can_be_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: object, **kw: object) -> Built:
        return Built(None, 0.0, 0.0)

    monkeypatch.setattr(stages, "FIRST_ROTA_SHARE", 0.0)
    monkeypatch.setattr(stages, "construct", fails)
    p = problem(GREEDY, [doctor("a", ALL), doctor("b", ALL)],
                minimums={"b": Minimums(min_hours=16)})
    rota = solve(p, OPTIONS)
    assert rota.status is SolveStatus.OPTIMAL
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(p).violations(pairs) == [] and len(pairs) == 5


def test_building_is_reproducible() -> None:
    p = problem(WEEK, [doctor("x", ALL), doctor("y", ALL), doctor("z", ALL, min_days_off=2)],
                minimums=X24_Y16)
    assert build(p).rota == build(p).rota


def _curtois(number: int) -> tuple[Instance, Problem]:
    instance = parse_instance(BENCHMARK_DIR / "instances" / f"Instance{number}.txt")
    return instance, problem_from_instance(instance)


def test_a_large_problem_too_long_to_model_gets_its_rota_built_without_the_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As Curtois Instance 24 (1.13 M pairs, 9–47 s to build by the machine): the model would
    # not fit.
    def no_model(problem: Problem) -> None:
        raise AssertionError("the whole model was built")

    monkeypatch.setattr(stages, "BUILD_FIRST_FROM_PAIRS", 0)
    monkeypatch.setattr(stages, "BUILD_SECONDS_PER_PAIR", 1.0)
    monkeypatch.setattr(stages.RotaModel, "build", no_model)
    instance, p = _curtois(12)
    rota = solve(p, SolveOptions(time_limit_seconds=5))
    assert rota.status is SolveStatus.FEASIBLE
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(p).violations(pairs) == []
    evaluation = evaluate(instance, roster_from_pairs(sorted(pairs), p))
    assert evaluation.violations == ()
    [stage] = rota.stages
    assert (stage.value, stage.bound, stage.proven) == (evaluation.objective, 0.0, False)


def test_a_large_problem_that_fits_is_built_first_then_searched_from_its_rota(
        monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    build = stages.RotaModel.build

    def built(*args: object, **kw: object) -> Built:
        order.append("construct")
        return construct(*args, **kw)  # type: ignore[arg-type]

    def modelled(problem: Problem) -> stages.RotaModel:
        order.append("model")
        return build(problem)

    monkeypatch.setattr(stages, "BUILD_FIRST_FROM_PAIRS", 0)
    monkeypatch.setattr(stages, "construct", built)
    monkeypatch.setattr(stages.RotaModel, "build", modelled)
    instance, p = _curtois(12)
    # Without best replies: what the built rota in the solve can only improve on.
    with monkeypatch.context() as patch:
        patch.setattr(construct_module, "REPLY_ROUNDS", 0)
        alone = construct(p, weighted, OPTIONS, budget=5, wall_budget=5).rota
    assert alone is not None
    rota = solve(p, SolveOptions(time_limit_seconds=5))
    assert order == ["construct", "model"]
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(p).violations(pairs) == []
    # The search starts from the built rota: never worse (the objective may only go down).
    before = evaluate(instance, roster_from_pairs(sorted(alone), p)).objective
    assert evaluate(instance, roster_from_pairs(sorted(pairs), p)).objective <= before


def test_too_large_to_model_and_no_rota_built_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_model(problem: Problem) -> None:
        raise AssertionError("the whole model was built past its time")

    monkeypatch.setattr(stages, "BUILD_FIRST_FROM_PAIRS", 0)
    monkeypatch.setattr(stages, "BUILD_SECONDS_PER_PAIR", 1.0)
    monkeypatch.setattr(stages.RotaModel, "build", no_model)
    monkeypatch.setattr(stages, "construct", lambda *a, **kw: Built(None, 0.5, 0.5))
    _, p = _curtois(12)
    rota = solve(p, SolveOptions(time_limit_seconds=5))
    assert rota.status is SolveStatus.UNKNOWN and rota.assignments == []
