"""Seeded synthetic problems: small ones for property tests, a regional one for the stress bench.

The regional stress scenario of DESIGN: 10+ sites sharing one doctor pool over 92 days with
1,000+ doctors. Deterministic for a given `StressShape`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.domain.problem import Answer, Doctor, Period, Problem, Rules, Site, Slot

PARIS = ZoneInfo("Europe/Paris")

#: (start hour, length in hours, tag) of the slots a site runs each day kind.
WEEKDAY_SLOTS = ((20, 4, "evening"),)
WEEKEND_SLOTS = ((8, 6, "day"), (14, 6, "day"), (20, 4, "evening"), (20, 12, "night"))


@dataclass(frozen=True, kw_only=True)
class StressShape:
    seed: int = 0
    sites: int = 10
    days: int = 92
    doctors: int = 1000
    start: date = date(2026, 6, 1)
    #: Mean share of a doctor's home-area slots they offer.
    offer_rate: float = 0.12
    skills_share: float = 0.15


def synthetic_problem(shape: StressShape) -> Problem:
    rng = random.Random(shape.seed)
    sites = tuple(Site(id=f"site{i:02d}", name=f"Site {i:02d}") for i in range(shape.sites))
    slots = tuple(_slots(shape, sites, rng))
    doctors = tuple(_doctor(i, shape, sites, slots, rng) for i in range(shape.doctors))
    end = shape.start + timedelta(days=shape.days - 1)
    return Problem(
        period=Period(id=f"stress-{shape.seed}", start=shape.start, end=end),
        rules=Rules(min_rest_hours=11, travel_buffer_minutes=45),
        sites=sites,
        slots=slots,
        doctors=doctors,
    )


def _slots(shape: StressShape, sites: tuple[Site, ...], rng: random.Random) -> list[Slot]:
    out = []
    for offset in range(shape.days):
        day = shape.start + timedelta(days=offset)
        weekend = day.weekday() >= 5
        for site in sites:
            for hour, length, tag in WEEKEND_SLOTS if weekend else WEEKDAY_SLOTS:
                start = datetime.combine(day, time(hour), PARIS)
                end = (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=length)).astimezone(
                    PARIS
                )
                tags = {tag} | ({"weekend"} if weekend else set())
                out.append(
                    Slot(
                        id=f"{site.id}-{day:%Y%m%d}-{hour:02d}00-{tag}",
                        site=site.id,
                        start=start,
                        end=end,
                        seats=rng.choice((1, 1, 2, 2, 3)),
                        skills=frozenset({"paediatrics"}) if rng.random() < 0.05 else frozenset(),
                        priority=3 if tag == "night" else 2 if weekend else 1,
                        tags=frozenset(tags),
                    )
                )
    return sorted(out, key=lambda s: (s.start, s.site, s.id))


def _doctor(
    i: int, shape: StressShape, sites: tuple[Site, ...], slots: tuple[Slot, ...],
    rng: random.Random,
) -> Doctor:
    home = {sites[i % len(sites)].id, rng.choice(sites).id}
    rate = shape.offer_rate * rng.uniform(0.3, 2.0)
    availability = {
        s.id: Answer.PREFERRED if rng.random() < 0.3 else Answer.AVAILABLE
        for s in slots
        if s.site in home and rng.random() < rate
    }
    away: tuple[tuple[date, date], ...] = ()
    if rng.random() < 0.4:
        first = shape.start + timedelta(days=rng.randrange(shape.days))
        away = ((first, first + timedelta(days=rng.randrange(3, 15))),)
    return Doctor(
        id=f"gp{i:04d}",
        name=f"GP {i:04d}",
        max_shifts=rng.randint(2, 14),
        max_shifts_per_week=rng.choice((None, 2, 3, 4)),
        max_consecutive_days=rng.choice((None, 3, 5)),
        max_hours=rng.choice((None, None, 60.0, 90.0)),
        skills=frozenset({"paediatrics"}) if rng.random() < shape.skills_share else frozenset(),
        availability=availability,
        away=away,
        carry_over_hours=float(rng.choice((0, 0, 0, 4, 8, 12))),
    )
