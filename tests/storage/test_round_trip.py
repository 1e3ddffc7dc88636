"""The database path loses nothing: file → problem equals file → database → problem, for
generated problem.json files that use every field of the problem and for generated scenarios,
on SQLite and PostgreSQL (Hypothesis)."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from scheduler.domain.enums import OrganisationKind, PeriodStatus
from scheduler.domain.problem import (
    Answer,
    Doctor,
    DoctorSlot,
    Period,
    Problem,
    Rules,
    Site,
    Slot,
)
from scheduler.domain.rpps import make_rpps
from scheduler.models import DoctorPeriod, DoctorRow, TensionPeriod
from scheduler.scenario.exchange import problem_from_data, problem_to_data
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import WEEKDAYS, parse_scenario
from scheduler.storage.loader import load_problem_into, load_scenario_into
from scheduler.storage.problems import problem_from_db

# Derandomised, without an example database: every run tries the same examples.
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
IDS = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
# Any text a person may type: accents, emoji, quotes; not control characters or surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=24)
KINDS = st.sampled_from(["D", "N", "E"])
SKILLS = st.frozensets(st.sampled_from(["paediatrics", "sutures", "geriatrics"]))
TAGS = st.frozensets(st.sampled_from(["night", "weekend", "holiday", "bridge", "critical"]))
ZONES = st.sampled_from(["Europe/Paris", "UTC", "America/Montreal"])

#: When the files are loaded.
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def wipe(engine: Engine) -> None:
    """Every row gone: each generated example starts from an empty (migrated) database."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def bounded(owner: type[Doctor] | type[Slot] | type[Rules], name: str, *,
            real: bool = False) -> st.SearchStrategy[Any]:
    """Any value within the domain's bound for the field."""
    bound = owner.BOUNDS[name]
    if real:
        return st.floats(bound.low, bound.high, allow_nan=False, allow_infinity=False)
    return st.integers(int(bound.low), int(bound.high))


def pairs(doctors: list[str], slots: list[str]) -> st.SearchStrategy[list[DoctorSlot]]:
    return st.lists(st.builds(DoctorSlot, doctor=st.sampled_from(doctors),
                              slot=st.sampled_from(slots)),
                    max_size=4, unique=True)


@st.composite
def slots_of(draw: st.DrawFn, period: Period, sites: list[str]) -> tuple[Slot, ...]:
    zone = ZoneInfo(period.timezone)
    days = (period.end - period.start).days + 1
    out: dict[tuple[str, datetime, datetime], Slot] = {}
    for i in range(draw(st.integers(1, 8))):
        day = period.start + timedelta(days=draw(st.integers(0, days - 1)))
        local = datetime.combine(day, time(draw(st.integers(0, 23)),
                                           draw(st.sampled_from([0, 15, 30, 45]))), zone)
        minutes = 15 * draw(st.integers(4, 52))
        end = (local.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)
        seats = draw(st.integers(0, 3))
        site = draw(st.sampled_from(sites))
        out.setdefault((site, local, end), Slot(
            id=f"s{i}-{site}", site=site, start=local, end=end, seats=seats,
            skills=draw(SKILLS), priority=draw(bounded(Slot, "priority")), tags=draw(TAGS),
            label=draw(TEXT), kind=draw(st.just("") | KINDS),
            max_seats=draw(maybe(st.integers(seats, seats + 3))),
            over_cover_cost=draw(bounded(Slot, "over_cover_cost")),
        ))
    return tuple(out.values())


@st.composite
def doctor_of(draw: st.DrawFn, doctor_id: str, sites: list[str], slots: list[str],
              period: Period) -> Doctor:
    def caps(name: str, *, real: bool = False) -> Any:
        return draw(maybe(bounded(Doctor, name, real=real)))

    first = draw(st.dates(period.start - timedelta(days=3), period.end))
    return Doctor(
        id=doctor_id, name=draw(TEXT), skills=draw(SKILLS),
        max_shifts=caps("max_shifts"), max_shifts_per_week=caps("max_shifts_per_week"),
        max_consecutive_days=caps("max_consecutive_days"), max_hours=caps("max_hours", real=True),
        availability=draw(st.dictionaries(st.sampled_from(slots), st.sampled_from(list(Answer)))),
        away=tuple(draw(st.lists(st.just((first, first + timedelta(days=2))), max_size=1))),
        carry_over_hours=draw(bounded(Doctor, "carry_over_hours", real=True)),
        max_shifts_per_site=draw(st.dictionaries(st.sampled_from(sites),
                                                 bounded(Doctor, "max_shifts_per_site"))),
        max_shifts_by_kind=draw(st.dictionaries(KINDS, bounded(Doctor, "max_shifts_by_kind"))),
        min_days_off=caps("min_days_off"),
        max_weekends=caps("max_weekends"),
        wishes=draw(st.dictionaries(st.sampled_from(slots), bounded(Doctor, "wishes"))),
    )


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """A problem using every field, each value anywhere within its bound."""
    start = draw(st.dates(date(2026, 1, 1), date(2027, 12, 1)))
    period = Period(id=draw(IDS), start=start, end=start + timedelta(days=draw(st.integers(0, 20))),
                    timezone=draw(ZONES))
    site_ids = draw(st.lists(IDS, min_size=1, max_size=3, unique=True))
    slots = draw(slots_of(period, site_ids))
    slot_ids = [s.id for s in slots]
    doctor_ids = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    return Problem(
        period=period,
        rules=Rules(
            min_rest_hours=draw(bounded(Rules, "min_rest_hours", real=True)),
            travel_buffer_minutes=draw(bounded(Rules, "travel_buffer_minutes")),
            max_shifts_per_day=draw(maybe(bounded(Rules, "max_shifts_per_day"))),
            forbidden_successions=tuple(draw(st.lists(st.tuples(KINDS, KINDS), max_size=3,
                                                      unique=True))),
        ),
        sites=tuple(Site(id=s, name=draw(TEXT), address=draw(TEXT), contact=draw(TEXT))
                    for s in site_ids),
        slots=slots,
        doctors=tuple(draw(doctor_of(d, site_ids, slot_ids, period)) for d in doctor_ids),
        pinned=tuple(draw(pairs(doctor_ids, slot_ids))),
        removed=tuple(draw(pairs(doctor_ids, slot_ids))),
        published=tuple(draw(pairs(doctor_ids, slot_ids))),
        objective_mode=draw(st.sampled_from(["lexicographic", "weighted"])),
    )


def names(cls: type[Any]) -> set[str]:
    return {f.name for f in fields(cls)}


def test_every_problem_field_is_generated() -> None:
    # Guards the generator: a field added to the problem must be added above too.
    assert names(Problem) == {"period", "rules", "sites", "slots", "doctors", "pinned", "removed",
                            "published", "objective_mode"}
    assert names(Doctor) - {"id"} == {
        "name", "skills", "max_shifts", "max_shifts_per_week", "max_consecutive_days",
        "max_hours", "availability", "away", "carry_over_hours", "max_shifts_per_site",
        "max_shifts_by_kind", "min_days_off", "max_weekends", "wishes"}
    assert names(Slot) - {"id"} == {
        "site", "start", "end", "seats", "skills", "priority", "tags", "label", "kind",
        "max_seats", "over_cover_cost"}


@SETTINGS
@given(generated=problems())
def test_problem_json_round_trips_through_the_database(engine: Engine,
                                                       generated: Problem) -> None:
    wipe(engine)
    from_file = problem_from_data(json.loads(json.dumps(problem_to_data(generated))))
    with Session(engine) as session:
        load_problem_into(session, from_file, "digest", now=NOW, source="problem.json")
        assert problem_from_db(session, from_file.period.id) == from_file


# Scenarios ------------------------------------------------------------------------------------

CLOCKS = ["00:00", "06:30", "08:00", "14:00", "18:00", "20:00", "24:00"]
DAY_KINDS = [*WEEKDAYS, "holiday"]


@st.composite
def scenario_data(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario file using every section a manager writes, before pins and removals."""
    start = draw(st.dates(date(2026, 1, 1), date(2027, 12, 1)))
    sites = draw(st.lists(IDS, min_size=1, max_size=2, unique=True))
    organisations = draw(st.lists(IDS, max_size=2, unique=True))
    templates = []
    # One start time per template: two templates never make the same slot.
    starts = draw(st.lists(st.sampled_from(CLOCKS[:-1]), min_size=1, max_size=3, unique=True))
    for i, begin in enumerate(starts):
        end = draw(st.sampled_from(CLOCKS))
        templates.append({
            "id": f"t{i}", "site": draw(st.sampled_from(sites)), "start": begin, "end": end,
            "days": draw(st.lists(st.sampled_from(DAY_KINDS), min_size=1, unique=True)),
            "seats": draw(st.integers(0, 3)), "skills": sorted(draw(SKILLS)),
            "priority": draw(bounded(Slot, "priority")), "tags": sorted(draw(TAGS)),
            "label": draw(TEXT),
        })
    doctors = []
    for i in range(draw(st.integers(1, 4))):
        doctors.append({
            "id": f"dr-{i}", "name": draw(TEXT.filter(str.strip)),
            "email": draw(maybe(st.just(f"dr{i}@example.org"))),
            "phone": draw(maybe(st.just(f"+33 6 00 00 00 0{i}"))),
            "rpps": draw(maybe(st.just(make_rpps(f"100000{i:04d}")))),
            "organisation": draw(maybe(st.sampled_from(organisations))) if organisations
            else None,
            "skills": sorted(draw(SKILLS)),
            "caps": {
                "max_shifts": draw(maybe(bounded(Doctor, "max_shifts"))),
                "max_shifts_per_week": draw(maybe(bounded(Doctor, "max_shifts_per_week"))),
                "max_consecutive_days": draw(maybe(bounded(Doctor, "max_consecutive_days"))),
                "max_hours": draw(maybe(bounded(Doctor, "max_hours", real=True))),
                "max_shifts_per_site": draw(st.dictionaries(
                    st.sampled_from(sites), bounded(Doctor, "max_shifts_per_site"))),
            },
            "away": [[start + timedelta(days=2), start + timedelta(days=draw(st.integers(2, 4)))]]
            if draw(st.booleans()) else [],
            "carry_over_hours": draw(bounded(Doctor, "carry_over_hours", real=True)),
            "availability": [
                {"answer": draw(st.sampled_from(["available", "preferred", "none"])),
                 "templates": draw(maybe(st.lists(st.sampled_from([t["id"] for t in templates]),
                                                  min_size=1, unique=True))),
                 "days": draw(maybe(st.lists(st.sampled_from(DAY_KINDS), min_size=1,
                                             unique=True)))}
                for _ in range(draw(st.integers(0, 3)))
            ],
            "comment": draw(TEXT),
        })
    return {
        "period": {
            "id": draw(IDS), "name": draw(TEXT.filter(str.strip)), "start": start,
            "end": start + timedelta(days=draw(st.integers(0, 13))),
            "timezone": draw(ZONES),
            "availability_deadline": draw(maybe(st.just(start - timedelta(days=10)))),
            "status": draw(st.sampled_from(list(PeriodStatus))).value,
        },
        "rules": {"min_rest_hours": draw(bounded(Rules, "min_rest_hours", real=True)),
                  "travel_buffer_minutes": draw(bounded(Rules, "travel_buffer_minutes"))},
        "sites": [{"id": s, "name": draw(TEXT.filter(str.strip)), "address": draw(TEXT),
                   "contact": draw(TEXT)} for s in sites],
        "slot_templates": templates,
        "organisations": [{"id": o, "name": draw(TEXT.filter(str.strip)),
                           "kind": draw(st.sampled_from(list(OrganisationKind))).value}
                          for o in organisations],
        "doctors": doctors,
    }


@SETTINGS
@given(data=st.data())
def test_scenario_round_trips_through_the_database(engine: Engine, data: st.DataObject) -> None:
    wipe(engine)
    raw = data.draw(scenario_data())
    slot_ids = [s.id for s in expand(parse_scenario(raw)).slots]
    doctor_ids = [d["id"] for d in raw["doctors"]]
    if slot_ids:
        for name in ("pinned", "removed"):
            raw[name] = [{"doctor": p.doctor, "slot": p.slot}
                         for p in data.draw(pairs(doctor_ids, slot_ids))]
    scenario = parse_scenario(raw)
    problem = expand(scenario)
    with Session(engine) as session:
        load_scenario_into(session, scenario, problem, "digest", now=NOW,
                           source="scenario.yaml")
        assert problem_from_db(session, problem.period.id) == problem
        period = session.get(TensionPeriod, problem.period.id)
        assert period is not None
        assert (period.name, period.status, period.availability_deadline) == (
            scenario.period.name, scenario.period.status, scenario.period.availability_deadline)
        for spec in scenario.doctors:
            row = session.get(DoctorRow, spec.id)
            part = session.get(DoctorPeriod, (spec.id, problem.period.id))
            assert row is not None and part is not None
            assert (row.email, row.phone, row.rpps, row.organisation_id) == (
                spec.email, spec.phone, spec.rpps, spec.organisation)
            assert part.comment == spec.comment
