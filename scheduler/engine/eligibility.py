"""Which doctor may take which slot at all: the per-pair hard rules.

Shared by the solver (to create only the variables that can be true) and the explanations.
The independent checker in `engine.checker` re-implements these on purpose.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scheduler.domain.problem import Doctor, Problem, Slot
from scheduler.domain.rules import Rule

#: The rules decided per doctor × slot pair, before the model is built.
ELIGIBILITY_RULES = frozenset({Rule.AVAILABILITY, Rule.DATES_AWAY, Rule.SKILLS})


def offered(doctor: Doctor, slot: Slot) -> bool:
    """Availability: the doctor marked the slot available or preferred."""
    return slot.id in doctor.availability


def away_during(doctor: Doctor, slot: Slot, tz: ZoneInfo) -> bool:
    """Dates away: the slot touches a local date on which the doctor is away."""
    return any(doctor.is_away_on(day) for day in slot.touched_dates(tz))


def lacks_skills(doctor: Doctor, slot: Slot) -> frozenset[str]:
    """Skills: the slot's required skills the doctor does not have."""
    return slot.skills - doctor.skills


def eligible(doctor: Doctor, slot: Slot, tz: ZoneInfo) -> bool:
    return offered(doctor, slot) and not away_during(doctor, slot, tz) and not lacks_skills(
        doctor, slot
    )


def eligible_pairs(problem: Problem) -> list[tuple[Doctor, Slot]]:
    """Every doctor × slot pair the per-pair rules allow, doctors then slots in problem order."""
    tz = problem.tz
    position = {s.id: i for i, s in enumerate(problem.slots)}
    slots = problem.slot_by_id()
    # Each slot's dates once, each doctor's dates away within them once: linear in the pairs.
    touched = {s.id: s.touched_dates(tz) for s in problem.slots}
    dates = {day for days in touched.values() for day in days}
    out: list[tuple[Doctor, Slot]] = []
    for doctor in problem.doctors:
        away = {day for day in dates if doctor.is_away_on(day)} if doctor.away else set()
        offered_ids = sorted((sid for sid in doctor.availability if sid in slots),
                             key=position.__getitem__)
        skills = doctor.skills
        for sid in offered_ids:
            slot = slots[sid]
            if slot.skills and not slot.skills <= skills:
                continue  # lacks_skills, inlined: a million calls on the largest instances
            if away and not away.isdisjoint(touched[sid]):
                continue  # away_during
            out.append((doctor, slot))
    return out


def required_gap_minutes(first: Slot, second: Slot, min_rest_hours: float, travel: int) -> int:
    """Minutes needed between the end of `first` and the start of `second` for one doctor."""
    rest = round(min_rest_hours * 60)
    return max(rest, travel) if first.site != second.site else rest


def in_conflict(a: Slot, b: Slot, min_rest_hours: float, travel: int) -> bool:
    """No overlap, minimum rest and travel buffer: can one doctor not work both?"""
    first, second = (a, b) if (a.start_utc, a.end_utc) <= (b.start_utc, b.end_utc) else (b, a)
    gap = (second.start_utc - first.end_utc).total_seconds() / 60
    return gap < required_gap_minutes(first, second, min_rest_hours, travel)
