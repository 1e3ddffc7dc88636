"""Reading a stored period as the API and the pages show it: periods, sites, slots, answers,
dates away and the doctors taking part.

Plain functions on a session; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select, update
from sqlmodel.sql.expression import SelectOfScalar

from scheduler.domain.enums import RotaStatus
from scheduler.models import (
    Availability,
    DateAway,
    DateAwayPublic,
    DoctorPeriod,
    DoctorRow,
    PeriodDoctorPublic,
    PeriodSite,
    RotaVersion,
    SiteRow,
    SlotRow,
    TensionPeriod,
)

RowT = TypeVar("RowT")

def periods(session: Session) -> list[TensionPeriod]:
    """Every tension period, latest first."""
    return list(
        session.exec(
            select(TensionPeriod).order_by(col(TensionPeriod.start).desc(), col(TensionPeriod.id))
        ).all()
    )


def period_sites(session: Session, period_id: str) -> list[SiteRow]:
    return list(
        session.exec(
            select(SiteRow)
            .join(PeriodSite, col(PeriodSite.site_id) == SiteRow.id)
            .where(PeriodSite.period_id == period_id)
            .order_by(col(PeriodSite.position))
        ).all()
    )


@dataclass(frozen=True)
class Page:
    """A slice of a list: at most `limit` rows after the first `offset`."""

    limit: int
    offset: int = 0


@dataclass(frozen=True)
class Paged(Generic[RowT]):
    """One page of rows and how many there are in all."""

    rows: list[RowT]
    total: int


def paged(session: Session, query: SelectOfScalar[RowT], page: Page) -> Paged[RowT]:
    """The page of an ordered query, and the count of the whole query."""
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    rows = list(session.exec(query.limit(page.limit).offset(page.offset)).all())
    return Paged(rows=rows, total=int(total))


def period_slots(
    session: Session,
    period_id: str,
    *,
    site: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[SlotRow]:
    """The period's slots in problem order; optionally one site's, starting first..last."""
    return list(session.exec(slots_query(session, period_id, site=site, first=first,
                                         last=last)).all())


def slots_query(session: Session, period_id: str, *, site: str | None = None,
                first: date | None = None, last: date | None = None
                ) -> SelectOfScalar[SlotRow]:
    """The query of `period_slots` (to page through)."""
    query = select(SlotRow).where(SlotRow.period_id == period_id)
    if site is not None:
        query = query.where(SlotRow.site_id == site)
    if first is not None or last is not None:
        period = session.get(TensionPeriod, period_id)
        tz = ZoneInfo(period.timezone if period else "UTC")
        if first is not None:
            query = query.where(col(SlotRow.start) >= _local_midnight(first, tz))
        if last is not None:
            query = query.where(col(SlotRow.start) < _local_midnight(last + timedelta(days=1), tz))
    return query.order_by(col(SlotRow.position))


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # A shift belongs to the local date on which it starts (DESIGN, counting conventions).
    return datetime.combine(day, time(), tzinfo=tz)


def period_availability(
    session: Session, period_id: str, *, doctor: str | None = None
) -> list[Availability]:
    """The answers given for the period's slots, by doctor then slot order."""
    return list(session.exec(availability_query(period_id, doctor=doctor)).all())


def availability_query(period_id: str, *, doctor: str | None = None
                       ) -> SelectOfScalar[Availability]:
    """The query of `period_availability` (to page through)."""
    query = (
        select(Availability)
        .join(SlotRow, (col(SlotRow.period_id) == Availability.period_id)
              & (col(SlotRow.id) == Availability.slot_id))
        .where(Availability.period_id == period_id)
    )
    if doctor is not None:
        query = query.where(Availability.doctor_id == doctor)
    return query.order_by(col(Availability.doctor_id), col(SlotRow.position))


def period_away(session: Session, period_id: str) -> dict[str, list[DateAway]]:
    """Dates away per doctor, in the order given."""
    out: dict[str, list[DateAway]] = defaultdict(list)
    rows = session.exec(
        select(DateAway).where(DateAway.period_id == period_id).order_by(col(DateAway.id))
    ).all()
    for row in rows:
        out[row.doctor_id].append(row)
    return out


def period_doctors(session: Session, period_id: str) -> list[PeriodDoctorPublic]:
    """The doctors taking part in the period, with their caps and dates away."""
    away = period_away(session, period_id)
    return [
        PeriodDoctorPublic(
            id=doctor.id,
            name=doctor.name,
            organisation_id=doctor.organisation_id,
            skills=doctor.skills,
            away=[DateAwayPublic(first=a.first, last=a.last) for a in away.get(doctor.id, [])],
            **_caps(caps),
        )
        for doctor, caps in period_doctor_rows(session, period_id)
    ]


def _caps(caps: DoctorPeriod) -> dict[str, Any]:
    return caps.model_dump(exclude={"doctor_id", "period_id", "position"})


def period_doctor_rows(session: Session, period_id: str
                       ) -> list[tuple[DoctorRow, DoctorPeriod]]:
    """The doctors taking part in the period with their answer's row, in problem order."""
    rows = session.exec(
        select(DoctorRow, DoctorPeriod)
        .join(DoctorPeriod, col(DoctorPeriod.doctor_id) == DoctorRow.id)
        .where(DoctorPeriod.period_id == period_id)
        .order_by(col(DoctorPeriod.position), col(DoctorPeriod.doctor_id))
    ).all()
    return [(doctor, caps) for doctor, caps in rows]


@dataclass(frozen=True, kw_only=True)
class PeriodProgress:
    """Where a period stands, as a manager's home page shows it."""

    period: TensionPeriod
    taking_part: int
    answered: int
    #: The latest rota version (number, status), and the published one's number.
    latest_version: tuple[int, RotaStatus] | None
    published_version: int | None
    #: GP seats of all its slots, and the answers offering one (available or preferred).
    seats: int = 0
    offers: int = 0


def period_progress(session: Session, periods: list[TensionPeriod]) -> list[PeriodProgress]:
    """Doctors taking part and answered, seats and offers, and rota versions, for each
    period (6 queries)."""
    ids = [p.id for p in periods]
    answered = func.count(col(DoctorPeriod.answered_at))
    counts = {pid: (int(total), int(done)) for pid, total, done in session.exec(
        select(DoctorPeriod.period_id, func.count(), answered)
        .where(col(DoctorPeriod.period_id).in_(ids)).group_by(col(DoctorPeriod.period_id)))}
    seats = {pid: int(n or 0) for pid, n in session.exec(
        select(SlotRow.period_id, func.sum(SlotRow.seats))
        .where(col(SlotRow.period_id).in_(ids)).group_by(col(SlotRow.period_id)))}
    offers = {pid: int(n) for pid, n in session.exec(
        select(Availability.period_id, func.count())
        .where(col(Availability.period_id).in_(ids)).group_by(col(Availability.period_id)))}
    latest: dict[str, tuple[int, RotaStatus]] = {}
    published: dict[str, int] = {}
    for version in session.exec(select(RotaVersion).where(col(RotaVersion.period_id).in_(ids))
                                .order_by(col(RotaVersion.number))):
        latest[version.period_id] = (version.number, version.status)
        if version.status == RotaStatus.PUBLISHED:
            published[version.period_id] = version.number
    return [
        PeriodProgress(period=p, taking_part=counts.get(p.id, (0, 0))[0],
                       answered=counts.get(p.id, (0, 0))[1], latest_version=latest.get(p.id),
                       published_version=published.get(p.id), seats=seats.get(p.id, 0),
                       offers=offers.get(p.id, 0))
        for p in periods
    ]


def lock_period(session: Session, period_id: str) -> None:
    """Take the period's write lock for the rest of the transaction (PostgreSQL: its row;
    SQLite: the database's), so that numbers and positions read next are not taken by a
    concurrent writer: two plans saved at once get versions N and N+1."""
    session.exec(update(TensionPeriod).where(col(TensionPeriod.id) == period_id)
                 .values(source_digest=TensionPeriod.source_digest))
