"""iCalendar feeds of a rota: pure builders (no database, HTTP or clock), bytes out."""

from scheduler.feeds.model import FeedCalendar, FeedEvent
from scheduler.feeds.render import render_calendar
from scheduler.feeds.rota_events import Audience, History, assignment_uid, events_for_rota
from scheduler.feeds.rota_feeds import all_shifts_feed, doctor_feeds, site_feeds

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
