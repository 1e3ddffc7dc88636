"""Re-planning changes only what it must, and says what changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from scheduler.domain.problem import DoctorSlot
from scheduler.domain.rota import Assignment, Move, diff
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from scheduler.solver import SolveOptions, replan, solve
from tests.support.factories import doctor, problem, slot

FAST = SolveOptions(time_limit_seconds=5)
SLOTS = [slot(f"s{i}", f"2026-07-{6 + i:02d} 20:00") for i in range(6)]
IDS = [s.id for s in SLOTS]


def base():  # type: ignore[no-untyped-def]
    return problem(SLOTS, [doctor(c, IDS, max_shifts=3) for c in "abcd"])


def test_a_withdrawal_moves_only_the_withdrawn_doctors_shifts() -> None:
    p = base()
    published = solve(p, FAST).assignments
    gone = published[0].doctor
    theirs = {a.slot for a in published if a.doctor == gone}
    withdrawn = replace(p, doctors=tuple(
        replace(d, availability={}) if d.id == gone else d for d in p.doctors))
    rota, change = replan(withdrawn, published, FAST)
    assert {m.slot for m in change.moved} == theirs
    assert all(m.from_doctor == gone for m in change.moved)
    assert change.removed == () and change.added == ()
    assert len(change.kept) == len(published) - len(theirs)
    assert RotaChecker(withdrawn).violations([(a.doctor, a.slot) for a in rota.assignments]) == []


def test_stability_ranks_above_fairness() -> None:
    # Published: a does everything. Re-planning the same data must not rebalance.
    p = problem(SLOTS[:2], [doctor("a", IDS[:2]), doctor("b", IDS[:2])])
    published = [Assignment(doctor="a", slot="s0"), Assignment(doctor="a", slot="s1")]
    _, change = replan(p, published, FAST)
    assert change.changed == 0 and len(change.kept) == 2


def test_added_slot_is_covered_without_touching_the_rest() -> None:
    p = base()
    published = solve(p, FAST).assignments
    extra = slot("extra", "2026-07-20 20:00")
    grown = replace(p, slots=(*p.slots, extra), doctors=tuple(
        replace(d, availability={**d.availability, "extra": d.availability["s0"]},
                max_shifts=4) for d in p.doctors))
    _, change = replan(grown, published, FAST)
    assert change.changed == 0 and [x.slot for x in change.added] == ["extra"]


def test_seats_reduced_drop_one_assignment_only() -> None:
    p = problem([slot("s", "2026-07-06 20:00", seats=2)], [doctor("a", ["s"]), doctor("b", ["s"])])
    published = solve(p, FAST).assignments
    fewer = replace(p, slots=(replace(p.slots[0], seats=1),))
    _, change = replan(fewer, published, FAST)
    assert len(change.kept) == 1 and len(change.removed) == 1 and change.moved == ()


def test_away_after_publication_is_respected() -> None:
    p = base()
    published = solve(p, FAST).assignments
    first = published[0]
    away = replace(p, doctors=tuple(
        replace(d, away=((date(2026, 7, 6), date(2026, 7, 6)),)) if d.id == first.doctor else d
        for d in p.doctors))
    rota, change = replan(away, published, FAST)
    assert (first.doctor, first.slot) not in {(a.doctor, a.slot) for a in rota.assignments}
    assert [m.slot for m in change.moved] == [first.slot] or change.removed


def test_diff_classifies_kept_moved_added_removed() -> None:
    before = [DoctorSlot(doctor="a", slot="s1"), DoctorSlot(doctor="b", slot="s2"),
              DoctorSlot(doctor="c", slot="s3")]
    after = [Assignment(doctor="a", slot="s1"), Assignment(doctor="d", slot="s2"),
             Assignment(doctor="e", slot="s4")]
    d = diff(before, after)
    assert d.kept == (DoctorSlot(doctor="a", slot="s1"),)
    assert d.moved == (Move(slot="s2", from_doctor="b", to_doctor="d"),)
    assert d.added == (DoctorSlot(doctor="e", slot="s4"),)
    assert d.removed == (DoctorSlot(doctor="c", slot="s3"),)


def test_removed_by_the_manager_stays_removed() -> None:
    p = problem(SLOTS[:1], [doctor("a", IDS[:1], carry_over_hours=0.0), doctor("b", IDS[:1],
                                                                         carry_over_hours=8.0)])
    assert [a.doctor for a in solve(p, FAST).assignments] == ["a"]
    without_a = replace(p, removed=(DoctorSlot(doctor="a", slot="s0"),))
    assert [a.doctor for a in solve(without_a, FAST).assignments] == ["b"]
    assert Rule.REMOVED in {v.rule for v in RotaChecker(without_a).violations([("a", "s0")])}


def test_per_site_cap_in_a_multi_site_period() -> None:
    slots = [slot("c1", "2026-07-06 20:00", site="chic"), slot("c2", "2026-07-08 20:00",
                                                               site="chic"),
             slot("v1", "2026-07-10 20:00", site="chiv")]
    x = doctor("x", ["c1", "c2", "v1"], max_shifts_per_site={"chic": 1})
    rota = solve(problem(slots, [x]), FAST)
    site_of = {s.id: s.site for s in slots}
    assert sorted(site_of[a.slot] for a in rota.assignments) == ["chic", "chiv"]
    assert Rule.SITE_CAP in {v.rule for v in RotaChecker(problem(slots, [x])).violations(
        [("x", "c1"), ("x", "c2")])}
