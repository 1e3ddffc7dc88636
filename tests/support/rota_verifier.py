"""A from-scratch verifier of rota.json against problem.json: plain JSON, no scheduler code.

Written straight from the README's exchange formats and DESIGN's counting conventions, so a bug
shared by the solver and `scheduler.engine.checker` would still be caught here.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def verify(problem: dict[str, Any], rota: dict[str, Any]) -> list[str]:
    """Every hard-rule violation in words (empty: the rota is valid)."""
    tz = ZoneInfo(problem["period"]["timezone"])
    rest_h = problem["rules"]["min_rest_hours"]
    travel_min = problem["rules"]["travel_buffer_minutes"]
    slots = {s["id"]: s for s in problem["slots"]}
    doctors = {d["id"]: d for d in problem["doctors"]}
    errors: list[str] = []
    mine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in rota["assignments"]:
        s, d = slots[a["slot"]], doctors[a["doctor"]]
        start, end = datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])
        if a["start"] != s["start"] or a["end"] != s["end"] or a["site"] != s["site"]:
            errors.append(f"{a}: times or site differ from the problem")
        if s["id"] not in d["availability"]:
            errors.append(f"{d['id']} works {s['id']} without offering it")
        if set(s["skills"]) - set(d["skills"]):
            errors.append(f"{d['id']} lacks skills for {s['id']}")
        day = start.astimezone(tz).date()
        while datetime.combine(day, datetime.min.time(), tz) < end:
            for first, last in d["away"]:
                if date.fromisoformat(first) <= day <= date.fromisoformat(last):
                    errors.append(f"{d['id']} away on {day} but works {s['id']}")
            day += timedelta(days=1)
        mine[d["id"]].append({"id": s["id"], "site": s["site"], "start": start, "end": end})
    seats = Counter(a["slot"] for a in rota["assignments"])
    errors += [f"{sid} has {n} doctors for {slots[sid]['seats']} seats"
               for sid, n in seats.items() if n > slots[sid]["seats"]]
    for doctor_id, shifts in mine.items():
        errors += _doctor_errors(doctors[doctor_id], shifts, tz, rest_h, travel_min)
    for pin in problem["pinned"]:
        if not any(a["doctor"] == pin["doctor"] and a["slot"] == pin["slot"]
                   for a in rota["assignments"]):
            errors.append(f"pinned {pin} missing")
    worked = {(a["doctor"], a["slot"]) for a in rota["assignments"]}
    errors += [f"removed {r} is back" for r in problem.get("removed", [])
               if (r["doctor"], r["slot"]) in worked]
    covered = sum(seats.values())
    if rota["metrics"]["covered_seats"] != covered:
        errors.append(f"covered_seats {rota['metrics']['covered_seats']} != {covered}")
    total = sum(s["seats"] for s in problem["slots"])
    if rota["metrics"]["uncovered_seats"] != total - covered:
        errors.append("uncovered_seats does not add up")
    listed = {u["slot"]: u["seats"] for u in rota["uncovered"]}
    actual = {sid: s["seats"] - seats[sid] for sid, s in slots.items() if seats[sid] < s["seats"]}
    if listed != actual:
        errors.append("the uncovered list does not match the assignments")
    return errors


def _doctor_errors(d: dict[str, Any], shifts: list[dict[str, Any]], tz: ZoneInfo,
                   rest_h: float, travel_min: int) -> list[str]:
    errors = []
    shifts.sort(key=lambda s: s["start"])
    for i, a in enumerate(shifts):
        for b in shifts[i + 1:]:
            gap = (b["start"] - a["end"]).total_seconds() / 60
            need = max(rest_h * 60, travel_min if a["site"] != b["site"] else 0)
            if gap < need:
                errors.append(f"{d['id']}: {a['id']} then {b['id']}: {gap:.0f} min < {need:g}")
    if d["max_shifts"] is not None and len(shifts) > d["max_shifts"]:
        errors.append(f"{d['id']}: {len(shifts)} shifts > {d['max_shifts']}")
    weeks = Counter(s["start"].astimezone(tz).isocalendar()[:2] for s in shifts)
    if d["max_shifts_per_week"] is not None and max(weeks.values()) > d["max_shifts_per_week"]:
        errors.append(f"{d['id']}: weekly cap exceeded")
    hours = sum((s["end"] - s["start"]).total_seconds() / 3600 for s in shifts)
    if d["max_hours"] is not None and hours > d["max_hours"] + 1e-9:
        errors.append(f"{d['id']}: {hours} h > {d['max_hours']}")
    for site, cap in d.get("max_shifts_per_site", {}).items():
        if sum(1 for s in shifts if s["site"] == site) > cap:
            errors.append(f"{d['id']}: more than {cap} shifts at {site}")
    if d["max_consecutive_days"] is not None:
        days = sorted({s["start"].astimezone(tz).date() for s in shifts})
        run = best = 1
        for prev, cur in itertools.pairwise(days):
            run = run + 1 if (cur - prev).days == 1 else 1
            best = max(best, run)
        if best > d["max_consecutive_days"]:
            errors.append(f"{d['id']}: {best} consecutive days > {d['max_consecutive_days']}")
    return errors
