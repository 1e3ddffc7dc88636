"""Inclusive ranges for the numbers of the domain, defined once, on the type that owns them.

Each domain type (`Rules`, `Slot`, `Doctor` in `problem.py`, a benchmark's `Minimums` in
`benchmark.py`) lists its bounds in a `BOUNDS` class attribute and checks them when built; the
scenario schema and `problem.json` (`scenario.fields.within`), the tables (through the domain
types) and the GP form take their limits from there, so a bound never lives in two places.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bound:
    """`low <= value <= high`, in the field's own unit (shifts, hours, minutes...)."""

    low: int | float
    high: int | float

    def check(self, name: str, value: int | float | None) -> None:
        """Raise ValueError naming `name` when `value` (None: not set) is out of range."""
        if value is None:
            return
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name}: {value} is not a number")
        if not self.low <= value <= self.high:
            raise ValueError(f"{name}: {value} is not between {self.low} and {self.high}")


def check_bounds(owner: object, bounds: Mapping[str, Bound]) -> None:
    """Check every bounded attribute of `owner`; a mapping attribute has each value checked."""
    for name, bound in bounds.items():
        value = getattr(owner, name)
        values: Iterable[tuple[str, Any]] = (
            ((f"{name}.{key}", v) for key, v in value.items())
            if isinstance(value, Mapping) else ((name, value),)
        )
        for label, item in values:
            bound.check(label, item)
