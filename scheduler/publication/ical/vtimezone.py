"""A VTIMEZONE built from the tz database, with onsets written as RFC 5545 requires.

RFC 5545 §3.6.5 wants each onset (DTSTART) as local time *before* the change, i.e. the
transition instant + TZOFFSETFROM. icalendar 7's `Timezone.from_tzid` writes spring-forward
onsets in the new local time (DTSTART:20260329T030000 with TZOFFSETFROM:+0100 for
Europe/Paris), which puts the change at 02:00 UTC instead of 01:00 UTC.

The form is the conventional one every client reads alike: one STANDARD and one DAYLIGHT
block, each with a yearly RRULE (Europe/Paris: the last Sunday of March at 02:00, of October
at 03:00), starting the year before the first date. Outlook keeps only one yearly rule per
zone and is reported to shift events by an hour on a list of one block per transition
(RFC 7809's discussion; Microsoft's [MS-OXCICAL] §2.1.3.1.1.19). A zone whose changes follow no
such rule over the dates (or with no change) keeps one block per offset stretch.
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


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class YearlyRule:
    """A change recurring every year: `byday` ("-1SU": the last Sunday; "2SU": the second) of
    `month`, at the local time of `first.onset`."""

    first: Observance
    month: int
    byday: str


def _rule_of(changes: list[Observance]) -> YearlyRule | None:
    """The yearly rule every change in `changes` follows (same month, weekday, week of the
    month or last one, local time, offsets and name), or None."""
    if not changes:
        return None
    keys = set()
    for change in changes:
        day = change.onset.date()
        last = (day + timedelta(days=7)).month != day.month
        keys.add((day.month, day.weekday(), last, (day.day - 1) // 7 + 1,
                  change.onset.time(), change.offset_from, change.offset_to, change.name))
    months = {(k[0], k[1], k[4], k[5], k[6], k[7]) for k in keys}
    if len(months) != 1:
        return None
    month, weekday = changes[0].onset.month, changes[0].onset.weekday()
    if all(k[2] for k in keys):
        return YearlyRule(changes[0], month, f"-1{_WEEKDAYS[weekday]}")
    if len({k[3] for k in keys}) == 1:
        return YearlyRule(changes[0], month, f"{(changes[0].onset.day - 1) // 7 + 1}"
                          f"{_WEEKDAYS[weekday]}")
    return None


def yearly_rules(tzid: str, first: date, last: date
                 ) -> tuple[YearlyRule, YearlyRule] | None:
    """The zone's (standard, daylight) yearly rules over the year before `first` to `last`,
    when its changes follow two (at least one change of each kind); else None."""
    changes = observances(tzid, date(first.year - 1, 1, 1), last)[1:]
    standard = _rule_of([c for c in changes if not c.daylight])
    daylight = _rule_of([c for c in changes if c.daylight])
    if standard is None or daylight is None:
        return None
    return standard, daylight


def _block(observance: Observance, rule: YearlyRule | None = None
           ) -> TimezoneDaylight | TimezoneStandard:
    part = TimezoneDaylight() if observance.daylight else TimezoneStandard()
    part.add("DTSTART", observance.onset)
    if rule is not None:
        part.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": rule.month, "BYDAY": rule.byday})
    part.add("TZOFFSETFROM", observance.offset_from)
    part.add("TZOFFSETTO", observance.offset_to)
    if observance.name:
        part.add("TZNAME", observance.name)
    return part


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """A VTIMEZONE for `tzid` valid for every instant from `first` to `last` (local dates):
    two yearly-rule blocks when the zone's changes follow them, else one block per stretch."""
    component = Timezone()
    component.add("TZID", tzid)
    rules = yearly_rules(tzid, first, last)
    if rules is not None:
        for rule in sorted(rules, key=lambda r: r.first.onset):
            component.add_component(_block(rule.first, rule))
        return component
    for observance in observances(tzid, first, last):
        component.add_component(_block(observance))
    return component
