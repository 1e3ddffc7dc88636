"""The Curtois parser reads all 24 published files and names file, section and line on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.curtois.instance import CoverRow, Request, Shift, Staff
from benchmarks.curtois.parse import parse_instance, parse_instance_text
from scheduler.domain.errors import InputError
from tests.support import REPO

INSTANCES = REPO / "benchmarks" / "curtois" / "instances"

#: Published characteristics: days, staff, shift types, days-off entries, on-requests,
#: off-requests, cover rows (benchmarks/curtois README, "Instance characteristics").
COUNTS = {
    1: (14, 8, 1, 8, 21, 5, 14), 2: (14, 14, 2, 14, 50, 12, 28),
    3: (14, 20, 3, 20, 39, 25, 42), 4: (28, 10, 2, 20, 52, 19, 56),
    5: (28, 16, 2, 32, 79, 27, 56), 6: (28, 18, 3, 36, 87, 48, 84),
    7: (28, 20, 3, 40, 104, 64, 84), 8: (28, 30, 4, 60, 139, 86, 112),
    9: (28, 36, 4, 72, 144, 88, 112), 10: (28, 40, 5, 80, 210, 74, 140),
    11: (28, 50, 6, 100, 197, 139, 168), 12: (28, 60, 10, 120, 294, 128, 280),
    13: (28, 120, 18, 240, 589, 252, 504), 14: (42, 32, 4, 128, 266, 93, 168),
    15: (42, 45, 6, 180, 350, 140, 252), 16: (56, 20, 3, 120, 177, 103, 168),
    17: (56, 32, 4, 160, 351, 129, 224), 18: (84, 22, 3, 176, 322, 92, 252),
    19: (84, 40, 5, 320, 587, 247, 420), 20: (182, 50, 6, 900, 1665, 653, 1092),
    21: (182, 100, 8, 1800, 3210, 1492, 1456), 22: (364, 50, 10, 1800, 3253, 1385, 3640),
    23: (364, 100, 16, 3600, 6549, 2861, 5824), 24: (364, 150, 32, 5400, 9540, 4269, 11648),
}

VALID = """\
# a tiny instance
SECTION_HORIZON
7

SECTION_SHIFTS
D,480,
N,600,D

SECTION_STAFF
A,D=7|N=7,4800,0,7,1,1,1

SECTION_DAYS_OFF
A,3

SECTION_SHIFT_ON_REQUESTS
A,0,D,2

SECTION_SHIFT_OFF_REQUESTS
A,1,N,3

SECTION_COVER
0,D,1,100,1
"""


def parse(text: str) -> None:
    parse_instance_text(text, source="tiny.txt", name="tiny")


def error_for(old: str, new: str) -> str:
    assert old in VALID
    with pytest.raises(InputError) as caught:
        parse(VALID.replace(old, new))
    return str(caught.value)


def test_instance1_is_read_with_its_published_values() -> None:
    instance = parse_instance(INSTANCES / "Instance1.txt")
    assert (instance.name, instance.horizon, instance.weeks) == ("Instance1", 14, 2)
    assert instance.shifts == (Shift(id="D", minutes=480, forbidden_next=()),)
    assert instance.staff[0] == Staff(
        id="A", max_shifts={"D": 14}, max_total_minutes=4320, min_total_minutes=3360,
        max_consecutive_shifts=5, min_consecutive_shifts=2, min_consecutive_days_off=2,
        max_weekends=1)
    assert instance.days_off["A"] == frozenset({0})
    assert instance.shift_on_requests[0] == Request(employee="A", day=2, shift="D", weight=2)
    assert instance.shift_off_requests[-1] == Request(employee="H", day=3, shift="D", weight=3)
    assert instance.cover[0] == CoverRow(day=0, shift="D", requirement=5, under_weight=100,
                                         over_weight=1)


@pytest.mark.parametrize("number", sorted(COUNTS))
def test_every_published_instance_parses_with_its_published_counts(number: int) -> None:
    instance = parse_instance(INSTANCES / f"Instance{number}.txt")
    assert (instance.horizon, len(instance.staff), len(instance.shifts),
            sum(len(days) for days in instance.days_off.values()),
            len(instance.shift_on_requests), len(instance.shift_off_requests),
            len(instance.cover)) == COUNTS[number]


def test_forbidden_successions_are_read_as_shift_ids() -> None:
    instance = parse_instance(INSTANCES / "Instance3.txt")
    assert all(set(s.forbidden_next) <= set(instance.shift_by_id) for s in instance.shifts)
    assert any(s.forbidden_next for s in instance.shifts)


def test_crlf_and_lf_line_endings_give_the_same_instance() -> None:
    lf = parse_instance_text(VALID, source="lf", name="tiny")
    crlf = parse_instance_text(VALID.replace("\n", "\r\n"), source="crlf", name="tiny")
    assert lf == crlf


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.txt: cannot read"):
        parse_instance(tmp_path / "nowhere.txt")


def test_non_ascii_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "accent.txt"
    path.write_bytes(VALID.replace("# a tiny", "# é").encode("utf-8"))
    with pytest.raises(InputError, match=r"accent\.txt: not an ASCII text file"):
        parse_instance(path)


def test_missing_section_is_named() -> None:
    message = error_for("SECTION_COVER\n0,D,1,100,1\n", "")
    assert message == "tiny.txt: SECTION_COVER: section is missing"


def test_unknown_section_tag_is_named_with_its_line() -> None:
    assert error_for("SECTION_COVER", "SECTION_COVERS") == (
        "tiny.txt: line 21: unknown section 'SECTION_COVERS'")


def test_data_before_the_first_section_is_refused() -> None:
    assert "line 1: data before the first section tag" in error_for("# a tiny instance", "7")


def test_horizon_that_is_not_whole_weeks_is_refused() -> None:
    assert error_for("SECTION_HORIZON\n7\n", "SECTION_HORIZON\n10\n") == (
        "tiny.txt: SECTION_HORIZON line 3: horizon: 10 days is not a whole number of weeks")


def test_non_numeric_shift_length_names_the_column() -> None:
    assert error_for("D,480,", "D,eight,") == (
        "tiny.txt: SECTION_SHIFTS line 6: Length in mins: expected a whole number, got 'eight'")


def test_unknown_shift_in_forbidden_successions_is_named() -> None:
    assert error_for("N,600,D", "N,600,X") == (
        "tiny.txt: SECTION_SHIFTS line 7: Shifts which cannot follow this shift: "
        "unknown shift 'X'")


def test_duplicate_shift_id_is_refused() -> None:
    assert "SECTION_SHIFTS line 7: ShiftID: shift 'D' appears twice" in error_for(
        "N,600,D", "D,600,")


def test_staff_line_with_missing_fields_says_how_many_were_expected() -> None:
    message = error_for("A,D=7|N=7,4800,0,7,1,1,1", "A,D=7|N=7,4800,0,7,1,1")
    assert message.startswith("tiny.txt: SECTION_STAFF line 10: expected 8 fields (ID, MaxShifts")


def test_staff_without_a_limit_for_every_shift_is_refused() -> None:
    assert error_for("A,D=7|N=7,", "A,D=7,") == (
        "tiny.txt: SECTION_STAFF line 10: MaxShifts: no limit for shift 'N'")


def test_negative_staff_limit_names_the_column() -> None:
    assert error_for("4800,0,7,1,1,1", "4800,0,7,1,1,-1") == (
        "tiny.txt: SECTION_STAFF line 10: MaxWeekends: must be at least 0, got -1")


def test_day_off_outside_the_horizon_is_refused() -> None:
    assert error_for("A,3\n", "A,3,7\n") == (
        "tiny.txt: SECTION_DAYS_OFF line 13: DayIndex: day 7 is outside the horizon 0..6")


def test_request_for_an_unknown_employee_is_refused() -> None:
    assert error_for("A,0,D,2", "B,0,D,2") == (
        "tiny.txt: SECTION_SHIFT_ON_REQUESTS line 16: EmployeeID: unknown employee 'B'")


def test_off_request_with_a_bad_weight_names_the_column() -> None:
    assert error_for("A,1,N,3", "A,1,N,x") == (
        "tiny.txt: SECTION_SHIFT_OFF_REQUESTS line 19: Weight: expected a whole number, got 'x'")


def test_cover_row_for_an_unknown_shift_is_refused() -> None:
    assert error_for("0,D,1,100,1", "0,E,1,100,1") == (
        "tiny.txt: SECTION_COVER line 22: ShiftID: unknown shift 'E'")


def test_duplicate_cover_row_is_refused() -> None:
    assert "SECTION_COVER line 23: cover row for (Day, ShiftID) (0, 'D') appears twice" in (
        error_for("0,D,1,100,1\n", "0,D,1,100,1\n0,D,2,100,1\n"))
