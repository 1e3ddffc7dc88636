"""The gap model against values computed by hand (the arithmetic is in each comment)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.scenario.gap import (
    eligible_arrivals,
    gp_seats,
    local_hours,
    seats_for,
    slot_hours,
    tension_factor,
)
from scheduler.scenario.spec import WEEKDAYS, DateFactor, GapModelSpec

PARIS = ZoneInfo("Europe/Paris")
# 2026-07-08 is a Wednesday, 2026-07-10 a Friday, 2026-07-14 (a public holiday) a Tuesday.
WEDNESDAY = date(2026, 7, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def model(**changes: object) -> GapModelSpec:
    """Arrivals equal to the clock hour (hour 21 → 21 patients), except 100/h on Saturdays."""
    profile = {d: [float(h) for h in range(24)] for d in WEEKDAYS}
    profile["sat"] = [100.0] * 24
    values: dict[str, object] = {
        "arrivals_per_hour": profile,
        "low_acuity_share": 0.5,
        "in_house_absorption_per_hour": 1.0,
        "gp_patients_per_hour": 3.0,
        "consultation_rooms": 5,
    }
    values.update(changes)
    return GapModelSpec.model_validate(values)


def test_eligible_arrivals_sum_the_slot_hours_times_share() -> None:
    # 20:00–24:00: (20 + 21 + 22 + 23) × 0.5 = 86 × 0.5 = 43
    assert eligible_arrivals(
        model(), at(WEDNESDAY, 20), at(date(2026, 7, 9), 0), PARIS
    ) == pytest.approx(43.0)


def test_gp_seats_round_up_after_absorption() -> None:
    # eligible 43; absorption 1/h × 4 h = 4; one GP sees 3/h × 4 h = 12
    # (43 − 4) / 12 = 3.25 → 4 seats (5 rooms)
    assert gp_seats(model(), at(WEDNESDAY, 20), at(date(2026, 7, 9), 0), PARIS) == 4


def test_gp_seats_clamped_to_consultation_rooms() -> None:
    # same slot needs 4 seats, but only 2 rooms
    assert gp_seats(
        model(consultation_rooms=2), at(WEDNESDAY, 20), at(date(2026, 7, 9), 0), PARIS
    ) == 2


def test_gp_seats_clamped_at_zero_when_the_ed_absorbs_everything() -> None:
    # absorption 20/h × 4 h = 80 > 43 eligible → (43 − 80) / 12 < 0 → 0 seats
    assert gp_seats(
        model(in_house_absorption_per_hour=20.0),
        at(WEDNESDAY, 20),
        at(date(2026, 7, 9), 0),
        PARIS,
    ) == 0


def test_template_absorption_overrides_the_sites() -> None:
    # template absorption 7/h × 4 h = 28; (43 − 28) / 12 = 1.25 → 2 seats (site's 1/h gives 4)
    assert gp_seats(
        model(), at(WEDNESDAY, 20), at(date(2026, 7, 9), 0), PARIS, absorption_per_hour=7.0
    ) == 2


def test_partial_hours_count_by_the_fraction_covered() -> None:
    # 20:30–22:15: ½ × 20 + 21 + ¼ × 22 = 10 + 21 + 5.5 = 36.5; × 0.5 = 18.25
    assert eligible_arrivals(
        model(), at(WEDNESDAY, 20, 30), at(WEDNESDAY, 22, 15), PARIS
    ) == pytest.approx(18.25)


def test_hours_after_midnight_use_the_next_days_weekday() -> None:
    # Friday 22:00 → Saturday 02:00: Friday 22 + 23 = 45, Saturday 100 + 100 = 200
    # (45 + 200) × 0.5 = 122.5
    friday, saturday = date(2026, 7, 10), date(2026, 7, 11)
    assert eligible_arrivals(model(), at(friday, 22), at(saturday, 2), PARIS) == pytest.approx(
        122.5
    )


def test_hours_after_midnight_use_the_next_days_date_factors() -> None:
    # Monday 13 July 22:00 → Tuesday 14 July (holiday, × 2) 02:00:
    # (22 + 23) × 0.5 + (0 + 1) × 0.5 × 2 = 22.5 + 1 = 23.5
    assert eligible_arrivals(
        model(public_holiday_factor=2.0),
        at(date(2026, 7, 13), 22),
        at(date(2026, 7, 14), 2),
        PARIS,
        public_holidays={date(2026, 7, 14)},
    ) == pytest.approx(23.5)


def test_public_holiday_factor_multiplies_arrivals() -> None:
    # Tuesday 14 July 20–24: 86 × 0.5 × 1.5 = 64.5
    holiday = date(2026, 7, 14)
    assert eligible_arrivals(
        model(public_holiday_factor=1.5),
        at(holiday, 20),
        at(date(2026, 7, 15), 0),
        PARIS,
        public_holidays={holiday},
    ) == pytest.approx(64.5)


def test_holiday_factor_raises_seats() -> None:
    # eligible 64.5 (above); (64.5 − 4) / 12 = 5.04 → 6 seats (9 rooms); 4 without the factor
    holiday = date(2026, 7, 14)
    assert gp_seats(
        model(public_holiday_factor=1.5, consultation_rooms=9),
        at(holiday, 20),
        at(date(2026, 7, 15), 0),
        PARIS,
        public_holidays={holiday},
    ) == 6


def test_tension_factor_is_the_product_of_every_factor_covering_the_date() -> None:
    # bridge 1.25 × heat wave 2 × event 1.5 (the factor ending on 12 July does not cover it) = 3.75
    bridge = date(2026, 7, 13)
    spec = model(
        bridge_factor=1.25,
        public_holiday_factor=4.0,
        date_factors=[
            DateFactor(first=date(2026, 7, 10), last=date(2026, 7, 20), factor=2.0),
            DateFactor(first=bridge, last=bridge, factor=1.5),
            DateFactor(first=date(2026, 7, 1), last=date(2026, 7, 12), factor=3.0),
        ],
    )
    assert tension_factor(spec, bridge, bridge=True) == pytest.approx(3.75)


def test_tension_factor_is_one_on_an_ordinary_date() -> None:
    assert tension_factor(model(public_holiday_factor=2.0), WEDNESDAY) == 1.0


def test_ceil_ignores_float_noise() -> None:
    # 0.1 + 0.2 = 0.30000000000000004 patients for a GP who sees 0.3: exactly 1 seat, not 2
    assert seats_for(0.1 + 0.2, 0.0, 0.3, 5) == 1


def test_night_across_october_clock_change_counts_thirteen_hours() -> None:
    # Saturday 24 Oct 2026 20:00 → Sunday 08:00: clocks go back at 03:00, so 02:00 repeats
    start, end = at(date(2026, 10, 24), 20), at(date(2026, 10, 25), 8)
    hours = local_hours(start, end, PARIS)
    assert slot_hours(start, end) == 13.0
    assert [h for _, h, _ in hours] == [20, 21, 22, 23, 0, 1, 2, 2, 3, 4, 5, 6, 7]
    assert sum(f for _, _, f in hours) == 13.0
