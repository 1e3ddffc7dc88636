"""Scenario → Problem on tiny inline scenarios, one expansion rule per test.

Dates used: July 2026 starts on a Wednesday; 14 July (public holiday) is a Tuesday, so Monday
13 July is a bridge day; 14 May 2026 (Ascension) is a Thursday, so Friday 15 May is one too.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler.domain.errors import InputError
from scheduler.domain.problem import Answer, Doctor, Problem, Slot
from scheduler.scenario.calendar import bridge_days
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import Scenario, parse_scenario

PARIS = ZoneInfo("Europe/Paris")


def template(tid: str, days: list[str], start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"id": tid, "site": "chiv", "days": days, "start": start, "end": end, **extra}


def scenario(
    templates: list[dict[str, Any]],
    *,
    start: str = "2026-07-06",
    end: str = "2026-07-12",
    **sections: Any,
) -> dict[str, Any]:
    """A one-site scenario; templates default to 1 seat unless they say otherwise."""
    templates = [{"seats": 1, **t} for t in copy.deepcopy(templates)]
    data: dict[str, Any] = {
        "period": {"id": "p", "name": "P", "start": start, "end": end},
        "sites": [{"id": "chiv", "name": "CHIV"}],
        "slot_templates": templates,
    }
    data.update(sections)
    return data


def run(data: dict[str, Any]) -> Problem:
    return expand(parse_scenario(data, "test.yaml"), "test.yaml")


def errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as caught:
        run(data)
    return [str(p) for p in caught.value.problems]


def ids(problem: Problem) -> list[str]:
    return [s.id for s in problem.slots]


def slot(problem: Problem, slot_id: str) -> Slot:
    return problem.slot_by_id()[slot_id]


def one_doctor(rules: list[dict[str, Any]], templates: list[dict[str, Any]], **kw: Any) -> Doctor:
    data = scenario(templates, doctors=[{"id": "dr-a", "name": "A", "availability": rules}], **kw)
    return run(data).doctors[0]


EVENINGS = [template("evening", ["mon", "tue", "wed", "thu", "fri"], "20:00", "24:00")]
GAP_MODEL = {
    "arrivals_per_hour": {d: [6.0] * 24 for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "low_acuity_share": 0.5,
    "gp_patients_per_hour": 1.0,
    "consultation_rooms": 4,
}


# Dates and templates -------------------------------------------------------------------------


def test_period_dates_are_inclusive_and_templates_follow_their_days() -> None:
    problem = run(scenario(EVENINGS))  # Mon 6 → Sun 12 July: five weekday evenings
    assert ids(problem) == [f"chiv-202607{d:02d}-2000" for d in range(6, 11)]


def test_public_holiday_only_gets_templates_listing_holiday() -> None:
    templates = [*EVENINGS, template("holiday", ["sun", "holiday"], "08:00", "14:00")]
    problem = run(scenario(templates, start="2026-07-14", end="2026-07-15"))
    assert ids(problem) == ["chiv-20260714-0800", "chiv-20260715-2000"]


def test_date_exception_makes_a_date_follow_another_pattern() -> None:
    templates = [*EVENINGS, template("sunday", ["sun"], "08:00", "14:00")]
    data = scenario(templates, date_exceptions=[{"date": "2026-07-08", "treat_as": "sun"}])
    assert "chiv-20260708-0800" in ids(run(data))
    assert "chiv-20260708-2000" not in ids(run(data))


def test_first_last_and_skip_dates_limit_a_template() -> None:
    evening = template(
        "evening", ["mon", "tue", "wed", "thu", "fri"], "20:00", "24:00",
        first="2026-07-07", last="2026-07-09", skip_dates=["2026-07-08"],
    )
    assert ids(run(scenario([evening]))) == ["chiv-20260707-2000", "chiv-20260709-2000"]


# Times ---------------------------------------------------------------------------------------


def test_times_are_aware_local_times_and_2400_is_next_midnight() -> None:
    s = run(scenario(EVENINGS)).slots[0]
    assert s.start == datetime(2026, 7, 6, 20, tzinfo=PARIS)
    assert s.end == datetime(2026, 7, 7, 0, tzinfo=PARIS)
    assert s.start.tzinfo == PARIS and s.start.utcoffset() == timedelta(hours=2)


def test_end_before_start_means_next_day() -> None:
    night = template("night", ["fri"], "20:00", "08:00")
    s = run(scenario([night])).slots[0]
    assert (s.start, s.end) == (
        datetime(2026, 7, 10, 20, tzinfo=PARIS),
        datetime(2026, 7, 11, 8, tzinfo=PARIS),
    )


def test_night_across_october_clock_change_lasts_13_hours() -> None:
    night = template("night", ["sat"], "20:00", "08:00")
    s = run(scenario([night], start="2026-10-24", end="2026-10-24")).slots[0]
    assert s.duration == timedelta(hours=13)
    assert s.end.utcoffset() == timedelta(hours=1)  # winter time on Sunday morning


def test_slot_id_is_site_local_start_date_and_time() -> None:
    assert ids(run(scenario([template("s", ["sat"], "14:30", "20:00")]))) == ["chiv-20260711-1430"]


def test_slots_sorted_by_start_then_site() -> None:
    data = scenario([
        template("late", ["mon"], "20:00", "24:00"),
        template("early", ["mon"], "08:00", "14:00"),
        {**template("other", ["mon"], "08:00", "14:00"), "site": "chic"},
    ], end="2026-07-06")
    data["sites"].append({"id": "chic", "name": "CHIC"})
    assert ids(run(data)) == ["chic-20260706-0800", "chiv-20260706-0800", "chiv-20260706-2000"]


# Tags and priority ---------------------------------------------------------------------------


def test_weekend_tag_from_the_start_date() -> None:
    problem = run(scenario([template("t", ["fri", "sat"], "20:00", "08:00")]))
    assert "weekend" not in slot(problem, "chiv-20260710-2000").tags
    assert "weekend" in slot(problem, "chiv-20260711-2000").tags


def test_night_tag_when_the_slot_overlaps_midnight_to_six() -> None:
    problem = run(scenario([
        template("evening", ["mon"], "20:00", "24:00"),
        template("late", ["tue"], "22:00", "01:00"),
        template("dawn", ["wed"], "05:00", "09:00"),
    ]))
    assert [sorted(s.tags) for s in problem.slots] == [[], ["night"], ["night"]]


def test_public_holiday_tagged_holiday() -> None:
    problem = run(scenario(
        [template("h", ["holiday"], "08:00", "14:00")], start="2026-07-14", end="2026-07-14"
    ))
    assert slot(problem, "chiv-20260714-0800").tags == {"holiday"}


def test_bridge_days_are_next_to_tuesday_and_thursday_holidays() -> None:
    assert bridge_days({date(2026, 7, 14), date(2026, 5, 14), date(2026, 8, 15)}) == {
        date(2026, 7, 13),
        date(2026, 5, 15),
    }


def test_bridge_day_keeps_its_weekday_pattern_and_is_tagged_bridge_and_holiday() -> None:
    problem = run(scenario(EVENINGS, start="2026-07-13", end="2026-07-13"))
    assert slot(problem, "chiv-20260713-2000").tags == {"bridge", "holiday"}


def test_friday_after_ascension_is_a_bridge() -> None:
    problem = run(scenario(EVENINGS, start="2026-05-15", end="2026-05-15"))
    assert slot(problem, "chiv-20260515-2000").tags == {"bridge", "holiday"}


def test_priority_is_the_highest_of_template_and_tags() -> None:
    problem = run(scenario(
        [
            template("sat", ["sat"], "14:00", "20:00"),  # weekend 2
            template("night", ["sat"], "22:00", "06:00", priority=2),  # night 5 wins
            template("flagged", ["mon"], "20:00", "24:00", tags=["critical"]),  # critical 4
            template("big", ["sun"], "08:00", "14:00", priority=9),  # template 9 wins
        ],
        priorities={"night": 5},
    ))
    assert [s.priority for s in problem.slots] == [4, 2, 5, 9]


def test_bridge_priority_applies_on_bridge_days() -> None:
    problem = run(scenario(
        EVENINGS, start="2026-07-13", end="2026-07-13", priorities={"bridge": 7}
    ))
    assert problem.slots[0].priority == 7


# Seats ---------------------------------------------------------------------------------------


def test_gap_model_gives_seats_when_the_template_has_none() -> None:
    # 4 h × 6 arrivals × 0.5 = 12 eligible; one GP sees 1/h × 4 h = 4 → 3 seats
    data = scenario([template("e", ["mon"], "20:00", "24:00", seats=None)], end="2026-07-06")
    data["sites"][0]["gap_model"] = GAP_MODEL
    assert run(data).slots[0].seats == 3


def test_template_seats_win_over_the_gap_model() -> None:
    data = scenario([template("e", ["mon"], "20:00", "24:00", seats=1)], end="2026-07-06")
    data["sites"][0]["gap_model"] = GAP_MODEL
    assert run(data).slots[0].seats == 1


def test_override_wins_over_template_seats_priority_and_skills() -> None:
    override = {"slot": "chiv-20260707-2000", "seats": 4, "priority": 8, "skills": ["sutures"]}
    s = slot(run(scenario(EVENINGS, slot_overrides=[override])), "chiv-20260707-2000")
    assert (s.seats, s.priority, s.skills) == (4, 8, frozenset({"sutures"}))


def test_cancelled_override_removes_the_slot() -> None:
    data = scenario(EVENINGS, slot_overrides=[{"slot": "chiv-20260707-2000", "cancelled": True}])
    assert "chiv-20260707-2000" not in ids(run(data))


def test_override_seats_suffice_without_a_gap_model() -> None:
    data = scenario(
        [template("e", ["mon"], "20:00", "24:00", seats=None)],
        end="2026-07-06",
        slot_overrides=[{"slot": "chiv-20260706-2000", "seats": 2}],
    )
    assert run(data).slots[0].seats == 2


def test_no_seats_and_no_gap_model_is_an_error_on_the_template() -> None:
    data = scenario([template("e", ["mon"], "20:00", "24:00", seats=None)])
    assert errors(data) == [
        "test.yaml: slot_templates[0].seats: no seats given and site 'chiv' has no gap_model "
        "to compute them"
    ]


def test_override_of_unknown_slot_is_an_error() -> None:
    data = scenario(EVENINGS, slot_overrides=[{"slot": "chiv-20260707-2100", "seats": 2}])
    assert errors(data) == [
        "test.yaml: slot_overrides[0].slot: unknown slot 'chiv-20260707-2100'"
    ]


def test_duplicate_slots_are_an_error_naming_both_templates() -> None:
    data = scenario([
        template("evening", ["mon"], "20:00", "24:00"),
        template("night", ["mon"], "20:00", "08:00"),
    ], end="2026-07-06")
    [message] = errors(data)
    assert message.startswith("test.yaml: slot_templates[1]: overlapping duplicate slots")
    assert "'evening'" in message and "'night'" in message


def test_invalid_clock_time_is_an_error() -> None:
    assert errors(scenario([template("e", ["mon"], "24:30", "08:00")])) == [
        "test.yaml: slot_templates[0].start: '24:30' is not a time between 00:00 and 24:00"
    ]


# Availability --------------------------------------------------------------------------------


def test_availability_rules_apply_in_order_and_none_withdraws() -> None:
    doctor = one_doctor(
        [
            {"answer": "available"},
            {"answer": "preferred", "days": ["tue"]},
            {"answer": "none", "days": ["wed", "thu"]},
        ],
        EVENINGS,
    )
    assert doctor.availability == {
        "chiv-20260706-2000": Answer.AVAILABLE,
        "chiv-20260707-2000": Answer.PREFERRED,
        "chiv-20260710-2000": Answer.AVAILABLE,
    }


def test_availability_filters_must_all_match() -> None:
    templates = [*EVENINGS, template("sat", ["sat"], "14:00", "20:00")]
    doctor = one_doctor(
        [{"answer": "available", "templates": ["evening"], "days": ["fri", "sat"]}], templates
    )
    assert set(doctor.availability) == {"chiv-20260710-2000"}


def test_availability_days_match_holiday_and_its_weekday() -> None:
    templates = [template("h", ["holiday"], "08:00", "14:00")]
    by_kind = one_doctor([{"answer": "available", "days": ["holiday"]}], templates,
                         start="2026-07-14", end="2026-07-14")
    by_weekday = one_doctor([{"answer": "available", "days": ["tue"]}], templates,
                            start="2026-07-14", end="2026-07-14")
    assert set(by_kind.availability) == set(by_weekday.availability) == {"chiv-20260714-0800"}


def test_availability_tags_match_any_of_them() -> None:
    templates = [*EVENINGS, template("night", ["sat"], "20:00", "08:00")]
    doctor = one_doctor([{"answer": "available", "tags": ["night", "holiday"]}], templates)
    assert set(doctor.availability) == {"chiv-20260711-2000"}


def test_availability_first_last_on_the_start_date() -> None:
    doctor = one_doctor(
        [{"answer": "available", "first": "2026-07-08", "last": "2026-07-09"}], EVENINGS
    )
    assert set(doctor.availability) == {"chiv-20260708-2000", "chiv-20260709-2000"}


def test_availability_explicit_slots() -> None:
    doctor = one_doctor([{"answer": "preferred", "slots": ["chiv-20260709-2000"]}], EVENINGS)
    assert doctor.availability == {"chiv-20260709-2000": Answer.PREFERRED}


def test_availability_unknown_slot_is_an_error() -> None:
    data = scenario(EVENINGS, doctors=[{
        "id": "dr-a", "name": "A",
        "availability": [{"answer": "available", "slots": ["chiv-20260709-2000", "chiv-x"]}],
    }])
    assert errors(data) == [
        "test.yaml: doctors[0].availability[0].slots[1]: unknown slot 'chiv-x'"
    ]


def test_availability_for_a_cancelled_slot_is_dropped() -> None:
    data = scenario(
        EVENINGS,
        slot_overrides=[{"slot": "chiv-20260709-2000", "cancelled": True}],
        doctors=[{"id": "dr-a", "name": "A",
                  "availability": [{"answer": "available", "slots": ["chiv-20260709-2000"]}]}],
    )
    assert run(data).doctors[0].availability == {}


# Doctors and pins ----------------------------------------------------------------------------


def test_doctor_caps_away_skills_and_carry_over() -> None:
    data = scenario(EVENINGS, doctors=[{
        "id": "dr-a", "name": "Dr A", "skills": ["sutures"],
        "caps": {"max_shifts": 5, "max_shifts_per_week": 2, "max_consecutive_days": 3,
                 "max_hours": 20},
        "away": [["2026-07-08", "2026-07-09"]],
        "carry_over_hours": 12.5,
    }])
    assert run(data).doctors[0] == Doctor(
        id="dr-a", name="Dr A", max_shifts=5, max_shifts_per_week=2, max_consecutive_days=3,
        max_hours=20.0, skills=frozenset({"sutures"}), availability={},
        away=((date(2026, 7, 8), date(2026, 7, 9)),), carry_over_hours=12.5,
    )


def test_doctors_keep_file_order() -> None:
    doctors = [{"id": i, "name": i} for i in ("dr-z", "dr-a", "dr-m")]
    assert [d.id for d in run(scenario(EVENINGS, doctors=doctors)).doctors] == [
        "dr-z", "dr-a", "dr-m"
    ]


def test_pinned_unknown_slot_is_an_error() -> None:
    data = scenario(EVENINGS, doctors=[{"id": "dr-a", "name": "A"}],
                    pinned=[{"doctor": "dr-a", "slot": "chiv-20260709-2100"}])
    assert errors(data) == ["test.yaml: pinned[0].slot: slot 'chiv-20260709-2100' is unknown"]


def test_pinned_known_slot_is_kept() -> None:
    data = scenario(EVENINGS, doctors=[{"id": "dr-a", "name": "A"}],
                    pinned=[{"doctor": "dr-a", "slot": "chiv-20260709-2000"}])
    assert [(p.doctor, p.slot) for p in run(data).pinned] == [("dr-a", "chiv-20260709-2000")]


# Whole expansion -----------------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    data = scenario(
        EVENINGS,
        slot_overrides=[{"slot": "nope", "seats": 1}],
        doctors=[{"id": "dr-a", "name": "A"}],
        pinned=[{"doctor": "dr-a", "slot": "nope"}],
    )
    assert [m.split(":")[1].strip() for m in errors(data)] == [
        "slot_overrides[0].slot", "pinned[0].slot"
    ]


def test_unknown_timezone_is_an_error() -> None:
    data = scenario(EVENINGS)
    data["period"]["timezone"] = "Europe/Atlantis"
    assert errors(data) == ["test.yaml: period.timezone: unknown time zone 'Europe/Atlantis'"]


def test_unknown_holiday_country_is_an_error() -> None:
    data = scenario(EVENINGS)
    data["period"]["holiday_country"] = "XX"
    [message] = errors(data)
    assert message.startswith("test.yaml: period.holiday_country: unknown country")


def test_expansion_is_deterministic() -> None:
    data = scenario(EVENINGS, doctors=[{"id": "dr-a", "name": "A",
                                        "availability": [{"answer": "available"}]}])
    assert run(copy.deepcopy(data)) == run(copy.deepcopy(data))


def test_unchecked_scenario_with_unknown_site_is_an_error_not_a_crash() -> None:
    unchecked = Scenario.model_validate(scenario([template("e", ["mon"], "20:00", "24:00")]))
    bad = unchecked.model_copy(
        update={"slot_templates": [unchecked.slot_templates[0].model_copy(update={"site": "x"})]}
    )
    with pytest.raises(InputError, match=r"slot_templates\[0\].site: unknown site 'x'"):
        expand(bad)


def test_two_overrides_of_one_slot_are_an_error() -> None:
    data = scenario(EVENINGS, slot_overrides=[
        {"slot": "chiv-20260707-2000", "cancelled": True},
        {"slot": "chiv-20260707-2000", "seats": 2},
    ])
    assert errors(data) == [
        "test.yaml: slot_overrides[1].slot: slot 'chiv-20260707-2000' is overridden twice"
    ]


def test_a_date_exception_listed_twice_is_an_error() -> None:
    data = scenario(EVENINGS, date_exceptions=[
        {"date": "2026-07-08", "treat_as": "sun"}, {"date": "2026-07-08", "treat_as": "sat"},
    ])
    assert errors(data) == ["test.yaml: date_exceptions[1].date: 2026-07-08 is listed twice"]
