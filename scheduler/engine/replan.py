"""Re-planning after changes: keep as much of the published rota as the new data allows.

Stability is the second objective (after coverage), so `solve` already changes the fewest
published assignments; this module builds the re-plan problem and reports the difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from scheduler.domain.problem import DoctorSlot, Problem
from scheduler.domain.rota import Assignment, Rota
from scheduler.engine.cpsat import SolveOptions
from scheduler.engine.stages import solve


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


def replan(problem: Problem, published: Iterable[Assignment | DoctorSlot],
           options: SolveOptions | None = None) -> tuple[Rota, RotaDiff]:
    """Solve `problem` (the changed inputs) against the published rota; return rota and diff."""
    before = tuple(sorted({DoctorSlot(doctor=a.doctor, slot=a.slot) for a in published}))
    rota = solve(replace(problem, published=before), options)
    return rota, diff(before, rota.assignments)
