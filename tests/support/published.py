"""A stored period with summer, winter and October-night slots, rota versions and publishing,
shared by the publication, feed HTTP, agenda and `scheduler publish` tests."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event
from sqlmodel import Session, select

from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.models import PublishedEvent, RotaVersion, SlotRow
from scheduler.publication.publish import Publication, publish
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import parse_scenario
from scheduler.storage.loader import load_scenario_into
from scheduler.storage.rotas import save_rota

PERIOD = "seasons-2026"
SUMMER = "chiv-20260804-2000"  # Tuesday 4 August 2026, 20:00–24:00 CEST
NIGHT = "chiv-20261024-2000"  # Saturday 24 October 2026, 20:00–08:00 across the change: 13 h
WINTER = "chic-20261220-1400"  # Sunday 20 December 2026, 14:00–20:00 CET
CONTACT = "Standard des urgences : 01 43 86 20 00"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _one_day(id: str, site: str, day: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    weekday = {"2026-08-04": "tue", "2026-10-24": "sat", "2026-12-20": "sun"}[day]
    return {"id": id, "site": site, "days": [weekday], "start": start, "end": end, "seats": 2,
            "first": day, "last": day, **extra}


def seasons_data(tiny_data: dict[str, Any]) -> dict[str, Any]:
    """The tiny scenario's doctors (all available) on an August–December period at two sites."""
    data = copy.deepcopy(tiny_data)
    data["period"] = {"id": PERIOD, "name": "Été et hiver 2026", "start": "2026-08-01",
                      "end": "2026-12-31", "timezone": "Europe/Paris"}
    data["sites"] = [
        {"id": "chiv", "name": "CHIV — urgences adultes",
         "address": "40 allée de la Source, 94190 Villeneuve-Saint-Georges",
         "contact": "Cadre des urgences, 01 43 86 20 00"},
        {"id": "chic", "name": "CHIC", "address": "40 avenue de Verdun, 94000 Créteil"},
    ]
    data["slot_templates"] = [
        _one_day("summer-evening", "chiv", "2026-08-04", "20:00", "24:00", label="Soirée d'été"),
        _one_day("october-night", "chiv", "2026-10-24", "20:00", "08:00", tags=["night"]),
        _one_day("winter-day", "chic", "2026-12-20", "14:00", "20:00"),
    ]
    for doctor in data["doctors"]:
        doctor["availability"] = [{"answer": "available"}]
        doctor.pop("away", None)
        doctor.pop("caps", None)
    return data


def load_seasons(session: Session, tiny_data: dict[str, Any]) -> Problem:
    scenario = parse_scenario(seasons_data(tiny_data), "seasons.yaml")
    problem = expand(scenario, "seasons.yaml")
    assert {s.id for s in problem.slots} == {SUMMER, NIGHT, WINTER}
    load_scenario_into(session, scenario, problem, "seasons-digest", now=T0)
    return problem


def save_version(session: Session, problem: Problem, pairs: Iterable[tuple[str, str]]
                 ) -> RotaVersion:
    """A draft rota version with these (doctor, slot) assignments."""
    rota = Rota(status=SolveStatus.FEASIBLE,
                assignments=[Assignment(doctor=d, slot=s) for d, s in pairs])
    version = save_rota(session, problem.period.id, problem, rota)
    session.commit()
    return version


def publish_at(session: Session, at: datetime, version: int | None = None,
               period: str = PERIOD) -> Publication:
    done = publish(session, period, now=at, version=version, contact=CONTACT)
    session.commit()
    return done


def vevents(body: bytes) -> list[Event]:
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if isinstance(e, Event)]


def slot_of_uid(session: Session) -> dict[str, str]:
    """uid -> slot id, as the database records it."""
    return {e.uid: e.slot_id for e in session.exec(select(PublishedEvent))}


def db_instants(session: Session, slot_ids: Iterable[str]) -> list[tuple[str, datetime, datetime]]:
    """(slot, start, end) in UTC from the slot table, sorted by start."""
    found = []
    for slot_id in slot_ids:
        slot = session.get(SlotRow, (PERIOD, slot_id))
        assert slot is not None
        found.append((slot_id, slot.start.astimezone(UTC), slot.end.astimezone(UTC)))
    return sorted(found, key=lambda item: (item[1], item[0]))


def feed_instants(session: Session, body: bytes) -> list[tuple[str, datetime, datetime]]:
    """(slot, start, end) in UTC as icalendar reads the feed, sorted by start."""
    slots = slot_of_uid(session)
    found = [(slots[str(e["UID"])], e.decoded("DTSTART").astimezone(UTC),
              e.decoded("DTEND").astimezone(UTC)) for e in vevents(body)]
    return sorted(found, key=lambda item: (item[1], item[0]))
