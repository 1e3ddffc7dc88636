"""Store a tension period in the database, all or nothing: from a scenario file (with its
organisations, contact data and comments) or from an exported `problem.json`.

What one load writes: the sites, organisations and doctors it names (shared between periods),
the period with its rules and sites, its slots, each doctor's caps, answers and dates away for
the period, the manager's pinned and removed assignments, and (a problem.json only) its
published rota as a published rota version. Every field of the problem is stored, so
`problem_from_db` gives back the very problem the file describes.

Rules, checked before anything is written:
- loading a file whose digest equals the stored period's is a no-op ("already loaded");
- a period id already stored from other content is a conflict (a new period needs a new id);
- records shared between periods must agree on what identifies them: a site's name, an
  organisation's name and kind, a doctor's RPPS and email (and an RPPS or email belongs to one
  doctor only). Their other fields (address, phone, skills, ...) take the file's values; a
  problem.json has no contact data and leaves the stored ones as they are.
Slots belong to their period, so two periods may overlap at one site.

Any conflict raises `InputError` naming the field, and the database is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, insert, select

from scheduler.domain.enums import PeriodStatus, RotaStatus
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.engine.explain import explain_uncovered
from scheduler.models import (
    Availability,
    DateAway,
    DoctorPeriod,
    DoctorRow,
    Organisation,
    PeriodSite,
    PinRow,
    RemovalRow,
    SiteRow,
    SlotRow,
    TensionPeriod,
)
from scheduler.scenario.spec import DoctorSpec, Scenario
from scheduler.storage.rotas import save_rota

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
    removed: int = 0
    #: The rota version recorded as published (a problem.json with `published`), if any.
    published_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class _Records:
    """What a load writes besides the problem: the period's words and the shared records."""

    name: str
    status: PeriodStatus
    deadline: Any = None
    organisations: list[dict[str, Any]] = field(default_factory=list)
    #: Doctors' contact data (None: the file has none, keep what is stored).
    contacts: dict[str, dict[str, Any]] | None = None
    comments: dict[str, str] = field(default_factory=dict)
    #: Scenario doctors, for the identity checks (RPPS, email).
    doctor_specs: list[DoctorSpec] = field(default_factory=list)
    #: The scenario's rules for every doctor, kept on the period for doctors who join later.
    max_weekends: int | None = None
    min_days_off: int | None = None
    max_shifts_by_kind: dict[str, int] = field(default_factory=dict)


def load_scenario_into(
    session: Session,
    scenario: Scenario,
    problem: Problem,
    source_digest: str,
    *,
    now: datetime,
    source: str = "",
) -> LoadResult:
    """Store `scenario` (expanded as `problem`) in one transaction, committed on success;
    `now` stamps the answers the file records.

    Raises `InputError` (naming `source` and the field) on a conflict with stored data; the
    transaction is then rolled back, as on any other failure.
    """
    if problem.period.id != scenario.period.id:
        raise ValueError("the problem was not expanded from this scenario")
    records = _Records(
        name=scenario.period.name,
        status=scenario.period.status,
        deadline=scenario.period.availability_deadline,
        organisations=[o.model_dump() for o in scenario.organisations],
        contacts={d.id: {"email": d.email, "phone": d.phone, "rpps": d.rpps,
                         "organisation_id": d.organisation} for d in scenario.doctors},
        comments={d.id: d.comment for d in scenario.doctors},
        doctor_specs=list(scenario.doctors),
        max_weekends=scenario.rules.max_weekends, min_days_off=scenario.rules.min_days_off,
        max_shifts_by_kind=dict(scenario.rules.max_shifts_by_kind),
    )
    sites = {s.id: s.model_dump(exclude={"gap_model"}) for s in scenario.sites}
    return _load(session, problem, records, sites, source_digest, source, now)


def load_problem_into(
    session: Session, problem: Problem, source_digest: str, *, now: datetime, source: str = ""
) -> LoadResult:
    """Store an exported problem (problem.json) in one transaction, committed on success.

    The period is named after its id and starts in planning (its answers are given). A
    `published` list becomes a rota version recorded as published (`scheduler publish` then
    writes its feeds). Raises `InputError` like `load_scenario_into`.
    """
    records = _Records(name=problem.period.id, status=PeriodStatus.PLANNING)
    sites = {s.id: {"id": s.id, "name": s.name, "address": s.address, "contact": s.contact}
             for s in problem.sites}
    return _load(session, problem, records, sites, source_digest, source, now)


def _load(session: Session, problem: Problem, records: _Records,
          sites: dict[str, dict[str, Any]], source_digest: str, source: str, now: datetime
          ) -> LoadResult:
    try:
        stored = session.get(TensionPeriod, problem.period.id)
        if stored is not None and stored.source_digest == source_digest:
            session.rollback()
            return LoadResult(period_id=problem.period.id, already_loaded=True)
        problems = _period_conflict(stored, source)
        problems += _conflicts(session, list(sites.values()), records, source)
        if problems:
            raise InputError(problems)
        result = _write(session, problem, records, sites, source_digest, now)
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


def _conflicts(session: Session, sites: list[dict[str, Any]], records: _Records, source: str
               ) -> list[InputProblem]:
    found: list[tuple[str, str]] = []
    for i, site in enumerate(sites):
        stored_site = session.get(SiteRow, site["id"])
        if stored_site is not None and stored_site.name != site["name"]:
            found.append((f"sites[{i}].name",
                          _differs("site", site["id"], "name", stored_site.name)))
    for i, org in enumerate(records.organisations):
        stored_org = session.get(Organisation, org["id"])
        if stored_org is None:
            continue
        for name in ("name", "kind"):
            if getattr(stored_org, name) != org[name]:
                message = _differs("organisation", org["id"], name, getattr(stored_org, name))
                found.append((f"organisations[{i}].{name}", message))
    found += _doctor_conflicts(session, records.doctor_specs)
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
            value, field_name = getattr(spec, name), f"doctors[{i}].{name}"
            known = by_id.get(spec.id)
            if known is not None and getattr(known, name) != value:
                found.append((field_name,
                              _differs("doctor", spec.id, label, getattr(known, name))))
            if value is None:
                continue
            if value in owners:
                found.append((field_name, f"{label} {value!r} is also given to {owners[value]!r}"))
                continue
            owners[value] = spec.id
            if holders.get(value, spec.id) != spec.id:
                message = f"{label} {value!r} already belongs to doctor {holders[value]!r}"
                found.append((field_name, message))
    return found


def _rows(session: Session, model: type[Row], column: Any, values: Sequence[str]) -> list[Row]:
    """The stored rows whose `column` is one of `values`, in one query per 500 values."""
    out: list[Row] = []
    for start in range(0, len(values), 500):  # bounded IN lists
        chunk = values[start : start + 500]
        out += session.exec(select(model).where(col(column).in_(chunk))).all()
    return out


# Writing ---------------------------------------------------------------------------------

def _write(session: Session, problem: Problem, records: _Records,
           sites: dict[str, dict[str, Any]], source_digest: str, now: datetime) -> LoadResult:
    _upsert_shared(session, problem, records, list(sites.values()))
    p, rules = problem.period, problem.rules
    period = TensionPeriod(
        id=p.id, name=records.name, start=p.start, end=p.end, timezone=p.timezone,
        availability_deadline=records.deadline, status=records.status,
        min_rest_hours=rules.min_rest_hours, travel_buffer_minutes=rules.travel_buffer_minutes,
        max_shifts_per_day=rules.max_shifts_per_day,
        forbidden_successions=[list(pair) for pair in rules.forbidden_successions],
        objective_mode=problem.objective_mode, source_digest=source_digest,
        max_weekends=records.max_weekends, min_days_off=records.min_days_off,
        max_shifts_by_kind=records.max_shifts_by_kind,
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
            label=s.label, kind=s.kind, max_seats=s.max_seats,
            over_cover_cost=s.over_cover_cost, position=i,
        )
        for i, s in enumerate(problem.slots)
    )
    session.flush()
    answers = _write_answers(session, problem, records.comments, now)
    for table, pairs in ((PinRow, problem.pinned), (RemovalRow, problem.removed)):
        session.add_all(table(period_id=period.id, doctor_id=x.doctor, slot_id=x.slot,
                              position=i) for i, x in enumerate(pairs))
    session.flush()
    published = _write_published(session, problem, now) if problem.published else None
    return LoadResult(
        period_id=period.id, already_loaded=False, slots=len(problem.slots),
        doctors=len(problem.doctors), answers=answers, pins=len(problem.pinned),
        removed=len(problem.removed), published_version=published,
    )


def _upsert_shared(session: Session, problem: Problem, records: _Records,
                   sites: list[dict[str, Any]]) -> None:
    """Sites, organisations and doctors: insert the new, refresh the others' details."""
    _upsert(session, SiteRow, SiteRow.id, sites)
    _upsert(session, Organisation, Organisation.id, records.organisations)
    session.flush()
    contacts = records.contacts or {}
    doctors = [
        {"id": d.id, "name": d.name, "skills": sorted(d.skills), **contacts.get(d.id, {})}
        for d in problem.doctors
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


def _write_answers(session: Session, problem: Problem, comments: dict[str, str],
                   now: datetime) -> int:
    """Every doctor's caps, comment, availability and dates away; returns the answer count."""
    period_id = problem.period.id
    rows: list[dict[str, object]] = []
    for i, doctor in enumerate(problem.doctors):
        session.add(DoctorPeriod(
            doctor_id=doctor.id, period_id=period_id, position=i,
            max_shifts=doctor.max_shifts, max_shifts_per_week=doctor.max_shifts_per_week,
            max_consecutive_days=doctor.max_consecutive_days, max_hours=doctor.max_hours,
            carry_over_hours=doctor.carry_over_hours,
            max_shifts_per_site=dict(doctor.max_shifts_per_site),
            max_shifts_by_kind=dict(doctor.max_shifts_by_kind),
            min_days_off=doctor.min_days_off,
            max_weekends=doctor.max_weekends, wishes=dict(doctor.wishes),
            comment=comments.get(doctor.id, ""),
            # A file listing answers records a doctor who has replied.
            answered_at=now if doctor.availability or doctor.away else None,
        ))
        rows += [
            {"period_id": period_id, "doctor_id": doctor.id, "slot_id": slot_id,
             "answer": answer}
            for slot_id, answer in doctor.availability.items()
        ]
        session.add_all(
            DateAway(doctor_id=doctor.id, period_id=period_id, first=first, last=last)
            for first, last in doctor.away
        )
    session.flush()
    if rows:
        # One bulk statement: a regional period holds hundreds of thousands of answers.
        session.exec(insert(Availability), params=rows)
    return len(rows)


def _write_published(session: Session, problem: Problem, now: datetime) -> int:
    """The file's published rota as a published version of the period; returns its number."""
    pinned = set(problem.pinned)
    assignments = [Assignment(doctor=p.doctor, slot=p.slot, pinned=p in pinned)
                   for p in problem.published]
    rota = Rota(status=SolveStatus.UNKNOWN, assignments=assignments,
                uncovered=explain_uncovered(problem, assignments))
    version = save_rota(session, problem.period.id, problem, rota,
                        status=RotaStatus.PUBLISHED, note="published rota of the loaded file")
    version.published_at = now
    session.add(version)
    session.flush()
    return version.number
