"""Schema fields bounded by the domain: the scenario and problem.json read a number within the
bound its domain type declares (`scheduler.domain.bounds`), never a copy of it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from scheduler.domain.bounds import Bound


def within(bound: Bound, default: Any = ...) -> Any:
    """A pydantic `Field` accepting `bound.low` to `bound.high` (default: required)."""
    return Field(default, ge=bound.low, le=bound.high)
