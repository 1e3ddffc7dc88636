"""The independent checker: counting conventions, loads and the fairness certificate (each rule
flagged on a violating rota and silent on a clean one: `test_rule_registry.py`)."""

from __future__ import annotations

from scheduler.domain.problem import Problem
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from tests.support.factories import doctor, problem, slot

EVE = slot("eve", "2026-07-05 20:00")
MORNING = slot("morning", "2026-07-06 08:00", hours=6)
LATER = slot("later", "2026-07-06 20:00")  # Monday: ISO week 28, unlike Sunday's EVE
WED = slot("wed", "2026-07-08 20:00")


def rules_broken(p: Problem, pairs: list[tuple[str, str]]) -> list[Rule]:
    return sorted({v.rule for v in RotaChecker(p).violations(pairs)})


def test_weekly_cap_uses_the_local_start_date_iso_week() -> None:
    # Sunday 12 July 20:00 → 13 July 08:00 belongs to week 28, the Monday evening to week 29.
    night = slot("night", "2026-07-12 20:00", hours=12)
    monday = slot("monday", "2026-07-13 20:00")
    p = problem([night, monday], [doctor("x", ["night", "monday"], max_shifts_per_week=1)])
    assert rules_broken(p, [("x", "night"), ("x", "monday")]) == []


def test_loads_count_real_hours_and_carry_over() -> None:
    night = slot("night", "2026-10-24 20:00", hours=13)
    p = problem([night], [doctor("x", ["night"], carry_over_hours=6.0)])
    assert RotaChecker(p).loads([("x", "night")]) == {"x": 19.0}


def test_justified_complaint_on_an_unfair_rota() -> None:
    slots = [slot(f"s{i}", f"2026-07-{6 + 2 * i:02d} 20:00") for i in range(3)]
    ids = [s.id for s in slots]
    p = problem(slots, [doctor("busy", ids), doctor("idle", ids)])
    unfair = [("busy", i) for i in ids]
    complaints = RotaChecker(p).justified_complaints(unfair)
    assert {(c.claimant, c.holder) for c in complaints} == {("idle", "busy")}
    fair = [("busy", "s0"), ("idle", "s1"), ("busy", "s2")]
    assert RotaChecker(p).justified_complaints(fair) == []


def test_no_complaint_when_the_claimant_could_not_take_the_shift() -> None:
    slots = [slot(f"s{i}", f"2026-07-{6 + 2 * i:02d} 20:00") for i in range(3)]
    ids = [s.id for s in slots]
    p = problem(slots, [doctor("busy", ids), doctor("capped", ids, max_shifts=0)])
    assert RotaChecker(p).justified_complaints([("busy", i) for i in ids]) == []


def test_pinned_shift_gives_no_complaint() -> None:
    slots = [slot(f"s{i}", f"2026-07-{6 + 2 * i:02d} 20:00") for i in range(3)]
    ids = [s.id for s in slots]
    p = problem(slots, [doctor("busy", ids), doctor("idle", ids)],
                pinned=[("busy", i) for i in ids])
    assert RotaChecker(p).justified_complaints([("busy", i) for i in ids]) == []


def test_spacing_is_checked_past_a_slot_far_enough_from_the_first() -> None:
    """A long slot overlapping one that starts after a short one: the scan from each slot stops
    only once the gap reaches the widest required one, never before a clash."""
    long = slot("long", "2026-07-06 08:00", hours=12)
    short = slot("short", "2026-07-06 09:00", hours=1)
    late = slot("late", "2026-07-06 19:00", hours=2)
    p = problem([long, short, late], [doctor("x", ["long", "short", "late"])])
    broken = RotaChecker(p).violations([("x", "long"), ("x", "late")])
    assert [v.rule for v in broken] == [Rule.NO_OVERLAP]
    assert [v.rule for v in RotaChecker(p).violations([("x", "short"), ("x", "late")])] == [
        Rule.MINIMUM_REST]
