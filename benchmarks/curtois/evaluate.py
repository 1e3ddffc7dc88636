"""The benchmark's own evaluator: recomputes a roster's penalty and hard-rule violations from the
instance and the roster alone, with no solver model, so any solver's claim can be checked.

The rules and the horizon-edge conventions are those of benchmarks/curtois/README.md:
- shift rotation looks at consecutive days inside the horizon only;
- maximum consecutive shifts counts the days just outside the horizon as days off;
- minimum consecutive shifts and minimum consecutive days off exempt a run touching day 0 or the
  last day (the website assumes unbounded runs beyond the horizon);
- a weekend (Saturday d % 7 == 5, Sunday d % 7 == 6) is worked if either day is worked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from benchmarks.curtois.instance import Instance, Staff, weekend_days
from benchmarks.curtois.roster import Assignment, Roster, read_roster_csv
from scheduler.domain.errors import InputError

__all__ = ["Evaluation", "HardRule", "Violation", "evaluate", "read_roster_csv"]


class HardRule(StrEnum):
    ONE_SHIFT_PER_DAY = "one shift per day"
    SHIFT_ROTATION = "shift rotation"
    MAX_SHIFTS_PER_TYPE = "maximum shifts per type"
    TOTAL_MINUTES = "total minutes"
    MAX_CONSECUTIVE_SHIFTS = "maximum consecutive shifts"
    MIN_CONSECUTIVE_SHIFTS = "minimum consecutive shifts"
    MIN_CONSECUTIVE_DAYS_OFF = "minimum consecutive days off"
    MAX_WEEKENDS = "maximum weekends"
    DAYS_OFF = "days off"


@dataclass(frozen=True, kw_only=True)
class Violation:
    rule: HardRule
    employee: str
    #: The first day concerned; None for a limit over the whole horizon.
    day: int | None
    message: str

    def __str__(self) -> str:
        where = f" on day {self.day}" if self.day is not None else ""
        return f"{self.rule}: employee {self.employee}{where}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """The penalty, term by term, and every hard-rule violation."""

    shift_on_requests: int
    shift_off_requests: int
    under_cover: int
    over_cover: int
    violations: tuple[Violation, ...]

    @property
    def objective(self) -> int:
        return self.shift_on_requests + self.shift_off_requests + self.under_cover + self.over_cover

    @property
    def feasible(self) -> bool:
        return not self.violations


#: The shifts each employee works on each day: worked[employee][day] lists shift IDs.
Worked = dict[str, list[list[str]]]


def evaluate(instance: Instance, roster: Roster) -> Evaluation:
    """Score `roster` on `instance`. Raises InputError if it names an unknown employee or shift
    or a day outside the horizon: such a roster does not belong to this instance."""
    worked = _worked(instance, roster)
    violations = [v for staff in instance.staff for v in _violations(instance, staff, worked)]
    on = sum(r.weight for r in instance.shift_on_requests
             if r.shift not in worked[r.employee][r.day])
    off = sum(r.weight for r in instance.shift_off_requests
              if r.shift in worked[r.employee][r.day])
    count = Counter((a.day, a.shift) for a in roster)
    under = sum(c.under_weight * max(0, c.requirement - count[c.day, c.shift])
                for c in instance.cover)
    over = sum(c.over_weight * max(0, count[c.day, c.shift] - c.requirement)
               for c in instance.cover)
    return Evaluation(shift_on_requests=on, shift_off_requests=off, under_cover=under,
                      over_cover=over, violations=tuple(violations))


def _worked(instance: Instance, roster: Roster) -> Worked:
    worked: Worked = {e.id: [[] for _ in range(instance.horizon)] for e in instance.staff}
    for a in roster:
        _check_known(instance, a)
        worked[a.employee][a.day].append(a.shift)
    return worked


def _check_known(instance: Instance, a: Assignment) -> None:
    row = f"({a.employee},{a.day},{a.shift})"
    if a.employee not in instance.staff_by_id:
        raise InputError.single("roster", "employee", f"unknown employee in row {row}")
    if a.shift not in instance.shift_by_id:
        raise InputError.single("roster", "shift", f"unknown shift in row {row}")
    if not 0 <= a.day < instance.horizon:
        raise InputError.single("roster", "day", f"day outside 0..{instance.horizon - 1} in row "
                                                 f"{row}")


def _violations(instance: Instance, staff: Staff, worked: Worked) -> Iterator[Violation]:
    days = worked[staff.id]
    yield from one_shift_per_day(staff, days)
    yield from shift_rotation(instance, staff, days)
    yield from max_shifts_per_type(staff, days)
    yield from total_minutes(instance, staff, days)
    yield from max_consecutive_shifts(staff, days)
    yield from min_consecutive_shifts(staff, days)
    yield from min_consecutive_days_off(staff, days)
    yield from max_weekends(staff, days)
    yield from days_off(instance, staff, days)


def one_shift_per_day(staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    for day, shifts in enumerate(days):
        if len(shifts) > 1:
            yield Violation(rule=HardRule.ONE_SHIFT_PER_DAY, employee=staff.id, day=day,
                            message=f"{len(shifts)} shifts ({', '.join(shifts)})")


def shift_rotation(instance: Instance, staff: Staff, days: list[list[str]]
                   ) -> Iterator[Violation]:
    for day in range(instance.horizon - 1):
        for shift in days[day]:
            forbidden = instance.shift_by_id[shift].forbidden_next
            for follower in days[day + 1]:
                if follower in forbidden:
                    yield Violation(rule=HardRule.SHIFT_ROTATION, employee=staff.id, day=day,
                                    message=f"{follower} may not follow {shift} (next day)")


def max_shifts_per_type(staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    count = Counter(shift for shifts in days for shift in shifts)
    for shift, limit in staff.max_shifts.items():
        if count[shift] > limit:
            yield Violation(rule=HardRule.MAX_SHIFTS_PER_TYPE, employee=staff.id, day=None,
                            message=f"{count[shift]} {shift} shifts, at most {limit}")


def total_minutes(instance: Instance, staff: Staff, days: list[list[str]]
                  ) -> Iterator[Violation]:
    minutes = sum(instance.shift_by_id[s].minutes for shifts in days for s in shifts)
    if minutes > staff.max_total_minutes:
        yield Violation(rule=HardRule.TOTAL_MINUTES, employee=staff.id, day=None,
                        message=f"{minutes} minutes, at most {staff.max_total_minutes}")
    if minutes < staff.min_total_minutes:
        yield Violation(rule=HardRule.TOTAL_MINUTES, employee=staff.id, day=None,
                        message=f"{minutes} minutes, at least {staff.min_total_minutes}")


def max_consecutive_shifts(staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    # Days just outside the horizon are off, so every run is measured as it stands.
    for start, length in runs([bool(s) for s in days], worked=True):
        if length > staff.max_consecutive_shifts:
            yield Violation(rule=HardRule.MAX_CONSECUTIVE_SHIFTS, employee=staff.id, day=start,
                            message=f"{length} consecutive working days, at most "
                                    f"{staff.max_consecutive_shifts}")


def min_consecutive_shifts(staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    for start, length in inner_runs([bool(s) for s in days], worked=True):
        if length < staff.min_consecutive_shifts:
            yield Violation(rule=HardRule.MIN_CONSECUTIVE_SHIFTS, employee=staff.id, day=start,
                            message=f"{length} consecutive working days, at least "
                                    f"{staff.min_consecutive_shifts}")


def min_consecutive_days_off(staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    for start, length in inner_runs([bool(s) for s in days], worked=False):
        if length < staff.min_consecutive_days_off:
            yield Violation(rule=HardRule.MIN_CONSECUTIVE_DAYS_OFF, employee=staff.id, day=start,
                            message=f"{length} consecutive days off, at least "
                                    f"{staff.min_consecutive_days_off}")


def max_weekends(staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    weekends = [week for week in range(len(days) // 7)
                if any(days[d] for d in weekend_days(week))]
    if len(weekends) > staff.max_weekends:
        yield Violation(rule=HardRule.MAX_WEEKENDS, employee=staff.id, day=None,
                        message=f"{len(weekends)} weekends worked (weeks "
                                f"{', '.join(str(w) for w in weekends)}), at most "
                                f"{staff.max_weekends}")


def days_off(instance: Instance, staff: Staff, days: list[list[str]]) -> Iterator[Violation]:
    for day in sorted(instance.days_off[staff.id]):
        if days[day]:
            yield Violation(rule=HardRule.DAYS_OFF, employee=staff.id, day=day,
                            message=f"works {', '.join(days[day])} on a day off")


def runs(worked_days: list[bool], *, worked: bool) -> Iterator[tuple[int, int]]:
    """(start, length) of each maximal run of days whose worked flag equals `worked`."""
    start: int | None = None
    for day, flag in enumerate([*worked_days, not worked]):
        if flag == worked and start is None:
            start = day
        elif flag != worked and start is not None:
            yield start, day - start
            start = None


def inner_runs(worked_days: list[bool], *, worked: bool) -> Iterator[tuple[int, int]]:
    """The runs touching neither day 0 nor the last day: only those have a minimum length."""
    last = len(worked_days) - 1
    for start, length in runs(worked_days, worked=worked):
        if start > 0 and start + length - 1 < last:
            yield start, length
