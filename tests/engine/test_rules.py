"""One test per hard rule: the solver respects it where it binds (and does not when it does not).

Each rule gets a binding case (the rule forbids a rota that would cover more seats) and a clean
case (same data with the rule relaxed: full coverage). The result is always re-checked by the
independent checker.
"""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.domain.rota import SolveStatus
from scheduler.domain.rules import Rule
from scheduler.solver import solve
from tests.support.factories import FAST, doctor, problem, slot, solved, uncovered

TWO_EVENINGS = [slot("mon", "2026-07-06 20:00"), slot("tue", "2026-07-07 20:00")]


def test_availability_only_offered_slots_are_worked() -> None:
    rota = solved(problem(TWO_EVENINGS, [doctor("a", ["mon"])]))
    assert [(a.doctor, a.slot) for a in rota.assignments] == [("a", "mon")]
    assert uncovered(rota) == 1


def test_availability_clean_every_offered_slot_can_be_worked() -> None:
    assert uncovered(solved(problem(TWO_EVENINGS, [doctor("a", ["mon", "tue"])]))) == 0


def test_dates_away_block_a_slot_that_touches_them() -> None:
    night = slot("night", "2026-07-06 20:00", hours=12)  # touches 6 and 7 July
    away = doctor("a", ["night"], away=((date(2026, 7, 7), date(2026, 7, 7)),))
    assert uncovered(solved(problem([night], [away]))) == 1


def test_dates_away_clean_other_dates_are_fine() -> None:
    night = slot("night", "2026-07-06 20:00", hours=12)
    away = doctor("a", ["night"], away=((date(2026, 7, 8), date(2026, 7, 9)),))
    assert uncovered(solved(problem([night], [away]))) == 0


def test_no_overlap_across_sites() -> None:
    slots = [slot("a", "2026-07-06 20:00", site="chiv"), slot("b", "2026-07-06 21:00", site="chic")]
    assert uncovered(solved(problem(slots, [doctor("x", ["a", "b"])], min_rest_hours=0))) == 1


def test_minimum_rest_between_two_shifts() -> None:
    slots = [slot("eve", "2026-07-05 20:00"), slot("morning", "2026-07-06 08:00", hours=6)]
    # 8 h between them < 11 h of rest.
    assert uncovered(solved(problem(slots, [doctor("x", ["eve", "morning"])]))) == 1


def test_minimum_rest_clean_when_rest_is_shorter() -> None:
    slots = [slot("eve", "2026-07-05 20:00"), slot("morning", "2026-07-06 08:00", hours=6)]
    p = problem(slots, [doctor("x", ["eve", "morning"])], min_rest_hours=8)
    assert uncovered(solved(p)) == 0


def test_travel_buffer_between_different_sites() -> None:
    slots = [slot("a", "2026-07-06 14:00", site="chiv"), slot("b", "2026-07-06 18:15", site="chic")]
    x = doctor("x", ["a", "b"])
    assert uncovered(solved(problem(slots, [x], min_rest_hours=0, travel_buffer_minutes=30))) == 1
    assert uncovered(solved(problem(slots, [x], min_rest_hours=0, travel_buffer_minutes=10))) == 0


def test_travel_buffer_does_not_apply_on_the_same_site() -> None:
    slots = [slot("a", "2026-07-06 14:00"), slot("b", "2026-07-06 18:15")]
    p = problem(slots, [doctor("x", ["a", "b"])], min_rest_hours=0, travel_buffer_minutes=30)
    assert uncovered(solved(p)) == 0


WEEK = [slot(f"d{i}", f"2026-07-{6 + i:02d} 20:00") for i in range(5)]  # Mon..Fri evenings
ALL = [s.id for s in WEEK]


@pytest.mark.parametrize(
    ("caps", "expected_uncovered"),
    [
        ({"max_shifts": 2}, 3),
        ({"max_shifts_per_week": 3}, 2),
        ({"max_consecutive_days": 2}, 1),  # d0 d1 . d3 d4
        ({"max_hours": 12}, 2),
        ({"max_shifts": 5, "max_shifts_per_week": 5, "max_consecutive_days": 5, "max_hours": 20},
         0),
    ],
    ids=["period cap", "weekly cap", "consecutive days", "hours cap", "clean"],
)
def test_caps(caps: dict[str, int], expected_uncovered: int) -> None:
    p = problem(WEEK, [doctor("x", ALL, **caps)], min_rest_hours=11)
    assert uncovered(solved(p)) == expected_uncovered


def test_weekly_cap_counts_iso_weeks_of_the_start_date() -> None:
    # Sunday 12 July (week 28) and Monday 13 July (week 29): a cap of 1 per week allows both.
    slots = [slot("sun", "2026-07-12 08:00", hours=6), slot("mon", "2026-07-13 20:00")]
    assert uncovered(solved(problem(slots, [doctor("x", ["sun", "mon"],
                                                     max_shifts_per_week=1)]))) == 0


def test_hours_cap_counts_real_elapsed_time_across_the_clock_change() -> None:
    # 20:00–08:00 across the last Sunday of October lasts 13 h, over a 12.5 h cap.
    night = slot("night", "2026-10-24 20:00", hours=13)
    assert night.minutes == 13 * 60
    assert uncovered(solved(problem([night], [doctor("x", ["night"], max_hours=12.5)]))) == 1


def test_skills_required_by_the_slot() -> None:
    paeds = [slot("sun", "2026-07-12 08:00", hours=6, skills=("paediatrics",))]
    assert uncovered(solved(problem(paeds, [doctor("x", ["sun"])]))) == 1
    skilled = doctor("y", ["sun"], skills=frozenset({"paediatrics"}))
    assert uncovered(solved(problem(paeds, [skilled]))) == 0


def test_pinned_assignment_stays_even_against_fairness() -> None:
    slots = [slot("a", "2026-07-06 20:00"), slot("b", "2026-07-08 20:00")]
    p = problem(slots, [doctor("x", ["a", "b"]), doctor("y", ["a", "b"])],
                pinned=[("x", "a"), ("x", "b")])
    rota = solved(p)
    assert {(a.doctor, a.slot) for a in rota.assignments} == {("x", "a"), ("x", "b")}
    assert all(a.pinned for a in rota.assignments)


def test_seats_never_exceeded() -> None:
    two = [slot("s", "2026-07-06 20:00", seats=2)]
    rota = solved(problem(two, [doctor(c, ["s"]) for c in "abc"]))
    assert len(rota.assignments) == 2 and uncovered(rota) == 0


def test_contradictory_pins_are_reported_with_rule_and_records() -> None:
    slots = [slot("eve", "2026-07-05 20:00"), slot("morning", "2026-07-06 08:00", hours=6)]
    p = problem(slots, [doctor("x", ["eve", "morning"])], pinned=[("x", "eve"), ("x", "morning")])
    rota = solve(p, FAST)
    assert rota.status is SolveStatus.INFEASIBLE
    assert [c.rule for c in rota.conflicts] == [Rule.MINIMUM_REST]
    assert set(rota.conflicts[0].records) == {"doctor x", "slot eve", "slot morning"}


def test_pin_on_a_slot_not_offered_is_a_conflict_not_a_crash() -> None:
    p = problem(TWO_EVENINGS, [doctor("x", ["mon"])], pinned=[("x", "tue")])
    rota = solve(p, FAST)
    assert rota.status is SolveStatus.INFEASIBLE
    assert rota.conflicts[0].rule == "availability"


def test_minimum_rest_is_real_elapsed_time_across_the_clock_change() -> None:
    # Saturday 24 Oct 20:00–24:00, then Sunday 10:00: 11 h of real rest (the clocks go back).
    slots = [slot("sat", "2026-10-24 20:00"), slot("sun", "2026-10-25 10:00", hours=6)]
    p = problem(slots, [doctor("x", ["sat", "sun"])], min_rest_hours=11)
    assert uncovered(solved(p)) == 0
    p = problem(slots, [doctor("x", ["sat", "sun"])], min_rest_hours=11.5)
    assert uncovered(solved(p)) == 1
