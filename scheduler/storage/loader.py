"""Store a scenario (and its expanded problem) in the database, all or nothing.

What one load writes: the sites, organisations and doctors it names (shared between periods),
the period with its sites, its slots, each doctor's caps, answers and dates away for the period,
and the manager's pins. Pins go to their own table (`pin`), not into a rota version: they are
input the solver keeps in every version, while rota versions are its output.

Rules, checked before anything is written:
- loading a file whose digest equals the stored period's is a no-op ("already loaded");
- a period id already stored from other content is a conflict (a new period needs a new id);
- records shared between periods must agree on what identifies them: a site's name, an
  organisation's name and kind, a doctor's RPPS and email (and an RPPS or email belongs to one
  doctor only). Their other fields (address, phone, skills, ...) take the file's values;
- a slot id already stored means the period overlaps another one at the same site.

Any conflict raises `InputError` naming the field, and the database is left exactly as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, insert, select

from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.problem import Problem
from scheduler.models import (
    Availability,
    DateAway,
    DoctorPeriod,
    DoctorRow,
    Organisation,
    PeriodSite,
    PinRow,
    SiteRow,
    SlotRow,
    TensionPeriod,
)
from scheduler.scenario.spec import DoctorSpec, Scenario

Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    period_id: str
    #: True when the same content was loaded before and nothing was written.
    already_loaded: bool
    slots: int = 0
    doctors: int = 0
    answers: int = 0
    pins: int = 0


def load_scenario_into(
    session: Session,
    scenario: Scenario,
    problem: Problem,
    source_digest: str,
    *,
    source: str = "",
) -> LoadResult:
    """Store `scenario` (expanded as `problem`) in one transaction, committed on success.

    Raises `InputError` (naming `source` and the field) on a conflict with stored data; the
    transaction is then rolled back, as on any other failure.
    """
    if problem.period.id != scenario.period.id:
        raise ValueError("the problem was not expanded from this scenario")
    try:
        stored = session.get(TensionPeriod, problem.period.id)
        if stored is not None and stored.source_digest == source_digest:
            session.rollback()
            return LoadResult(period_id=problem.period.id, already_loaded=True)
        problems = _period_conflict(stored, source) + _conflicts(session, scenario, problem, source)
        if problems:
            raise InputError(problems)
        result = _write(session, scenario, problem, source_digest)
        session.commit()
        return result
    except IntegrityError as exc:
        # Only a concurrent writer can get here: the checks above saw no conflict.
        session.rollback()
        raise InputError.single(
            source, "", f"conflicting change made while loading: {exc.orig}"
        ) from None
    except BaseException:
        session.rollback()
        raise


# Conflicts -----------------------------------------------------------------------------------

def _period_conflict(stored: TensionPeriod | None, source: str) -> list[InputProblem]:
    if stored is None:
        return []
    return [
        InputProblem(
            source,
            "period.id",
            f"period {stored.id!r} is already loaded from different content; "
            "give the new period its own id",
        )
    ]


def _conflicts(
    session: Session, scenario: Scenario, problem: Problem, source: str
) -> list[InputProblem]:
    found: list[tuple[str, str]] = []
    for i, site in enumerate(scenario.sites):
        stored_site = session.get(SiteRow, site.id)
        if stored_site is not None and stored_site.name != site.name:
            found.append((f"sites[{i}].name", _differs("site", site.id, "name", stored_site.name)))
    for i, org in enumerate(scenario.organisations):
        stored_org = session.get(Organisation, org.id)
        if stored_org is None:
            continue
        for name in ("name", "kind"):
            if getattr(stored_org, name) != getattr(org, name):
                message = _differs("organisation", org.id, name, getattr(stored_org, name))
                found.append((f"organisations[{i}].{name}", message))
    found += _doctor_conflicts(session, scenario.doctors)
    found += _slot_conflicts(session, problem)
    return [InputProblem(source, field, message) for field, message in found]


def _differs(kind: str, ident: str, name: str, stored: object) -> str:
    shown = stored.value if isinstance(stored, Enum) else stored
    return f"{kind} {ident!r} is already stored with {name} {shown!r}; use that or another id"


def _doctor_conflicts(session: Session, doctors: list[DoctorSpec]) -> list[tuple[str, str]]:
    by_id = {d.id: d for d in _rows(session, DoctorRow, DoctorRow.id, [d.id for d in doctors])}
    found: list[tuple[str, str]] = []
    for name, label in (("rpps", "RPPS"), ("email", "email")):
        values = [v for v in (getattr(d, name) for d in doctors) if v is not None]
        column = getattr(DoctorRow, name)
        holders = {getattr(d, name): d.id for d in _rows(session, DoctorRow, column, values)}
        owners: dict[str, str] = {}
        for i, spec in enumerate(doctors):
            value, field = getattr(spec, name), f"doctors[{i}].{name}"
            known = by_id.get(spec.id)
            if known is not None and getattr(known, name) != value:
                found.append((field, _differs("doctor", spec.id, label, getattr(known, name))))
            if value is None:
                continue
            if value in owners:
                found.append((field, f"{label} {value!r} is also given to {owners[value]!r}"))
                continue
            owners[value] = spec.id
            if holders.get(value, spec.id) != spec.id:
                message = f"{label} {value!r} already belongs to doctor {holders[value]!r}"
                found.append((field, message))
    return found


def _slot_conflicts(session: Session, problem: Problem) -> list[tuple[str, str]]:
    taken = Counter[str]()
    first: dict[str, str] = {}
    for slot in _rows(session, SlotRow, SlotRow.id, [s.id for s in problem.slots]):
        if slot.period_id == problem.period.id:
            continue  # the period itself: reported as a period conflict
        taken[slot.period_id] += 1
        first.setdefault(slot.period_id, slot.id)
    return [
        (
            "period",
            f"{count} slot(s) already belong to period {period_id!r} (e.g. {first[period_id]}): "
            "the two periods overlap at the same site",
        )
        for period_id, count in sorted(taken.items())
    ]


def _rows(session: Session, model: type[Row], column: Any, values: Sequence[str]) -> list[Row]:
    """The stored rows whose `column` is one of `values`, in one query per 500 values."""
    out: list[Row] = []
    for start in range(0, len(values), 500):  # bounded IN lists
        chunk = values[start : start + 500]
        out += session.exec(select(model).where(col(column).in_(chunk))).all()
    return out


# Writing ---------------------------------------------------------------------------------

def _write(
    session: Session, scenario: Scenario, problem: Problem, source_digest: str
) -> LoadResult:
    _upsert_shared(session, scenario)
    spec, rules = scenario.period, problem.rules
    period = TensionPeriod(
        id=spec.id,
        name=spec.name,
        start=spec.start,
        end=spec.end,
        timezone=spec.timezone,
        availability_deadline=spec.availability_deadline,
        status=spec.status,
        min_rest_hours=rules.min_rest_hours,
        travel_buffer_minutes=rules.travel_buffer_minutes,
        source_digest=source_digest,
    )
    session.add(period)
    session.flush()  # without relationships, the flush does not order parents before children
    session.add_all(
        PeriodSite(period_id=period.id, site_id=s.id, position=i)
        for i, s in enumerate(problem.sites)
    )
    session.add_all(
        SlotRow(
            id=s.id, period_id=period.id, site_id=s.site, start=s.start, end=s.end,
            seats=s.seats, skills=sorted(s.skills), priority=s.priority, tags=sorted(s.tags),
            label=s.label, position=i,
        )
        for i, s in enumerate(problem.slots)
    )
    session.flush()
    answers = _write_answers(session, scenario, problem)
    session.add_all(
        PinRow(doctor_id=p.doctor, slot_id=p.slot, position=i) for i, p in enumerate(problem.pinned)
    )
    session.flush()
    return LoadResult(
        period_id=period.id,
        already_loaded=False,
        slots=len(problem.slots),
        doctors=len(problem.doctors),
        answers=answers,
        pins=len(problem.pinned),
    )


def _upsert_shared(session: Session, scenario: Scenario) -> None:
    """Sites, organisations and doctors: insert the new, refresh the others' details."""
    sites = [s.model_dump(exclude={"gap_model"}) for s in scenario.sites]
    organisations = [o.model_dump() for o in scenario.organisations]
    _upsert(session, SiteRow, SiteRow.id, sites)
    _upsert(session, Organisation, Organisation.id, organisations)
    session.flush()
    doctors = [
        {
            "id": d.id, "name": d.name, "email": d.email, "phone": d.phone, "rpps": d.rpps,
            "organisation_id": d.organisation, "skills": sorted(d.skills),
        }
        for d in scenario.doctors
    ]
    _upsert(session, DoctorRow, DoctorRow.id, doctors)
    session.flush()


def _upsert(session: Session, model: type[Row], key: Any, records: list[dict[str, Any]]) -> None:
    """Insert the records whose id is new; update the stored rows with the others."""
    rows = _rows(session, model, key, [r["id"] for r in records])
    stored = {getattr(row, key.key): row for row in rows}
    for record in records:
        row = stored.get(record["id"])
        if row is None:
            session.add(model.model_validate(record))
        else:
            row.sqlmodel_update(record)


def _write_answers(session: Session, scenario: Scenario, problem: Problem) -> int:
    """Caps, comment, availability and dates away of every doctor; returns the answer count."""
    comments = {d.id: d.comment for d in scenario.doctors}
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for i, doctor in enumerate(problem.doctors):
        session.add(
            DoctorPeriod(
                doctor_id=doctor.id, period_id=problem.period.id, position=i,
                max_shifts=doctor.max_shifts, max_shifts_per_week=doctor.max_shifts_per_week,
                max_consecutive_days=doctor.max_consecutive_days, max_hours=doctor.max_hours,
                carry_over_hours=doctor.carry_over_hours, comment=comments.get(doctor.id, ""),
                # A scenario listing answers records a doctor who has replied.
                answered_at=now if doctor.availability or doctor.away else None,
            )
        )
        rows += [
            {"doctor_id": doctor.id, "slot_id": slot_id, "answer": answer}
            for slot_id, answer in doctor.availability.items()
        ]
        session.add_all(
            DateAway(doctor_id=doctor.id, period_id=problem.period.id, first=first, last=last)
            for first, last in doctor.away
        )
    if rows:
        # One bulk statement: a regional period holds hundreds of thousands of answers.
        session.exec(insert(Availability), params=rows)
    return len(rows)
