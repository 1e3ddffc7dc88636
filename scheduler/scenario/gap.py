"""The gap model (DESIGN, "Modelling the gap"): how many GP seats a slot needs.

    eligible arrivals = Σ over the slot's hours of
        arrivals(weekday, hour) × low-acuity share × tension factor(date)
    GP seats = clamp(ceil((eligible − absorption) / (GP throughput × slot hours)), 0, rooms)

Hours are the local clock hours the slot covers, walked in real time: a partial hour counts by
the fraction covered, an hour after midnight belongs to the next day (its weekday and its date),
and the hour repeated when clocks go back counts twice, so the sum matches the slot's real
length. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.scenario.spec import WEEKDAYS, GapModelSpec

HOUR = timedelta(hours=1)
UTC = ZoneInfo("UTC")
#: Float noise allowed before rounding a seat count up (1.0000000001 seats is 1 seat).
_CEIL_TOLERANCE = 1e-9


def tension_factor(
    model: GapModelSpec, day: date, *, public_holiday: bool = False, bridge: bool = False
) -> float:
    """Demand multiplier of one date: holiday, bridge and every date factor covering it."""
    factor = 1.0
    if public_holiday:
        factor *= model.public_holiday_factor
    if bridge:
        factor *= model.bridge_factor
    for date_factor in model.date_factors:
        if date_factor.first <= day <= date_factor.last:
            factor *= date_factor.factor
    return factor


def local_hours(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, int, float]]:
    """The local clock hours [start, end) covers: (date, hour, fraction of the hour covered)."""
    out: list[tuple[date, int, float]] = []
    # In UTC: aware datetimes sharing one tzinfo add and compare in wall time, not real time.
    t, end = start.astimezone(UTC), end.astimezone(UTC)
    while t < end:
        local = t.astimezone(tz)
        into_hour = local - local.replace(minute=0, second=0, microsecond=0)
        # Offsets change on hour boundaries, so the hour's end is a fixed real distance away.
        step_end = min(t + (HOUR - into_hour), end)
        out.append((local.date(), local.hour, (step_end - t) / HOUR))
        t = step_end
    return out


def slot_hours(start: datetime, end: datetime) -> float:
    """Real elapsed hours (a 20:00–08:00 night across the October change lasts 13 h)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)) / HOUR


def eligible_arrivals(
    model: GapModelSpec,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    public_holidays: Collection[date] = (),
    bridge_days: Collection[date] = (),
) -> float:
    """Low-acuity arrivals expected during [start, end), with the tension factors applied."""
    total = 0.0
    for day, hour, fraction in local_hours(start, end, tz):
        arrivals = model.arrivals_per_hour[WEEKDAYS[day.weekday()]][hour]
        factor = tension_factor(
            model, day, public_holiday=day in public_holidays, bridge=day in bridge_days
        )
        total += arrivals * fraction * model.low_acuity_share * factor
    return total


def seats_for(eligible: float, absorption: float, patients_per_gp: float, rooms: int) -> int:
    """ceil((eligible − absorption) / patients one GP sees in the slot), clamped to [0, rooms]."""
    if patients_per_gp <= 0:
        return 0
    needed = math.ceil((eligible - absorption) / patients_per_gp - _CEIL_TOLERANCE)
    return max(0, min(rooms, needed))


def gp_seats(
    model: GapModelSpec,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    public_holidays: Collection[date] = (),
    bridge_days: Collection[date] = (),
    absorption_per_hour: float | None = None,
) -> int:
    """GP seats a slot needs; `absorption_per_hour` (a template's value) overrides the site's."""
    hours = slot_hours(start, end)
    per_hour = absorption_per_hour
    if per_hour is None:
        per_hour = model.in_house_absorption_per_hour
    eligible = eligible_arrivals(
        model, start, end, tz, public_holidays=public_holidays, bridge_days=bridge_days
    )
    return seats_for(
        eligible, per_hour * hours, model.gp_patients_per_hour * hours, model.consultation_rooms
    )
