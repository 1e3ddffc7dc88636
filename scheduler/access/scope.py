"""What a signed-in account may reach: every site (admin) or the sites it is given (manager).

A period is within reach when one of its sites is; a rota version when its period is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from scheduler.access.accounts import account_sites
from scheduler.domain.enums import Role
from scheduler.models import Account, DoctorPeriod, DoctorRow, PeriodSite, TensionPeriod


@dataclass(frozen=True, kw_only=True)
class Reach:
    """The account behind a request and the sites it reaches (None: every site)."""

    account_id: int
    email: str
    role: Role
    sites: frozenset[str] | None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def covers(self, site_ids: frozenset[str] | set[str]) -> bool:
        """Whether any of these sites is within reach."""
        return self.sites is None or bool(self.sites & set(site_ids))


def reach_of(session: Session, account: Account) -> Reach:
    assert account.id is not None
    sites = None if account.role is Role.ADMIN else account_sites(session, account.id)
    return Reach(account_id=account.id, email=account.email, role=account.role, sites=sites)


def period_sites(session: Session, period_id: str) -> frozenset[str]:
    return frozenset(session.exec(
        select(PeriodSite.site_id).where(PeriodSite.period_id == period_id)).all())


def reaches_period(session: Session, reach: Reach, period_id: str) -> bool:
    """Whether the period exists and is within reach."""
    if session.get(TensionPeriod, period_id) is None:
        return False
    return reach.covers(period_sites(session, period_id))


def reachable_doctors(session: Session, reach: Reach) -> frozenset[str] | None:
    """The doctors a manager may invite and see: those taking part in a period of their sites,
    and those in no period yet (just imported); None for an admin (every doctor)."""
    if reach.sites is None:
        return None
    in_reach = select(DoctorPeriod.doctor_id).join(
        PeriodSite, col(PeriodSite.period_id) == DoctorPeriod.period_id
    ).where(col(PeriodSite.site_id).in_(reach.sites))
    in_any = select(DoctorPeriod.doctor_id)
    return frozenset(session.exec(select(DoctorRow.id).where(
        col(DoctorRow.id).in_(in_reach) | col(DoctorRow.id).not_in(in_any))).all())


def reachable_periods(session: Session, reach: Reach) -> list[TensionPeriod]:
    """Every period within reach, latest first."""
    query = select(TensionPeriod)
    if reach.sites is not None:
        within = select(PeriodSite.period_id).where(col(PeriodSite.site_id).in_(reach.sites))
        query = query.where(col(TensionPeriod.id).in_(within))
    return list(session.exec(
        query.order_by(col(TensionPeriod.start).desc(), col(TensionPeriod.id))).all())
