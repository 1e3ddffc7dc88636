"""What kind of day each date is (public holidays, bridges, the manager's exceptions) and where
a template's shift falls on a date, in local wall-clock time."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from scheduler.scenario.spec import WEEKDAYS

UTC = ZoneInfo("UTC")
DAY = timedelta(days=1)
#: A slot overlapping 00:00–06:00 local time is a night.
NIGHT_ENDS = time(6)


@dataclass(frozen=True)
class DayCalendar:
    """What kind of day each date is: public holidays, bridges and the manager's exceptions."""

    public_holidays: frozenset[date]
    bridge_days: frozenset[date]
    exceptions: dict[date, str] = field(default_factory=dict)

    def kind(self, day: date) -> str:
        """`treat_as` of a date exception, else `holiday` on a public holiday, else the weekday."""
        if day in self.exceptions:
            return self.exceptions[day]
        if day in self.public_holidays:
            return "holiday"
        return WEEKDAYS[day.weekday()]


def bridge_days(public_holidays: Collection[date]) -> frozenset[date]:
    """Weekdays between a public holiday and the weekend.

    The Monday before a Tuesday holiday and the Friday after a Thursday holiday.
    """
    out = set()
    for day in public_holidays:
        if day.weekday() == 1:
            out.add(day - DAY)
        elif day.weekday() == 3:
            out.add(day + DAY)
    return frozenset(out - set(public_holidays))


def public_holidays(country: str, years: range) -> frozenset[date]:
    """Public holidays from the `holidays` library; `country` is `FR` or `FR-57` (subdivision).

    Raises NotImplementedError for a country or subdivision the library does not know.
    """
    code, _, subdiv = country.partition("-")
    found = holidays.country_holidays(code, subdiv=subdiv or None, years=years)
    return frozenset(found.keys())


def clock_minutes(text: str) -> int:
    """Minutes after midnight of "HH:MM"; "24:00" is 1440. Raises ValueError otherwise."""
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 24 * 60 or int(minutes) >= 60:
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return value


def slot_times(day: date, start: str, end: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local wall times of a template on `day`; an end at or before the start is the next day."""
    first, last = clock_minutes(start), clock_minutes(end)
    if last <= first:
        last += 24 * 60
    midnight = datetime.combine(day, time())
    # Wall-clock arithmetic first, then the zone: 20:00–08:00 stays 20:00–08:00 across DST.
    return (
        (midnight + timedelta(minutes=first)).replace(tzinfo=tz),
        (midnight + timedelta(minutes=last)).replace(tzinfo=tz),
    )


def overlaps_night(start: datetime, end: datetime, tz: ZoneInfo) -> bool:
    """Does [start, end) overlap 00:00–06:00 local time on any date it touches?"""
    s, e = start.astimezone(UTC), end.astimezone(UTC)
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        night_start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        night_end = datetime.combine(day, NIGHT_ENDS, tzinfo=tz).astimezone(UTC)
        if s < night_end and e > night_start:
            return True
        day += DAY
    return False
