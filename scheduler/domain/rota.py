"""The solver's output: a rota with its proof and explanations (what `rota.json` holds)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from scheduler.domain.problem import DoctorSlot
from scheduler.domain.rules import Rule


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
    """Contradictory hard data: which rule (None: the hard rules together) and which records."""

    rule: Rule | None
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
    #: The same input and seed give this rota again: a deterministic solve (one worker, the
    #: time limit turned into a work budget) whose every part ended by its work budget or its
    #: bound, none by the wall clock (which still caps each part on a machine too slow or busy
    #: for it). Always False for a solve with several workers, whose limit is the clock.
    reproducible: bool = False


@dataclass(frozen=True, kw_only=True)
class Move:
    slot: str
    from_doctor: str
    to_doctor: str


@dataclass(frozen=True, kw_only=True)
class RotaDiff:
    """What a re-plan changed, against the published rota."""

    kept: tuple[DoctorSlot, ...]
    moved: tuple[Move, ...]  # the slot stays covered by another doctor
    added: tuple[DoctorSlot, ...]  # newly covered seats
    removed: tuple[DoctorSlot, ...]  # published assignments dropped, seat left empty

    @property
    def changed(self) -> int:
        return len(self.moved) + len(self.removed)


def diff(published: Iterable[DoctorSlot], assignments: Iterable[Assignment]) -> RotaDiff:
    before = set(published)
    after = {DoctorSlot(doctor=a.doctor, slot=a.slot) for a in assignments}
    gone: dict[str, list[str]] = defaultdict(list)
    new: dict[str, list[str]] = defaultdict(list)
    for p in sorted(before - after):
        gone[p.slot].append(p.doctor)
    for p in sorted(after - before):
        new[p.slot].append(p.doctor)
    moved, added, removed = [], [], []
    for slot in sorted(gone.keys() | new.keys()):
        pairs = list(zip(gone[slot], new[slot], strict=False))
        moved += [Move(slot=slot, from_doctor=a, to_doctor=b) for a, b in pairs]
        removed += [DoctorSlot(doctor=d, slot=slot) for d in gone[slot][len(pairs):]]
        added += [DoctorSlot(doctor=d, slot=slot) for d in new[slot][len(pairs):]]
    return RotaDiff(kept=tuple(sorted(before & after)), moved=tuple(moved), added=tuple(added),
                    removed=tuple(removed))
