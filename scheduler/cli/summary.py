"""The solve summary the CLI prints: coverage, stages, holes with reasons, loads."""

from __future__ import annotations

from typing import Any

from scheduler.domain.problem import Problem

MAX_HOLES = 12


def summary(problem: Problem, rota: dict[str, Any]) -> str:
    m = rota["metrics"]
    lines = [
        f"status: {rota['status']}  ({m['solve_seconds']:.1f} s; "
        + (f"the same input and seed {rota['seed']} give this rota again)"
           if m.get("reproducible") else
           "not reproducible: several workers, or the clock cut the work budget)"),
        f"seats: {m['covered_seats']} covered / {m['total_seats']}, "
        f"{m['uncovered_seats']} uncovered (priority-weighted {m['weighted_uncovered']})",
        f"fairness certificate: {m['justified_complaints']} justified complaints "
        f"({m['justified_complaints_unpopular']} on unpopular slots); "
        f"hard-rule violations: {m['hard_rule_violations']}",
    ]
    lines += [f"  stage {s['name']:<18} value {s['value']:>12.1f}  bound {s['bound']:>12.1f}  "
              f"{'proven' if s['proven'] else 'not proven'}" for s in rota["stages"]]
    lines += [f"conflict: {c['rule']}: {c['message']} ({', '.join(c['records'])})"
              for c in rota["conflicts"]]
    slots = problem.slot_by_id()
    holes = rota["uncovered"]
    if holes:
        lines.append(f"uncovered seats ({len(holes)} slots):")
        for u in holes[:MAX_HOLES]:
            slot = slots[u["slot"]]
            when = slot.start.astimezone(problem.tz).strftime("%a %d %b %H:%M")
            lines.append(f"  {u['slot']} ({when}) ×{u['seats']}: {_short(u['reason'])}")
        if len(holes) > MAX_HOLES:
            lines.append(f"  … and {len(holes) - MAX_HOLES} more (see rota.json)")
    loads = sorted(rota["loads"], key=lambda r: -r["hours"])
    worked = [r for r in loads if r["shifts"]]
    if worked:
        hours = [r["hours"] for r in worked]
        lines.append(f"loads: {len(worked)} doctors working, {min(hours):g}–{max(hours):g} h, "
                     f"busiest: " + ", ".join(f"{r['doctor']} {r['hours']:g} h"
                                              for r in worked[:5]))
    return "\n".join(lines)


def _short(reason: str, limit: int = 160) -> str:
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
