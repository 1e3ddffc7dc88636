"""Each bound lives once, on the domain type that owns it, and every input path applies it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler.collection.answers import Answers, answer_problems
from scheduler.domain.benchmark import Minimums
from scheduler.domain.bounds import Bound
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Doctor, Period, Rules, Slot
from scheduler.models import TensionPeriod
from scheduler.scenario.exchange import problem_from_data, problem_to_data
from scheduler.scenario.spec import parse_scenario
from tests.support.factories import doctor, problem, slot

PARIS = ZoneInfo("Europe/Paris")


def test_bound_names_the_field_and_the_range() -> None:
    with pytest.raises(ValueError, match=r"max_shifts: 201 is not between 0 and 200"):
        Bound(0, 200).check("max_shifts", 201)
    with pytest.raises(ValueError, match="is not a number"):
        Bound(0, 48).check("min_rest_hours", float("nan"))
    Bound(0, 200).check("max_shifts", None)


@pytest.mark.parametrize("name", sorted(Doctor.BOUNDS))
def test_doctor_refuses_each_value_beyond_its_bound(name: str) -> None:
    bound = Doctor.BOUNDS[name]
    value: Any = bound.high + 1
    if name in {"max_shifts_per_site", "max_shifts_by_kind", "wishes"}:
        value = {"k": int(value)}
    with pytest.raises(ValueError, match=f"doctor x: {name}"):
        Doctor(id="x", **{name: value})


@pytest.mark.parametrize(("owner", "name"), [(Rules, n) for n in Rules.BOUNDS]
                         + [(Minimums, n) for n in Minimums.BOUNDS])
def test_rules_refuse_each_value_beyond_its_bound(owner: type[Rules | Minimums], name: str
                                                  ) -> None:
    bound = owner.BOUNDS[name]
    for value in (bound.high + 1, bound.low - 1):
        with pytest.raises(ValueError, match=name):
            owner(**{name: value})  # type: ignore[arg-type]
    owner(**{name: bound.high})  # type: ignore[arg-type]


def test_slot_checks_order_seats_and_time_zones() -> None:
    start = datetime(2026, 7, 6, 20, tzinfo=PARIS)
    with pytest.raises(ValueError, match="slot s: end"):
        Slot(id="s", site="chiv", start=start, end=start, seats=1)
    with pytest.raises(ValueError, match="slot s: seats: 51"):
        Slot(id="s", site="chiv", start=start, end=start.replace(hour=23), seats=51)
    with pytest.raises(ValueError, match="time zone"):
        Slot(id="s", site="chiv", start=start.replace(tzinfo=None),
             end=start.replace(hour=23, tzinfo=None), seats=1)


def test_period_checks_its_dates_and_time_zone() -> None:
    with pytest.raises(ValueError, match="end"):
        Period(id="p", start=date(2026, 7, 2), end=date(2026, 7, 1))
    with pytest.raises(ValueError, match="timezone"):
        Period(id="p", start=date(2026, 7, 1), end=date(2026, 7, 2), timezone="Mars/Olympus")


def test_scenario_and_problem_json_apply_the_domain_bound(tiny_data: dict[str, Any]) -> None:
    high = int(Doctor.BOUNDS["max_shifts"].high)
    tiny_data["doctors"][0]["caps"] = {"max_shifts": high}
    parse_scenario(tiny_data)
    tiny_data["doctors"][0]["caps"] = {"max_shifts": high + 1}
    with pytest.raises(InputError, match=r"doctors\[0\].caps.max_shifts"):
        parse_scenario(tiny_data)
    data = problem_to_data(problem([slot("a", "2026-07-06 20:00")], [doctor("x", ["a"])]))
    data["doctors"][0]["max_shifts"] = high + 1
    with pytest.raises(InputError, match=r"doctors\[0\].max_shifts"):
        problem_from_data(data)


def test_the_form_takes_its_highest_cap_from_the_domain() -> None:
    period = TensionPeriod(id="p", name="P", start=date(2026, 7, 1), end=date(2026, 7, 31))
    high = int(Doctor.BOUNDS["max_shifts_per_week"].high)
    assert answer_problems(period, set(), Answers(max_shifts_per_week=high)) == []
    [problem_] = answer_problems(period, set(), Answers(max_shifts_per_week=high + 1))
    assert problem_.field == "max_shifts_per_week"

