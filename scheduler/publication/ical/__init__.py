"""iCalendar feeds of a rota: pure builders (no database, HTTP or clock), bytes out."""

from scheduler.domain.enums import Audience
from scheduler.publication.ical.model import FeedCalendar, FeedEvent
from scheduler.publication.ical.render import render_calendar
from scheduler.publication.ical.rota_events import History, assignment_uid, events_for_rota
from scheduler.publication.ical.rota_feeds import all_shifts_feed, doctor_feeds, site_feeds

__all__ = [
    "Audience",
    "FeedCalendar",
    "FeedEvent",
    "History",
    "all_shifts_feed",
    "assignment_uid",
    "doctor_feeds",
    "events_for_rota",
    "render_calendar",
    "site_feeds",
]
