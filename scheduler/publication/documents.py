"""Feed documents: each feed's bytes as served, rewritten only when their content changes.

A feed is a doctor's (every period), a site's or all shifts; its content comes from the
published events (see `publication.publish`). The stored bytes, their strong ETag and the time they
last changed (DTSTAMP and HTTP Last-Modified) are what the feed URLs serve and what
`scheduler publish` writes, so both are byte-identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from scheduler.domain.enums import Audience, FeedKind
from scheduler.models import (
    DoctorPeriod,
    DoctorRow,
    PeriodSite,
    PublishedEvent,
    PublishedFeed,
    SiteRow,
    TensionPeriod,
)
from scheduler.publication.ical import FeedCalendar, FeedEvent, render_calendar
from scheduler.publication.ical.rota_feeds import CALENDAR_TITLE

#: Time zone of a feed with no event to take it from.
DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True, kw_only=True)
class FeedKey:
    """Which feed: a doctor's, a site's, or every shift (`subject` is then "")."""

    kind: FeedKind
    subject: str = ""

    @property
    def file_name(self) -> str:
        """The file `scheduler publish` writes it to."""
        if self.kind is FeedKind.ALL:
            return "all-shifts.ics"
        return f"{self.kind.value}-{self.subject}.ics"


@dataclass(frozen=True, kw_only=True)
class FeedDocument:
    """A feed as served: its bytes, a strong ETag and when the bytes last changed."""

    body: bytes
    etag: str
    changed_at: datetime


def period_feeds(session: Session, period_id: str) -> tuple[FeedKey, ...]:
    """The feeds a publication of the period touches: its doctors', its sites', all shifts."""
    doctors = set(session.exec(
        select(DoctorPeriod.doctor_id).where(DoctorPeriod.period_id == period_id)))
    sites = set(session.exec(select(PeriodSite.site_id).where(PeriodSite.period_id == period_id)))
    for doctor_id, site_id in session.exec(
        select(PublishedEvent.doctor_id, PublishedEvent.site_id)
        .where(PublishedEvent.period_id == period_id)
    ):
        doctors.add(doctor_id)
        sites.add(site_id)
    return (
        *(FeedKey(kind=FeedKind.DOCTOR, subject=d) for d in sorted(doctors)),
        *(FeedKey(kind=FeedKind.SITE, subject=s) for s in sorted(sites)),
        FeedKey(kind=FeedKind.ALL),
    )


def refresh_feed(session: Session, key: FeedKey, stamp: datetime) -> bool:
    """Rewrite the stored feed if its content changed; True when it did."""
    calendar, tz = _feed_calendar(session, key)
    stored = session.get(PublishedFeed, (key.kind, key.subject))
    if stored is not None and render_calendar(
        calendar, stamp=stored.changed_at, tz=tz
    ) == stored.body:
        return False
    body = render_calendar(calendar, stamp=stamp, tz=tz)
    if stored is None:
        stored = PublishedFeed(kind=key.kind, subject=key.subject, body=body,
                               etag=strong_etag(body), changed_at=stamp)
    else:
        stored.body, stored.etag, stored.changed_at = body, strong_etag(body), stamp
    session.add(stored)
    return True


def strong_etag(body: bytes) -> str:
    """A strong validator: equal exactly when the bytes are."""
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def _feed_calendar(session: Session, key: FeedKey) -> tuple[FeedCalendar, str]:
    """The feed's calendar from the published events, and the time zone to write it in."""
    query = select(PublishedEvent).where(col(PublishedEvent.present).is_(True))
    if key.kind is FeedKind.DOCTOR:
        query = query.where(PublishedEvent.audience == Audience.DOCTOR,
                            PublishedEvent.doctor_id == key.subject)
    else:
        query = query.where(PublishedEvent.audience == Audience.TEAM)
    if key.kind is FeedKind.SITE:
        query = query.where(PublishedEvent.site_id == key.subject)
    rows = list(session.exec(query.order_by(col(PublishedEvent.start), col(PublishedEvent.uid))))
    events = [
        FeedEvent(uid=r.uid, start=r.start, end=r.end, summary=r.summary, location=r.location,
                  description=r.description, sequence=r.sequence, last_modified=r.last_modified)
        for r in rows
    ]
    tz = DEFAULT_TIMEZONE
    if rows:
        # The latest shift's period: a feed normally spans periods of one zone anyway.
        period = session.get(TensionPeriod, rows[-1].period_id)
        tz = period.timezone if period is not None else tz
    return FeedCalendar(name=_feed_name(session, key), events=events), tz


def _feed_name(session: Session, key: FeedKey) -> str:
    # The same names as the files `scheduler solve` writes.
    if key.kind is FeedKind.DOCTOR:
        doctor = session.get(DoctorRow, key.subject)
        return f"{CALENDAR_TITLE} — {doctor.name if doctor and doctor.name else key.subject}"
    if key.kind is FeedKind.SITE:
        site = session.get(SiteRow, key.subject)
        return f"{CALENDAR_TITLE} — {site.name if site else key.subject}"
    return f"{CALENDAR_TITLE} — toutes les gardes"


# Reading -----------------------------------------------------------------------------------

def feed_document(session: Session, key: FeedKey) -> FeedDocument | None:
    """The feed as last published, or None when no publication has written it yet."""
    stored = session.get(PublishedFeed, (key.kind, key.subject))
    if stored is None:
        return None
    return FeedDocument(body=stored.body, etag=stored.etag, changed_at=stored.changed_at)


def unpublished_feed(session: Session, key: FeedKey, *, since: datetime) -> FeedDocument:
    """An empty feed for a subject nothing was published for yet (subscribed early).

    `since` (e.g. when the link was issued) stands for the publication: the bytes stay the
    same from one request to the next, and the first real publication is later.
    """
    stamp = since.astimezone(UTC).replace(microsecond=0)
    calendar = FeedCalendar(name=_feed_name(session, key))
    body = render_calendar(calendar, stamp=stamp, tz=DEFAULT_TIMEZONE)
    return FeedDocument(body=body, etag=strong_etag(body), changed_at=stamp)


def feed_files(session: Session, keys: Sequence[FeedKey]) -> dict[str, bytes]:
    """file name -> the exact bytes HTTP serves, for `scheduler publish`."""
    files = {}
    for key in keys:
        document = feed_document(session, key)
        if document is not None:
            files[key.file_name] = document.body
    return files
