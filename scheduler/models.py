"""Database tables (SQLModel) and the read models the API returns.

One family per entity: `XBase` (shared fields) → `X(table=True)` → `XPublic` (API read model).
Datetimes are timezone-aware everywhere: `UtcDateTime` stores them in UTC and hands them back
aware, on SQLite (which keeps no offset) as on PostgreSQL. Enumerations are stored as their
string values (no native PostgreSQL enum types, so adding a value needs no type migration).

Long on purpose: every table in one module, which the project's design names as the place to
read the schema; each family is short and the sections follow the domain (sites, doctors,
periods, slots, answers, rotas, solve jobs, accounts, secret links, invitations, feeds).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import JSON, Field, SQLModel, UniqueConstraint

from scheduler.domain.enums import (
    Audience,
    FeedKind,
    JobState,
    OrganisationKind,
    PeriodStatus,
    Role,
    RotaStatus,
    TokenKind,
)
from scheduler.domain.problem import Answer
from scheduler.domain.rota import SolveStatus


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive values are refused rather than guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} (a time zone is required)")
        utc = value.astimezone(UTC)
        # SQLite has no time zone type: keep the UTC wall time, re-attached on read.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[Enum]) -> sa.Enum:
    """A VARCHAR column holding the enum's values (not its member names)."""
    return sa.Enum(cls, native_enum=False, values_callable=lambda e: [m.value for m in e])


# Named constraints, so that later migrations (batch mode on SQLite) can find them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# --- Sites: emergency departments hosting relief -------------------------------------------

# Shared by the table and the read model.
class SiteBase(SQLModel):
    name: str
    address: str = ""
    contact: str = ""


class SiteRow(SiteBase, table=True):
    __tablename__ = "site"

    id: str = Field(primary_key=True)


# What the API returns.
class SitePublic(SiteBase):
    id: str


# --- Organisations: the channels GPs are recruited through --------------------------------

class OrganisationBase(SQLModel):
    name: str
    kind: OrganisationKind = Field(sa_type=_enum(OrganisationKind))


class Organisation(OrganisationBase, table=True):
    id: str = Field(primary_key=True)
    coordinator_email: str | None = None


class OrganisationPublic(OrganisationBase):
    id: str


# --- Doctors --------------------------------------------------------------------------------

# The doctor's profile; contact details and RPPS stay in the table only (no API auth yet).
class DoctorBase(SQLModel):
    name: str
    organisation_id: str | None = Field(default=None, foreign_key="organisation.id", index=True)
    skills: list[str] = Field(default_factory=list, sa_type=JSON)


class DoctorRow(DoctorBase, table=True):
    __tablename__ = "doctor"

    id: str = Field(primary_key=True)
    email: str | None = Field(default=None, unique=True)
    phone: str | None = None
    rpps: str | None = Field(default=None, unique=True)


class DoctorPublic(DoctorBase):
    id: str


# --- Tension periods ---------------------------------------------------------------------

class TensionPeriodBase(SQLModel):
    name: str
    start: date
    end: date
    timezone: str = "Europe/Paris"
    availability_deadline: date | None = None
    status: PeriodStatus = Field(default=PeriodStatus.DRAFT, sa_type=_enum(PeriodStatus))
    min_rest_hours: float = 11.0
    travel_buffer_minutes: int = 0
    #: The period's other rules and objective mode (`scheduler.domain.problem.Rules`).
    max_shifts_per_day: int | None = None
    forbidden_successions: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    objective_mode: str = "lexicographic"


class TensionPeriod(TensionPeriodBase, table=True):
    __tablename__ = "tension_period"

    id: str = Field(primary_key=True)
    #: Digest of the scenario file the period was loaded from: loading it again is a no-op.
    source_digest: str | None = None
    #: Euros an hour, for the payment statement (set on the period's page).
    hourly_rate: float | None = None
    #: The scenario's rules for every doctor (`rules.max_weekends`, `rules.min_days_off`): a
    #: doctor joining the period later (an invitation) starts with them.
    max_weekends: int | None = None
    min_days_off: int | None = None
    #: The scenario's per-kind caps for every doctor (`rules.max_shifts_by_kind`), likewise.
    max_shifts_by_kind: dict[str, int] = Field(default_factory=dict, sa_type=JSON)


class TensionPeriodPublic(TensionPeriodBase):
    id: str


class TensionPeriodDetail(TensionPeriodPublic):
    sites: list[SitePublic]


# The sites of a period, in the order the scenario lists them.
class PeriodSite(SQLModel, table=True):
    __tablename__ = "period_site"

    period_id: str = Field(foreign_key="tension_period.id", primary_key=True)
    site_id: str = Field(foreign_key="site.id", primary_key=True, index=True)
    position: int


# --- Slots --------------------------------------------------------------------------------

class SlotBase(SQLModel):
    period_id: str = Field(foreign_key="tension_period.id", primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    start: datetime = Field(sa_type=UtcDateTime)
    end: datetime = Field(sa_type=UtcDateTime)
    seats: int
    skills: list[str] = Field(default_factory=list, sa_type=JSON)
    priority: int = 1
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    label: str = ""
    kind: str = ""
    max_seats: int | None = None
    over_cover_cost: int = 0


# A slot belongs to its period: its key is (period, id), so overlapping periods at one site
# keep their own slots while ids stay readable.
class SlotRow(SlotBase, table=True):
    __tablename__ = "slot"

    id: str = Field(primary_key=True)
    #: Rank in the expanded problem, so the solver sees the slots in the same order.
    position: int


class SlotPublic(SlotBase):
    id: str


# --- A doctor's answer for a period: caps, availability, dates away ---------------------------

# Caps (None = no cap), carried-over hours and the doctor's comment for one period.
class DoctorPeriodBase(SQLModel):
    max_shifts: int | None = None
    max_shifts_per_week: int | None = None
    max_consecutive_days: int | None = None
    max_hours: float | None = None
    carry_over_hours: float = 0.0
    max_shifts_per_site: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    max_shifts_by_kind: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    min_days_off: int | None = None
    max_weekends: int | None = None
    #: The weekends cap the GP gave in their form (None: none given). It only tightens: the
    #: solver takes the lower of it and `max_weekends` (the period's rule, or the one a
    #: scenario set for this doctor), so a GP cannot loosen the manager's rule.
    answered_max_weekends: int | None = None
    #: slot id -> weight (`scheduler.domain.problem.Doctor.wishes`).
    wishes: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    comment: str = ""
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class DoctorPeriod(DoctorPeriodBase, table=True):
    __tablename__ = "doctor_period"

    doctor_id: str = Field(foreign_key="doctor.id", primary_key=True)
    period_id: str = Field(foreign_key="tension_period.id", primary_key=True, index=True)
    #: Rank in the expanded problem, so the solver sees the doctors in the same order.
    position: int
    #: Raised by every save of the answers: a save based on an older one is refused
    #: (`collection.answers.StaleAnswers`).
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


def _slot_key(table: str) -> tuple[sa.ForeignKeyConstraint, sa.Index]:
    """A reference to a slot of the row's own period, and the index that looks it up."""
    return (
        sa.ForeignKeyConstraint(["period_id", "slot_id"], ["slot.period_id", "slot.id"],
                                name=f"fk_{table}_period_id_slot_id_slot"),
        sa.Index(f"ix_{table}_period_id_slot_id", "period_id", "slot_id"),
    )


class AvailabilityBase(SQLModel):
    doctor_id: str = Field(foreign_key="doctor.id")
    slot_id: str
    answer: Answer = Field(sa_type=_enum(Answer))


# One row per (doctor, slot) answered; no row means not available.
class Availability(AvailabilityBase, table=True):
    # The period leads the key: answers are read a period (and a doctor) at a time.
    __table_args__ = (sa.PrimaryKeyConstraint("period_id", "doctor_id", "slot_id"),
                      *_slot_key("availability"))

    period_id: str


class AvailabilityPublic(AvailabilityBase):
    pass


class DateAwayBase(SQLModel):
    first: date
    last: date


class DateAway(DateAwayBase, table=True):
    __tablename__ = "date_away"
    __table_args__ = (sa.Index("ix_date_away_doctor_period", "doctor_id", "period_id"),)

    id: int | None = Field(default=None, primary_key=True)
    doctor_id: str = Field(foreign_key="doctor.id")
    period_id: str = Field(foreign_key="tension_period.id", index=True)


class DateAwayPublic(DateAwayBase):
    pass


# A doctor taking part in a period: profile, caps and dates away.
class PeriodDoctorPublic(DoctorPeriodBase):
    id: str
    name: str
    organisation_id: str | None
    skills: list[str]
    away: list[DateAwayPublic]


# A manager's decision on one assignment, kept in every version of the period's rota.
class DecisionBase(SQLModel):
    period_id: str = Field(primary_key=True)
    doctor_id: str = Field(foreign_key="doctor.id", primary_key=True)
    slot_id: str = Field(primary_key=True)
    #: Rank in the expanded problem's list.
    position: int


# Pinned: the assignment stays.
class PinRow(DecisionBase, table=True):
    __tablename__ = "pin"
    __table_args__ = _slot_key("pin")


# Removed by hand: the assignment is never made again.
class RemovalRow(DecisionBase, table=True):
    __tablename__ = "removal"
    __table_args__ = _slot_key("removal")


# --- Rota versions and their assignments --------------------------------------------------

class RotaVersionBase(SQLModel):
    period_id: str = Field(foreign_key="tension_period.id", index=True)
    number: int
    status: RotaStatus = Field(default=RotaStatus.DRAFT, sa_type=_enum(RotaStatus))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=UtcDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    seed: int = 0
    solver_status: SolveStatus = Field(sa_type=_enum(SolveStatus))
    #: The solver's report (`engine.report`): uncovered seats with reasons, conflicts, stages,
    #: metrics, changes (when re-planning) and loads.
    statistics: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    note: str = ""


class RotaVersion(RotaVersionBase, table=True):
    __tablename__ = "rota_version"
    __table_args__ = (UniqueConstraint("period_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)


class RotaVersionPublic(RotaVersionBase):
    id: int


class AssignmentBase(SQLModel):
    doctor_id: str = Field(foreign_key="doctor.id", index=True)
    slot_id: str
    pinned: bool = False


class AssignmentRow(AssignmentBase, table=True):
    __tablename__ = "assignment"
    # The version leads the key: assignments are read a version at a time.
    __table_args__ = (sa.PrimaryKeyConstraint("rota_version_id", "doctor_id", "slot_id"),
                      *_slot_key("assignment"))

    rota_version_id: int = Field(foreign_key="rota_version.id")
    #: The version's period (the slot's key).
    period_id: str


class AssignmentPublic(AssignmentBase):
    pass


class RotaVersionDetail(RotaVersionPublic):
    assignments: list[AssignmentPublic]


# --- Accounts: the managers and admins who sign in ----------------------------------------

# A manager or admin. The password is kept as an argon2 hash only (`access.passwords`).
class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = ""
    role: Role = Field(sa_type=_enum(Role))
    password_hash: str
    created_at: datetime = Field(sa_type=UtcDateTime)
    password_changed_at: datetime = Field(sa_type=UtcDateTime)
    #: Wrong passwords in a row; the account is locked until `locked_until` after too many.
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


# The sites a manager is given (an admin has every site).
class AccountSite(SQLModel, table=True):
    __tablename__ = "account_site"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    site_id: str = Field(foreign_key="site.id", primary_key=True, index=True)


# --- Secret links: personal form links, feed URLs, coordinator links, sessions, API tokens ---

# Only a hash of the secret is stored: a database leak does not leak working links.
class AccessToken(SQLModel, table=True):
    __tablename__ = "access_token"

    id: int | None = Field(default=None, primary_key=True)
    kind: TokenKind = Field(sa_type=_enum(TokenKind))
    token_hash: str = Field(unique=True, max_length=64)
    doctor_id: str | None = Field(default=None, foreign_key="doctor.id", index=True)
    organisation_id: str | None = Field(default=None, foreign_key="organisation.id", index=True)
    site_id: str | None = Field(default=None, foreign_key="site.id", index=True)
    period_id: str | None = Field(default=None, foreign_key="tension_period.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: When it last let someone in (sessions and API tokens; updated at most once a minute).
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: What an API token is for, as its owner named it.
    label: str = ""


# --- Invitations: a personal link sent (or handed) to a doctor for one period --------------

# One row per link issued; re-sending adds a row, so the manager sees every attempt.
class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    period_id: str = Field(foreign_key="tension_period.id", index=True)
    doctor_id: str = Field(foreign_key="doctor.id", index=True)
    token_id: int = Field(foreign_key="access_token.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
    #: Who asked for it: "manager", or "coordinator:<organisation id>".
    requested_by: str = "manager"
    emailed_to: str | None = None
    emailed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: Why the email could not be sent ("" when sent or not asked for).
    email_error: str = ""


# --- Published feeds: what calendar clients read --------------------------------------------


# One feed event as last published. A row stays (present=False) when its assignment goes, so
# a shift that comes back keeps its UID with a higher SEQUENCE.
class PublishedEvent(SQLModel, table=True):
    __tablename__ = "published_event"
    __table_args__ = _slot_key("published_event")

    uid: str = Field(primary_key=True)
    period_id: str = Field(foreign_key="tension_period.id", index=True)
    audience: Audience = Field(sa_type=_enum(Audience))
    doctor_id: str = Field(foreign_key="doctor.id", index=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    slot_id: str
    start: datetime = Field(sa_type=UtcDateTime)
    end: datetime = Field(sa_type=UtcDateTime)
    summary: str
    location: str = ""
    description: str = ""
    sequence: int = 0
    last_modified: datetime = Field(sa_type=UtcDateTime)
    present: bool = True


# A feed's bytes as served, written at publication, so serving a feed is one lookup.
class PublishedFeed(SQLModel, table=True):
    __tablename__ = "published_feed"

    kind: FeedKind = Field(sa_type=_enum(FeedKind), primary_key=True)
    subject: str = Field(primary_key=True)  # doctor or site id; "" for the all-shifts feed
    etag: str = Field(max_length=66)
    #: When the bytes last changed: DTSTAMP of its events and the HTTP Last-Modified.
    changed_at: datetime = Field(sa_type=UtcDateTime)
    body: bytes = Field(sa_type=sa.LargeBinary)


# A solve job: a request to build a period's rota in the background (`scheduler.planning`).
# What the manager sees lives here, whatever task queue runs it.
class SolveJob(SQLModel, table=True):
    __tablename__ = "solve_job"

    id: int | None = Field(default=None, primary_key=True)
    period_id: str = Field(foreign_key="tension_period.id", index=True)
    #: The account's email, or "command line".
    requested_by: str = Field(max_length=254)
    requested_at: datetime = Field(sa_type=UtcDateTime)
    time_limit_seconds: float
    seed: int
    state: JobState = Field(default=JobState.QUEUED, sa_type=_enum(JobState), index=True)
    #: Runs started (a worker lost mid-solve leaves the job to be tried once more).
    attempts: int = 0
    cancel_requested: bool = False
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: Written every few seconds by the worker running it: a stale one means a lost worker.
    heartbeat_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: host:pid of the worker running (or last running) it.
    worker: str = ""
    #: The last progress the solver reported: {stage, value, bound, elapsed}.
    progress: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    #: What happened, one line each ("2026-11-30T09:00:00Z started on host:123 (attempt 1)").
    log: list[str] = Field(default_factory=list, sa_type=JSON)
    rota_version_id: int | None = Field(default=None, foreign_key="rota_version.id")
    error: str = ""
    #: The task queue's own id for the latest run (procrastinate's job id), if any.
    queue_id: int | None = None
