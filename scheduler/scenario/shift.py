"""A scenario moved in time: the same period, answers and rules, starting on another date.

Used for a demonstration that lives (`scheduler load --starting-in DAYS`): the shipped summer
scenario, moved so that it starts a few weeks from today, has its answer form open and its
deadline ahead. Every date moves by the same number of whole weeks, so weekday patterns (slot
templates, answers by weekday) keep their meaning; slot ids that embed a date
(`site-YYYYMMDD-HHMM`, in overrides and pins) move with it. Public holidays are those of the
new dates (the gap model recomputes them), so seats may differ from the original's; overrides
and pins of holiday slots that no longer exist are left behind.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from scheduler.scenario.expand import expand
from scheduler.scenario.spec import Scenario, parse_scenario

_SLOT_ID = re.compile(r"^(?P<site>.+)-(?P<day>\d{8})-(?P<time>\d{4})$")


def shifted(scenario: Scenario, *, starting_on: date, period_id: str, name: str,
            source: str = "") -> Scenario:
    """`scenario` moved to start on the first day on or after `starting_on` with its own
    weekday, as period `period_id` named `name`.

    Raises `InputError` (naming the field) when the moved scenario is not valid, e.g. dates
    past the last one the service plans with.
    """
    start = scenario.period.start
    weeks = -(-(starting_on - start).days // 7)  # whole weeks, rounded up
    delta = timedelta(weeks=weeks)
    data = _moved(scenario.model_dump(mode="python"), delta)
    data["period"] = {**data["period"], "id": period_id, "name": name}
    # Overrides, pins and removals of slots the new dates do not have (a public holiday's
    # slot moved to an ordinary day) are left behind.
    bare = {**data, "slot_overrides": [], "pinned": [], "removed": []}
    slots = {s.id for s in expand(parse_scenario(bare, source), source).slots}
    for key in ("slot_overrides", "pinned", "removed"):
        data[key] = [item for item in data[key] if item["slot"] in slots]
    return parse_scenario(data, source)


def _moved(value: Any, delta: timedelta) -> Any:
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, date):
        return value + delta
    if isinstance(value, dict):
        return {key: _moved(item, delta) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_moved(item, delta) for item in value)
    if isinstance(value, str):
        match = _SLOT_ID.match(value)
        if match is not None:
            try:
                day = datetime.strptime(match["day"], "%Y%m%d").date() + delta
            except ValueError:
                return value
            return f"{match['site']}-{day:%Y%m%d}-{match['time']}"
    return value
