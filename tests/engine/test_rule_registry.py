"""Every rule, by its identity: the CP-SAT model forbids a rota that breaks it and allows one that
keeps it, and the independent checker flags exactly the broken rule.

One case per `Rule`: a tiny problem, a violating rota and a clean one. The model is judged by
fixing every variable to the rota (an assignment with no variable is refused by eligibility),
the checker by its report. Adding a rule without a case here fails `test_every_rule_has_a_case`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest
from ortools.sat.python import cp_model

from scheduler.domain.benchmark import Minimums
from scheduler.domain.problem import DoctorSlot, Problem, Rules
from scheduler.domain.rules import Rule, RuleKind, rules_of
from scheduler.engine.checker import RotaChecker
from scheduler.engine.constraints import RotaModel, enforced_rules
from tests.support.factories import doctor, problem, slot

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Case:
    problem: Problem
    violating: Pairs
    clean: Pairs


EVE = slot("eve", "2026-07-06 20:00")  # Monday evening, 4 h
TUE = slot("tue", "2026-07-07 20:00")  # the next evening
NEXT_WEEK = slot("next", "2026-07-13 20:00")


def _with_rules(p: Problem, **rules: object) -> Problem:
    return replace(p, rules=replace(p.rules, **rules))


def _kinds() -> Problem:
    """Doctor x offers a night ("N", Monday) and a day ("D", Tuesday morning)."""
    n = replace(slot("n", "2026-07-06 20:00"), kind="N")
    d = replace(slot("d", "2026-07-07 14:00"), kind="D")
    return problem([n, d], [doctor("x", ["n", "d"])], min_rest_hours=0)


def cases() -> dict[Rule, Case]:
    monday = date(2026, 7, 6)
    days = [slot(f"d{i}", f"2026-07-{i:02d} 10:00") for i in range(3, 8)]
    weekends = [slot("sat1", "2026-07-11 10:00"), slot("sat2", "2026-07-18 10:00")]
    return {
        Rule.AVAILABILITY: Case(problem([EVE, TUE], [doctor("x", ["tue"])]),
                                [("x", "eve")], [("x", "tue")]),
        Rule.DATES_AWAY: Case(
            problem([EVE, TUE], [doctor("x", ["eve", "tue"], away=((monday, monday),))]),
            [("x", "eve")], [("x", "tue")]),
        Rule.SKILLS: Case(
            problem([replace(EVE, skills=frozenset({"paediatrics"})), TUE],
                    [doctor("x", ["eve", "tue"])]),
            [("x", "eve")], [("x", "tue")]),
        Rule.NO_OVERLAP: Case(
            problem([EVE, slot("late", "2026-07-06 21:00", site="chic")],
                    [doctor("x", ["eve", "late"])], min_rest_hours=0),
            [("x", "eve"), ("x", "late")], [("x", "late")]),
        Rule.MINIMUM_REST: Case(
            problem([EVE, slot("morning", "2026-07-07 08:00")], [doctor("x", ["eve", "morning"])]),
            [("x", "eve"), ("x", "morning")], [("x", "morning")]),
        Rule.TRAVEL_BUFFER: Case(
            problem([slot("a", "2026-07-06 14:00"), slot("b", "2026-07-06 18:15", site="chic")],
                    [doctor("x", ["a", "b"])], min_rest_hours=0, travel_buffer_minutes=30),
            [("x", "a"), ("x", "b")], [("x", "b")]),
        Rule.FORBIDDEN_SUCCESSION: Case(
            _with_rules(_kinds(), forbidden_successions=(("N", "D"),)),
            [("x", "n"), ("x", "d")], [("x", "d")]),
        Rule.PERIOD_CAP: Case(problem([EVE, TUE], [doctor("x", ["eve", "tue"], max_shifts=1)]),
                              [("x", "eve"), ("x", "tue")], [("x", "tue")]),
        Rule.WEEKLY_CAP: Case(
            problem([EVE, TUE, NEXT_WEEK],
                    [doctor("x", ["eve", "tue", "next"], max_shifts_per_week=1)]),
            [("x", "eve"), ("x", "tue")], [("x", "eve"), ("x", "next")]),
        Rule.HOURS_CAP: Case(problem([EVE, TUE], [doctor("x", ["eve", "tue"], max_hours=6)]),
                             [("x", "eve"), ("x", "tue")], [("x", "eve")]),
        Rule.CONSECUTIVE_DAYS: Case(
            problem([EVE, TUE, NEXT_WEEK],
                    [doctor("x", ["eve", "tue", "next"], max_consecutive_days=1)]),
            [("x", "eve"), ("x", "tue")], [("x", "eve"), ("x", "next")]),
        Rule.SITE_CAP: Case(
            problem([EVE, slot("chic-tue", "2026-07-07 20:00", site="chic")],
                    [doctor("x", ["eve", "chic-tue"], max_shifts_per_site={"chic": 0})]),
            [("x", "chic-tue")], [("x", "eve")]),
        Rule.KIND_CAP: Case(
            problem([replace(EVE, kind="N"), replace(TUE, kind="N")],
                    [doctor("x", ["eve", "tue"], max_shifts_by_kind={"N": 1})]),
            [("x", "eve"), ("x", "tue")], [("x", "tue")]),
        Rule.SHIFTS_PER_DAY: Case(
            _with_rules(problem([slot("am", "2026-07-06 08:00"), slot("pm", "2026-07-06 14:00")],
                                [doctor("x", ["am", "pm"])], min_rest_hours=0),
                        max_shifts_per_day=1),
            [("x", "am"), ("x", "pm")], [("x", "pm")]),
        Rule.WEEKENDS: Case(
            problem(weekends, [doctor("x", ["sat1", "sat2"], max_weekends=1)]),
            [("x", "sat1"), ("x", "sat2")], [("x", "sat2")]),
        Rule.MINIMUM_HOURS: Case(problem([EVE, TUE], [doctor("x", ["eve", "tue"])],
                                         minimums={"x": Minimums(min_hours=8)}),
                                 [("x", "eve")], [("x", "eve"), ("x", "tue")]),
        Rule.MINIMUM_CONSECUTIVE_DAYS: Case(
            problem(days, [doctor("x", [s.id for s in days])],
                    minimums={"x": Minimums(min_consecutive_days=2)}),
            [("x", "d5")], [("x", "d5"), ("x", "d6")]),
        Rule.MINIMUM_DAYS_OFF: Case(
            problem(days, [doctor("x", [s.id for s in days], min_days_off=2)]),
            [("x", "d3"), ("x", "d5")], [("x", "d3"), ("x", "d6")]),
        Rule.SEATS: Case(problem([EVE], [doctor("x", ["eve"]), doctor("y", ["eve"])]),
                         [("x", "eve"), ("y", "eve")], [("y", "eve")]),
        Rule.PINNED: Case(problem([EVE, TUE], [doctor("x", ["eve", "tue"])],
                                  pinned=[("x", "eve")]),
                          [("x", "tue")], [("x", "eve")]),
        Rule.REMOVED: Case(
            replace(problem([EVE, TUE], [doctor("x", ["eve", "tue"])]),
                    removed=(DoctorSlot(doctor="x", slot="eve"),)),
            [("x", "eve")], [("x", "tue")]),
        Rule.UNKNOWN_RECORD: Case(problem([EVE], [doctor("x", ["eve"])]),
                                  [("x", "nowhere")], [("x", "eve")]),
        Rule.DUPLICATE: Case(problem([EVE], [doctor("x", ["eve"])]),
                             [("x", "eve"), ("x", "eve")], [("x", "eve")]),
    }


CASES = cases()
MODEL_RULES = sorted(set(Rule) - rules_of(RuleKind.RECORD))


def model_allows(p: Problem, pairs: Pairs) -> bool:
    """Whether the CP-SAT model admits exactly this rota (every variable fixed to it)."""
    m = RotaModel.build(p)
    if any(pair not in m.x for pair in pairs):
        return False  # no variable: eligibility refuses the pair
    for pair, var in m.x.items():
        m.model.add(var == int(pair in pairs))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10
    status = solver.solve(m.model)
    assert status != cp_model.UNKNOWN
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(Rule)


def test_the_model_enforces_every_rule_but_the_record_checks() -> None:
    assert enforced_rules() == set(MODEL_RULES)


@pytest.mark.parametrize("rule", MODEL_RULES, ids=str)
def test_model_refuses_a_rota_breaking_the_rule(rule: Rule) -> None:
    case = CASES[rule]
    assert not model_allows(case.problem, case.violating)


@pytest.mark.parametrize("rule", MODEL_RULES, ids=str)
def test_model_allows_the_clean_rota(rule: Rule) -> None:
    case = CASES[rule]
    assert model_allows(case.problem, case.clean)


@pytest.mark.parametrize("rule", sorted(Rule), ids=str)
def test_checker_names_the_broken_rule(rule: Rule) -> None:
    case = CASES[rule]
    found = {v.rule for v in RotaChecker(case.problem).violations(case.violating)}
    assert rule in found


@pytest.mark.parametrize("rule", sorted(Rule), ids=str)
def test_checker_finds_nothing_in_the_clean_rota(rule: Rule) -> None:
    case = CASES[rule]
    assert RotaChecker(case.problem).violations(case.clean) == []


def test_rule_names_are_what_reports_show() -> None:
    assert Rule.PERIOD_CAP == "period cap"
    assert str(Rule.WEEKLY_CAP) == "weekly cap"
    assert {rule.kind for rule in Rule} == set(RuleKind)


def test_problem_rules_default_to_design_values() -> None:
    assert Rules().min_rest_hours == 11.0
