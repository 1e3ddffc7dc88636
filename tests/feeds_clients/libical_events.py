"""Reads an .ics on stdin, parses it with libical (Evolution's library) and prints JSON.

Runs under Debian's /usr/bin/python3 (gir1.2-ical-3.0 + python3-gi), not the project's
virtualenv. Prints {"name": ..., "events": [{uid, summary, location, description, sequence,
start, end}]} with start/end as UTC ISO strings, resolved with the feed's own VTIMEZONEs.
"""

import json
import sys
from datetime import UTC, datetime

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

Kind = ICalGLib.ComponentKind
Prop = ICalGLib.PropertyKind


def utc_iso(calendar, time, uid):
    zone = time.get_timezone()
    tzid = zone.get_tzid() if zone is not None else None
    # Resolve only through the feed's VTIMEZONE: a missing one must not pass unnoticed.
    if tzid is None or (tzid != "UTC" and calendar.get_timezone(tzid) is None):
        raise SystemExit(f"event {uid}: time {time.as_ical_string()} has no VTIMEZONE")
    seconds = ICalGLib.Time.as_timet_with_zone(time, zone)
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def calendar_name(calendar):
    prop = calendar.get_first_property(Prop.X_PROPERTY)
    while prop is not None:
        if prop.get_x_name() == "X-WR-CALNAME":
            return prop.get_value().get_x()
        prop = calendar.get_next_property(Prop.X_PROPERTY)
    return ""


def main():
    calendar = ICalGLib.Component.new_from_string(sys.stdin.read())
    if calendar is None or calendar.isa() != Kind.VCALENDAR_COMPONENT:
        raise SystemExit("libical: not a VCALENDAR")
    events = []
    vevent = calendar.get_first_component(Kind.VEVENT_COMPONENT)
    while vevent is not None:
        uid = vevent.get_uid()
        events.append(
            {
                "uid": uid,
                "summary": vevent.get_summary(),
                "location": vevent.get_location() or "",
                "description": vevent.get_description() or "",
                "sequence": vevent.get_sequence(),
                "start": utc_iso(calendar, vevent.get_dtstart(), uid),
                "end": utc_iso(calendar, vevent.get_dtend(), uid),
            }
        )
        vevent = calendar.get_next_component(Kind.VEVENT_COMPONENT)
    json.dump({"name": calendar_name(calendar), "events": events}, sys.stdout, ensure_ascii=False)


main()
