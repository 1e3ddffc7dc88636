"""A direct CP-SAT model of the Curtois problem, written from the benchmark README alone.

It exists to validate the evaluator (both must agree on every roster) and, later, as the
baseline the engine's own model is compared with. Pure: an instance in, a roster out.

x[e, d, s] is true when employee e works shift s on day d. A variable is only created where the
employee may work that shift at all: a listed day off (rule 9) or a per-type maximum of 0
(rule 3) leaves no variable, which keeps Instance24 (1.7 M combinations) at about 1 M.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from benchmarks.curtois.instance import Instance, Staff, weekend_days
from benchmarks.curtois.roster import Assignment, SolverOutput

#: Full-problem workers on a small machine. CP-SAT's default portfolio on 2 workers has no worker
#: with the full LP relaxation, and without it the bound stalls near 0 (measured on Instance2 at
#: 10 s: bound 208 by default, 828 = optimal with these); from 6 workers the default has one.
SMALL_PORTFOLIO = ("max_lp", "core", "quick_restart_no_lp", "default_lp")


@dataclass(frozen=True, kw_only=True)
class ReferenceOptions:
    time_limit_seconds: float = 10.0
    #: CP-SAT search workers (at least 1); keep low on shared machines.
    workers: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")


@dataclass
class ReferenceModel:
    instance: Instance
    model: cp_model.CpModel
    #: (employee, day, shift) → works that shift; absent = may never work it.
    x: dict[tuple[str, int, str], cp_model.IntVar]
    #: (employee, day) → works any shift that day.
    work: dict[tuple[str, int], cp_model.IntVar]

    def shifts_on(self, employee: str, day: int) -> list[cp_model.IntVar]:
        return [v for s in self.instance.shifts
                if (v := self.x.get((employee, day, s.id))) is not None]


def build(instance: Instance) -> tuple[ReferenceModel, cp_model.LinearExprT]:
    """The model with every hard rule, and its objective (the README's penalty)."""
    m = ReferenceModel(instance, cp_model.CpModel(), {}, {})
    for staff in instance.staff:
        for day in range(instance.horizon):
            if day in instance.days_off[staff.id]:
                continue
            for shift in instance.shifts:
                if staff.max_shifts[shift.id] > 0:
                    m.x[staff.id, day, shift.id] = m.model.new_bool_var(
                        f"x[{staff.id},{day},{shift.id}]")
    for rule in HARD_RULES:
        for staff in instance.staff:
            rule(m, staff)
    return m, penalty(m)


def one_shift_per_day(m: ReferenceModel, staff: Staff) -> None:
    # Also defines work[e, d], which the run and weekend rules read.
    for day in range(m.instance.horizon):
        work = m.model.new_bool_var(f"work[{staff.id},{day}]")
        m.model.add(work == cp_model.LinearExpr.sum(m.shifts_on(staff.id, day)))
        m.work[staff.id, day] = work


def shift_rotation(m: ReferenceModel, staff: Staff) -> None:
    # With at most one shift a day, "s today excludes every follower tomorrow" is one inequality.
    for day in range(m.instance.horizon - 1):
        for shift in m.instance.shifts:
            today = m.x.get((staff.id, day, shift.id))
            if today is None or not shift.forbidden_next:
                continue
            followers = [v for f in shift.forbidden_next
                         if (v := m.x.get((staff.id, day + 1, f))) is not None]
            if followers:
                m.model.add(today + cp_model.LinearExpr.sum(followers) <= 1)


def max_shifts_per_type(m: ReferenceModel, staff: Staff) -> None:
    for shift in m.instance.shifts:
        worked = [v for d in range(m.instance.horizon)
                  if (v := m.x.get((staff.id, d, shift.id))) is not None]
        if len(worked) > staff.max_shifts[shift.id]:
            m.model.add(cp_model.LinearExpr.sum(worked) <= staff.max_shifts[shift.id])


def total_minutes(m: ReferenceModel, staff: Staff) -> None:
    worked = [(v, shift.minutes) for day in range(m.instance.horizon)
              for shift in m.instance.shifts
              if (v := m.x.get((staff.id, day, shift.id))) is not None]
    minutes = cp_model.LinearExpr.weighted_sum([v for v, _ in worked], [w for _, w in worked])
    m.model.add_linear_constraint(minutes, staff.min_total_minutes, staff.max_total_minutes)


def max_consecutive_shifts(m: ReferenceModel, staff: Staff) -> None:
    # Days outside the horizon are off, so only windows inside it matter.
    limit = staff.max_consecutive_shifts
    for start in range(m.instance.horizon - limit):
        m.model.add(sum(m.work[staff.id, d] for d in range(start, start + limit + 1)) <= limit)


def min_consecutive_shifts(m: ReferenceModel, staff: Staff) -> None:
    _forbid_short_inner_runs(m, staff, staff.min_consecutive_shifts, worked=True)


def min_consecutive_days_off(m: ReferenceModel, staff: Staff) -> None:
    _forbid_short_inner_runs(m, staff, staff.min_consecutive_days_off, worked=False)


def _forbid_short_inner_runs(m: ReferenceModel, staff: Staff, minimum: int, *, worked: bool
                             ) -> None:
    """Forbid each pattern `other, run of length < minimum, other` lying inside the horizon; runs
    touching day 0 or the last day are exempt (README, rules 6 and 7)."""
    horizon = m.instance.horizon
    for length in range(1, minimum):
        for start in range(1, horizon - length):
            inside = [m.work[staff.id, d] for d in range(start, start + length)]
            before, after = m.work[staff.id, start - 1], m.work[staff.id, start + length]
            if worked:
                m.model.add_bool_or([before, *(v.Not() for v in inside), after])
            else:
                m.model.add_bool_or([before.Not(), *inside, after.Not()])


def max_weekends(m: ReferenceModel, staff: Staff) -> None:
    weekends = []
    for week in range(m.instance.weeks):
        weekend = m.model.new_bool_var(f"weekend[{staff.id},{week}]")
        for day in weekend_days(week):
            m.model.add_implication(m.work[staff.id, day], weekend)
        weekends.append(weekend)
    if len(weekends) > staff.max_weekends:
        m.model.add(sum(weekends) <= staff.max_weekends)


#: Rules 3 (for a zero maximum) and 9 also hold by construction: see the module docstring.
#: one_shift_per_day comes first because it defines work[e, d].
HARD_RULES: tuple[Callable[[ReferenceModel, Staff], None], ...] = (
    one_shift_per_day, shift_rotation, max_shifts_per_type, total_minutes,
    max_consecutive_shifts, min_consecutive_shifts, min_consecutive_days_off, max_weekends,
)


def penalty(m: ReferenceModel) -> cp_model.LinearExprT:
    """Unmet shift-on requests, granted shift-off requests, and under- and over-cover. The
    cover shortfall and excess are exact (never both positive), so the model's objective equals
    the evaluator's for every roster, optimal or not."""
    terms: list[cp_model.LinearExprT] = []
    for r in m.instance.shift_on_requests:
        v = m.x.get((r.employee, r.day, r.shift))
        terms.append(r.weight if v is None else r.weight * (1 - v))
    for r in m.instance.shift_off_requests:
        if (v := m.x.get((r.employee, r.day, r.shift))) is not None:
            terms.append(r.weight * v)
    staff_count = len(m.instance.staff)
    for c in m.instance.cover:
        assigned = cp_model.LinearExpr.sum([v for e in m.instance.staff
                                            if (v := m.x.get((e.id, c.day, c.shift))) is not None])
        under = m.model.new_int_var(0, c.requirement, f"under[{c.day},{c.shift}]")
        over = m.model.new_int_var(0, max(0, staff_count - c.requirement),
                                   f"over[{c.day},{c.shift}]")
        short = m.model.new_bool_var(f"short[{c.day},{c.shift}]")
        m.model.add(assigned + under - over == c.requirement)
        m.model.add(over == 0).only_enforce_if(short)
        m.model.add(under == 0).only_enforce_if(short.Not())
        terms.append(c.under_weight * under + c.over_weight * over)
    return cp_model.LinearExpr.sum(terms)


def solve_reference(instance: Instance, options: ReferenceOptions | None = None
                    ) -> SolverOutput:
    """Solve `instance` within the time limit; the roster is empty if none was found."""
    options = options or ReferenceOptions()
    m, objective = build(instance)
    m.model.minimize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = options.time_limit_seconds
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    if options.workers < 6:
        solver.parameters.linearization_level = 2
        solver.parameters.subsolvers.extend(SMALL_PORTFOLIO[:options.workers])
    status = solver.solve(m.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return SolverOutput(roster=(), objective=None, bound=None, status=name)
    roster = tuple(Assignment(employee=e, day=d, shift=s)
                   for (e, d, s), v in m.x.items() if solver.boolean_value(v))
    return SolverOutput(
        roster=roster,
        objective=round(solver.objective_value),
        # The objective is integral, so the next integer up is still a valid bound.
        bound=math.ceil(solver.best_objective_bound - 1e-6),
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
    )
