"""One doctor's rota by dynamic programming on a grid of days (`engine.day_grid`), the fast path
of the rota built doctor by doctor. Rotas are judged by the independent checker and, on the
Curtois instances, by the benchmark's own evaluator."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

import scheduler.engine.construct as construct_module
from benchmarks.curtois.engine import problem_from_instance, roster_from_pairs
from benchmarks.curtois.evaluate import evaluate
from benchmarks.curtois.parse import parse_instance
from benchmarks.curtois.run import BENCHMARK_DIR
from scheduler.domain.benchmark import Minimums
from scheduler.domain.problem import Problem, Slot
from scheduler.engine.checker import RotaChecker
from scheduler.engine.constraints import RotaModel
from scheduler.engine.construct import _doctor_alone, construct
from scheduler.engine.day_grid import day_grid_rota, gains
from scheduler.engine.objectives import weighted
from scheduler.solver import SolveOptions
from tests.support.factories import doctor, problem, slot

# Mon 6 .. Sun 19 July 2026: two weeks, a day slot (8 h) and a night slot (8 h) each day.
DAYS = [date(2026, 7, 6 + i) for i in range(14)]
DAY = {d: slot(f"day{d.day}", f"{d.isoformat()} 08:00", hours=8) for d in DAYS}
NIGHT = {d: replace(slot(f"night{d.day}", f"{d.isoformat()} 20:00", hours=8), kind="night")
         for d in DAYS}
SLOTS = [*DAY.values(), *NIGHT.values()]


def on_a_grid(slots: list[Slot], least: Minimums, **caps: object) -> Problem:
    """One doctor offering every slot of a two-week period, one shift a day, no day shift the
    day after a night."""
    p = problem(slots, [doctor("x", [s.id for s in slots], **caps)], min_rest_hours=0,
                minimums={"x": least})
    return replace(p, period=replace(p.period, start=DAYS[0], end=DAYS[-1]),
                   rules=replace(p.rules, max_shifts_per_day=1,
                                 forbidden_successions=(("night", "day"),)))


def worked(p: Problem, ids: list[str]) -> list[Slot]:
    slots = p.slot_by_id()
    return sorted((slots[i] for i in ids), key=lambda s: s.start)


def test_the_rota_keeps_every_rule_with_the_kind_cap_binding() -> None:
    # Nights are worth more: without the cap every shift would be a night.
    p = on_a_grid(SLOTS, Minimums(min_hours=48, min_consecutive_days=2), max_hours=56,
                  max_consecutive_days=3, min_days_off=2, max_weekends=1,
                  max_shifts_by_kind={"night": 2})
    gain = {s.id: (5 if s.kind == "night" else 1) for s in SLOTS}
    ids = day_grid_rota(p, p.doctors[0], gain)
    assert ids is not None
    rota = worked(p, ids)
    assert RotaChecker(p).doctor_violations(p.doctors[0], rota) == []
    assert 6 <= len(rota) <= 7  # 48 to 56 hours of 8-hour shifts
    assert Counter(s.kind for s in rota)["night"] == 2  # the cap, not fewer


def test_weekends_are_counted_in_the_pass_when_the_ones_chosen_before_fail() -> None:
    # Away Mon 6–Fri 10 and Mon 13: the first weekend (worth most) would be a run of two days
    # between days off, under the minimum of three; six days must be worked, one weekend at
    # most: only Tue 14 .. Sun 19 does it, with the second weekend.
    away = ((date(2026, 7, 6), date(2026, 7, 10)), (date(2026, 7, 13), date(2026, 7, 13)))
    days = list(DAY.values())
    p = on_a_grid(days, Minimums(min_hours=48, min_consecutive_days=3), max_weekends=1,
                  away=away)
    gain = {s.id: (9 if s.start.date() in (date(2026, 7, 11), date(2026, 7, 12)) else 1)
            for s in days}
    ids = day_grid_rota(p, p.doctors[0], gain)
    assert ids == [f"day{d}" for d in range(14, 20)]


@pytest.mark.parametrize(("days", "found"), [(9, True), (10, False)])
def test_a_rota_exactly_when_the_rules_admit_one(days: int, found: bool) -> None:
    # At most 3 days in a row with 2 days off between runs: 9 of 14 days at most
    # (off, 3 on, 2 off, 3 on, 2 off, 3 on: the runs at the edges are exempt).
    p = on_a_grid(list(DAY.values()), Minimums(min_hours=days * 8), max_consecutive_days=3,
                  min_days_off=2)
    ids = day_grid_rota(p, p.doctors[0])
    assert (ids is not None) is found
    if ids is not None:
        assert len(ids) == days
        assert RotaChecker(p).doctor_violations(p.doctors[0], worked(p, ids)) == []


def test_coverage_outweighs_every_wish_and_over_cover_unless_weighted() -> None:
    # One seat left on Monday, which x asked to be spared; Tuesday full (over-cover), asked for.
    monday = replace(DAY[DAYS[0]], seats=1)
    tuesday = replace(DAY[DAYS[1]], seats=0, max_seats=1, over_cover_cost=5)
    p = on_a_grid([monday, tuesday], Minimums(min_hours=8), max_hours=8,
                  wishes={monday.id: -1000, tuesday.id: 1000})
    x = p.doctors[0]
    assert p.objective_mode != "weighted"
    assert day_grid_rota(p, x) == [monday.id]  # coverage first
    weighted_p = replace(p, objective_mode="weighted")
    assert gains(weighted_p, x) == {monday.id: 1 - 1000, tuesday.id: -5 + 1000}
    assert day_grid_rota(weighted_p, x) == [tuesday.id]


def test_it_does_not_apply_without_one_shift_a_day() -> None:
    p = on_a_grid(SLOTS, Minimums(min_hours=8))
    assert day_grid_rota(replace(p, rules=replace(p.rules, max_shifts_per_day=None)),
                         p.doctors[0]) is None


@pytest.mark.parametrize("number", [5, 12, 21])
def test_curtois_employees_each_get_a_rota_that_the_evaluator_accepts(number: int) -> None:
    instance = parse_instance(BENCHMARK_DIR / "instances" / f"Instance{number}.txt")
    p = problem_from_instance(instance)
    taken: Counter[str] = Counter()
    pairs = []
    for d in p.doctors:
        ids = day_grid_rota(_doctor_alone(p, d, taken), d)
        assert ids is not None, d.id  # every employee, without CP-SAT
        taken.update(ids)
        pairs += [(d.id, i) for i in ids]
    assert RotaChecker(p).violations(pairs) == []
    assert evaluate(instance, roster_from_pairs(sorted(pairs), p)).violations == ()


def test_building_doctor_by_doctor_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cp_sat(*args: object, **kw: object) -> None:
        raise AssertionError("CP-SAT was not needed")

    monkeypatch.setattr(construct_module, "make_solver", no_cp_sat)
    p = problem_from_instance(parse_instance(BENCHMARK_DIR / "instances" / "Instance12.txt"))
    built = construct(p, weighted, SolveOptions(time_limit_seconds=10), budget=10,
                      wall_budget=10)
    assert built.rota is not None and built.work == 0.0
    assert RotaChecker(p).violations(sorted(built.rota)) == []


def test_best_replies_only_improve_the_rota_and_keep_every_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # x goes first and takes the first two day slots (as good as the nights for x alone); y
    # can only work those and doubles them (over-cover). x's best reply to y: the nights.
    two = DAYS[:2]
    slots = [replace(s, max_seats=2, over_cover_cost=1)
             for s in [*(DAY[d] for d in two), *(NIGHT[d] for d in two)]]
    p = problem(slots, [doctor("x", [s.id for s in slots], max_hours=16),
                        doctor("y", [DAY[d].id for d in two], max_hours=16)],
                min_rest_hours=0, minimums={"x": Minimums(min_hours=16),
                                            "y": Minimums(min_hours=16)})
    p = replace(p, period=replace(p.period, start=DAYS[0], end=DAYS[-1]),
                rules=replace(p.rules, max_shifts_per_day=1))
    monkeypatch.setattr(construct_module, "REPLY_ROUNDS", 0)
    first = construct(p, weighted, SolveOptions(time_limit_seconds=10), budget=10,
                      wall_budget=10).rota
    assert first == {("x", "day6"), ("x", "day7"), ("y", "day6"), ("y", "day7")}
    monkeypatch.undo()
    rota, taken = set(first), Counter(s for _, s in first)
    changed = construct_module.improve_by_best_replies(p, rota, taken,
                                                       deadline=time.monotonic() + 30)
    assert changed == (1, False)  # (one reply, the rounds not ended by the deadline)
    assert rota == {("x", "night6"), ("x", "night7"), ("y", "day6"), ("y", "day7")}
    assert taken == Counter(s for _, s in rota)  # kept in step
    m = RotaModel.build(p)
    assert weighted(m).evaluate(frozenset(rota)) < weighted(m).evaluate(frozenset(first))
    assert RotaChecker(p).violations(sorted(rota)) == []
