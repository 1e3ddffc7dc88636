"""Explanations in words: why seats stay uncovered, and which hard data contradict each other."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

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


def explain_uncovered(problem: Problem, assignments: Sequence[Assignment]) -> list[UncoveredSeats]:
    """For each slot with empty seats, why the doctors who offered it are not on it."""
    worked: dict[str, list[Slot]] = defaultdict(list)
    on_slot: dict[str, set[str]] = defaultdict(set)
    slots = problem.slot_by_id()
    for a in assignments:
        worked[a.doctor].append(slots[a.slot])
        on_slot[a.slot].add(a.doctor)
    checker = RotaChecker(problem)
    out = []
    for slot in problem.slots:
        missing = slot.seats - len(on_slot[slot.id])
        if missing > 0:
            reason = _reason(checker, slot, worked, on_slot[slot.id])
            out.append(UncoveredSeats(slot=slot.id, seats=missing, reason=reason))
    return out


def _reason(checker: RotaChecker, slot: Slot, worked: dict[str, list[Slot]],
            on_slot: set[str]) -> str:
    problem = checker.problem
    offering = [d for d in problem.doctors if slot.id in d.availability and d.id not in on_slot]
    if not offering:
        return "no doctor available" if not on_slot else "no other doctor available"
    blocks = [f"{_name(d)}: {_why_not(checker, slot, d, worked[d.id])}" for d in offering]
    n = len(offering)
    lead = f"the {n} available doctors cannot take it" if n > 1 else \
        "the only available doctor cannot take it"
    return f"{lead} ({'; '.join(blocks)})"


def _why_not(checker: RotaChecker, slot: Slot, doctor: Doctor, slots: list[Slot]) -> str:
    tz, rules = checker.problem.tz, checker.problem.rules
    if away_during(doctor, slot, tz):
        return "away"
    missing = lacks_skills(doctor, slot)
    if missing:
        return f"lacks skill {', '.join(sorted(missing))}"
    clash = [s for s in slots if in_conflict(s, slot, rules.min_rest_hours,
                                             rules.travel_buffer_minutes)]
    if clash:
        other = min(clash, key=lambda s: s.start_utc)
        overlap = other.start_utc < slot.end_utc and slot.start_utc < other.end_utc
        kind = "overlap with" if overlap else \
            "rest rule after" if other.start_utc < slot.start_utc else "rest rule before"
        return f"{kind} {other.id}"
    broken = _rule_broken(checker, doctor, [*slots, slot])
    if broken:
        return broken
    return "free, but taking it would cost a higher-priority slot or the time limit ran out"


def _rule_broken(checker: RotaChecker, doctor: Doctor, slots: list[Slot]) -> str:
    """The first rule that taking one more shift would break (caps and every other rule)."""
    for v in checker.doctor_violations(doctor, slots):
        # "At their weekly cap" reads better than "breaks the weekly cap rule".
        if v.rule.kind is RuleKind.CAP:
            return f"at their {v.rule} ({v.message})"
        if v.rule.kind is not RuleKind.ELIGIBILITY:
            return f"the {v.rule} rule ({v.message})"
    return ""


def _name(doctor: Doctor) -> str:
    return doctor.name or doctor.id
