"""The Curtois benchmark through the rota engine: the importer's mapping, the engine's checker
and weighted objective agreeing with the benchmark's own evaluator, and Instances 1–3 solved."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from benchmarks.curtois.engine import (
    engine_solver,
    problem_from_instance,
    roster_from_pairs,
    slot_id,
)
from benchmarks.curtois.evaluate import HardRule, evaluate
from benchmarks.curtois.instance import Instance
from benchmarks.curtois.parse import parse_instance
from benchmarks.curtois.roster import Assignment
from benchmarks.curtois.run import BENCHMARK_DIR, main
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from scheduler.engine.constraints import RotaModel
from scheduler.engine.objectives import weighted


def instance(n: int) -> Instance:
    return parse_instance(BENCHMARK_DIR / "instances" / f"Instance{n}.txt")


#: The checker's rule for each of the benchmark's hard rules (its total-minutes rule is our
#: hours cap and minimum hours together: compared as one).
TOTAL_MINUTES = "total minutes"
SAME_RULE: dict[HardRule, str] = {
    HardRule.ONE_SHIFT_PER_DAY: Rule.SHIFTS_PER_DAY,
    HardRule.SHIFT_ROTATION: Rule.FORBIDDEN_SUCCESSION,
    HardRule.MAX_SHIFTS_PER_TYPE: Rule.KIND_CAP,
    HardRule.TOTAL_MINUTES: TOTAL_MINUTES,
    HardRule.MAX_CONSECUTIVE_SHIFTS: Rule.CONSECUTIVE_DAYS,
    HardRule.MIN_CONSECUTIVE_SHIFTS: Rule.MINIMUM_CONSECUTIVE_DAYS,
    HardRule.MIN_CONSECUTIVE_DAYS_OFF: Rule.MINIMUM_DAYS_OFF,
    HardRule.MAX_WEEKENDS: Rule.WEEKENDS,
    HardRule.DAYS_OFF: Rule.DATES_AWAY,
}
MINUTES_RULES: dict[str, str] = {Rule.HOURS_CAP: TOTAL_MINUTES, Rule.MINIMUM_HOURS: TOTAL_MINUTES}


def random_roster(inst: Instance, rng: random.Random, p_work: float
                  ) -> tuple[Assignment, ...]:
    """At most one shift a day, of a type the employee may work (else the checker would call
    it availability), with no regard for any other rule."""
    out = []
    for staff in inst.staff:
        kinds = [s.id for s in inst.shifts if staff.max_shifts[s.id] > 0]
        for day in range(inst.horizon):
            if kinds and rng.random() < p_work:
                out.append(Assignment(employee=staff.id, day=day, shift=rng.choice(kinds)))
    return tuple(out)


def test_importer_maps_the_period_slots_and_rules() -> None:
    inst = instance(3)
    p = problem_from_instance(inst)
    assert (p.period.start, p.period.end) == (date(2024, 1, 1), date(2024, 1, 14))
    assert p.period.start.isoweekday() == 1  # day 0 is a Monday
    assert len(p.slots) == len(inst.cover)
    row = inst.cover[0]
    s = p.slot_by_id()[slot_id(row.day, row.shift)]
    assert (s.kind, s.seats, s.priority, s.over_cover_cost, s.minutes) == (
        row.shift, row.requirement, 100, 1, inst.shift_by_id[row.shift].minutes)
    assert p.rules.max_shifts_per_day == 1 and p.rules.min_rest_hours == 0
    assert set(p.rules.forbidden_successions) == {
        (s.id, then) for s in inst.shifts for then in s.forbidden_next}
    assert p.objective_mode == "weighted"


def test_importer_maps_each_employee_onto_a_doctor() -> None:
    inst = instance(3)
    staff = inst.staff[0]
    p = problem_from_instance(inst)
    d = p.doctor_by_id()[staff.id]
    least = p.minimums[staff.id]
    assert (d.max_hours, least.min_hours) == (staff.max_total_minutes / 60,
                                              staff.min_total_minutes / 60)
    assert (d.max_consecutive_days, least.min_consecutive_days, d.min_days_off,
            d.max_weekends) == (staff.max_consecutive_shifts, staff.min_consecutive_shifts,
                                staff.min_consecutive_days_off, staff.max_weekends)
    assert dict(d.max_shifts_by_kind) == dict(staff.max_shifts)
    away = {day for day in range(inst.horizon) if d.is_away_on(date(2024, 1, 1 + day))}
    assert away == set(inst.days_off[staff.id])
    on = {slot_id(r.day, r.shift): r.weight for r in inst.shift_on_requests
          if r.employee == staff.id}
    off = {slot_id(r.day, r.shift): -r.weight for r in inst.shift_off_requests
           if r.employee == staff.id}
    assert dict(d.wishes) == on | off


def test_a_roster_survives_the_round_trip_through_engine_pairs() -> None:
    inst = instance(2)
    p = problem_from_instance(inst)
    roster = random_roster(inst, random.Random(1), 0.5)
    pairs = [(a.employee, slot_id(a.day, a.shift)) for a in roster]
    assert roster_from_pairs(pairs, p) == tuple(sorted(roster))


@pytest.mark.parametrize("number", [1, 3, 8])
def test_engine_checker_finds_the_evaluators_violations_rule_for_rule(number: int) -> None:
    inst = instance(number)
    checker = RotaChecker(problem_from_instance(inst))
    rng = random.Random(number)
    for p_work in (0.2, 0.5, 0.8):
        for _ in range(5):
            roster = random_roster(inst, rng, p_work)
            expected = {(v.employee, SAME_RULE[v.rule]) for v in evaluate(inst, roster).violations}
            pairs = [(a.employee, slot_id(a.day, a.shift)) for a in roster]
            found = {(v.doctor, MINUTES_RULES.get(v.rule, v.rule))
                     for v in checker.violations(pairs)}
            assert found == expected


@pytest.mark.parametrize("number", [2, 5])
def test_weighted_objective_equals_the_evaluators_penalty_on_any_roster(number: int) -> None:
    inst = instance(number)
    objective = weighted(RotaModel.build(problem_from_instance(inst)))
    rng = random.Random(number)
    for p_work in (0.1, 0.4, 0.9):
        roster = random_roster(inst, rng, p_work)
        pairs = frozenset((a.employee, slot_id(a.day, a.shift)) for a in roster)
        assert objective.evaluate(pairs) == evaluate(inst, roster).objective


@pytest.mark.parametrize(("number", "optimum", "seconds"),
                         [(1, 607, 20.0), (2, 828, 10.0), (3, 1001, 10.0)])
def test_engine_solves_instances_1_to_3_as_the_evaluator_scores_them(
        number: int, optimum: int, seconds: float) -> None:
    inst = instance(number)
    out = engine_solver(2, 0)(inst, seconds)
    evaluation = evaluate(inst, out.roster)
    assert evaluation.violations == ()
    assert out.objective == evaluation.objective >= optimum
    assert out.bound is not None and out.bound <= optimum
    if number == 1:
        assert (out.objective, out.status) == (607, "optimal")


def test_main_runs_the_engine_by_name(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--solver", "engine", "--time-limit", "20", "--instances", "1",
                 "--workers", "1", "--out", str(tmp_path)])
    assert code == 0
    assert "Instance1        607    607         607   0.00           0" in capsys.readouterr().out


def test_main_still_runs_the_reference_model(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--solver", "reference", "--time-limit", "20", "--instances", "1",
                 "--workers", "1", "--out", str(tmp_path)])
    assert code == 0
    assert "Instance1        607    607" in capsys.readouterr().out
