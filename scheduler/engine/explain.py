"""Explanations in words: why seats stay uncovered, and which hard data contradict each other."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.domain.problem import Doctor, Problem, Slot
from scheduler.domain.rota import Assignment, Conflict, UncoveredSeats
from scheduler.domain.rules import Rule, RuleKind
from scheduler.engine.checker import RotaChecker
from scheduler.engine.eligibility import away_during, in_conflict, lacks_skills


def pinned_conflicts(problem: Problem) -> list[Conflict]:
    """Pinned assignments that break a hard rule on their own: the solve cannot start."""
    slots, doctors = problem.slot_by_id(), problem.doctor_by_id()
    out = [
        Conflict(rule=Rule.UNKNOWN_RECORD, records=(f"doctor {p.doctor}", f"slot {p.slot}"),
                 message=f"pinned assignment {p.doctor} → {p.slot} names an unknown record")
        for p in problem.pinned
        if p.doctor not in doctors or p.slot not in slots
    ]
    if out:
        return out
    checker = RotaChecker(problem)
    for v in checker.violations((p.doctor, p.slot) for p in problem.pinned):
        if v.rule is Rule.PINNED:
            continue
        who = [f"doctor {v.doctor}"] if v.doctor else []
        out.append(Conflict(
            rule=v.rule,
            records=(*who, *(f"slot {s}" for s in v.slots)),
            message=f"pinned assignments break the {v.rule} rule: {v.message}",
        ))
    return out


@dataclass(frozen=True)
class Blocker:
    """Why one doctor who offered a slot is not on it: `kind` is "away", "skills",
    "overlap", "rest after", "rest before", "cap" or "rule" (with `rule`), or "free";
    `detail` holds the skills missing, the other slot's id, or the checker's message."""

    doctor: str
    kind: str
    rule: Rule | None = None
    detail: str = ""


@dataclass(frozen=True)
class UncoveredReason:
    """A slot's empty seats, with why each doctor who offered it is not on it (`blockers`
    empty: nobody else offered it; `someone_on` tells whether anybody is on it)."""

    slot: str
    seats: int
    someone_on: bool
    blockers: tuple[Blocker, ...]
    #: False when the solve's time limit ran out before the slot's doctors were examined
    #: (`blockers` then empty).
    examined: bool = True


def explain_uncovered(problem: Problem, assignments: Sequence[Assignment], *,
                      deadline: float | None = None) -> list[UncoveredSeats]:
    """For each slot with empty seats, why the doctors who offered it are not on it (English,
    as `rota.json` carries it; `reason_fr` words the same reasons in French). Past `deadline`
    (`time.monotonic()`), the slots left are not examined (`uncovered_reasons`)."""
    return [UncoveredSeats(slot=r.slot, seats=r.seats, reason=reason_en(r))
            for r in uncovered_reasons(problem, assignments, deadline=deadline)]


def uncovered_reasons(problem: Problem, assignments: Sequence[Assignment], *,
                      deadline: float | None = None) -> list[UncoveredReason]:
    """Each slot with empty seats and, for each doctor who offered it, what keeps them off.

    Examining one doctor re-checks their whole rota with one more slot: a poor rota of a large
    problem (Curtois Instance 22: 27,000 doctor × seat pairs) takes a minute. Past `deadline`
    (`time.monotonic()`; None: no deadline) the slots left are not examined (`examined`
    False), so a solve keeps its time limit."""
    worked: dict[str, list[Slot]] = defaultdict(list)
    on_slot: dict[str, set[str]] = defaultdict(set)
    slots = problem.slot_by_id()
    for a in assignments:
        worked[a.doctor].append(slots[a.slot])
        on_slot[a.slot].add(a.doctor)
    checker = RotaChecker(problem)
    offered = checker.offers
    out = []
    for slot in problem.slots:
        missing = slot.seats - len(on_slot[slot.id])
        if missing > 0:
            offering = [d for d in offered[slot.id] if d.id not in on_slot[slot.id]]
            if deadline is not None and time.monotonic() > deadline:
                out.append(UncoveredReason(slot=slot.id, seats=missing,
                                           someone_on=bool(on_slot[slot.id]), blockers=(),
                                           examined=False))
                continue
            out.append(UncoveredReason(
                slot=slot.id, seats=missing, someone_on=bool(on_slot[slot.id]),
                blockers=tuple(_why_not(checker, slot, d, worked[d.id]) for d in offering)))
    return out


def reason_en(reason: UncoveredReason) -> str:
    """The reason in English ("the 3 available doctors cannot take it (Dr A: away; …)")."""
    if not reason.examined:
        return "not examined: the time limit ran out"
    if not reason.blockers:
        return "no other doctor available" if reason.someone_on else "no doctor available"
    blocks = [f"{b.doctor}: {_blocker_en(b)}" for b in reason.blockers]
    n = len(reason.blockers)
    lead = f"the {n} available doctors cannot take it" if n > 1 else \
        "the only available doctor cannot take it"
    return f"{lead} ({'; '.join(blocks)})"


def _blocker_en(b: Blocker) -> str:
    if b.kind == "away":
        return "away"
    if b.kind == "skills":
        return f"lacks skill {b.detail}"
    if b.kind in ("overlap", "rest after", "rest before"):
        kind = "overlap with" if b.kind == "overlap" else f"{b.kind.replace('rest', 'rest rule')}"
        return f"{kind} {b.detail}"
    if b.kind == "cap":
        return f"at their {b.rule} ({b.detail})"
    if b.kind == "rule":
        return f"the {b.rule} rule ({b.detail})"
    return "free, but taking it would cost a higher-priority slot or the time limit ran out"


def _why_not(checker: RotaChecker, slot: Slot, doctor: Doctor, slots: list[Slot]) -> Blocker:
    tz, rules = checker.problem.tz, checker.problem.rules
    name = doctor.name or doctor.id
    if away_during(doctor, slot, tz):
        return Blocker(name, "away")
    missing = lacks_skills(doctor, slot)
    if missing:
        return Blocker(name, "skills", detail=", ".join(sorted(missing)))
    clash = [s for s in slots if in_conflict(s, slot, rules.min_rest_hours,
                                             rules.travel_buffer_minutes)]
    if clash:
        other = min(clash, key=lambda s: s.start_utc)
        overlap = other.start_utc < slot.end_utc and slot.start_utc < other.end_utc
        kind = "overlap" if overlap else \
            "rest after" if other.start_utc < slot.start_utc else "rest before"
        return Blocker(name, kind, detail=other.id)
    # The first rule that taking one more shift would break (caps and every other rule).
    for v in checker.doctor_violations(doctor, [*slots, slot]):
        if v.rule.kind is RuleKind.CAP:
            return Blocker(name, "cap", v.rule, v.message)
        if v.rule.kind is not RuleKind.ELIGIBILITY:
            return Blocker(name, "rule", v.rule, v.message)
    return Blocker(name, "free")
