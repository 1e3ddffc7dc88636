"""One Curtois benchmark instance as typed, immutable data (field names follow the file format)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

#: Day 0 is a Monday, so Saturday and Sunday are the days with these remainders modulo 7.
SATURDAY = 5
SUNDAY = 6


@dataclass(frozen=True, kw_only=True)
class Shift:
    id: str
    minutes: int
    #: Shift IDs the same employee may not work on the next day.
    forbidden_next: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Staff:
    id: str
    #: The most shifts of each type (every shift ID present) over the horizon; 0 = never.
    max_shifts: Mapping[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True, kw_only=True)
class Request:
    """A shift-on request (wants `shift` on `day`) or shift-off request (does not want it)."""

    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True, kw_only=True)
class CoverRow:
    day: int
    shift: str
    requirement: int
    #: Penalty per employee missing from, or in excess of, the requirement.
    under_weight: int
    over_weight: int


@dataclass(frozen=True, kw_only=True)
class Instance:
    name: str
    #: Horizon length in days, a whole number of weeks starting on a Monday.
    horizon: int
    shifts: tuple[Shift, ...]
    staff: tuple[Staff, ...]
    #: Days on which each employee must not work (every employee present, possibly empty).
    days_off: Mapping[str, frozenset[int]]
    shift_on_requests: tuple[Request, ...]
    shift_off_requests: tuple[Request, ...]
    cover: tuple[CoverRow, ...]

    @cached_property
    def shift_by_id(self) -> Mapping[str, Shift]:
        return {s.id: s for s in self.shifts}

    @cached_property
    def staff_by_id(self) -> Mapping[str, Staff]:
        return {e.id: e for e in self.staff}

    @property
    def weeks(self) -> int:
        return self.horizon // 7


def weekend_days(week: int) -> tuple[int, int]:
    """The Saturday and Sunday of week `week` (0-based)."""
    return 7 * week + SATURDAY, 7 * week + SUNDAY
