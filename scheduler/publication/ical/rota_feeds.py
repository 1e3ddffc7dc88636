"""The rota's feeds as the CLI writes them: one per doctor, one per site, one for all shifts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scheduler.domain.enums import Audience
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment
from scheduler.publication.ical.model import FeedCalendar, FeedEvent
from scheduler.publication.ical.render import render_calendar
from scheduler.publication.ical.rota_events import History, events_for_rota

CALENDAR_TITLE = "Consultations de délestage"


def doctor_feeds(
    problem: Problem,
    assignments: Iterable[Assignment],
    *,
    stamp: datetime,
    contact: str = "",
    history: History | None = None,
    period_id: str | None = None,
) -> dict[str, bytes]:
    """doctor id -> feed, for every doctor of the problem (no shift: an empty calendar)."""
    rota = list(assignments)
    feeds = {}
    for doctor in problem.doctors:
        mine = [a for a in rota if a.doctor == doctor.id]
        events = events_for_rota(
            problem, mine, period_id=period_id, stamp=stamp, contact=contact, history=history
        )
        name = f"{CALENDAR_TITLE} — {doctor.name or doctor.id}"
        feeds[doctor.id] = _render(problem, name, events, stamp)
    return feeds


def site_feeds(
    problem: Problem,
    assignments: Iterable[Assignment],
    *,
    stamp: datetime,
    contact: str = "",
    history: History | None = None,
    period_id: str | None = None,
) -> dict[str, bytes]:
    """site id -> feed of every assigned shift there, each event naming its doctor."""
    rota = list(assignments)
    slot_site = {slot.id: slot.site for slot in problem.slots}
    feeds = {}
    for site in problem.sites:
        here = [a for a in rota if slot_site.get(a.slot) == site.id]
        events = events_for_rota(
            problem,
            here,
            period_id=period_id,
            stamp=stamp,
            contact=contact,
            history=history,
            audience=Audience.TEAM,
        )
        feeds[site.id] = _render(problem, f"{CALENDAR_TITLE} — {site.name}", events, stamp)
    return feeds


def all_shifts_feed(
    problem: Problem,
    assignments: Iterable[Assignment],
    *,
    stamp: datetime,
    contact: str = "",
    history: History | None = None,
    period_id: str | None = None,
) -> bytes:
    """Every assigned shift of every site, for the managers."""
    events = events_for_rota(
        problem,
        assignments,
        period_id=period_id,
        stamp=stamp,
        contact=contact,
        history=history,
        audience=Audience.TEAM,
    )
    return _render(problem, f"{CALENDAR_TITLE} — toutes les gardes", events, stamp)


def _render(problem: Problem, name: str, events: list[FeedEvent], stamp: datetime) -> bytes:
    calendar = FeedCalendar(name=name, events=events)
    return render_calendar(calendar, stamp=stamp, tz=problem.period.timezone)
