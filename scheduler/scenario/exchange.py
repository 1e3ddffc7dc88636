"""The exchange formats: `problem.json` (solver input) and `rota.json` (solver output).

Both are documented in the README so that anyone can check a rota without the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from scheduler.domain.benchmark import NO_MINIMUMS, BenchmarkProblem
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.problem import Answer, Doctor, DoctorSlot, Period, Problem, Rules, Site, Slot
from scheduler.domain.rota import Assignment, Rota, RotaDiff, SolveStatus
from scheduler.domain.text import MAX_DOCTORS_PER_PERIOD, MAX_SLOTS_PER_PERIOD
from scheduler.engine.explain import explain_uncovered
from scheduler.engine.report import REPORT_KEYS, rota_report
from scheduler.scenario.fields import Address, Contact, Day, Id, Label, Name, within
from scheduler.scenario.spec import read_document

#: The doctors' bounds (`scheduler.domain.bounds`), shared with the scenario and the form.
CAPS = Doctor.BOUNDS

FORMAT = "ed-relief-problem/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


#: Counts must be JSON integers: "1" or true are wrong types, not numbers.
Count = Annotated[int, Strict()]
Hours = Annotated[float, Strict()]


def _valid_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _whole_minutes(moment: datetime) -> datetime:
    if moment.second or moment.microsecond:
        raise ValueError(f"{moment.isoformat()} is not on a whole minute")
    return moment


class PeriodIn(_Strict):
    id: Id
    start: Day
    end: Day
    timezone: Annotated[Label, AfterValidator(_valid_timezone)] = "Europe/Paris"

    @model_validator(mode="after")
    def _ordered(self) -> PeriodIn:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class RulesIn(_Strict):
    min_rest_hours: Hours = within(Rules.BOUNDS["min_rest_hours"])
    travel_buffer_minutes: Count = within(Rules.BOUNDS["travel_buffer_minutes"])
    max_shifts_per_day: Count | None = within(Rules.BOUNDS["max_shifts_per_day"], None)
    forbidden_successions: list[tuple[Label, Label]] = []


class SiteIn(_Strict):
    id: Id
    name: Name
    address: Address = ""
    contact: Contact = ""


class SlotIn(_Strict):
    id: Id
    site: Id
    start: Annotated[AwareDatetime, AfterValidator(_whole_minutes)]
    end: Annotated[AwareDatetime, AfterValidator(_whole_minutes)]
    seats: Count = within(Slot.BOUNDS["seats"])
    skills: list[Id] = []
    priority: Count = within(Slot.BOUNDS["priority"], 1)
    tags: list[Id] = []
    label: Label = ""
    kind: Label = ""
    max_seats: Count | None = within(Slot.BOUNDS["max_seats"], None)
    over_cover_cost: Count = within(Slot.BOUNDS["over_cover_cost"], 0)

    @model_validator(mode="after")
    def _ordered(self) -> SlotIn:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start")
        if self.max_seats is not None and self.max_seats < self.seats:
            raise ValueError(f"max_seats {self.max_seats} is below seats {self.seats}")
        return self


class DoctorIn(_Strict):
    id: Id
    name: Name = ""
    max_shifts: Count | None = within(CAPS["max_shifts"], None)
    max_shifts_per_week: Count | None = within(CAPS["max_shifts_per_week"], None)
    max_consecutive_days: Count | None = within(CAPS["max_consecutive_days"], None)
    max_hours: Hours | None = within(CAPS["max_hours"], None)
    skills: list[Id] = []
    availability: dict[Id, Literal["available", "preferred"]]
    away: list[tuple[Day, Day]] = []
    carry_over_hours: Hours = within(CAPS["carry_over_hours"], 0.0)
    max_shifts_per_site: dict[Id, Annotated[Count, within(CAPS["max_shifts_per_site"])]] = {}
    max_shifts_by_kind: dict[Label, Annotated[Count, within(CAPS["max_shifts_by_kind"])]] = {}
    min_days_off: Count | None = within(CAPS["min_days_off"], None)
    max_weekends: Count | None = within(CAPS["max_weekends"], None)
    wishes: dict[Id, Annotated[Count, within(CAPS["wishes"])]] = {}
    #: Rules of staff-scheduling benchmarks that no tension period has
    #: (`scheduler.domain.benchmark`): read only to say so.
    min_hours: None = None
    min_consecutive_days: None = None

    @field_validator("min_hours", "min_consecutive_days", mode="before")
    @classmethod
    def _no_benchmark_minimum(cls, value: object) -> None:
        if value is not None:
            raise ValueError("a rule of staff-scheduling benchmarks, which no tension period "
                             "has: problem.json does not carry it")
        return None

    @model_validator(mode="after")
    def _ranges(self) -> DoctorIn:
        for first, last in self.away:
            if last < first:
                raise ValueError(f"away range ends ({last}) before it starts ({first})")
        return self


class PinIn(_Strict):
    doctor: Id
    slot: Id


class ProblemIn(_Strict):
    format: Literal["ed-relief-problem/1"] = "ed-relief-problem/1"
    period: PeriodIn
    rules: RulesIn
    sites: list[SiteIn]
    slots: list[SlotIn] = Field(max_length=MAX_SLOTS_PER_PERIOD)
    doctors: list[DoctorIn] = Field(max_length=MAX_DOCTORS_PER_PERIOD)
    pinned: list[PinIn] = []
    removed: list[PinIn] = []
    published: list[PinIn] = []
    objective_mode: Literal["lexicographic", "weighted"] = "lexicographic"


def _reference_problems(p: ProblemIn) -> list[InputProblem]:
    out: list[InputProblem] = []
    sites = {s.id for s in p.sites}
    seen_sites: set[str] = set()
    for i, site in enumerate(p.sites):
        if site.id in seen_sites:
            out.append(InputProblem("", f"sites[{i}].id", f"duplicate site id {site.id!r}"))
        seen_sites.add(site.id)
    slot_ids: dict[str, int] = {}
    by_time: dict[tuple[str, datetime, datetime], int] = {}
    for i, s in enumerate(p.slots):
        if s.site not in sites:
            out.append(InputProblem("", f"slots[{i}].site", f"unknown site {s.site!r}"))
        if s.id in slot_ids:
            out.append(InputProblem("", f"slots[{i}].id", f"duplicate slot id {s.id!r}"))
        key = (s.site, s.start, s.end)
        if key in by_time:
            out.append(InputProblem("", f"slots[{i}]", f"overlapping duplicate of slots"
                                    f"[{by_time[key]}] (same site, start and end)"))
        slot_ids.setdefault(s.id, i)
        by_time.setdefault(key, i)
    doctor_ids: set[str] = set()
    for i, d in enumerate(p.doctors):
        if d.id in doctor_ids:
            out.append(InputProblem("", f"doctors[{i}].id", f"duplicate doctor id {d.id!r}"))
        doctor_ids.add(d.id)
        out += [
            InputProblem("", f"doctors[{i}].availability.{sid}", f"unknown slot {sid!r}")
            for sid in d.availability
            if sid not in slot_ids
        ]
        out += [
            InputProblem("", f"doctors[{i}].max_shifts_per_site.{site}", f"unknown site {site!r}")
            for site in d.max_shifts_per_site
            if site not in sites
        ]
        out += [
            InputProblem("", f"doctors[{i}].wishes.{sid}", f"unknown slot {sid!r}")
            for sid in d.wishes
            if sid not in slot_ids
        ]
    for name in ("pinned", "removed", "published"):
        seen: set[tuple[str, str]] = set()
        for i, pin in enumerate(getattr(p, name)):
            if (pin.doctor, pin.slot) in seen:
                out.append(InputProblem("", f"{name}[{i}]", "listed twice"))
            seen.add((pin.doctor, pin.slot))
            if pin.doctor not in doctor_ids:
                out.append(InputProblem("", f"{name}[{i}].doctor",
                                        f"unknown doctor {pin.doctor!r}"))
            if pin.slot not in slot_ids:
                out.append(InputProblem("", f"{name}[{i}].slot", f"unknown slot {pin.slot!r}"))
    return out


def problem_from_data(data: Any, source: str = "") -> Problem:
    try:
        parsed = ProblemIn.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_validation(exc, source) from None
    problems = _reference_problems(parsed)
    if problems:
        raise InputError(problems).with_source(source)
    return Problem(
        period=Period(**parsed.period.model_dump()),
        rules=Rules(**{**parsed.rules.model_dump(),
                       "forbidden_successions": tuple(parsed.rules.forbidden_successions)}),
        sites=tuple(Site(**s.model_dump()) for s in parsed.sites),
        slots=tuple(
            Slot(**{**s.model_dump(), "skills": frozenset(s.skills), "tags": frozenset(s.tags)})
            for s in parsed.slots
        ),
        doctors=tuple(
            Doctor(
                **{
                    **d.model_dump(exclude={"min_hours", "min_consecutive_days"}),
                    "skills": frozenset(d.skills),
                    "availability": {k: Answer(v) for k, v in d.availability.items()},
                    "away": tuple(d.away),
                }
            )
            for d in parsed.doctors
        ),
        pinned=_pins(parsed.pinned),
        removed=_pins(parsed.removed),
        # A rota's assignments have no order of their own: kept sorted, as stored.
        published=tuple(sorted(_pins(parsed.published))),
        objective_mode=parsed.objective_mode,
    )


def _pins(pins: list[PinIn]) -> tuple[DoctorSlot, ...]:
    return tuple(DoctorSlot(doctor=p.doctor, slot=p.slot) for p in pins)


def problem_to_data(problem: Problem) -> dict[str, Any]:
    """The problem as problem.json's data. Raises ValueError for a benchmark's problem with
    minimums (`BenchmarkProblem`): the format has no place for them."""
    if isinstance(problem, BenchmarkProblem) and any(
            least != NO_MINIMUMS for least in problem.minimums.values()):
        raise ValueError("problem.json cannot carry a benchmark's minimum hours or runs")
    data = _core_problem_data(problem)
    # Fields added for the staffing benchmark appear only when set, so that existing
    # problem.json files are written byte for byte as before.
    rules = problem.rules
    data["rules"].update(_set({
        "max_shifts_per_day": rules.max_shifts_per_day,
        "forbidden_successions": [list(pair) for pair in rules.forbidden_successions]}))
    for out, slot in zip(data["slots"], problem.slots, strict=True):
        out.update(_set({"kind": slot.kind, "max_seats": slot.max_seats,
                         "over_cover_cost": slot.over_cover_cost or None}))
    for out, d in zip(data["doctors"], problem.doctors, strict=True):
        out.update(_set({
            "max_shifts_by_kind": dict(sorted(d.max_shifts_by_kind.items())),
            "min_days_off": d.min_days_off,
            "max_weekends": d.max_weekends, "wishes": dict(sorted(d.wishes.items()))}))
    if problem.objective_mode != "lexicographic":
        data["objective_mode"] = problem.objective_mode
    return data


def _set(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that differ from their neutral default (None, "" or empty); a cap of 0 is
    kept, it means "never"."""
    return {k: v for k, v in fields.items() if v is not None and v not in ("", [], {})}


def _core_problem_data(problem: Problem) -> dict[str, Any]:
    p = problem.period
    return {
        "format": FORMAT,
        "period": {"id": p.id, "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "timezone": p.timezone},
        "rules": {"min_rest_hours": problem.rules.min_rest_hours,
                  "travel_buffer_minutes": problem.rules.travel_buffer_minutes},
        "sites": [{"id": s.id, "name": s.name, "address": s.address, "contact": s.contact}
                  for s in problem.sites],
        "slots": [
            {"id": s.id, "site": s.site, "start": s.start.isoformat(), "end": s.end.isoformat(),
             "seats": s.seats, "skills": sorted(s.skills), "priority": s.priority,
             "tags": sorted(s.tags), "label": s.label}
            for s in problem.slots
        ],
        "doctors": [
            {"id": d.id, "name": d.name, "max_shifts": d.max_shifts,
             "max_shifts_per_week": d.max_shifts_per_week,
             "max_consecutive_days": d.max_consecutive_days, "max_hours": d.max_hours,
             "skills": sorted(d.skills),
             "availability": {k: d.availability[k].value for k in sorted(d.availability)},
             "away": [[a.isoformat(), b.isoformat()] for a, b in d.away],
             "carry_over_hours": d.carry_over_hours,
             "max_shifts_per_site": dict(sorted(d.max_shifts_per_site.items()))}
            for d in problem.doctors
        ],
        "pinned": [{"doctor": x.doctor, "slot": x.slot} for x in problem.pinned],
        "removed": [{"doctor": x.doctor, "slot": x.slot} for x in problem.removed],
        "published": [{"doctor": x.doctor, "slot": x.slot} for x in problem.published],
    }


def read_published(path: Path, problem: Problem) -> Problem:
    """The problem with the assignments of a previous rota.json as its published rota."""
    source = str(path)
    data = read_document(path)
    try:
        rows = data["assignments"]
        pins = [DoctorSlot(doctor=str(a["doctor"]), slot=str(a["slot"])) for a in rows]
    except (KeyError, TypeError) as exc:
        raise InputError.single(source, "assignments", f"not a rota.json: {exc}") from None
    doctors, slots = problem.doctor_by_id(), problem.slot_by_id()
    # A withdrawn doctor or a cancelled slot is a change to re-plan for, not an error; a rota of
    # another period is.
    if data.get("period") not in (None, problem.period.id):
        raise InputError.single(source, "period", f"rota of period {data.get('period')!r}, "
                                f"not {problem.period.id!r}")
    kept = tuple(sorted(p for p in pins if p.doctor in doctors and p.slot in slots))
    return replace(problem, published=kept)


def rota_to_data(problem: Problem, rota: Rota, changes: RotaDiff | None = None
                 ) -> dict[str, Any]:
    """rota.json: the assignments with their times, then the solver's report (uncovered seats
    with reasons, conflicts, stages, metrics, changes, loads; `engine.report`)."""
    return {
        "status": rota.status.value,
        "period": problem.period.id,
        "seed": rota.seed,
        "assignments": _assignments_data(problem, rota.assignments),
        **rota_report(problem, rota, changes),
    }


def stored_rota_to_data(
    problem: Problem, assignments: Sequence[Assignment], *, solver_status: SolveStatus,
    seed: int, report: Mapping[str, Any], version: int, version_status: str,
) -> dict[str, Any]:
    """rota.json of a stored rota version, against the problem as stored now: its assignments,
    uncovered seats (with reasons), metrics and loads recomputed on that problem, so that
    `scheduler check` on the pair agrees with it; the solve's own account (stages, conflicts,
    changes) as saved with the version. `version` and `version_status` (draft, published or
    superseded) say which version it is."""
    solved = report.get("metrics") or {}
    rota = Rota(status=solver_status, assignments=list(assignments), seed=seed,
                uncovered=explain_uncovered(problem, assignments),
                solve_seconds=float(solved.get("solve_seconds", 0.0)),
                reproducible=solved.get("reproducible") is True)
    fresh = rota_report(problem, rota)
    return {
        "status": solver_status.value,
        "period": problem.period.id,
        "seed": seed,
        "version": version,
        "version_status": version_status,
        "assignments": _assignments_data(problem, assignments),
        **{key: fresh[key] if key in ("uncovered", "metrics", "loads") else report.get(key)
           for key in REPORT_KEYS},
    }


def _assignments_data(problem: Problem, assignments: Sequence[Assignment]
                      ) -> list[dict[str, Any]]:
    slots = problem.slot_by_id()
    return [
        {"doctor": a.doctor, "slot": a.slot, "site": slots[a.slot].site,
         "start": slots[a.slot].start.isoformat(), "end": slots[a.slot].end.isoformat(),
         "pinned": a.pinned}
        for a in assignments
    ]
