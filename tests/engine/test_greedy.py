"""The greedy first rota of large problems (`engine/greedy.py`), and what keeps a large solve
within its time limit: stages skipped once the search time is spent, hand-overs stopped at
their deadline. Every rota is judged by the independent checker."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

import scheduler.engine.objectives as objectives
import scheduler.engine.stages as stages
from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.benchmark import Minimums
from scheduler.domain.problem import DoctorSlot, Problem
from scheduler.domain.rota import SolveStatus
from scheduler.engine.checker import RotaChecker
from scheduler.engine.constraints import RotaModel
from scheduler.engine.greedy import greedy_rota
from scheduler.engine.objectives import coverage
from scheduler.engine.polish import hand_over_complaints
from scheduler.solver import SolveOptions, solve
from tests.support.factories import doctor, problem, slot
from tests.support.stages import budgets_for_any_machine, count_searches

REGION = synthetic_problem(StressShape(sites=3, days=21, doctors=120, seed=2))
OPTIONS = SolveOptions(time_limit_seconds=5)


def test_the_greedy_rota_keeps_every_rule_and_covers_most_seats() -> None:
    rota = greedy_rota(REGION)
    assert RotaChecker(REGION).violations(sorted(rota)) == []
    assert len(rota) >= 0.9 * REGION.total_seats
    # Judged by the model as well as by the checker the greedy consulted: fixed to the rota,
    # every constraint of the CP-SAT model holds.
    m = RotaModel.build(REGION)
    for key, var in m.x.items():
        m.model.add(var == int(key in rota))
    assert cp_model.CpSolver().solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_the_greedy_rota_keeps_pins_and_never_makes_a_removed_assignment() -> None:
    first = greedy_rota(REGION)
    checker = RotaChecker(REGION)
    slots = REGION.slot_by_id()
    # A pair the greedy did not choose, valid on its own: pinned, it must be there.
    pinned = next((d.id, s) for d in REGION.doctors for s in sorted(d.availability)
                  if (d.id, s) not in first and not checker.doctor_violations(d, [slots[s]]))
    removed = sorted(first)[0]
    p = replace(REGION, pinned=(DoctorSlot(doctor=pinned[0], slot=pinned[1]),),
                removed=(DoctorSlot(doctor=removed[0], slot=removed[1]),))
    rota = greedy_rota(p)
    assert pinned in rota and removed not in rota
    assert RotaChecker(p).violations(sorted(rota)) == []


def test_the_published_holder_keeps_a_seat_among_equals() -> None:
    evening = [slot("a", "2026-07-06 20:00", hours=4)]
    p = problem(evening, [doctor("x", ["a"]), doctor("y", ["a"])])
    assert greedy_rota(p) == {("x", "a")}
    assert greedy_rota(replace(p, published=(DoctorSlot(doctor="y", slot="a"),))) == {("y", "a")}


def test_each_seat_goes_to_the_least_loaded_doctor_who_may_take_it() -> None:
    days = [slot(f"d{i}", f"2026-07-{6 + i:02d} 20:00", hours=4) for i in range(4)]
    ids = [s.id for s in days]
    p = problem(days, [doctor("x", ids), doctor("y", ids), doctor("z", ids[3:])])
    rota = greedy_rota(p)
    assert Counter(d for d, _ in rota) == {"x": 2, "y": 1, "z": 1}
    assert RotaChecker(p).violations(sorted(rota)) == []


def test_a_solve_starts_from_the_greedy_rota_only_from_the_size_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counted(problem: Problem) -> set[tuple[str, str]]:
        calls.append(1)
        return greedy_rota(problem)

    monkeypatch.setattr(stages, "greedy_rota", counted)
    solve(REGION, OPTIONS)
    assert calls == []  # below GREEDY_FROM_VARIABLES: CP-SAT alone, as before
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    rota = solve(REGION, OPTIONS)
    assert calls == [1]
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(REGION).violations(pairs) == []
    m = RotaModel.build(REGION)
    assert coverage(m).evaluate(frozenset(pairs)) <= coverage(m).evaluate(
        frozenset(greedy_rota(REGION)))


def test_the_greedy_rota_stays_when_the_search_finds_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    search = stages._StageRun.search

    def nothing_on_coverage(self: stages._StageRun, *args: object, **kw: object) -> bool:
        if self.objective.name == "coverage":
            return False  # as on a 5,000-doctor region: no rota from CP-SAT in time
        return search(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(stages._StageRun, "search", nothing_on_coverage)
    monkeypatch.setattr(stages._StageRun, "repair", lambda self, budget: None)
    monkeypatch.setattr(stages, "GREEDY_FROM_VARIABLES", 0)
    budgets_for_any_machine(monkeypatch)  # reproducible: the work budgets end the phases
    rota = solve(REGION, OPTIONS)
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(REGION).violations(pairs) == []
    m = RotaModel.build(REGION)
    assert rota.stages[0].value == coverage(m).evaluate(frozenset(greedy_rota(REGION)))
    assert len(pairs) >= 0.9 * REGION.total_seats
    assert solve(REGION, OPTIONS).assignments == rota.assignments  # reproducible


def test_a_stage_with_nothing_to_decide_is_not_searched(
        monkeypatch: pytest.MonkeyPatch) -> None:
    searched = count_searches(monkeypatch)
    days = [slot(f"d{i}", f"2026-07-{6 + i:02d} 20:00", hours=4) for i in range(3)]
    p = problem(days, [doctor("x", [s.id for s in days]), doctor("y", [s.id for s in days])])
    rota = solve(p, OPTIONS)
    # Nothing published, no unpopular slot: both objectives are the number 0.
    assert "stability" not in searched and "fairness_unpopular" not in searched
    reports = {s.name: s for s in rota.stages}
    for name in ("stability", "fairness_unpopular"):
        assert (reports[name].value, reports[name].bound, reports[name].proven) == (0, 0, True)


def test_stages_are_skipped_once_the_search_time_is_spent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages, "SEARCH_END", 0.0)  # the search must end at once
    searched = count_searches(monkeypatch)
    chords: list[str] = []
    square = objectives._square

    def counted(model: cp_model.CpModel, load: cp_model.LinearExprT, reachable: list[int],
                name: str) -> cp_model.IntVar:
        chords.append(name)
        return square(model, load, reachable, name)

    monkeypatch.setattr(objectives, "_square", counted)
    started = time.monotonic()
    rota = solve(REGION, SolveOptions(time_limit_seconds=20))
    assert time.monotonic() - started < 20  # the first stage alone ran, not the others
    assert rota.stages[0].name == "coverage"
    assert set(searched) == {"coverage"}  # the first stage always runs; no other searched
    assert chords == []  # the skipped fairness stages built no chords: only evaluated
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    m = RotaModel.build(REGION)
    for stage in rota.stages[1:]:
        assert stage.bound == 0.0  # no search: the bound every objective has, not -inf
        assert stage.proven is (stage.value == 0)
    reports = {s.name: s.value for s in rota.stages}
    fair = objectives.fairness(m)
    assert reports["fairness"] == fair.evaluate(frozenset(pairs)) / fair.scale > 0
    assert RotaChecker(REGION).violations(pairs) == []


@pytest.mark.parametrize("make", [objectives.coverage, objectives.stability,
                                  objectives.fairness, objectives.fairness_unpopular,
                                  objectives.preferences, objectives.weighted])
def test_an_objective_for_a_skipped_stage_evaluates_alike_and_leaves_the_model_alone(
        make: objectives.ObjectiveFn) -> None:
    m = RotaModel.build(REGION)
    before = len(m.model.proto.constraints), len(m.model.proto.variables)
    only = make(m, search=False)
    assert (len(m.model.proto.constraints), len(m.model.proto.variables)) == before
    assert only.expr == 0
    full = make(m)
    rota = frozenset(greedy_rota(REGION))
    assert (only.name, only.scale, only.evaluate(rota)) == \
        (full.name, full.scale, full.evaluate(rota))


def test_hand_overs_stop_at_their_deadline() -> None:
    # x holds both evenings, y none: one hand-over is due, but the deadline has passed.
    days = [slot("a", "2026-07-06 20:00", hours=4), slot("b", "2026-07-07 20:00", hours=4)]
    p = problem(days, [doctor("x", ["a", "b"]), doctor("y", ["a", "b"])])
    given = {("x", "a"), ("x", "b")}
    assert hand_over_complaints(p, given)[1] == 1
    assert hand_over_complaints(p, given, deadline=time.monotonic()) == (given, 0, True)


def test_minimum_rules_are_still_judged_when_the_first_objective_is_constant() -> None:
    # No slot at all, so coverage is the number 0, but 8 hours are owed: no rota keeps the
    # minimum, which the solve must say rather than report the empty rota as optimal.
    p = problem([], [doctor("x", [])], minimums={"x": Minimums(min_hours=8)})
    rota = solve(p, OPTIONS)
    assert rota.status is SolveStatus.INFEASIBLE and rota.assignments == []
