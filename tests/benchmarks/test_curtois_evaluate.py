"""The Curtois evaluator: each penalty term on a tiny instance, and for each of the nine hard
rules one roster that breaks it and one that does not (with the README's horizon-edge
conventions)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.curtois.evaluate import HardRule, evaluate, read_roster_csv
from benchmarks.curtois.instance import CoverRow, Instance, Request, Shift, Staff
from benchmarks.curtois.roster import Assignment, Roster, write_roster_csv
from scheduler.domain.errors import InputError

#: One employee, two weeks, a day shift and a night shift that may not be followed by a day.
SHIFTS = (Shift(id="D", minutes=480, forbidden_next=()),
          Shift(id="N", minutes=600, forbidden_next=("D",)))


def tiny(**staff: Any) -> Instance:
    """A one-employee instance whose limits bind only where a test sets them."""
    limits: dict[str, Any] = {
        "max_shifts": {"D": 14, "N": 14}, "max_total_minutes": 14 * 600,
        "min_total_minutes": 0, "max_consecutive_shifts": 14, "min_consecutive_shifts": 1,
        "min_consecutive_days_off": 1, "max_weekends": 2} | staff
    return Instance(name="tiny", horizon=14, shifts=SHIFTS, staff=(Staff(id="A", **limits),),
                    days_off={"A": frozenset()}, shift_on_requests=(), shift_off_requests=(),
                    cover=())


def rows(pattern: str, employee: str = "A") -> Roster:
    """`DN--D...`: one character per day, `-` for a day off."""
    return tuple(Assignment(employee=employee, day=d, shift=s)
                 for d, s in enumerate(pattern) if s != "-")


def broken(instance: Instance, roster: Roster) -> set[HardRule]:
    return {v.rule for v in evaluate(instance, roster).violations}


# --- objective, term by term -------------------------------------------------------------

def test_unmet_shift_on_request_costs_its_weight() -> None:
    instance = replace(tiny(), shift_on_requests=(
        Request(employee="A", day=0, shift="D", weight=3),
        Request(employee="A", day=1, shift="N", weight=2)))
    evaluation = evaluate(instance, rows("DD"))
    assert (evaluation.shift_on_requests, evaluation.objective) == (2, 2)


def test_granted_shift_off_request_costs_its_weight() -> None:
    instance = replace(tiny(), shift_off_requests=(
        Request(employee="A", day=0, shift="D", weight=3),
        Request(employee="A", day=1, shift="D", weight=2)))
    evaluation = evaluate(instance, rows("DN"))
    assert (evaluation.shift_off_requests, evaluation.objective) == (3, 3)


def test_under_cover_costs_its_weight_per_missing_employee() -> None:
    instance = replace(tiny(), cover=(CoverRow(day=2, shift="N", requirement=3, under_weight=100,
                                               over_weight=1),))
    evaluation = evaluate(instance, rows("--N"))
    assert (evaluation.under_cover, evaluation.over_cover, evaluation.objective) == (200, 0, 200)


def test_over_cover_costs_its_weight_per_extra_employee() -> None:
    instance = replace(tiny(), cover=(CoverRow(day=0, shift="D", requirement=0, under_weight=100,
                                               over_weight=7),))
    evaluation = evaluate(instance, rows("D"))
    assert (evaluation.under_cover, evaluation.over_cover, evaluation.objective) == (0, 7, 7)


def test_objective_is_the_sum_of_the_four_terms() -> None:
    instance = replace(
        tiny(),
        shift_on_requests=(Request(employee="A", day=5, shift="D", weight=1),),
        shift_off_requests=(Request(employee="A", day=0, shift="D", weight=2),),
        cover=(CoverRow(day=0, shift="D", requirement=0, under_weight=100, over_weight=1),
               CoverRow(day=1, shift="N", requirement=1, under_weight=100, over_weight=1)))
    evaluation = evaluate(instance, rows("D"))
    assert (evaluation.shift_on_requests, evaluation.shift_off_requests, evaluation.under_cover,
            evaluation.over_cover) == (1, 2, 100, 1)
    assert evaluation.objective == 104


def test_empty_roster_on_an_instance_without_soft_rules_is_free_and_feasible() -> None:
    evaluation = evaluate(tiny(), ())
    assert (evaluation.objective, evaluation.feasible) == (0, True)


# --- hard rules: one breaking and one clean roster each ---------------------------------------

def test_two_shifts_on_one_day_break_one_shift_per_day() -> None:
    roster = (*rows("D"), Assignment(employee="A", day=0, shift="N"))
    assert broken(tiny(), roster) == {HardRule.ONE_SHIFT_PER_DAY}


def test_one_shift_each_day_keeps_one_shift_per_day() -> None:
    assert broken(tiny(), rows("DDNN-DN")) == set()


def test_day_after_night_breaks_shift_rotation() -> None:
    assert broken(tiny(), rows("-ND")) == {HardRule.SHIFT_ROTATION}


def test_night_after_day_and_day_after_a_rest_day_keep_shift_rotation() -> None:
    assert broken(tiny(), rows("DN-D")) == set()


def test_rotation_does_not_wrap_from_the_last_day_to_the_first() -> None:
    assert broken(tiny(), rows("D------------N")) == set()


def test_more_shifts_of_a_type_than_allowed_break_its_maximum() -> None:
    assert broken(tiny(max_shifts={"D": 14, "N": 2}), rows("NNN")) == {
        HardRule.MAX_SHIFTS_PER_TYPE}


def test_a_zero_maximum_forbids_that_shift_type() -> None:
    assert broken(tiny(max_shifts={"D": 0, "N": 14}), rows("D")) == {
        HardRule.MAX_SHIFTS_PER_TYPE}


def test_shifts_up_to_the_maximum_keep_it() -> None:
    assert broken(tiny(max_shifts={"D": 14, "N": 2}), rows("NN")) == set()


def test_minutes_above_the_maximum_break_total_minutes() -> None:
    assert broken(tiny(max_total_minutes=1000), rows("DDD")) == {HardRule.TOTAL_MINUTES}


def test_minutes_below_the_minimum_break_total_minutes() -> None:
    assert broken(tiny(min_total_minutes=1000), rows("N")) == {HardRule.TOTAL_MINUTES}


def test_minutes_between_the_bounds_keep_total_minutes() -> None:
    assert broken(tiny(min_total_minutes=1080, max_total_minutes=1080), rows("DN")) == set()


def test_a_run_longer_than_allowed_breaks_max_consecutive_shifts() -> None:
    assert broken(tiny(max_consecutive_shifts=3), rows("-DDDD")) == {
        HardRule.MAX_CONSECUTIVE_SHIFTS}


def test_a_long_run_at_the_horizon_start_still_breaks_max_consecutive_shifts() -> None:
    # The days before the horizon count as days off, so the run is exactly its visible length.
    assert broken(tiny(max_consecutive_shifts=3), rows("DDDD")) == {
        HardRule.MAX_CONSECUTIVE_SHIFTS}


def test_runs_up_to_the_maximum_keep_max_consecutive_shifts() -> None:
    assert broken(tiny(max_consecutive_shifts=3), rows("DDD-DDD----DDD")) == set()


def test_a_short_inner_run_breaks_min_consecutive_shifts() -> None:
    assert broken(tiny(min_consecutive_shifts=2), rows("--D--")) == {
        HardRule.MIN_CONSECUTIVE_SHIFTS}


def test_short_runs_touching_the_horizon_edges_keep_min_consecutive_shifts() -> None:
    assert broken(tiny(min_consecutive_shifts=2), rows("D---DD-------N")) == set()


def test_a_short_inner_rest_breaks_min_consecutive_days_off() -> None:
    assert broken(tiny(min_consecutive_days_off=2), rows("DD-DDDDDDDDDDD")) == {
        HardRule.MIN_CONSECUTIVE_DAYS_OFF}


def test_short_rests_touching_the_horizon_edges_keep_min_consecutive_days_off() -> None:
    assert broken(tiny(min_consecutive_days_off=2), rows("-DDDD--DDDDDD-")) == set()


def test_working_two_weekends_breaks_a_one_weekend_maximum() -> None:
    # Saturday of week 0 (day 5) and Sunday of week 1 (day 13).
    assert broken(tiny(max_weekends=1), rows("-----D-------D")) == {HardRule.MAX_WEEKENDS}


def test_saturday_and_sunday_of_one_weekend_count_once() -> None:
    assert broken(tiny(max_weekends=1), rows("DDDDDDD-------")) == set()


def test_working_a_listed_day_off_breaks_days_off() -> None:
    instance = replace(tiny(), days_off={"A": frozenset({2})})
    assert broken(instance, rows("--N")) == {HardRule.DAYS_OFF}


def test_working_around_a_listed_day_off_keeps_days_off() -> None:
    instance = replace(tiny(), days_off={"A": frozenset({2})})
    assert broken(instance, rows("DD-NN")) == set()


def test_violation_names_the_rule_employee_and_day() -> None:
    (violation,) = evaluate(tiny(), rows("-ND")).violations
    assert str(violation) == "shift rotation: employee A on day 1: D may not follow N (next day)"


# --- rosters that do not belong to the instance, and the CSV -----------------------------------

@pytest.mark.parametrize(("assignment", "field"), [
    (Assignment(employee="Z", day=0, shift="D"), "employee"),
    (Assignment(employee="A", day=0, shift="X"), "shift"),
    (Assignment(employee="A", day=14, shift="D"), "day"),
])
def test_roster_naming_something_outside_the_instance_is_refused(
        assignment: Assignment, field: str) -> None:
    with pytest.raises(InputError, match=f"^roster: {field}: "):
        evaluate(tiny(), (assignment,))


def test_roster_csv_round_trips(tmp_path: Path) -> None:
    roster = rows("DN-D")
    write_roster_csv(roster, tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text().splitlines()[:2] == ["employee,day,shift", "A,0,D"]
    assert sorted(read_roster_csv(tmp_path / "r.csv")) == sorted(roster)


def test_roster_csv_with_a_wrong_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("nurse,day,shift\nA,0,D\n")
    with pytest.raises(InputError, match=r"r\.csv: line 1: header must be employee,day,shift"):
        read_roster_csv(tmp_path / "r.csv")


def test_roster_csv_with_a_non_numeric_day_names_the_day(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("employee,day,shift\nA,0,D\nA,monday,D\n")
    with pytest.raises(InputError, match=r"r\.csv: line 3: day: expected a day index"):
        read_roster_csv(tmp_path / "r.csv")


def test_roster_csv_row_with_missing_fields_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("employee,day,shift\nA,0\n")
    with pytest.raises(InputError, match=r"r\.csv: line 2: expected 3 fields"):
        read_roster_csv(tmp_path / "r.csv")
