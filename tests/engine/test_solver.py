"""Solver behaviour beyond single rules: priorities, fairness, preferences, explanations."""

from __future__ import annotations

import pytest

from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.problem import Answer
from scheduler.domain.rota import SolveStatus
from scheduler.engine.checker import RotaChecker
from scheduler.solver import SolveOptions, solve
from tests.support.factories import doctor, problem, slot
from tests.support.stages import budgets_for_any_machine

FAST = SolveOptions(time_limit_seconds=5)


def pairs(rota):  # type: ignore[no-untyped-def]
    return [(a.doctor, a.slot) for a in rota.assignments]


def test_coverage_prefers_the_higher_priority_slot() -> None:
    # One doctor, two overlapping slots: the night (priority 3) wins over the evening.
    slots = [slot("evening", "2026-07-06 20:00", priority=1),
             slot("night", "2026-07-06 22:00", hours=10, priority=3)]
    rota = solve(problem(slots, [doctor("x", ["evening", "night"])]), FAST)
    assert pairs(rota) == [("x", "night")]
    assert [u.slot for u in rota.uncovered] == ["evening"]


def test_fairness_never_costs_coverage() -> None:
    # Balancing would give "a" one of b's two shifts, but only b can take the second slot:
    # coverage comes first, so b keeps both.
    slots = [slot("s1", "2026-07-06 20:00"), slot("s2", "2026-07-08 20:00"),
             slot("s3", "2026-07-10 20:00")]
    p = problem(slots, [doctor("a", ["s1"]), doctor("b", ["s1", "s2", "s3"])])
    rota = solve(p, FAST)
    assert sum(u.seats for u in rota.uncovered) == 0
    assert sorted(pairs(rota)) == [("a", "s1"), ("b", "s2"), ("b", "s3")]


def test_fairness_balances_loads_water_filling() -> None:
    slots = [slot(f"s{i}", f"2026-07-{6 + 2 * i:02d} 20:00") for i in range(6)]
    ids = [s.id for s in slots]
    p = problem(slots, [doctor("a", ids), doctor("b", ids), doctor("c", ids[:1])])
    rota = solve(p, FAST)
    loads = RotaChecker(p).loads(pairs(rota))
    # c can only take s0; a and b share the other five as evenly as possible.
    assert loads["c"] == 4 and sorted([loads["a"], loads["b"]]) == [8, 12]
    assert RotaChecker(p).justified_complaints(pairs(rota)) == []


def test_carry_over_hours_spare_last_periods_heavy_lifters() -> None:
    slots = [slot(f"s{i}", f"2026-07-{6 + 2 * i:02d} 20:00") for i in range(2)]
    ids = [s.id for s in slots]
    p = problem(slots, [doctor("veteran", ids, carry_over_hours=8.0), doctor("new", ids)])
    assert {d for d, _ in pairs(solve(p, FAST))} == {"new"}


def test_preferred_answers_are_used_before_plain_available_ones() -> None:
    s = [slot("s", "2026-07-06 20:00")]
    p = problem(s, [doctor("plain", {"s": Answer.AVAILABLE}),
                    doctor("keen", {"s": Answer.PREFERRED})])
    assert pairs(solve(p, FAST)) == [("keen", "s")]


def test_all_stages_reported_with_proof_on_a_small_problem() -> None:
    p = problem([slot("s", "2026-07-06 20:00")], [doctor("x", ["s"])])
    rota = solve(p, FAST)
    assert rota.status is SolveStatus.OPTIMAL
    assert [s.name for s in rota.stages] == [
        "coverage", "stability", "fairness", "fairness_unpopular", "preferences"]
    assert all(s.proven and s.value == s.bound for s in rota.stages)


def test_same_input_and_seed_give_the_same_rota(monkeypatch: pytest.MonkeyPatch) -> None:
    budgets_for_any_machine(monkeypatch)  # (the work budgets, not the clock, end the solves)
    p = synthetic_problem(StressShape(sites=2, days=10, doctors=30, seed=3))
    first, second = solve(p, SolveOptions(time_limit_seconds=4)), solve(
        p, SolveOptions(time_limit_seconds=4))
    assert first.assignments == second.assignments


def test_synthetic_rota_respects_every_rule_and_has_no_justified_complaint() -> None:
    p = synthetic_problem(StressShape(sites=2, days=14, doctors=40, seed=1))
    rota = solve(p, SolveOptions(time_limit_seconds=6))
    checker = RotaChecker(p)
    assert checker.violations(pairs(rota)) == []
    assert checker.justified_complaints(pairs(rota)) == []
    assert sum(checker.uncovered_seats(pairs(rota)).values()) == sum(
        u.seats for u in rota.uncovered)


def test_uncovered_reason_nobody_available() -> None:
    rota = solve(problem([slot("s", "2026-07-06 20:00")], [doctor("x", [])]), FAST)
    assert rota.uncovered[0].reason == "no doctor available"


def test_uncovered_reason_names_doctors_at_their_cap() -> None:
    slots = [slot("s1", "2026-07-06 20:00"), slot("s2", "2026-07-08 20:00")]
    rota = solve(problem(slots, [doctor("x", ["s1", "s2"], max_shifts=1)]), FAST)
    assert "Dr x: at their period cap" in rota.uncovered[0].reason


def test_uncovered_reason_rest_rule_after_the_previous_shift() -> None:
    slots = [slot("night", "2026-07-05 20:00", hours=12, priority=3),
             slot("day", "2026-07-06 14:00", hours=6)]
    rota = solve(problem(slots, [doctor("x", ["night", "day"])]), FAST)
    assert rota.uncovered[0].slot == "day"
    assert "rest rule after night" in rota.uncovered[0].reason


def test_uncovered_reason_missing_skill_and_away() -> None:
    from datetime import date

    s = [slot("s", "2026-07-05 08:00", hours=6, skills=("paediatrics",))]
    p = problem(s, [doctor("x", ["s"]),
                    doctor("y", ["s"], skills=frozenset({"paediatrics"}),
                           away=((date(2026, 7, 5), date(2026, 7, 5)),))])
    reason = solve(p, FAST).uncovered[0].reason
    assert "Dr x: lacks skill paediatrics" in reason and "Dr y: away" in reason


def test_uncovered_reason_names_the_per_site_cap() -> None:
    slots = [slot("c1", "2026-07-06 20:00", site="chic"), slot("c2", "2026-07-08 20:00",
                                                               site="chic")]
    x = doctor("x", ["c1", "c2"], max_shifts_per_site={"chic": 1})
    assert "Dr x: at their site cap" in solve(problem(slots, [x]), FAST).uncovered[0].reason
