"""Publishing a rota version: the one version calendar clients see, and the feeds they read.

Publishing marks a version published (the period's previous one superseded), brings the
period's feed events up to date and rewrites the feeds whose content changed
(`publication.documents`):
- an event keeps its UID for the same assignment (doctor × slot) in every version;
- its SEQUENCE and LAST-MODIFIED move only when its times or words change;
- an event whose assignment is gone leaves every feed;
- a feed's bytes, ETag and Last-Modified move only when its content does. DTSTAMP is the
  publication that last changed the feed, never the clock at request time, so an unchanged
  feed keeps the same bytes and keeps answering 304.
Feeds span periods: a doctor subscribes once and sees every published shift of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from scheduler.domain.enums import Audience, RotaStatus
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, SolveStatus
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker, Violation
from scheduler.models import PublishedEvent, PublishedFeed, RotaVersion, SiteRow, TensionPeriod
from scheduler.publication.documents import FeedKey, period_feeds, refresh_feed
from scheduler.publication.ical import FeedEvent, assignment_uid, events_for_rota
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_version, rota_versions, version_rota

# Any constant: PostgreSQL advisory lock taken for the length of a publication.
_PUBLICATION_LOCK = 5_545


class NotPublishable(ValueError):
    """The version's hard data contradict each other: it holds no rota to publish."""


class BreaksHardRules(NotPublishable):
    """The version's rota breaks hard rules of the period as it stands now (a doctor declared
    an absence, lowered a cap... after it was made): publishing it would send doctors on
    shifts they can no longer work. `violations`: what the independent checker finds."""

    def __init__(self, message: str, violations: list[Violation]) -> None:
        super().__init__(message)
        self.violations = violations


#: Decisions taken after a version was made (pins, removals) that it may not follow: the
#: manager's choice to publish it anyway, not a rule it breaks (the version page says so).
_DECISIONS = frozenset({Rule.PINNED, Rule.REMOVED})


@dataclass(frozen=True, kw_only=True)
class Publication:
    """What publishing did. Counts are of assignments; `feeds` are all the period's feeds."""

    period_id: str
    version: int
    stamp: datetime
    added: int
    changed: int
    removed: int
    feeds: tuple[FeedKey, ...]
    changed_feeds: tuple[FeedKey, ...]


# Publishing -----------------------------------------------------------------------------------

def publish(
    session: Session,
    period_id: str,
    *,
    now: datetime,
    version: int | None = None,
    contact: str = "",
) -> Publication:
    """Publish rota version number `version` (default: the latest) of the period.

    Publishing the version already published refreshes its feeds (e.g. after a site's
    address changed) and changes nothing else. `contact` is the ED contact for sites without
    one. Flushes; the caller commits. Raises UnknownPeriod, UnknownVersion or NotPublishable
    (`BreaksHardRules` when the version, not the one published, breaks a hard rule of the
    period as it stands: plan again instead).
    """
    _serialise_publications(session)
    chosen = rota_version(session, period_id, version)
    if chosen.solver_status == SolveStatus.INFEASIBLE:
        raise NotPublishable(f"rota version {chosen.number} of {period_id!r} is infeasible "
                             "(contradictory hard data): fix the data and plan again")
    problem = problem_from_db(session, period_id)
    assignments = version_rota(session, chosen)
    # (The version already published is only refreshed: its rota stays as it is.)
    if chosen.status != RotaStatus.PUBLISHED and (broken := _broken(problem, assignments)):
        raise BreaksHardRules(
            f"rota version {chosen.number} of {period_id!r} breaks hard rules of the period "
            "as it stands: "
            + "; ".join(f"{v.rule.value} ({', '.join(filter(None, (v.doctor, *v.slots)))})"
                        for v in broken)
            + ": plan again", broken)
    stamp = _next_stamp(session, now)
    for other in rota_versions(session, period_id):
        if other.status == RotaStatus.PUBLISHED and other.id != chosen.id:
            other.status = RotaStatus.SUPERSEDED
            session.add(other)
    if chosen.status != RotaStatus.PUBLISHED:
        chosen.status = RotaStatus.PUBLISHED
        chosen.published_at = stamp
        session.add(chosen)
    session.flush()
    added, changed, removed = _update_events(session, problem, assignments, stamp, contact)
    keys = period_feeds(session, period_id)
    changed_feeds = tuple(key for key in keys if refresh_feed(session, key, stamp))
    session.flush()
    return Publication(period_id=period_id, version=chosen.number, stamp=stamp, added=added,
                       changed=changed, removed=removed, feeds=keys, changed_feeds=changed_feeds)


def broken_rules(session: Session, version: RotaVersion) -> list[Violation]:
    """The hard rules `version`'s rota breaks on its period as stored now (pins and removals
    decided since aside): what stops `publish` unless it is the version published. Empty
    when it breaks none."""
    return _broken(problem_from_db(session, version.period_id), version_rota(session, version))


def _broken(problem: Problem, assignments: list[Assignment]) -> list[Violation]:
    checker = RotaChecker(problem)
    return [v for v in checker.violations((a.doctor, a.slot) for a in assignments)
            if v.rule not in _DECISIONS]


def _serialise_publications(session: Session) -> None:
    # Feeds span periods: two publications at once would each rewrite a doctor's feed from
    # half the events. SQLite serialises writers by itself.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLICATION_LOCK})


def _next_stamp(session: Session, now: datetime) -> datetime:
    """`now` to the second (HTTP dates have no finer grain), later than any earlier stamp.

    Two publications within one second (or a clock set back) would otherwise give changed
    bytes the Last-Modified of the old ones, and If-Modified-Since would hide the change.
    """
    stamp = now.astimezone(UTC).replace(microsecond=0)
    latest = [
        session.exec(select(func.max(PublishedFeed.changed_at))).one(),
        session.exec(select(func.max(RotaVersion.published_at))).one(),
    ]
    for earlier in latest:
        if earlier is not None and earlier >= stamp:
            stamp = earlier + timedelta(seconds=1)
    return stamp


# Events -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fresh:
    event: FeedEvent
    audience: Audience
    doctor_id: str
    site_id: str
    slot_id: str


def _fresh_events(
    problem: Problem, assignments: list[Assignment], stamp: datetime, contact: str
) -> dict[str, _Fresh]:
    """Every event of the version, for the doctor's own feed and for the team feeds."""
    slots, period = problem.slot_by_id(), problem.period.id
    fresh = {}
    for audience in Audience:
        owner = {assignment_uid(period, a.slot, a.doctor, audience): a for a in assignments}
        events = events_for_rota(problem, assignments, stamp=stamp, contact=contact,
                                 audience=audience)
        for event in events:
            a = owner[event.uid]
            fresh[event.uid] = _Fresh(event, audience, a.doctor, slots[a.slot].site, a.slot)
    return fresh


def _content(start: datetime, end: datetime, summary: str, location: str, description: str
             ) -> tuple[datetime, datetime, str, str, str]:
    # What a calendar shows; aware datetimes compare as instants whatever their zone.
    return start, end, summary, location, description


def _update_events(
    session: Session, problem: Problem, assignments: list[Assignment], stamp: datetime,
    contact: str,
) -> tuple[int, int, int]:
    """Store the version's events; returns assignments (added, changed, removed)."""
    fresh = _fresh_events(problem, assignments, stamp, contact)
    stored = {
        row.uid: row
        for row in session.exec(
            select(PublishedEvent).where(PublishedEvent.period_id == problem.period.id)
        )
    }
    counts = {"added": 0, "changed": 0, "removed": 0}
    for uid, new in fresh.items():
        outcome = _store_event(session, stored.get(uid), new, problem.period.id, stamp)
        if outcome and new.audience is Audience.DOCTOR:
            counts[outcome] += 1
    for uid, row in stored.items():
        if row.present and uid not in fresh:
            row.present = False
            session.add(row)
            if row.audience == Audience.DOCTOR:
                counts["removed"] += 1
    session.flush()
    return counts["added"], counts["changed"], counts["removed"]


def _store_event(
    session: Session, row: PublishedEvent | None, new: _Fresh, period_id: str, stamp: datetime
) -> str | None:
    """Insert or update one event row; returns "added", "changed" or None (unchanged)."""
    e = new.event
    content = _content(e.start, e.end, e.summary, e.location, e.description)
    if row is None:
        row = PublishedEvent(uid=e.uid, period_id=period_id, audience=new.audience,
                             doctor_id=new.doctor_id, site_id=new.site_id, slot_id=new.slot_id,
                             start=e.start, end=e.end, summary=e.summary, location=e.location,
                             description=e.description, sequence=0, last_modified=stamp)
        session.add(row)
        return "added"
    was_present = row.present
    if was_present and _content(row.start, row.end, row.summary, row.location,
                                row.description) == content:
        return None
    # A changed event, or one coming back after its removal (clients deleted it).
    row.start, row.end, row.summary, row.location, row.description = content
    row.sequence += 1
    row.last_modified = stamp
    row.present = True
    session.add(row)
    return "changed" if was_present else "added"


# Reading what is published ------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Shift:
    """One published shift of a doctor, in its period's time zone."""

    start: datetime
    end: datetime
    site: str
    address: str
    sequence: int


def doctor_shifts(session: Session, doctor_id: str) -> list[Shift]:
    """The doctor's published shifts of every period, in time order."""
    rows = session.exec(
        select(PublishedEvent, SiteRow, TensionPeriod.timezone)
        .join(SiteRow, col(SiteRow.id) == PublishedEvent.site_id)
        .join(TensionPeriod, col(TensionPeriod.id) == PublishedEvent.period_id)
        .where(PublishedEvent.audience == Audience.DOCTOR, PublishedEvent.doctor_id == doctor_id,
               col(PublishedEvent.present).is_(True))
        .order_by(col(PublishedEvent.start), col(PublishedEvent.uid))
    ).all()
    return [_shift(event, site, tz) for event, site, tz in rows]


def _shift(event: PublishedEvent, site: SiteRow, tz: str) -> Shift:
    zone = ZoneInfo(tz)
    return Shift(start=event.start.astimezone(zone), end=event.end.astimezone(zone),
                 site=site.name, address=site.address, sequence=event.sequence)


