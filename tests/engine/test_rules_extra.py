"""The rules and objectives added for staffing benchmarks (minimum hours, kind caps, shifts per
day, forbidden successions, minimum runs, weekends, over-cover, wishes, the weighted mode).

Each hard rule: a binding case where the solver must leave a seat empty (or shape the rota) and
a clean case with the rule relaxed, plus the independent checker catching a violating rota and
passing a clean one. Every solved rota is re-checked by the checker.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.domain.benchmark import Minimums
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Doctor, Problem, Rules, Slot
from scheduler.domain.rota import Rota, SolveStatus
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from scheduler.scenario.exchange import problem_from_data, problem_to_data
from scheduler.solver import solve
from tests.support.factories import FAST, doctor, problem, slot, solved, uncovered


def worked(rota: Rota, who: str) -> list[str]:
    return sorted(a.slot for a in rota.assignments if a.doctor == who)


def kinded(s: Slot, kind: str) -> Slot:
    return replace(s, kind=kind)


def with_rules(p: Problem, **rules: object) -> Problem:
    return replace(p, rules=replace(p.rules, **rules))  # type: ignore[arg-type]


def rules_broken(p: Problem, pairs: list[tuple[str, str]]) -> set[str]:
    return {v.rule for v in RotaChecker(p).violations(pairs)}


# Mon 6 .. Sun 12 July 2026, one 20:00 evening a day; the period runs 1 July .. 31 August.
DAYS = [slot(f"d{6 + i}", f"2026-07-{6 + i:02d} 20:00") for i in range(7)]


# -- minimum hours --------------------------------------------------------------------------

TWO = [slot("a", "2026-07-06 08:00"), slot("b", "2026-07-07 08:00")]
#: y must work 8 hours.
Y8 = {"y": Minimums(min_hours=8)}


def test_minimum_hours_make_a_doctor_work_both_shifts_despite_fairness() -> None:
    p = problem(TWO, [doctor("x", ["a", "b"]), doctor("y", ["a", "b"])], minimums=Y8)
    assert worked(solved(p), "y") == ["a", "b"]


def test_minimum_hours_clean_fairness_shares_the_shifts() -> None:
    p = problem(TWO, [doctor("x", ["a", "b"]), doctor("y", ["a", "b"])])
    assert len(worked(solved(p), "y")) == 1


def test_checker_flags_a_doctor_below_minimum_hours() -> None:
    p = problem(TWO, [doctor("y", ["a", "b"])], minimums=Y8)
    assert Rule.MINIMUM_HOURS in rules_broken(p, [("y", "a")])
    assert rules_broken(p, [("y", "a"), ("y", "b")]) == set()


def test_unreachable_minimum_hours_make_the_problem_infeasible_not_an_empty_rota() -> None:
    # Two 4-hour slots offered, 12 hours required: no rota keeps the rule, and the empty rota
    # (the usual fallback) breaks it too.
    rota = solve(problem(TWO, [doctor("y", ["a", "b"])],
                         minimums={"y": Minimums(min_hours=12)}), FAST)
    assert rota.status is SolveStatus.INFEASIBLE and rota.assignments == []
    assert [c.rule for c in rota.conflicts] == [None]


def test_minimum_hours_alone_do_not_make_a_pin_a_conflict() -> None:
    p = problem(TWO, [doctor("y", ["a", "b"])], pinned=[("y", "a")], minimums=Y8)
    assert worked(solved(p), "y") == ["a", "b"]


# -- per-kind caps --------------------------------------------------------------------------

NIGHTS = [kinded(s, "night") for s in DAYS[:5]]


@pytest.mark.parametrize(("caps", "expected"), [({"night": 2}, 3), ({"night": 5}, 0),
                                                ({"day": 0}, 0)],
                         ids=["binding", "clean", "other kind"])
def test_kind_cap_limits_shifts_of_that_kind(caps: dict[str, int], expected: int) -> None:
    p = problem(NIGHTS, [doctor("x", [s.id for s in NIGHTS], max_shifts_by_kind=caps)])
    assert uncovered(solved(p)) == expected


def test_checker_flags_a_kind_cap_exceeded() -> None:
    p = problem(NIGHTS, [doctor("x", [s.id for s in NIGHTS], max_shifts_by_kind={"night": 1})])
    assert Rule.KIND_CAP in rules_broken(p, [("x", "d6"), ("x", "d7")])
    assert rules_broken(p, [("x", "d6")]) == set()


# -- shifts per day -------------------------------------------------------------------------

SAME_DAY = [slot("am", "2026-07-06 08:00"), slot("pm", "2026-07-06 14:00")]


@pytest.mark.parametrize(("cap", "expected"), [(1, 1), (2, 0), (None, 0)],
                         ids=["binding", "clean", "unset"])
def test_max_shifts_per_day(cap: int | None, expected: int) -> None:
    p = with_rules(problem(SAME_DAY, [doctor("x", ["am", "pm"])], min_rest_hours=0),
                   max_shifts_per_day=cap)
    assert uncovered(solved(p)) == expected


def test_checker_flags_two_shifts_on_one_day_over_the_cap() -> None:
    p = with_rules(problem(SAME_DAY, [doctor("x", ["am", "pm"])], min_rest_hours=0),
                   max_shifts_per_day=1)
    assert Rule.SHIFTS_PER_DAY in rules_broken(p, [("x", "am"), ("x", "pm")])
    assert rules_broken(p, [("x", "am")]) == set()


# -- forbidden successions ------------------------------------------------------------------

NIGHT_THEN_DAY = [kinded(slot("n", "2026-07-06 20:00", hours=10), "N"),
                  kinded(slot("d", "2026-07-07 14:00"), "D")]


@pytest.mark.parametrize(("forbidden", "expected"), [((("N", "D"),), 1), ((("D", "N"),), 0),
                                                     ((), 0)],
                         ids=["binding", "other order", "unset"])
def test_forbidden_succession_of_kinds_on_the_next_date(
        forbidden: tuple[tuple[str, str], ...], expected: int) -> None:
    p = with_rules(problem(NIGHT_THEN_DAY, [doctor("x", ["n", "d"])], min_rest_hours=0),
                   forbidden_successions=forbidden)
    assert uncovered(solved(p)) == expected


def test_checker_flags_a_forbidden_succession() -> None:
    p = with_rules(problem(NIGHT_THEN_DAY, [doctor("x", ["n", "d"])], min_rest_hours=0),
                   forbidden_successions=(("N", "D"),))
    assert Rule.FORBIDDEN_SUCCESSION in rules_broken(p, [("x", "n"), ("x", "d")])
    assert rules_broken(p, [("x", "d")]) == set()


# One shift a day, three kinds each day (the Curtois shape): today's kinds that forbid the same
# kinds tomorrow share one clique inequality in the model.
THREE_KINDS = [kinded(slot(f"{k}{day}", f"2026-07-0{day} {hour}", hours=4), k)
               for day in (6, 7) for k, hour in (("A", "06:00"), ("B", "12:00"), ("C", "18:00"))]
SUCCESSIONS = (("B", "A"), ("C", "A"), ("C", "B"))  # a forward rotation: A → B → C


@pytest.mark.parametrize(("today", "tomorrow", "allowed"), [
    ("A", "A", True), ("A", "B", True), ("A", "C", True), ("B", "A", False), ("B", "B", True),
    ("B", "C", True), ("C", "A", False), ("C", "B", False), ("C", "C", True)])
def test_grouped_successions_allow_exactly_the_rotations_the_rule_allows(
        today: str, tomorrow: str, allowed: bool) -> None:
    pair = [f"{today}6", f"{tomorrow}7"]
    p = with_rules(problem(THREE_KINDS, [doctor("x", pair)], min_rest_hours=0),
                   forbidden_successions=SUCCESSIONS, max_shifts_per_day=1)
    assert uncovered(solved(p)) == 4 + (0 if allowed else 1)
    assert (Rule.FORBIDDEN_SUCCESSION in rules_broken(p, [("x", s) for s in pair])) \
        is not allowed


# -- minimum consecutive days and days off --------------------------------------------------

def one_doctor(slots: list[Slot], least: Minimums | None = None, **caps: object) -> Problem:
    return problem(slots, [doctor("x", [s.id for s in slots], **caps)],
                   minimums=None if least is None else {"x": least})


def test_minimum_consecutive_days_forbid_a_lone_working_day() -> None:
    assert uncovered(solved(one_doctor(DAYS[2:3], Minimums(min_consecutive_days=2)))) == 1


def test_minimum_consecutive_days_clean_a_two_day_run() -> None:
    assert uncovered(solved(one_doctor(DAYS[2:4], Minimums(min_consecutive_days=2)))) == 0


def test_minimum_consecutive_days_exempt_a_run_touching_the_period_start() -> None:
    first = slot("first", "2026-07-01 08:00")  # the period starts on 1 July
    assert uncovered(solved(one_doctor([first], Minimums(min_consecutive_days=3)))) == 0


def test_minimum_days_off_forbid_a_lone_day_off_between_shifts() -> None:
    # Mon Tue . Thu Fri: the lone Wednesday off is too short, so one shift stays empty.
    slots = [DAYS[0], DAYS[1], DAYS[3], DAYS[4]]
    assert uncovered(solved(one_doctor(slots, min_days_off=2))) == 1


def test_minimum_days_off_clean_when_one_day_is_enough() -> None:
    slots = [DAYS[0], DAYS[1], DAYS[3], DAYS[4]]
    assert uncovered(solved(one_doctor(slots, min_days_off=1))) == 0


def test_checker_flags_short_inner_runs_and_exempts_the_edges() -> None:
    edge = slot("first", "2026-07-01 08:00")
    p = one_doctor([edge, *DAYS], Minimums(min_consecutive_days=2), min_days_off=2)
    assert rules_broken(p, [("x", "d8")]) == {Rule.MINIMUM_CONSECUTIVE_DAYS}
    assert rules_broken(p, [("x", "d6"), ("x", "d7"), ("x", "d9"), ("x", "d10")]) == {
        Rule.MINIMUM_DAYS_OFF}
    assert rules_broken(p, [("x", "first"), ("x", "d6"), ("x", "d7")]) == set()


# -- weekends -------------------------------------------------------------------------------

WEEKENDS = [slot(f"{day}-{d:02d}", f"2026-07-{d:02d} 10:00") for d, day in
            [(11, "sat"), (12, "sun"), (18, "sat"), (19, "sun"), (25, "sat"), (26, "sun")]]


@pytest.mark.parametrize(("cap", "expected"), [(1, 4), (0, 6), (3, 0)],
                         ids=["binding", "never", "clean"])
def test_max_weekends_counts_a_saturday_or_sunday_once(cap: int, expected: int) -> None:
    assert uncovered(solved(one_doctor(WEEKENDS, max_weekends=cap))) == expected


def test_checker_flags_too_many_weekends() -> None:
    p = one_doctor(WEEKENDS, max_weekends=1)
    assert Rule.WEEKENDS in rules_broken(p, [("x", "sat-11"), ("x", "sun-19")])
    assert rules_broken(p, [("x", "sat-11"), ("x", "sun-12")]) == set()


# -- over-cover and wishes ------------------------------------------------------------------

def test_over_cover_is_allowed_up_to_max_seats_but_avoided() -> None:
    flexible = replace(DAYS[0], max_seats=3, over_cover_cost=1)
    p = problem([flexible], [doctor(d, ["d6"]) for d in "xyz"],
                minimums=dict.fromkeys("xyz", Minimums(min_hours=4)))
    rota = solved(p)  # the minimum hours force all three on it: two beyond its one seat
    assert len(rota.assignments) == 3
    assert [s.name for s in rota.stages][:2] == ["coverage", "over_cover"]
    assert rota.stages[1].value == 2


def test_checker_flags_doctors_beyond_max_seats() -> None:
    p = problem([replace(DAYS[0], max_seats=2)], [doctor(d, ["d6"]) for d in "xyz"])
    assert rules_broken(p, [("x", "d6"), ("y", "d6")]) == set()
    assert Rule.SEATS in rules_broken(p, [("x", "d6"), ("y", "d6"), ("z", "d6")])


@pytest.mark.parametrize(("wishes", "holder"), [({"x": {"d6": 2}}, "x"),
                                                ({"x": {"d6": -2}}, "y")],
                         ids=["asks for it", "asks to be spared"])
def test_wishes_decide_between_equally_fair_doctors(wishes: dict[str, dict[str, int]],
                                                     holder: str) -> None:
    doctors = [doctor(d, ["d6"], wishes=wishes.get(d, {})) for d in "yx"]
    rota = solved(problem([DAYS[0]], doctors))
    assert worked(rota, holder) == ["d6"]
    assert "wishes" in [s.name for s in rota.stages]


def test_problems_without_new_fields_keep_the_original_stages() -> None:
    rota = solved(problem([DAYS[0]], [doctor("x", ["d6"])]))
    assert [s.name for s in rota.stages] == [
        "coverage", "stability", "fairness", "fairness_unpopular", "preferences"]


# -- weighted mode --------------------------------------------------------------------------

def test_weighted_mode_trades_a_seat_for_heavier_wishes() -> None:
    # Covering the slot (priority 2) loses a wish of weight 3: weighted, leaving it is cheaper.
    slot_ = replace(DAYS[0], priority=2)
    p = replace(problem([slot_], [doctor("x", ["d6"], wishes={"d6": -3})]),
                objective_mode="weighted")
    rota = solved(p)
    assert (rota.assignments, [s.name for s in rota.stages]) == ([], ["weighted"])
    assert rota.stages[0].value == 2 and rota.stages[0].proven


def test_lexicographic_mode_covers_the_seat_whatever_the_wishes() -> None:
    p = problem([replace(DAYS[0], priority=2)], [doctor("x", ["d6"], wishes={"d6": -3})])
    assert worked(solved(p), "x") == ["d6"]


# -- problem.json ---------------------------------------------------------------------------

def full_problem() -> Problem:
    slots = [replace(NIGHTS[0], max_seats=2, over_cover_cost=1), NIGHTS[1]]
    x: Doctor = doctor("x", ["d6", "d7"], max_shifts_by_kind={"night": 0}, min_days_off=2,
                       max_weekends=0,
                       wishes={"d6": 2, "d7": -1})
    p = replace(problem(slots, [x]), objective_mode="weighted")
    return replace(p, rules=Rules(min_rest_hours=0, max_shifts_per_day=1,
                                  forbidden_successions=(("night", "day"),)))


def test_problem_json_round_trips_the_new_fields() -> None:
    p = full_problem()
    assert problem_from_data(problem_to_data(p)) == p


def test_problem_json_omits_the_new_fields_when_unset() -> None:
    data = problem_to_data(problem([DAYS[0]], [doctor("x", ["d6"])]))
    assert "objective_mode" not in data
    assert set(data["rules"]) == {"min_rest_hours", "travel_buffer_minutes"}
    assert not {"kind", "max_seats", "over_cover_cost"} & set(data["slots"][0])
    assert not {"wishes", "max_weekends", "min_days_off"} & set(data["doctors"][0])


def test_problem_json_carries_no_benchmark_minimum() -> None:
    # Minimum hours and consecutive working days are rules of benchmarks, not of a tension
    # period: problem.json neither writes nor reads them, and says so.
    benchmark = problem(TWO, [doctor("y", ["a", "b"])],
                        minimums={"y": Minimums(min_hours=8, min_consecutive_days=2)})
    with pytest.raises(ValueError, match="benchmark's minimum"):
        problem_to_data(benchmark)
    data = problem_to_data(problem(TWO, [doctor("y", ["a", "b"])]))
    for name in ("min_hours", "min_consecutive_days"):
        with pytest.raises(InputError, match=rf"doctors\[0\]\.{name}: a rule of "
                                             "staff-scheduling benchmarks"):
            problem_from_data({**data, "doctors": [{**data["doctors"][0], name: 8}]})
    # An old file with the key left empty still reads.
    assert problem_from_data({**data, "doctors": [{**data["doctors"][0], "min_hours": None}]}) \
        == problem(TWO, [doctor("y", ["a", "b"])])


def test_problem_json_keeps_a_zero_cap() -> None:
    (x,) = problem_to_data(full_problem())["doctors"]
    assert (x["max_weekends"], x["max_shifts_by_kind"]) == (0, {"night": 0})


def test_problem_json_rejects_max_seats_below_seats_naming_the_field() -> None:
    data = problem_to_data(full_problem())
    data["slots"][0]["max_seats"] = 0
    data["slots"][0]["seats"] = 1
    with pytest.raises(InputError, match=r"slots\[0\]"):
        problem_from_data(data)


def test_problem_json_rejects_a_wish_on_an_unknown_slot() -> None:
    data = problem_to_data(full_problem())
    data["doctors"][0]["wishes"]["ghost"] = 1
    with pytest.raises(InputError, match=r"doctors\[0\]\.wishes\.ghost"):
        problem_from_data(data)
