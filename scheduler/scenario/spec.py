"""The scenario file: one human-editable YAML (or JSON) document describing a tension period.

This module is the schema (pydantic models, also exported as JSON Schema in
`scenarios/scenario.schema.json`) and the parser. `scenario.expand` turns a parsed scenario into
the solver's `Problem`; `storage.loader` stores it.

Long on purpose: the whole file format in one place, each field beside its bound and its
meaning, and the checks across records (unknown ids and kinds) beside the fields they read.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scheduler.domain.enums import OrganisationKind, PeriodStatus
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.phone import to_e164
from scheduler.domain.problem import Answer, Doctor, Rules, Slot
from scheduler.domain.rpps import rpps_is_valid
from scheduler.domain.text import MAX_DOCTORS_PER_PERIOD, MAX_FILE_BYTES
from scheduler.scenario.fields import (
    Address,
    Comment,
    Contact,
    Day,
    Email,
    Id,
    Label,
    Name,
    Phone,
    within,
)

#: Bounds of the domain types the scenario's numbers become (`scheduler.domain.bounds`).
SEATS, PRIORITY = Slot.BOUNDS["seats"], Slot.BOUNDS["priority"]
CAPS = Doctor.BOUNDS

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DayKind = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$", examples=["20:00"])]


#: Expected arrivals in one clock hour: finite, and far above any ED's (CHIV: ~20 an hour).
Arrivals = Annotated[float, Field(ge=0, le=1000)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo in a scenario must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)






class PeriodSpec(Strict):
    id: Identifier
    name: Name
    start: Day
    end: Day
    timezone: Label = "Europe/Paris"
    availability_deadline: Day | None = None
    status: PeriodStatus = PeriodStatus.COLLECTING
    #: ISO 3166 country / subdivision for public holidays (`holidays` library).
    holiday_country: Label = "FR"

    @model_validator(mode="after")
    def _end_after_start(self) -> PeriodSpec:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class RulesSpec(Strict):
    """The period's working-time rules (`domain.problem.Rules`), and caps every doctor gets
    unless their own `caps` say otherwise (`CapsSpec`)."""

    min_rest_hours: float = within(Rules.BOUNDS["min_rest_hours"], 11.0)
    travel_buffer_minutes: int = within(Rules.BOUNDS["travel_buffer_minutes"], 0)
    #: (a, b): no slot of kind b on the local date after one of kind a — [night, day] is "no
    #: day shift straight after a night". Kinds are the templates' `kind`.
    forbidden_successions: list[tuple[Id, Id]] = Field([], max_length=100)
    #: At most this many weekends worked (a weekend: any shift starting Saturday or Sunday).
    max_weekends: int | None = within(CAPS["max_weekends"], None)
    #: Days off in a row between two stretches of work, at least.
    min_days_off: int | None = within(CAPS["min_days_off"], None)
    #: At most this many shifts a doctor starts on one local date (1: one shift a day).
    max_shifts_per_day: int | None = within(Rules.BOUNDS["max_shifts_per_day"], None)
    #: At most N shifts of a slot kind over the period ({night: 4}: four nights at most).
    max_shifts_by_kind: dict[Id, Annotated[int, within(CAPS["max_shifts_by_kind"])]] = Field(
        {}, max_length=100)


class DateFactor(Strict):
    """A demand multiplier over a date range (heat wave, local event...)."""

    first: Day
    last: Day
    factor: float = Field(gt=0, le=5)
    reason: Label = ""

    @model_validator(mode="after")
    def _ordered(self) -> DateFactor:
        if self.last < self.first:
            raise ValueError(f"last {self.last} is before first {self.first}")
        return self


class GapModelSpec(Strict):
    """Inputs of the gap model for one site (computed by `scheduler/scenario/gap.py`)."""

    #: Expected adult ED arrivals per clock hour, 24 values per weekday.
    arrivals_per_hour: dict[Weekday, Annotated[list[Arrivals], Field(min_length=24, max_length=24)]]
    #: Share of arrivals a GP can see (CCMU 1–2 triaged to the GP consultation).
    low_acuity_share: float = Field(gt=0, le=1)
    #: Low-acuity patients the ED team absorbs itself, per hour of slot.
    in_house_absorption_per_hour: float = Field(0.0, ge=0, le=1000)
    #: Patients one GP sees per hour.
    gp_patients_per_hour: float = Field(gt=0, le=20)
    #: Consultation rooms: the most GP seats a slot can have.
    consultation_rooms: int = Field(ge=0, le=50)
    #: Multipliers for public holidays and the bridge days next to them.
    public_holiday_factor: float = Field(1.0, gt=0, le=5)
    bridge_factor: float = Field(1.0, gt=0, le=5)
    date_factors: list[DateFactor] = []

    @field_validator("arrivals_per_hour")
    @classmethod
    def _all_weekdays(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        missing = [d for d in WEEKDAYS if d not in value]
        if missing:
            raise ValueError(f"missing weekdays: {', '.join(missing)}")
        if any(v < 0 for values in value.values() for v in values):
            raise ValueError("arrivals cannot be negative")
        return value


class SiteSpec(Strict):
    id: Identifier
    name: Name
    address: Address = ""
    contact: Contact = ""
    gap_model: GapModelSpec | None = None


class SlotTemplate(Strict):
    """A recurring slot: on these days, from `start` to `end` local time at `site`.

    `end` at or before `start` means the next day ("20:00"–"08:00"); "24:00" is midnight.
    On a public holiday only templates listing `holiday` apply (like a Sunday).
    `seats` is explicit, or omitted to let the site's gap model compute it.
    """

    id: Identifier
    site: Identifier
    days: list[DayKind] = Field(min_length=1)
    start: Clock
    end: Clock
    seats: int | None = within(SEATS, None)
    skills: list[Id] = []
    priority: int = within(PRIORITY, 1)
    tags: list[Id] = []
    label: Label = ""
    #: The shift type its slots have (`rules.forbidden_successions`,
    #: `rules.max_shifts_by_kind`): "night", "day"...
    kind: Label = ""
    first: Day | None = None
    last: Day | None = None
    skip_dates: list[Day] = []
    #: Overrides the site's in-house absorption for this template (patients per hour).
    in_house_absorption_per_hour: float | None = Field(None, ge=0, le=1000)


class DateException(Strict):
    """Treat a date like another kind of day (e.g. a bridge day follows the holiday pattern)."""

    date: Day
    treat_as: DayKind
    reason: Label = ""


class SlotOverride(Strict):
    """The manager's word on one slot wins over templates and the gap model."""

    slot: Id
    seats: int | None = within(SEATS, None)
    priority: int | None = within(PRIORITY, None)
    skills: list[Id] | None = None
    cancelled: bool = False


class PrioritySpec(Strict):
    """Slot priority (coverage weight) by tag; a slot takes the highest that applies."""

    night: int = within(PRIORITY, 3)
    weekend: int = within(PRIORITY, 2)
    holiday: int = within(PRIORITY, 3)
    #: Bridge days (a weekday between a public holiday and the weekend) are also `holiday`.
    bridge: int = within(PRIORITY, 3)
    critical: int = within(PRIORITY, 4)


class OrganisationSpec(Strict):
    id: Identifier
    name: Name
    kind: OrganisationKind
    coordinator_email: Email | None = None


class CapsSpec(Strict):
    max_shifts: int | None = within(CAPS["max_shifts"], None)
    max_shifts_per_week: int | None = within(CAPS["max_shifts_per_week"], None)
    max_consecutive_days: int | None = within(CAPS["max_consecutive_days"], None)
    max_hours: float | None = within(CAPS["max_hours"], None)
    #: At most this many weekends worked; days off in a row between stretches of work, at
    #: least (default: the period's `rules`).
    max_weekends: int | None = within(CAPS["max_weekends"], None)
    min_days_off: int | None = within(CAPS["min_days_off"], None)
    #: Per-site caps in a multi-site period: site id -> at most N shifts there.
    max_shifts_per_site: dict[Identifier, Annotated[int, within(CAPS["max_shifts_per_site"])]] = {}
    #: Per-kind caps (kind -> shifts), each replacing the period's `rules.max_shifts_by_kind`
    #: for that kind.
    max_shifts_by_kind: dict[Id, Annotated[int, within(CAPS["max_shifts_by_kind"])]] = Field(
        {}, max_length=100)


class AvailabilityRule(Strict):
    """Marks every slot matching all the given filters with `answer`; later rules win.

    `answer: none` withdraws slots a previous rule offered.
    """

    answer: Literal["available", "preferred", "none"]
    templates: list[Identifier] | None = None
    sites: list[Identifier] | None = None
    days: list[DayKind] | None = None
    tags: list[Id] | None = None
    first: Day | None = None
    last: Day | None = None
    slots: list[Id] | None = None


class DoctorSpec(Strict):
    id: Identifier
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    rpps: Id | None = None
    organisation: Identifier | None = None
    skills: list[Id] = []
    caps: CapsSpec = CapsSpec()
    away: list[tuple[Day, Day]] = []
    carry_over_hours: float = within(CAPS["carry_over_hours"], 0.0)
    availability: list[AvailabilityRule] = []
    comment: Comment = ""

    @field_validator("rpps")
    @classmethod
    def _rpps_check_digit(cls, value: str | None) -> str | None:
        if value is not None and not rpps_is_valid(value):
            raise ValueError(f"invalid RPPS number {value!r} (11 digits with a Luhn check digit)")
        return value

    @field_validator("phone")
    @classmethod
    def _phone_e164(cls, value: str | None) -> str | None:
        """One stored form (`domain.phone`): "06 00 32 71 51" → "+33600327151"."""
        return None if value is None else to_e164(value)

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"invalid email address {value!r}")
        return value

    @field_validator("away")
    @classmethod
    def _ranges_ordered(cls, value: list[tuple[date, date]]) -> list[tuple[date, date]]:
        for first, last in value:
            if last < first:
                raise ValueError(f"date range ends ({last}) before it starts ({first})")
        return value


class PinSpec(Strict):
    doctor: Identifier
    slot: Id


class Scenario(Strict):
    """A tension period, completely: sites, slots, organisations, doctors and their answers."""

    period: PeriodSpec
    rules: RulesSpec = RulesSpec()
    priorities: PrioritySpec = PrioritySpec()
    sites: list[SiteSpec] = Field(min_length=1)
    slot_templates: list[SlotTemplate] = []
    date_exceptions: list[DateException] = []
    slot_overrides: list[SlotOverride] = []
    organisations: list[OrganisationSpec] = []
    doctors: list[DoctorSpec] = Field([], max_length=MAX_DOCTORS_PER_PERIOD)
    pinned: list[PinSpec] = []
    #: Assignments the manager removed by hand: the solver never makes them again.
    removed: list[PinSpec] = []


def _duplicates(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]


def reference_problems(s: Scenario) -> list[tuple[str, str]]:
    """Duplicate ids and references to unknown records, as (field, message)."""
    out: list[tuple[str, str]] = []
    for name, ids in (
        ("sites", [x.id for x in s.sites]),
        ("slot_templates", [x.id for x in s.slot_templates]),
        ("organisations", [x.id for x in s.organisations]),
        ("doctors", [x.id for x in s.doctors]),
    ):
        out += [(name, f"duplicate id {d!r}") for d in _duplicates(ids)]
    sites = {x.id for x in s.sites}
    templates = {x.id for x in s.slot_templates}
    orgs = {x.id for x in s.organisations}
    doctors = {x.id for x in s.doctors}
    for i, t in enumerate(s.slot_templates):
        if t.site not in sites:
            out.append((f"slot_templates[{i}].site", f"unknown site {t.site!r}"))
    for i, d in enumerate(s.doctors):
        if d.organisation is not None and d.organisation not in orgs:
            out.append((f"doctors[{i}].organisation", f"unknown organisation {d.organisation!r}"))
        for j, rule in enumerate(d.availability):
            for tid in rule.templates or []:
                if tid not in templates:
                    out.append((f"doctors[{i}].availability[{j}].templates",
                                f"unknown template {tid!r}"))
            for sid in rule.sites or []:
                if sid not in sites:
                    out.append((f"doctors[{i}].availability[{j}].sites", f"unknown site {sid!r}"))
    kinds = {t.kind for t in s.slot_templates if t.kind}
    named = [(f"rules.forbidden_successions[{i}]", kind)
             for i, pair in enumerate(s.rules.forbidden_successions) for kind in pair]
    named += [(f"rules.max_shifts_by_kind.{kind}", kind) for kind in s.rules.max_shifts_by_kind]
    named += [(f"doctors[{i}].caps.max_shifts_by_kind.{kind}", kind)
              for i, d in enumerate(s.doctors) for kind in d.caps.max_shifts_by_kind]
    out += [(where, f"unknown slot kind {kind!r} (no template has it)")
            for where, kind in named if kind not in kinds]
    for name in ("pinned", "removed"):
        for i, p in enumerate(getattr(s, name)):
            if p.doctor not in doctors:
                out.append((f"{name}[{i}].doctor", f"unknown doctor {p.doctor!r}"))
    for i, d in enumerate(s.doctors):
        for site in d.caps.max_shifts_per_site:
            if site not in sites:
                out.append((f"doctors[{i}].caps.max_shifts_per_site.{site}",
                            f"unknown site {site!r}"))
    return out


def parse_scenario(data: Any, source: str = "") -> Scenario:
    """Validate already-decoded data; raise `InputError` naming every bad field."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_validation(exc, source) from None
    problems = reference_problems(scenario)
    if problems:
        raise InputError([InputProblem(source, f, m) for f, m in problems])
    return scenario


def read_document(path: Path) -> Any:
    """Decode a YAML or JSON file, turning every way it can be unreadable into `InputError`:
    missing, too large (`MAX_FILE_BYTES`), not UTF-8, bad syntax, nested too deeply."""
    source = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError.single(source, "", f"file larger than {MAX_FILE_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(source, "", f"cannot read file: {exc}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(
            source, "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError.single(source, "", f"invalid YAML{where}: {what}") from None
    except RecursionError:
        raise InputError.single(source, "", "nested too deeply") from None


def load_scenario(path: Path) -> Scenario:
    return parse_scenario(read_document(path), str(path))


def availability_answer(value: str) -> Answer | None:
    return None if value == "none" else Answer(value)
