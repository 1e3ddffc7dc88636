"""Small problem builders for solver and checker tests, and a checked small solve."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.domain.benchmark import BenchmarkProblem, Minimums
from scheduler.domain.problem import Answer, Doctor, DoctorSlot, Period, Problem, Rules, Site, Slot
from scheduler.domain.rota import Rota
from scheduler.engine.checker import RotaChecker
from scheduler.solver import SolveOptions, solve

PARIS = ZoneInfo("Europe/Paris")


def slot(
    id: str,
    start: str,
    hours: float = 4,
    *,
    site: str = "chiv",
    seats: int = 1,
    skills: tuple[str, ...] = (),
    priority: int = 1,
    tags: tuple[str, ...] = (),
) -> Slot:
    """A slot starting at local time `start` ("2026-07-01 20:00") lasting `hours` real hours."""
    begin = datetime.fromisoformat(start).replace(tzinfo=PARIS)
    end = (begin.astimezone(ZoneInfo("UTC")) + timedelta(hours=hours)).astimezone(PARIS)
    return Slot(id=id, site=site, start=begin, end=end, seats=seats, skills=frozenset(skills),
                priority=priority, tags=frozenset(tags))


def doctor(id: str, offers: list[str] | dict[str, Answer], **caps: object) -> Doctor:
    availability = offers if isinstance(offers, dict) else dict.fromkeys(offers, Answer.AVAILABLE)
    return Doctor(id=id, name=f"Dr {id}", availability=availability, **caps)  # type: ignore[arg-type]


def problem(
    slots: list[Slot],
    doctors: list[Doctor],
    *,
    min_rest_hours: float = 11,
    travel_buffer_minutes: int = 0,
    pinned: list[tuple[str, str]] = (),  # type: ignore[assignment]
    minimums: dict[str, Minimums] | None = None,
) -> Problem:
    """A problem over July–August 2026; with `minimums` (doctor id -> their minimums), a
    benchmark's problem."""
    sites = sorted({s.site for s in slots}) or ["chiv"]
    if minimums is not None:
        plain = problem(slots, doctors, min_rest_hours=min_rest_hours,
                        travel_buffer_minutes=travel_buffer_minutes, pinned=pinned)
        return BenchmarkProblem(**{f.name: getattr(plain, f.name) for f in fields(plain)},
                                minimums=minimums)
    return Problem(
        period=Period(id="test", start=date(2026, 7, 1), end=date(2026, 8, 31)),
        rules=Rules(min_rest_hours=min_rest_hours, travel_buffer_minutes=travel_buffer_minutes),
        sites=tuple(Site(id=s, name=s.upper(), address=f"{s} address") for s in sites),
        slots=tuple(slots),
        doctors=tuple(doctors),
        pinned=tuple(DoctorSlot(doctor=d, slot=s) for d, s in pinned),
    )


FAST = SolveOptions(time_limit_seconds=5)


def solved(p: Problem) -> Rota:
    """The rota of a small problem, checked against every hard rule by the independent checker."""
    rota = solve(p, FAST)
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(p).violations(pairs) == []
    return rota


def uncovered(rota: Rota) -> int:
    return sum(u.seats for u in rota.uncovered)
