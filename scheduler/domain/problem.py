"""The solver's input: a fully expanded tension period (what `problem.json` holds).

Pure data, no I/O. Times are timezone-aware; durations are real elapsed time, so a
20:00–08:00 night across the October clock change lasts 13 h (DESIGN, counting conventions).
Each type checks its own invariants when built (ValueError naming the field): ids unique,
periods and slots in order, every number within the `BOUNDS` of its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.domain.bounds import Bound, check_bounds
from scheduler.domain.text import check_date

UTC = ZoneInfo("UTC")


class Answer(StrEnum):
    """A doctor's answer for one slot; no answer means not available."""

    AVAILABLE = "available"
    PREFERRED = "preferred"


ObjectiveMode = Literal["lexicographic", "weighted"]

#: Slot tags that make a slot unpopular (balanced separately for fairness).
UNPOPULAR_TAGS = frozenset({"night", "weekend", "holiday"})


def weekend_of(day: date) -> tuple[int, int] | None:
    """The weekend a local date belongs to, as its ISO (year, week), or None on a weekday: a
    Saturday and the Sunday after it are one weekend (the `max_weekends` rule counts them once).
    """
    if day.isoweekday() < 6:
        return None
    iso = day.isocalendar()
    return iso.year, iso.week


@dataclass(frozen=True, kw_only=True)
class Period:
    """A tension period: its dates (inclusive) and the time zone its slots are read in."""

    id: str
    start: date
    end: date
    timezone: str = "Europe/Paris"

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            try:
                check_date(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        if self.end < self.start:
            raise ValueError(f"end: {self.end} is before start {self.start}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, kw_only=True)
class Rules:
    """Working-time rules of a period, in the units a manager uses."""

    min_rest_hours: float = 11.0
    travel_buffer_minutes: int = 0
    #: At most this many shifts a doctor starts on one local date (None = no cap).
    max_shifts_per_day: int | None = None
    #: (a, b): a doctor may not work a slot of kind b on the local date after one of kind a.
    forbidden_successions: tuple[tuple[str, str], ...] = ()

    BOUNDS: ClassVar[dict[str, Bound]] = {
        "min_rest_hours": Bound(0, 48),
        "travel_buffer_minutes": Bound(0, 600),
        "max_shifts_per_day": Bound(1, 24),
    }

    def __post_init__(self) -> None:
        check_bounds(self, self.BOUNDS)


@dataclass(frozen=True, kw_only=True)
class Site:
    id: str
    name: str
    address: str = ""
    contact: str = ""


@dataclass(frozen=True, kw_only=True)
class Slot:
    """One concrete relief shift with `seats` doctor places."""

    id: str
    site: str
    start: datetime
    end: datetime
    seats: int
    skills: frozenset[str] = frozenset()
    priority: int = 1
    tags: frozenset[str] = frozenset()
    label: str = ""
    #: The shift type (template) the slot comes from, for per-kind caps and successions.
    kind: str = ""
    #: None: `seats` is the most doctors the slot takes. Else up to `max_seats` doctors, each
    #: beyond `seats` costing `over_cover_cost` (a soft over-cover, as in staffing benchmarks).
    max_seats: int | None = None
    over_cover_cost: int = 0

    BOUNDS: ClassVar[dict[str, Bound]] = {
        "seats": Bound(0, 50),
        "priority": Bound(1, 100),
        "max_seats": Bound(0, 500),
        "over_cover_cost": Bound(0, 1000),
    }

    def __post_init__(self) -> None:
        try:
            check_bounds(self, self.BOUNDS)
        except ValueError as exc:
            raise ValueError(f"slot {self.id}: {exc}") from None
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError(f"slot {self.id}: start and end need a time zone")
        if self.end_utc <= self.start_utc:
            raise ValueError(f"slot {self.id}: end {self.end.isoformat()} is not after start")
        if self.max_seats is not None and self.max_seats < self.seats:
            raise ValueError(f"slot {self.id}: max_seats {self.max_seats} is below seats "
                             f"{self.seats}")

    # Python compares and subtracts aware datetimes sharing one tzinfo as wall-clock times, so
    # every elapsed-time computation goes through UTC (a night across the October change: 13 h).
    @cached_property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @cached_property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    @property
    def duration(self) -> timedelta:
        return self.end_utc - self.start_utc

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def unpopular(self) -> bool:
        return bool(self.tags & UNPOPULAR_TAGS)

    def local_start(self, tz: ZoneInfo) -> datetime:
        return self.start.astimezone(tz)

    def start_date(self, tz: ZoneInfo) -> date:
        """The local date a shift belongs to (for weekly caps and consecutive days)."""
        return self.start.astimezone(tz).date()

    def touched_dates(self, tz: ZoneInfo) -> list[date]:
        """Every local date that [start, end) overlaps (for dates away)."""
        first = self.start.astimezone(tz).date()
        last_instant = self.end.astimezone(tz) - timedelta(microseconds=1)
        last = max(first, last_instant.date())
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True, kw_only=True)
class Doctor:
    """A GP with their answers and caps for one period (None = no cap)."""

    id: str
    name: str = ""
    max_shifts: int | None = None
    max_shifts_per_week: int | None = None
    max_consecutive_days: int | None = None
    max_hours: float | None = None
    skills: frozenset[str] = frozenset()
    availability: Mapping[str, Answer] = field(default_factory=dict)
    away: tuple[tuple[date, date], ...] = ()
    carry_over_hours: float = 0.0
    #: Per-site caps a doctor sets when a period spans several sites (site id -> shifts).
    max_shifts_per_site: Mapping[str, int] = field(default_factory=dict)
    #: At most N shifts of one slot kind (kind -> shifts) over the period.
    max_shifts_by_kind: Mapping[str, int] = field(default_factory=dict)
    #: Every run of days off lasts at least this many days, except a run touching the first
    #: or last date of the period (it may continue outside it).
    min_days_off: int | None = None
    #: At most this many weekends worked (a Saturday or a Sunday worked counts once).
    max_weekends: int | None = None
    #: Wishes on slots (slot id -> weight): a positive weight asks for the slot (its weight is
    #: lost if not assigned), a negative one asks to be spared it (lost if assigned).
    wishes: Mapping[str, int] = field(default_factory=dict)

    #: Caps a doctor may give, in shifts, hours or days (a week holds at most 21 slots of 8 h;
    #: 62 days is the longest period). 0 means "never" where it is allowed.
    BOUNDS: ClassVar[dict[str, Bound]] = {
        "max_shifts": Bound(0, 200),
        "max_shifts_per_week": Bound(0, 21),
        "max_consecutive_days": Bound(1, 62),
        "max_hours": Bound(0, 2000),
        "carry_over_hours": Bound(0, 5000),
        "max_shifts_per_site": Bound(0, 200),
        "max_shifts_by_kind": Bound(0, 400),
        "min_days_off": Bound(1, 62),
        "max_weekends": Bound(0, 60),
        "wishes": Bound(-1000, 1000),
    }

    def __post_init__(self) -> None:
        try:
            check_bounds(self, self.BOUNDS)
        except ValueError as exc:
            raise ValueError(f"doctor {self.id}: {exc}") from None
        for first, last in self.away:
            if last < first:
                raise ValueError(f"doctor {self.id}: away: {last} is before {first}")
        # Loads are counted in whole minutes by the model and the checker alike.
        object.__setattr__(self, "carry_over_hours", round(self.carry_over_hours * 60) / 60)

    def is_away_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.away)


@dataclass(frozen=True, kw_only=True, order=True)
class DoctorSlot:
    """A doctor × slot pair: a pinned, removed or published assignment of a `Problem`."""

    doctor: str
    slot: str


@dataclass(frozen=True, kw_only=True)
class Problem:
    period: Period
    rules: Rules
    sites: tuple[Site, ...]
    slots: tuple[Slot, ...]
    doctors: tuple[Doctor, ...]
    pinned: tuple[DoctorSlot, ...] = ()
    #: Assignments the manager removed by hand: they stay removed.
    removed: tuple[DoctorSlot, ...] = ()
    #: The published rota when re-planning: changing it is the second objective.
    published: tuple[DoctorSlot, ...] = ()
    #: "lexicographic": DESIGN's strict priority order, stage by stage. "weighted": one stage
    #: minimising priority × uncovered seats + over-cover costs + lost wishes (the objective of
    #: published staff-scheduling benchmarks, where priorities are weights, not an order).
    objective_mode: ObjectiveMode = "lexicographic"

    def __post_init__(self) -> None:
        for kind, ids in (
            ("site", [s.id for s in self.sites]),
            ("slot", [s.id for s in self.slots]),
            ("doctor", [d.id for d in self.doctors]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"duplicate {kind} ids in problem {self.period.id}")

    @property
    def tz(self) -> ZoneInfo:
        return self.period.tz

    def slot_by_id(self) -> dict[str, Slot]:
        return {s.id: s for s in self.slots}

    def doctor_by_id(self) -> dict[str, Doctor]:
        return {d.id: d for d in self.doctors}

    def site_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @property
    def total_seats(self) -> int:
        return sum(s.seats for s in self.slots)
