"""Re-planning after changes: keep as much of the published rota as the new data allows.

Stability is the second objective (after coverage), so `solve` already changes the fewest
published assignments; this module builds the re-plan problem and reports the difference
(`scheduler.domain.rota.diff`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from scheduler.domain.problem import DoctorSlot, Problem
from scheduler.domain.rota import Assignment, Rota, RotaDiff, diff
from scheduler.engine.cpsat import SolveOptions
from scheduler.engine.stages import solve


def replan(problem: Problem, published: Iterable[Assignment | DoctorSlot],
           options: SolveOptions | None = None) -> tuple[Rota, RotaDiff]:
    """Solve `problem` (the changed inputs) against the published rota; return rota and diff."""
    before = tuple(sorted({DoctorSlot(doctor=a.doctor, slot=a.slot) for a in published}))
    rota = solve(replace(problem, published=before), options)
    return rota, diff(before, rota.assignments)
