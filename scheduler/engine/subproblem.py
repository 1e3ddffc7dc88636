"""Part of a problem: some doctors, with the seats the others' rota leaves them.

Every hard rule but the seats is one doctor's own, so a rota of the chosen doctors on their
own slots (with each slot's seats less those the other doctors hold) joined to the others'
rota keeps every rule of the whole problem, and its coverage is the whole rota's less a
constant. `construct.py` places doctors one at a time this way, `repair.py` re-solves small
groups of doctors around uncovered seats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import replace

from scheduler.domain.problem import Doctor, Problem, Slot


def restricted(problem: Problem, doctors: Collection[Doctor], taken: Counter[str]) -> Problem:
    """The problem of `doctors` alone: the slots any of them offered, each with the seats
    (and `max_seats`) less `taken[slot id]` (the other doctors on it; a slot they fill up is
    left out), the doctors' pins, removed and published assignments (a held stability
    objective counts the group's changes). `doctors` keep the order of `problem.doctors`."""
    ids = {d.id for d in doctors}
    offered = {sid for d in doctors for sid in d.availability}
    slots: list[Slot] = []
    for slot in problem.slots:
        if slot.id not in offered:
            continue
        used = taken[slot.id]
        if used:
            cap = slot.seats if slot.max_seats is None else slot.max_seats
            if used >= cap:
                continue
            slot = replace(slot, seats=max(0, slot.seats - used),
                           max_seats=None if slot.max_seats is None else slot.max_seats - used)
        slots.append(slot)
    return replace(problem, slots=tuple(slots),
                   doctors=tuple(d for d in problem.doctors if d.id in ids),
                   pinned=tuple(p for p in problem.pinned if p.doctor in ids),
                   removed=tuple(p for p in problem.removed if p.doctor in ids),
                   published=tuple(p for p in problem.published if p.doctor in ids))
