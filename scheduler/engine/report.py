"""The solver's report on a rota, as `rota.json` and a stored rota version carry it.

Everything but the solver's own account (stages, uncovered seats with their reasons,
conflicts) is recomputed from the rota and the input alone by the independent checker:
coverage, hard-rule violations, the fairness certificate (justified complaints) and loads.
JSON-ready: plain dicts, lists, strings and numbers.
"""

from __future__ import annotations

from typing import Any

from scheduler.domain.problem import Problem
from scheduler.domain.rota import Rota, RotaDiff
from scheduler.engine.checker import RotaChecker

#: The keys `rota_report` returns, in the order rota.json lists them.
REPORT_KEYS = ("uncovered", "conflicts", "stages", "metrics", "changes", "loads")


def rota_report(problem: Problem, rota: Rota, changes: RotaDiff | None = None
                ) -> dict[str, Any]:
    """The report parts of rota.json (`REPORT_KEYS`); `changes` when re-planning, else None."""
    slots = problem.slot_by_id()
    checker = RotaChecker(problem)
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    loads = checker.loads(pairs)
    # From the rota itself, not the solver's account (an infeasible solve lists no holes).
    empty = checker.uncovered_seats(pairs)
    return {
        "uncovered": [{"slot": u.slot, "seats": u.seats, "reason": u.reason}
                      for u in rota.uncovered],
        "conflicts": [{"rule": c.rule.value if c.rule is not None else "hard rules",
                       "records": list(c.records), "message": c.message}
                      for c in rota.conflicts],
        "stages": [{"name": s.name, "value": s.value, "bound": s.bound, "proven": s.proven,
                    "seconds": round(s.seconds, 3)} for s in rota.stages],
        "metrics": {
            "total_seats": problem.total_seats,
            "covered_seats": len(set(pairs)),
            "uncovered_seats": sum(empty.values()),
            "weighted_uncovered": sum(slots[s].priority * n for s, n in empty.items()),
            "solve_seconds": round(rota.solve_seconds, 3),
            "reproducible": rota.reproducible,
            "justified_complaints": len(checker.justified_complaints(pairs)),
            "justified_complaints_unpopular": len(
                checker.justified_complaints(pairs, unpopular=True)),
            "hard_rule_violations": len(checker.violations(pairs)),
        },
        "changes": None if changes is None else changes_data(changes),
        "loads": [
            {"doctor": d.id, "hours": round(loads[d.id] - d.carry_over_hours, 2),
             "carry_over_hours": d.carry_over_hours,
             "shifts": sum(1 for a in rota.assignments if a.doctor == d.id),
             "offered_slots": len(d.availability), "max_shifts": d.max_shifts}
            for d in problem.doctors
        ],
    }


def changes_data(changes: RotaDiff) -> dict[str, Any]:
    """What a re-plan changed: kept count, moved, added and removed assignments."""
    return {
        "kept": len(changes.kept),
        "moved": [{"slot": m.slot, "from": m.from_doctor, "to": m.to_doctor}
                  for m in changes.moved],
        "added": [{"doctor": p.doctor, "slot": p.slot} for p in changes.added],
        "removed": [{"doctor": p.doctor, "slot": p.slot} for p in changes.removed],
    }
