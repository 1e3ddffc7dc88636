"""The tables keep what the domain needs: aware times, enum values, uniqueness, references."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from scheduler.domain.enums import OrganisationKind, PeriodStatus
from scheduler.domain.rota import SolveStatus
from scheduler.models import (
    AssignmentRow,
    DoctorRow,
    Organisation,
    RotaVersion,
    SiteRow,
    SlotRow,
    TensionPeriod,
)

PARIS = ZoneInfo("Europe/Paris")


def _sql(session: Session, query: str) -> list[Any]:
    """The first column of a raw query: what the database really holds."""
    return list(session.connection().execute(text(query)).scalars())


def _period_with_site(session: Session) -> None:
    session.add(SiteRow(id="chiv", name="CHIV"))
    session.add(TensionPeriod(id="p", name="P", start=date(2026, 7, 1), end=date(2026, 8, 31)))
    session.commit()


def _slot(start: datetime, end: datetime, slot_id: str = "s1", period: str = "p") -> SlotRow:
    return SlotRow(
        id=slot_id, period_id=period, site_id="chiv", start=start, end=end, seats=1, position=0
    )


def test_slot_times_come_back_aware_and_equal(session: Session) -> None:
    _period_with_site(session)
    start = datetime(2026, 7, 14, 20, tzinfo=PARIS)
    end = datetime(2026, 7, 15, 0, tzinfo=PARIS)
    session.add(_slot(start, end))
    session.commit()
    session.expire_all()
    stored = session.get(SlotRow, ("p", "s1"))
    assert stored is not None
    assert stored.start.utcoffset() is not None
    assert (stored.start, stored.end) == (start, end)


def test_slot_times_are_stored_in_utc(session: Session) -> None:
    _period_with_site(session)
    session.add(_slot(datetime(2026, 7, 14, 20, tzinfo=PARIS), datetime(2026, 7, 15, tzinfo=PARIS)))
    session.commit()
    session.expire_all()
    stored = session.get(SlotRow, ("p", "s1"))
    assert stored is not None
    assert stored.start.utcoffset() == UTC.utcoffset(None)
    assert stored.start.replace(tzinfo=None) == datetime(2026, 7, 14, 18)


def test_night_across_the_october_clock_change_keeps_its_real_length(session: Session) -> None:
    _period_with_site(session)
    start = datetime(2026, 10, 24, 20, tzinfo=PARIS)
    end = datetime(2026, 10, 25, 8, tzinfo=PARIS)
    session.add(_slot(start, end))
    session.commit()
    session.expire_all()
    stored = session.get(SlotRow, ("p", "s1"))
    assert stored is not None
    assert (stored.end - stored.start).total_seconds() == 13 * 3600


def test_naive_datetime_is_refused(session: Session) -> None:
    _period_with_site(session)
    session.add(_slot(datetime(2026, 7, 14, 20), datetime(2026, 7, 15)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_slot_of_an_unknown_period_is_refused_by_the_foreign_key(session: Session) -> None:
    _period_with_site(session)
    day = datetime(2026, 7, 1, tzinfo=UTC)
    session.add(_slot(day, day.replace(hour=4), period="x"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_enums_are_stored_as_their_values(session: Session) -> None:
    session.add(Organisation(id="cpts-a", name="CPTS A", kind=OrganisationKind.CPTS))
    session.add(
        TensionPeriod(
            id="p", name="P", start=date(2026, 7, 1), end=date(2026, 8, 31),
            status=PeriodStatus.COLLECTING,
        )
    )
    session.commit()
    assert _sql(session, "SELECT kind FROM organisation") == ["cpts"]
    assert _sql(session, "SELECT status FROM tension_period") == ["collecting"]
    session.expire_all()
    period = session.get(TensionPeriod, "p")
    assert period is not None
    assert period.status is PeriodStatus.COLLECTING


def test_two_doctors_cannot_share_an_rpps(session: Session) -> None:
    session.add(DoctorRow(id="a", name="A", rpps="10000000017"))
    session.add(DoctorRow(id="b", name="B", rpps="10000000017"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_many_doctors_may_have_no_rpps_or_email(session: Session) -> None:
    session.add_all(DoctorRow(id=f"d{i}", name=f"D{i}") for i in range(3))
    session.commit()
    assert sorted(_sql(session, "SELECT id FROM doctor")) == ["d0", "d1", "d2"]


def test_doctor_skills_round_trip_as_a_list(session: Session) -> None:
    session.add(DoctorRow(id="a", name="A", skills=["paediatrics", "sutures"]))
    session.commit()
    session.expire_all()
    doctor = session.get(DoctorRow, "a")
    assert doctor is not None
    assert doctor.skills == ["paediatrics", "sutures"]


def test_an_assignment_is_stored_once_per_version_doctor_and_slot(session: Session) -> None:
    _period_with_site(session)
    session.add(_slot(datetime(2026, 7, 1, 18, tzinfo=UTC), datetime(2026, 7, 1, 22, tzinfo=UTC)))
    session.add(DoctorRow(id="a", name="A"))
    version = RotaVersion(period_id="p", number=1, solver_status=SolveStatus.OPTIMAL)
    session.add(version)
    session.commit()
    assert version.id is not None
    row = {"rota_version_id": version.id, "period_id": "p", "doctor_id": "a", "slot_id": "s1"}
    session.add(AssignmentRow(**row))
    session.commit()
    session.add(AssignmentRow(**row, pinned=True))
    with pytest.raises(IntegrityError):
        session.commit()


def test_rota_version_numbers_are_unique_within_a_period(session: Session) -> None:
    _period_with_site(session)
    session.add(RotaVersion(period_id="p", number=1, solver_status=SolveStatus.OPTIMAL))
    session.commit()
    session.add(RotaVersion(period_id="p", number=1, solver_status=SolveStatus.FEASIBLE))
    with pytest.raises(IntegrityError):
        session.commit()


def test_rota_version_created_at_defaults_to_an_aware_now(session: Session) -> None:
    _period_with_site(session)
    before = datetime.now(UTC)
    version = RotaVersion(period_id="p", number=1, solver_status=SolveStatus.OPTIMAL)
    session.add(version)
    session.commit()
    session.expire_all()
    assert version.created_at >= before
    assert version.created_at.utcoffset() is not None

