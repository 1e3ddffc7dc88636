"""A benchmark roster and its CSV form: header `employee,day,shift`, one row per worked day,
0-based day index, shift ID. The CSV is the contract between any solver and the evaluator."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from scheduler.domain.errors import InputError

HEADER = ("employee", "day", "shift")


@dataclass(frozen=True, order=True, kw_only=True)
class Assignment:
    employee: str
    day: int
    shift: str


#: A list, not a mapping, so that a roster breaking "one shift per day" can still be represented
#: and reported by the evaluator.
Roster = tuple[Assignment, ...]


def read_roster_csv(path: Path | str) -> Roster:
    """Read a roster CSV; checks only its shape (the evaluator checks it against an instance)."""
    source = str(path)
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InputError.single(source, "", f"cannot read the file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError.single(source, "", f"not UTF-8 text ({exc.reason})") from exc
    if not rows or tuple(cell.strip() for cell in rows[0]) != HEADER:
        raise InputError.single(source, "line 1",
                                f"header must be {','.join(HEADER)}, got {','.join(rows[0])!r}"
                                if rows else "the file is empty; expected a header line")
    return tuple(_assignment(source, number, row)
                 for number, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row))


def _assignment(source: str, number: int, row: list[str]) -> Assignment:
    if len(row) != len(HEADER):
        raise InputError.single(source, f"line {number}",
                                f"expected 3 fields (employee, day, shift), got {len(row)}")
    employee, day, shift = (cell.strip() for cell in row)
    if not employee:
        raise InputError.single(source, f"line {number}: employee", "empty")
    if not shift:
        raise InputError.single(source, f"line {number}: shift", "empty")
    if not (day.isascii() and day.isdigit()):
        raise InputError.single(source, f"line {number}: day",
                                f"expected a day index (0, 1, …), got {day!r}")
    return Assignment(employee=employee, day=int(day), shift=shift)


def write_roster_csv(roster: Roster, path: Path | str) -> None:
    """Write `roster` sorted by employee then day, with LF line endings."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for a in sorted(roster):
            writer.writerow((a.employee, a.day, a.shift))


@dataclass(frozen=True, kw_only=True)
class SolverOutput:
    """What a solver hands to the benchmark: a roster and the solver's own claims about it,
    which the runner reports next to, never instead of, the evaluator's figures."""

    roster: Roster
    #: The solver's objective for `roster`; None if it found no roster.
    objective: int | None
    #: The solver's proven lower bound on the optimum; None if it has none.
    bound: int | None
    #: "optimal", "feasible", "infeasible" or "unknown" (no roster within the time limit).
    status: str
