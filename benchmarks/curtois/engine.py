"""The Curtois benchmark solved by the rota engine itself: each instance becomes the engine's
`BenchmarkProblem` (a `Problem`, one slot per day and shift type, one doctor per employee, with
the employees' minimums no tension period has), the engine solves it in its weighted mode, and
its rota is turned back into a benchmark roster.

The mapping, rule by rule (benchmarks/curtois/README.md):
- cover row (day, shift, requirement, under, over) → slot of kind `shift` with seats =
  requirement, priority = under weight, up to every employee on it, each extra at the over
  weight (soft over-cover);
- one shift per day → `Rules.max_shifts_per_day = 1`; shift rotation → forbidden successions;
- per-type maxima → `max_shifts_by_kind`; total minutes → `Minimums.min_hours` / `max_hours`;
- consecutive shifts → `Minimums.min_consecutive_days` / `max_consecutive_days`; consecutive
  days off → `min_days_off`; weekends → `max_weekends`; fixed days off → dates away;
- shift-on / shift-off requests → wishes with a positive / negative weight.

Slots get synthetic times: day d's shifts all start at 00:00 UTC on period start + d and last
their length (at most 24 h), so they never overlap a shift of another day, and the rest rule is
0 h. The period starts on a Monday, as day 0 of every instance does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from benchmarks.curtois.instance import Instance, Staff
from benchmarks.curtois.roster import Assignment, SolverOutput
from scheduler.domain.benchmark import BenchmarkProblem, Minimums
from scheduler.domain.problem import Answer, Doctor, Period, Problem, Rules, Site, Slot
from scheduler.domain.rota import SolveStatus
from scheduler.solver import SolveOptions, solve

#: Day 0 of every instance is a Monday; any Monday will do.
FIRST_DAY = date(2024, 1, 1)
SITE = "ward"

#: The runner's SolveFn (benchmarks.curtois.run imports this module, so it is spelt out here).
SolveFn = Callable[[Instance, float], SolverOutput]


def slot_id(day: int, shift: str) -> str:
    return f"d{day}-{shift}"


def problem_from_instance(instance: Instance) -> BenchmarkProblem:
    """The instance as the engine's own problem, in the weighted objective mode."""
    slots = tuple(_slot(instance, row.day, row.shift, row.requirement, row.under_weight,
                        row.over_weight) for row in instance.cover)
    return BenchmarkProblem(
        period=Period(id=instance.name, start=FIRST_DAY,
                      end=FIRST_DAY + timedelta(days=instance.horizon - 1), timezone="UTC"),
        rules=Rules(min_rest_hours=0, max_shifts_per_day=1,
                    forbidden_successions=tuple((s.id, then) for s in instance.shifts
                                                for then in s.forbidden_next)),
        sites=(Site(id=SITE, name=f"Curtois {instance.name}"),),
        slots=slots,
        doctors=tuple(_doctor(instance, staff, slots) for staff in instance.staff),
        objective_mode="weighted",
        minimums={staff.id: Minimums(min_hours=staff.min_total_minutes / 60,
                                     min_consecutive_days=staff.min_consecutive_shifts)
                  for staff in instance.staff},
    )


def _slot(instance: Instance, day: int, shift: str, requirement: int, under: int, over: int
          ) -> Slot:
    minutes = instance.shift_by_id[shift].minutes
    if not 0 < minutes <= 24 * 60:
        raise ValueError(f"{instance.name}: shift {shift} lasts {minutes} min, not 1..1440")
    start = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time(), UTC)
    return Slot(id=slot_id(day, shift), site=SITE, start=start,
                end=start + timedelta(minutes=minutes), seats=requirement, priority=under,
                kind=shift, max_seats=max(requirement, len(instance.staff)),
                over_cover_cost=over, label=f"day {day} {shift}")


def _doctor(instance: Instance, staff: Staff, slots: tuple[Slot, ...]) -> Doctor:
    off = sorted(instance.days_off[staff.id])
    return Doctor(
        id=staff.id,
        # Offered: every slot of a kind the employee may work at all (days off are dates away).
        availability={s.id: Answer.AVAILABLE for s in slots if staff.max_shifts[s.kind] > 0},
        away=_date_ranges(off),
        max_hours=staff.max_total_minutes / 60,
        max_shifts_by_kind=dict(staff.max_shifts),
        max_consecutive_days=staff.max_consecutive_shifts,
        min_days_off=staff.min_consecutive_days_off,
        max_weekends=staff.max_weekends,
        wishes=_wishes(instance, staff.id),
    )


def _date_ranges(days: list[int]) -> tuple[tuple[date, date], ...]:
    """Sorted day indices as ranges of consecutive dates."""
    ranges: list[tuple[int, int]] = []
    for day in days:
        if ranges and ranges[-1][1] == day - 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return tuple((FIRST_DAY + timedelta(days=a), FIRST_DAY + timedelta(days=b))
                 for a, b in ranges)


def _wishes(instance: Instance, employee: str) -> dict[str, int]:
    wishes: dict[str, int] = defaultdict(int)
    for r in instance.shift_on_requests:
        if r.employee == employee:
            wishes[slot_id(r.day, r.shift)] += r.weight
    for r in instance.shift_off_requests:
        if r.employee == employee:
            sid = slot_id(r.day, r.shift)
            if wishes.get(sid, 0) > 0:
                # One signed weight per slot cannot hold both wishes (no instance has any).
                raise ValueError(f"{instance.name}: employee {employee} both asks for and "
                                 f"against shift {r.shift} on day {r.day}")
            wishes[sid] -= r.weight
    return dict(wishes)


def roster_from_pairs(pairs: list[tuple[str, str]], problem: Problem) -> tuple[Assignment, ...]:
    """Engine assignments (doctor, slot) as benchmark rows (employee, day, shift)."""
    slots = problem.slot_by_id()
    start = problem.period.start
    return tuple(sorted(
        Assignment(employee=doctor, day=(slots[sid].start.date() - start).days,
                   shift=slots[sid].kind)
        for doctor, sid in pairs))


def engine_solver(workers: int, seed: int) -> SolveFn:
    """The rota engine as a benchmark SolveFn (wall-clock time limit, `workers` CP-SAT workers).
    """
    def solve_instance(instance: Instance, time_limit: float) -> SolverOutput:
        problem = problem_from_instance(instance)
        rota = solve(problem, SolveOptions(time_limit_seconds=time_limit, seed=seed,
                                           workers=workers, deterministic=False))
        if not rota.stages or rota.status in (SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN):
            return SolverOutput(roster=(), objective=None, bound=None, status="unknown")
        (stage,) = rota.stages
        return SolverOutput(
            roster=roster_from_pairs([(a.doctor, a.slot) for a in rota.assignments], problem),
            objective=round(stage.value),
            # The objective is integral, so the next integer up is still a valid bound.
            bound=math.ceil(stage.bound - 1e-6),
            status="optimal" if stage.proven else "feasible",
        )
    return solve_instance
