"""The solver's output: a rota with its proof and explanations (what `rota.json` holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # every stage proven optimal
    FEASIBLE = "feasible"  # a rota, with bounds; some stage not proven
    INFEASIBLE = "infeasible"  # contradictory hard data (see `conflicts`)
    UNKNOWN = "unknown"  # no rota found within the time limit


@dataclass(frozen=True, kw_only=True)
class Assignment:
    doctor: str
    slot: str
    pinned: bool = False


@dataclass(frozen=True, kw_only=True)
class UncoveredSeats:
    """Seats of one slot left empty, with the reason in words."""

    slot: str
    seats: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class StageReport:
    """One lexicographic stage: its objective value, best bound and whether proven."""

    name: str
    value: float
    bound: float
    proven: bool
    seconds: float


@dataclass(frozen=True, kw_only=True)
class Conflict:
    """Contradictory hard data: which rule and which records."""

    rule: str
    records: tuple[str, ...]
    message: str


@dataclass(frozen=True, kw_only=True)
class Progress:
    """A progress event: the stage, its best value and bound so far, time since the start."""

    stage: str
    value: float
    bound: float
    elapsed: float


@dataclass(kw_only=True)
class Rota:
    status: SolveStatus
    assignments: list[Assignment] = field(default_factory=list)
    uncovered: list[UncoveredSeats] = field(default_factory=list)
    stages: list[StageReport] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    solve_seconds: float = 0.0
    seed: int = 0
