"""A rota worded as feed events: one event per assignment, per doctor, per site, or all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from scheduler.domain.enums import Audience
from scheduler.domain.problem import Doctor, Problem, Site, Slot
from scheduler.domain.rota import Assignment
from scheduler.publication.ical.model import FeedEvent, require_aware

#: uid -> (SEQUENCE, LAST-MODIFIED) as last published; absent uids are new events.
History = Mapping[str, tuple[int, datetime]]

TITLE = "Consultation de délestage"

_T = TypeVar("_T")




def assignment_uid(period_id: str, slot_id: str, doctor_id: str, audience: Audience) -> str:
    """Stable across re-publications of the same assignment.

    Team feeds get their own uid: a doctor subscribed to both their feed and a site feed
    would otherwise hold two different events under one uid, which clients merge badly.
    """
    team = ".team" if audience is Audience.TEAM else ""
    return f"{slot_id}.{doctor_id}{team}@{period_id}.relief-rota"


def slot_words(slot: Slot, tz: ZoneInfo) -> str:
    """The slot's label, or its local hours such as "20:00–08:00"."""
    if slot.label:
        return slot.label
    return f"{slot.start.astimezone(tz):%H:%M}–{slot.end.astimezone(tz):%H:%M}"


def _summary(site: Site, slot: Slot, doctor: Doctor, tz: ZoneInfo, audience: Audience) -> str:
    if audience is Audience.TEAM:
        who = doctor.name or doctor.id
        return f"{TITLE} — {site.name} — {who} ({slot_words(slot, tz)})"
    return f"{TITLE} — {site.name} ({slot_words(slot, tz)})"


def _description(site: Site, contact: str) -> str:
    ed_contact = site.contact or contact
    return f"Contact des urgences : {ed_contact}" if ed_contact else ""


def events_for_rota(
    problem: Problem,
    assignments: Iterable[Assignment],
    *,
    period_id: str | None = None,
    stamp: datetime,
    contact: str = "",
    history: History | None = None,
    audience: Audience = Audience.DOCTOR,
) -> list[FeedEvent]:
    """One event per assignment, sorted by (start, uid).

    `period_id` defaults to the problem's period; `contact` is the ED contact used for
    sites that have none; `stamp` is LAST-MODIFIED of events absent from `history`.
    """
    require_aware("stamp", stamp)
    period = period_id or problem.period.id
    slots, doctors, sites = problem.slot_by_id(), problem.doctor_by_id(), problem.site_by_id()
    known = history or {}
    events = []
    for assignment in assignments:
        slot = _lookup(slots, assignment.slot, "slot")
        doctor = _lookup(doctors, assignment.doctor, "doctor")
        site = _lookup(sites, slot.site, "site")
        uid = assignment_uid(period, slot.id, doctor.id, audience)
        sequence, last_modified = known.get(uid, (0, stamp))
        events.append(
            FeedEvent(
                uid=uid,
                start=slot.start,
                end=slot.end,
                summary=_summary(site, slot, doctor, problem.tz, audience),
                location=site.address,
                description=_description(site, contact),
                sequence=sequence,
                last_modified=last_modified,
            )
        )
    return sorted(events, key=lambda e: (e.start, e.uid))


def _lookup(table: Mapping[str, _T], key: str, what: str) -> _T:
    try:
        return table[key]
    except KeyError:
        raise ValueError(f"assignment: unknown {what} {key!r}") from None
