"""Parser for the Curtois benchmark text format (benchmarks/curtois/README.md, "Text format").

Every malformed line raises `InputError` naming the file, the section and line number, and the
column at fault, so a broken or hand-edited instance is fixed in one look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn, TypeVar

from benchmarks.curtois.instance import CoverRow, Instance, Request, Shift, Staff
from scheduler.domain.errors import InputError

HORIZON = "SECTION_HORIZON"
SHIFTS = "SECTION_SHIFTS"
STAFF = "SECTION_STAFF"
DAYS_OFF = "SECTION_DAYS_OFF"
SHIFT_ON_REQUESTS = "SECTION_SHIFT_ON_REQUESTS"
SHIFT_OFF_REQUESTS = "SECTION_SHIFT_OFF_REQUESTS"
COVER = "SECTION_COVER"
SECTIONS = (HORIZON, SHIFTS, STAFF, DAYS_OFF, SHIFT_ON_REQUESTS, SHIFT_OFF_REQUESTS, COVER)

STAFF_COLUMNS = (
    "ID", "MaxShifts", "MaxTotalMinutes", "MinTotalMinutes", "MaxConsecutiveShifts",
    "MinConsecutiveShifts", "MinConsecutiveDaysOff", "MaxWeekends",
)
REQUEST_COLUMNS = ("EmployeeID", "Day", "ShiftID", "Weight")
COVER_COLUMNS = ("Day", "ShiftID", "Requirement", "Weight for under", "Weight for over")

T = TypeVar("T")


@dataclass(frozen=True)
class Line:
    """One data line of a section: its 1-based line number in the file and its fields."""

    section: str
    number: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class _Context:
    """What every check needs to name the place of a problem."""

    source: str
    horizon: int
    shift_ids: frozenset[str]
    employee_ids: frozenset[str]

    def fail(self, line: Line, message: str) -> NoReturn:
        raise InputError.single(self.source, f"{line.section} line {line.number}", message)

    def integer(self, line: Line, column: str, text: str, *, minimum: int = 0) -> int:
        try:
            value = int(text)
        except ValueError:
            self.fail(line, f"{column}: expected a whole number, got {text!r}")
        if value < minimum:
            self.fail(line, f"{column}: must be at least {minimum}, got {value}")
        return value

    def day(self, line: Line, text: str, column: str = "Day") -> int:
        day = self.integer(line, column, text)
        if day >= self.horizon:
            self.fail(line, f"{column}: day {day} is outside the horizon 0..{self.horizon - 1}")
        return day

    def shift(self, line: Line, text: str, column: str = "ShiftID") -> str:
        if text not in self.shift_ids:
            self.fail(line, f"{column}: unknown shift {text!r}")
        return text

    def employee(self, line: Line, text: str) -> str:
        if text not in self.employee_ids:
            self.fail(line, f"EmployeeID: unknown employee {text!r}")
        return text

    def columns(self, line: Line, names: tuple[str, ...]) -> tuple[str, ...]:
        if len(line.fields) != len(names):
            self.fail(line, f"expected {len(names)} fields ({', '.join(names)}), "
                            f"got {len(line.fields)}")
        return line.fields


def parse_instance(path: Path | str) -> Instance:
    """Read one instance file (CRLF or LF line endings)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("ascii")
    except OSError as exc:
        raise InputError.single(str(path), "", f"cannot read the file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError.single(str(path), "", f"not an ASCII text file ({exc.reason} at byte "
                                               f"{exc.start})") from exc
    return parse_instance_text(text, source=str(path), name=path.stem)


def parse_instance_text(text: str, *, source: str, name: str) -> Instance:
    """Parse the content of an instance file; `source` names it in error messages."""
    sections = split_sections(text, source)
    # Each section may refer to what the earlier ones defined, so the context grows as we go.
    ctx = _Context(source, 0, frozenset(), frozenset())
    ctx = replace(ctx, horizon=_horizon(ctx, sections[HORIZON]))
    shifts = _shifts(ctx, sections[SHIFTS])
    ctx = replace(ctx, shift_ids=frozenset(s.id for s in shifts))
    staff = _unique(ctx, [_staff(ctx, line, shifts) for line in sections[STAFF]],
                    sections[STAFF], lambda e: e.id, "ID: employee")
    ctx = replace(ctx, employee_ids=frozenset(e.id for e in staff))
    return Instance(
        name=name,
        horizon=ctx.horizon,
        shifts=shifts,
        staff=staff,
        days_off=_days_off(ctx, sections[DAYS_OFF]),
        shift_on_requests=tuple(_request(ctx, line) for line in sections[SHIFT_ON_REQUESTS]),
        shift_off_requests=tuple(_request(ctx, line) for line in sections[SHIFT_OFF_REQUESTS]),
        cover=_unique(ctx, [_cover(ctx, line) for line in sections[COVER]], sections[COVER],
                      lambda c: (c.day, c.shift), "cover row for (Day, ShiftID)"),
    )


def split_sections(text: str, source: str) -> dict[str, list[Line]]:
    """Group data lines under their section tag; comments and blank lines are dropped."""
    sections: dict[str, list[Line]] = {}
    current: str | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.rstrip("\r").strip()
        if not content or content.startswith("#"):
            continue
        if content.startswith("SECTION_"):
            if content not in SECTIONS:
                raise InputError.single(source, f"line {number}", f"unknown section {content!r}")
            if content in sections:
                raise InputError.single(source, f"{content} line {number}",
                                        "section appears twice")
            current = content
            sections[current] = []
        elif current is None:
            raise InputError.single(source, f"line {number}",
                                    f"data before the first section tag: {content!r}")
        else:
            fields = tuple(f.strip() for f in content.split(","))
            sections[current].append(Line(current, number, fields))
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        raise InputError.single(source, missing[0], "section is missing")
    return sections


def _horizon(ctx: _Context, lines: list[Line]) -> int:
    if len(lines) != 1:
        raise InputError.single(ctx.source, HORIZON,
                                f"expected one line with the horizon in days, got {len(lines)}")
    (line,) = lines
    (text,) = ctx.columns(line, ("horizon length in days",))
    horizon = ctx.integer(line, "horizon", text, minimum=7)
    if horizon % 7:
        ctx.fail(line, f"horizon: {horizon} days is not a whole number of weeks")
    return horizon


def _shifts(ctx: _Context, lines: list[Line]) -> tuple[Shift, ...]:
    if not lines:
        raise InputError.single(ctx.source, SHIFTS, "no shift types")
    shifts: list[Shift] = []
    for line in lines:
        shift_id, minutes, forbidden = ctx.columns(
            line, ("ShiftID", "Length in mins", "Shifts which cannot follow this shift"))
        if not shift_id:
            ctx.fail(line, "ShiftID: empty")
        shifts.append(Shift(id=shift_id,
                            minutes=ctx.integer(line, "Length in mins", minutes, minimum=1),
                            forbidden_next=tuple(f for f in forbidden.split("|") if f)))
    result = _unique(ctx, shifts, lines, lambda s: s.id, "ShiftID: shift")
    known = replace(ctx, shift_ids=frozenset(s.id for s in result))
    for shift, line in zip(result, lines, strict=True):
        for follower in shift.forbidden_next:
            known.shift(line, follower, "Shifts which cannot follow this shift")
    return result


def _staff(ctx: _Context, line: Line, shifts: tuple[Shift, ...]) -> Staff:
    fields = ctx.columns(line, STAFF_COLUMNS)
    if not fields[0]:
        ctx.fail(line, "ID: empty")
    numbers = [ctx.integer(line, column, text)
               for column, text in zip(STAFF_COLUMNS[2:], fields[2:], strict=True)]
    return Staff(id=fields[0], max_shifts=_max_shifts(ctx, line, fields[1], shifts),
                 max_total_minutes=numbers[0], min_total_minutes=numbers[1],
                 max_consecutive_shifts=numbers[2], min_consecutive_shifts=numbers[3],
                 min_consecutive_days_off=numbers[4], max_weekends=numbers[5])


def _max_shifts(ctx: _Context, line: Line, text: str, shifts: tuple[Shift, ...]
                ) -> dict[str, int]:
    limits: dict[str, int] = {}
    for item in text.split("|"):
        shift_id, equals, value = item.partition("=")
        if not equals:
            ctx.fail(line, f"MaxShifts: expected ShiftID=max, got {item!r}")
        ctx.shift(line, shift_id, "MaxShifts")
        if shift_id in limits:
            ctx.fail(line, f"MaxShifts: shift {shift_id!r} listed twice")
        limits[shift_id] = ctx.integer(line, f"MaxShifts {shift_id}", value)
    missing = [s.id for s in shifts if s.id not in limits]
    if missing:
        ctx.fail(line, f"MaxShifts: no limit for shift {missing[0]!r}")
    return limits


def _days_off(ctx: _Context, lines: list[Line]) -> dict[str, frozenset[int]]:
    days: dict[str, set[int]] = {e: set() for e in ctx.employee_ids}
    for line in lines:
        employee = ctx.employee(line, line.fields[0])
        days[employee].update(ctx.day(line, text, "DayIndex") for text in line.fields[1:])
    return {e: frozenset(d) for e, d in days.items()}


def _request(ctx: _Context, line: Line) -> Request:
    employee, day, shift, weight = ctx.columns(line, REQUEST_COLUMNS)
    return Request(employee=ctx.employee(line, employee), day=ctx.day(line, day),
                   shift=ctx.shift(line, shift), weight=ctx.integer(line, "Weight", weight))


def _cover(ctx: _Context, line: Line) -> CoverRow:
    day, shift, requirement, under, over = ctx.columns(line, COVER_COLUMNS)
    return CoverRow(day=ctx.day(line, day), shift=ctx.shift(line, shift),
                    requirement=ctx.integer(line, "Requirement", requirement),
                    under_weight=ctx.integer(line, "Weight for under", under),
                    over_weight=ctx.integer(line, "Weight for over", over))


def _unique(ctx: _Context, items: list[T], lines: list[Line], key: Callable[[T], object],
            what: str) -> tuple[T, ...]:
    seen: set[object] = set()
    for item, line in zip(items, lines, strict=True):
        if key(item) in seen:
            ctx.fail(line, f"{what} {key(item)!r} appears twice")
        seen.add(key(item))
    return tuple(items)
