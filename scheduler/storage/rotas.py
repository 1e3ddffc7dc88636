"""Rota versions: saving a solved rota as the period's next draft, and reading versions back.

Plain functions on a session; they flush, the caller commits.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from scheduler.domain.enums import RotaStatus
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Rota, RotaDiff
from scheduler.engine.report import rota_report
from scheduler.models import AssignmentRow, RotaVersion, SlotRow, TensionPeriod
from scheduler.storage.periods import lock_period
from scheduler.storage.problems import UnknownPeriod


class UnknownVersion(LookupError):
    """The period has no rota version of that number (or no version at all)."""


def save_rota(
    session: Session, period_id: str, problem: Problem, rota: Rota, *,
    changes: RotaDiff | None = None, note: str = "",
    status: RotaStatus = RotaStatus.DRAFT,
) -> RotaVersion:
    """Store `rota` as the period's next version (a draft unless `status` says otherwise), with
    the solver's report (`engine.report`; `changes` when it re-planned a published rota).

    Flushes (the version gets its id) but does not commit: the caller owns the transaction.
    Raises ValueError for a problem of another period or assignments outside the problem.
    """
    if problem.period.id != period_id:
        raise ValueError(f"the problem is for period {problem.period.id!r}, not {period_id!r}")
    slots, doctors = problem.slot_by_id(), problem.doctor_by_id()
    strays = sorted(
        f"{a.doctor}/{a.slot}"
        for a in rota.assignments
        if a.slot not in slots or a.doctor not in doctors
    )
    if strays:
        raise ValueError(f"assignments outside the problem: {', '.join(strays)}")
    lock_period(session, period_id)
    last = session.exec(
        select(func.max(RotaVersion.number)).where(RotaVersion.period_id == period_id)
    ).one()
    version = RotaVersion(
        period_id=period_id,
        number=(last or 0) + 1,
        status=status,
        seed=rota.seed,
        solver_status=rota.status,
        statistics=rota_report(problem, rota, changes),
        note=note,
    )
    session.add(version)
    session.flush()
    assert version.id is not None  # set by the flush
    session.add_all(
        AssignmentRow(rota_version_id=version.id, period_id=period_id, doctor_id=a.doctor,
                      slot_id=a.slot, pinned=a.pinned)
        for a in rota.assignments
    )
    session.flush()
    return version


def rota_versions(session: Session, period_id: str) -> list[RotaVersion]:
    """The period's rota versions, oldest first."""
    return list(
        session.exec(
            select(RotaVersion)
            .where(RotaVersion.period_id == period_id)
            .order_by(col(RotaVersion.number))
        ).all()
    )


def has_published_version(session: Session, period_id: str) -> bool:
    """Whether the period has a published rota version (one indexed lookup, no rows loaded:
    the GP form asks on every display)."""
    return session.exec(
        select(RotaVersion.id).where(RotaVersion.period_id == period_id,
                                     RotaVersion.status == RotaStatus.PUBLISHED).limit(1)
    ).first() is not None


def rota_version(session: Session, period_id: str, number: int | None = None) -> RotaVersion:
    """The period's version `number` (default: the latest). Raises UnknownPeriod or
    UnknownVersion (its message lists the numbers the period has)."""
    if session.get(TensionPeriod, period_id) is None:
        raise UnknownPeriod(period_id)
    versions = rota_versions(session, period_id)
    if not versions:
        raise UnknownVersion(f"period {period_id!r} has no rota version yet")
    if number is None:
        return versions[-1]
    for candidate in versions:
        if candidate.number == number:
            return candidate
    known = ", ".join(str(v.number) for v in versions)
    raise UnknownVersion(f"period {period_id!r} has no rota version {number} (it has {known})")


def rota_assignments(session: Session, version_id: int) -> list[AssignmentRow]:
    """The assignments of one rota version, in slot order."""
    return list(
        session.exec(
            select(AssignmentRow)
            .join(SlotRow, (col(SlotRow.period_id) == AssignmentRow.period_id)
                  & (col(SlotRow.id) == AssignmentRow.slot_id))
            .where(AssignmentRow.rota_version_id == version_id)
            .order_by(col(SlotRow.position), col(AssignmentRow.doctor_id))
        ).all()
    )


def version_rota(session: Session, version: RotaVersion) -> list[Assignment]:
    """A stored version's assignments as the domain's, in slot order."""
    assert version.id is not None  # stored versions have their id
    return [Assignment(doctor=a.doctor_id, slot=a.slot_id, pinned=a.pinned)
            for a in rota_assignments(session, version.id)]
