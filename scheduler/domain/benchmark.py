"""The rules of published staff-scheduling benchmarks that no tension period sets.

A tension period's doctors are self-employed GPs who offer shifts: nobody owes a minimum of
hours or of consecutive working days, so `Problem` (what a scenario, `problem.json`, the
database and the GP form carry) has no such field. The Curtois benchmark's instances do
(`benchmarks/curtois`, from Curtois & Qu, "Computational results on new staff scheduling
benchmark instances", 2014): they build a `BenchmarkProblem`, a `Problem` with each
employee's `Minimums`, which the engine enforces (`engine.constraints.add_min_hours`,
`add_min_consecutive_days`) and its checker judges like any other rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from scheduler.domain.bounds import Bound, check_bounds
from scheduler.domain.problem import Problem


@dataclass(frozen=True, kw_only=True)
class Minimums:
    """What one employee of a benchmark instance must at least work (None: no minimum).

    Raises ValueError naming the field when a value is outside `BOUNDS`.
    """

    #: At least this many hours in the period (real elapsed time).
    min_hours: float | None = None
    #: Every run of working days lasts at least this many days, except a run touching the
    #: first or last date of the period (it may continue outside it).
    min_consecutive_days: int | None = None

    BOUNDS: ClassVar[dict[str, Bound]] = {
        "min_hours": Bound(0, 2000),
        "min_consecutive_days": Bound(1, 62),
    }

    def __post_init__(self) -> None:
        check_bounds(self, self.BOUNDS)


NO_MINIMUMS = Minimums()


@dataclass(frozen=True, kw_only=True)
class BenchmarkProblem(Problem):
    """A `Problem` whose doctors (a benchmark's employees) have `Minimums`."""

    #: doctor id -> their minimums; a doctor absent has none, an id no doctor has is ignored
    #: (the problem of one doctor, built from the whole one, keeps the mapping).
    minimums: Mapping[str, Minimums] = field(default_factory=dict)


def minimums_of(problem: Problem, doctor_id: str) -> Minimums:
    """The doctor's minimums: none unless `problem` is a `BenchmarkProblem` that gives some."""
    if isinstance(problem, BenchmarkProblem):
        return problem.minimums.get(doctor_id, NO_MINIMUMS)
    return NO_MINIMUMS
