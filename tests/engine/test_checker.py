"""The independent checker: each rule flagged on a violating rota, silent on a clean one."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.engine.checker import RotaChecker
from tests.support.factories import doctor, problem, slot

EVE = slot("eve", "2026-07-05 20:00")
MORNING = slot("morning", "2026-07-06 08:00", hours=6)
LATER = slot("later", "2026-07-06 20:00")  # Monday: ISO week 28, unlike Sunday's EVE
WED = slot("wed", "2026-07-08 20:00")


def rules_broken(p, pairs):  # type: ignore[no-untyped-def]
    return sorted({v.rule for v in RotaChecker(p).violations(pairs)})


@pytest.mark.parametrize(
    ("p", "bad", "good", "rule"),
    [
        (problem([EVE, LATER], [doctor("x", ["eve"])]), [("x", "later")], [("x", "eve")],
         "availability"),
        (problem([EVE], [doctor("x", ["eve"], away=((date(2026, 7, 5), date(2026, 7, 5)),))]),
         [("x", "eve")], [], "dates away"),
        (problem([EVE, MORNING], [doctor("x", ["eve", "morning"])]),
         [("x", "eve"), ("x", "morning")], [("x", "eve")], "minimum rest"),
        (problem([EVE, slot("eve2", "2026-07-05 22:00")], [doctor("x", ["eve", "eve2"])],
                 min_rest_hours=0), [("x", "eve"), ("x", "eve2")], [("x", "eve")], "no overlap"),
        (problem([slot("a", "2026-07-06 08:00", site="chiv"),
                  slot("b", "2026-07-06 12:10", site="chic")], [doctor("x", ["a", "b"])],
                 min_rest_hours=0, travel_buffer_minutes=30),
         [("x", "a"), ("x", "b")], [("x", "a")], "travel buffer"),
        (problem([EVE, LATER], [doctor("x", ["eve", "later"], max_shifts=1)]),
         [("x", "eve"), ("x", "later")], [("x", "later")], "period cap"),
        (problem([LATER, WED], [doctor("x", ["later", "wed"], max_shifts_per_week=1)]),
         [("x", "later"), ("x", "wed")], [("x", "wed")], "weekly cap"),
        (problem([EVE, LATER], [doctor("x", ["eve", "later"], max_consecutive_days=1)]),
         [("x", "eve"), ("x", "later")], [("x", "eve")], "consecutive days"),
        (problem([EVE, LATER], [doctor("x", ["eve", "later"], max_hours=7.5)]),
         [("x", "eve"), ("x", "later")], [("x", "eve")], "hours cap"),
        (problem([slot("p", "2026-07-05 08:00", skills=("paediatrics",))],
                 [doctor("x", ["p"])]), [("x", "p")], [], "skills"),
        (problem([EVE], [doctor("x", ["eve"]), doctor("y", ["eve"])]),
         [("x", "eve"), ("y", "eve")], [("x", "eve")], "seats"),
        (problem([EVE], [doctor("x", ["eve"])], pinned=[("x", "eve")]), [], [("x", "eve")],
         "pinned"),
        (problem([EVE], [doctor("x", ["eve"])]), [("x", "eve"), ("x", "eve")], [("x", "eve")],
         "duplicate"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_rule(p, bad, good, rule) -> None:  # type: ignore[no-untyped-def]
    assert rule in rules_broken(p, bad)
    assert rules_broken(p, good) == []


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
