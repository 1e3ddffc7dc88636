"""Five working-time rules a manager sets in a scenario (issue 15; until now only the
Curtois benchmark could): no day shift straight after a night (`rules.forbidden_successions`
over the templates' `kind`), at most N weekends worked and at least N days off in a row
(`rules.max_weekends`, `rules.min_days_off`, per doctor in `caps`), at most N shifts a day
(`rules.max_shifts_per_day`) and at most N shifts of a kind (`rules.max_shifts_by_kind`, per
doctor in `caps`, kind by kind). For each: a rota breaking it and one keeping it, judged by
the checker (no model); the solver's rota keeps all five; the period stored in the database
carries them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.collection.invitations import invite
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from scheduler.models import DoctorRow
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import parse_scenario
from scheduler.solver import SolveOptions, solve
from scheduler.storage.loader import load_scenario_into
from scheduler.storage.problems import problem_from_db
from tests.support.collection import NOW

#: Two weeks from Monday 5 July 2027 (no public holiday until the 14th); every day a night
#: (20:00–08:00) and an afternoon; no rest rule, so only the rules under test forbid.
DAYS = [f"2027-07-{d:02d}" for d in range(5, 19)]


def _data(**rules: Any) -> dict[str, Any]:
    everything = [{"answer": "available", "templates": ["nuit", "jour"]}]
    return {
        "period": {"id": "regles", "name": "Règles", "start": DAYS[0], "end": DAYS[-1]},
        "rules": {"min_rest_hours": 0, **rules},
        "sites": [{"id": "chiv", "name": "CHIV"}],
        "slot_templates": [
            {"id": "nuit", "site": "chiv", "days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                    "sun"],
             "start": "20:00", "end": "08:00", "seats": 1, "kind": "night"},
            {"id": "jour", "site": "chiv", "days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                    "sun"],
             "start": "14:00", "end": "20:00", "seats": 1, "kind": "day"},
        ],
        "doctors": [
            {"id": "dr-a", "name": "Dr A", "availability": everything},
            {"id": "dr-b", "name": "Dr B", "availability": everything,
             "caps": {"max_weekends": 2, "min_days_off": 1, "max_shifts_by_kind": {"night": 3}}},
        ],
    }


def _problem(**rules: Any) -> Problem:
    return expand(parse_scenario(_data(**rules), "regles.yaml"), "regles.yaml")


def _slot(day: str, kind: str) -> str:
    return f"chiv-{day.replace('-', '')}-{'2000' if kind == 'night' else '1400'}"


def _broken(problem: Problem, pairs: list[tuple[str, str, str]]) -> set[Rule]:
    checker = RotaChecker(problem)
    return {v.rule for v in checker.violations(
        [(doctor, _slot(day, kind)) for doctor, day, kind in pairs])}


def test_no_day_shift_straight_after_a_night() -> None:
    problem = _problem(forbidden_successions=[["night", "day"]])
    assert problem.rules.forbidden_successions == (("night", "day"),)
    assert {s.kind for s in problem.slots} == {"night", "day"}
    # Monday's night, then Tuesday afternoon: broken; Wednesday afternoon: kept.
    assert Rule.FORBIDDEN_SUCCESSION in _broken(
        problem, [("dr-a", DAYS[0], "night"), ("dr-a", DAYS[1], "day")])
    assert _broken(problem, [("dr-a", DAYS[0], "night"), ("dr-a", DAYS[2], "day")]) == set()
    # A day, then the night after it: allowed (the rule names one order only).
    assert _broken(problem, [("dr-a", DAYS[1], "day"), ("dr-a", DAYS[1], "night")]) == set()


def test_at_most_n_weekends_worked_for_everyone_unless_their_caps_say_otherwise() -> None:
    problem = _problem(max_weekends=1)
    doctors = problem.doctor_by_id()
    assert (doctors["dr-a"].max_weekends, doctors["dr-b"].max_weekends) == (1, 2)
    saturday, sunday, next_sunday = DAYS[5], DAYS[6], DAYS[13]
    assert Rule.WEEKENDS in _broken(
        problem, [("dr-a", saturday, "day"), ("dr-a", next_sunday, "day")])
    assert _broken(problem, [("dr-a", saturday, "day"), ("dr-a", sunday, "day")]) == set()
    assert _broken(problem, [("dr-b", saturday, "day"), ("dr-b", next_sunday, "day")]) == set()


def test_at_least_n_days_off_in_a_row_between_stretches_of_work() -> None:
    problem = _problem(min_days_off=2)
    doctors = problem.doctor_by_id()
    assert (doctors["dr-a"].min_days_off, doctors["dr-b"].min_days_off) == (2, 1)
    # Monday and Wednesday afternoons: one day off between them; Monday and Thursday: two.
    assert Rule.MINIMUM_DAYS_OFF in _broken(
        problem, [("dr-a", DAYS[0], "day"), ("dr-a", DAYS[2], "day")])
    assert _broken(problem, [("dr-a", DAYS[0], "day"), ("dr-a", DAYS[3], "day")]) == set()


def test_at_most_n_shifts_a_day() -> None:
    problem = _problem(max_shifts_per_day=1)
    assert problem.rules.max_shifts_per_day == 1
    # Monday afternoon then Monday night (no rest rule here): two shifts started that day.
    assert Rule.SHIFTS_PER_DAY in _broken(
        problem, [("dr-a", DAYS[0], "day"), ("dr-a", DAYS[0], "night")])
    assert _broken(problem, [("dr-a", DAYS[0], "day"), ("dr-a", DAYS[1], "night")]) == set()
    assert _broken(_problem(max_shifts_per_day=2),
                   [("dr-a", DAYS[0], "day"), ("dr-a", DAYS[0], "night")]) == set()


def test_at_most_n_shifts_of_a_kind_unless_a_doctors_caps_say_otherwise() -> None:
    problem = _problem(max_shifts_by_kind={"night": 2, "day": 5})
    doctors = problem.doctor_by_id()
    assert doctors["dr-a"].max_shifts_by_kind == {"night": 2, "day": 5}
    assert doctors["dr-b"].max_shifts_by_kind == {"night": 3, "day": 5}  # night: their own
    three_nights = [("dr-a", DAYS[i], "night") for i in (0, 3, 6)]
    assert Rule.KIND_CAP in _broken(problem, three_nights)
    assert _broken(problem, [*three_nights[:2], ("dr-a", DAYS[8], "day")]) == set()
    assert _broken(problem, [("dr-b", day, kind) for _, day, kind in three_nights]) == set()


def test_the_solvers_rota_keeps_the_five_rules() -> None:
    problem = _problem(forbidden_successions=[["night", "day"]], max_weekends=1,
                       min_days_off=2, max_shifts_per_day=1, max_shifts_by_kind={"night": 2})
    rota = solve(problem, SolveOptions(time_limit_seconds=10))
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert pairs  # the doctors do work
    assert RotaChecker(problem).violations(pairs) == []


def test_a_succession_naming_a_kind_no_template_has_is_refused() -> None:
    with pytest.raises(InputError) as refused:
        parse_scenario(_data(forbidden_successions=[["night", "evening"]]), "regles.yaml")
    assert str(refused.value) == ("regles.yaml: rules.forbidden_successions[0]: unknown slot "
                                  "kind 'evening' (no template has it)")


def test_a_kind_cap_naming_a_kind_no_template_has_is_refused() -> None:
    data = _data(max_shifts_by_kind={"evening": 2})
    data["doctors"][0]["caps"] = {"max_shifts_by_kind": {"soir": 1}}
    with pytest.raises(InputError) as refused:
        parse_scenario(data, "regles.yaml")
    assert [p.field for p in refused.value.problems] == [
        "rules.max_shifts_by_kind.evening", "doctors[0].caps.max_shifts_by_kind.soir"]


def test_the_stored_period_carries_the_rules_even_for_a_doctor_invited_later(
        engine: Engine) -> None:
    scenario = parse_scenario(_data(forbidden_successions=[["night", "day"]], max_weekends=1,
                                    min_days_off=2, max_shifts_per_day=1,
                                    max_shifts_by_kind={"night": 2}), "regles.yaml")
    problem = expand(scenario, "regles.yaml")
    with Session(engine) as session:
        load_scenario_into(session, scenario, problem, "regles", now=NOW)
        assert problem_from_db(session, "regles") == problem
        session.add(DoctorRow(id="dr-c", name="Dr C", email="c@example.org"))
        session.commit()
        invite(session, "regles", ["dr-c"], now=NOW, base_url="http://127.0.0.1:8000")
        newcomer = problem_from_db(session, "regles").doctor_by_id()["dr-c"]
    assert (newcomer.max_weekends, newcomer.min_days_off) == (1, 2)
    assert newcomer.max_shifts_by_kind == {"night": 2}
