"""What a weekend is, once for the model, the checker and the GP form."""

from __future__ import annotations

from datetime import date

from scheduler.domain.problem import weekend_of


def test_a_saturday_and_the_sunday_after_it_are_one_weekend() -> None:
    saturday, sunday, monday = date(2027, 1, 2), date(2027, 1, 3), date(2027, 1, 4)
    assert weekend_of(saturday) == weekend_of(sunday) == (2026, 53)  # ISO year of that week
    assert weekend_of(monday) is None and weekend_of(date(2027, 1, 1)) is None  # a Friday
    assert weekend_of(date(2027, 1, 9)) == (2027, 1)
