"""A VTIMEZONE built from the tz database, with onsets written as RFC 5545 requires.

RFC 5545 §3.6.5 wants each onset (DTSTART) as local time *before* the change, i.e. the
transition instant + TZOFFSETFROM. icalendar 7's `Timezone.from_tzid` writes spring-forward
onsets in the new local time (DTSTART:20260329T030000 with TZOFFSETFROM:+0100 for
Europe/Paris), which puts the change at 02:00 UTC instead of 01:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

# Coarse scan step, then bisection to the second. Real zones never change offset twice
# within six hours, so no transition is skipped.
_SCAN_STEP = timedelta(hours=6)


@dataclass(frozen=True, kw_only=True)
class Observance:
    """One stretch of constant offset, starting at `onset` (local time before it)."""

    onset: datetime  # naive, in `offset_from`
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def _offset(tz: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    return offset


def _transition_instant(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first UTC instant in (before, after] whose offset differs from `before`'s."""
    old = _offset(tz, before)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if _offset(tz, middle) == old:
            before = middle
        else:
            after = middle
    return after


def _observance_at(tz: ZoneInfo, instant: datetime, offset_from: timedelta) -> Observance:
    local = instant.astimezone(tz)
    dst = local.dst()
    return Observance(
        onset=(instant + offset_from).replace(tzinfo=None),
        offset_from=offset_from,
        offset_to=_offset(tz, instant),
        name=local.tzname() or "",
        daylight=bool(dst),
    )


@lru_cache(maxsize=32)
def observances(tzid: str, first: date, last: date) -> tuple[Observance, ...]:
    """The offset in force at local midnight of `first`, then every change until `last`."""
    tz = ZoneInfo(tzid)
    start = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=tz).astimezone(UTC)
    result = [_observance_at(tz, start, _offset(tz, start))]
    probe = start
    while probe < end:
        following = min(probe + _SCAN_STEP, end)
        if _offset(tz, following) != _offset(tz, probe):
            change = _transition_instant(tz, probe, following)
            result.append(_observance_at(tz, change, _offset(tz, probe)))
        probe = following
    return tuple(result)


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """A VTIMEZONE for `tzid` valid for every instant from `first` to `last` (local dates)."""
    component = Timezone()
    component.add("TZID", tzid)
    for observance in observances(tzid, first, last):
        part = TimezoneDaylight() if observance.daylight else TimezoneStandard()
        part.add("DTSTART", observance.onset)
        part.add("TZOFFSETFROM", observance.offset_from)
        part.add("TZOFFSETTO", observance.offset_to)
        if observance.name:
            part.add("TZNAME", observance.name)
        component.add_component(part)
    return component
