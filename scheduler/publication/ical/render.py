"""FeedCalendar → RFC 5545 bytes: deterministic, so an unchanged rota gives identical bytes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vText

from scheduler.publication.ical.model import FeedCalendar, FeedEvent, require_aware
from scheduler.publication.ical.vtimezone import vtimezone

PRODID = "-//ed-relief-scheduler//Relief rota feed//FR"

#: How often clients should poll; the HTTP layer's caching makes polling cheap.
REFRESH = timedelta(hours=1)


def render_calendar(cal: FeedCalendar, *, stamp: datetime, tz: str = "Europe/Paris") -> bytes:
    """The calendar as iCalendar bytes (CRLF, folded at 75 octets, escaped).

    `stamp` is written as every DTSTAMP, so the bytes depend only on the arguments.
    Events are written in `tz` with a VTIMEZONE covering every year they touch.
    Raises ValueError for a naive `stamp` or two events with one uid.
    """
    require_aware("stamp", stamp)
    zone = ZoneInfo(tz)
    events = sorted(cal.events, key=lambda e: (e.start.astimezone(UTC), e.uid))
    _require_unique_uids(events)
    calendar = _calendar_header(cal.name, tz)
    # Always written, even without events: RFC 5545 wants at least one component.
    calendar.add_component(vtimezone(tz, *_years_covered(events, zone, stamp)))
    for event in events:
        calendar.add_component(_vevent(event, stamp=stamp, zone=zone))
    body: bytes = calendar.to_ical()
    return body


def _require_unique_uids(events: list[FeedEvent]) -> None:
    seen: set[str] = set()
    for event in events:
        if event.uid in seen:
            raise ValueError(f"uid: {event.uid!r} appears twice in one calendar")
        seen.add(event.uid)


def _calendar_header(name: str, tz: str) -> Calendar:
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    # icalendar types NAME and X-WR-CALNAME as unknown and would not escape them.
    calendar.add("NAME", vText(name))
    calendar.add("X-WR-CALNAME", vText(name))
    calendar.add("X-WR-TIMEZONE", vText(tz))
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    return calendar


def _years_covered(events: list[FeedEvent], zone: ZoneInfo, stamp: datetime) -> tuple[date, date]:
    """From 1 January of the first event's year to 1 January after the last one ends.

    Without events, the year of `stamp` (never the clock: the bytes stay reproducible).
    """
    if not events:
        year = stamp.astimezone(zone).year
        return date(year, 1, 1), date(year + 1, 1, 1)
    first_year = min(e.start.astimezone(zone).year for e in events)
    last_year = max(e.end.astimezone(zone).year for e in events)
    return date(first_year, 1, 1), date(last_year + 1, 1, 1)


def _vevent(event: FeedEvent, *, stamp: datetime, zone: ZoneInfo) -> Event:
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", stamp.astimezone(UTC))
    vevent.add("DTSTART", event.start.astimezone(zone))
    vevent.add("DTEND", event.end.astimezone(zone))
    vevent.add("SUMMARY", event.summary)
    if event.location:
        vevent.add("LOCATION", event.location)
    if event.description:
        vevent.add("DESCRIPTION", event.description)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("LAST-MODIFIED", event.last_modified.astimezone(UTC))
    vevent.add("STATUS", "CONFIRMED")
    vevent.add("TRANSP", "OPAQUE")
    return vevent
