"""Lower bounds on the coverage and balance objectives from network-flow relaxations,
without CP-SAT.

CP-SAT proves coverage optimal on CHIV and on the 1,000-doctor region in seconds, but on a
5,000-doctor region (214,000 doctor × slot variables) its presolve alone takes ~20 s and no LP
bound comes within a 60 s limit: the coverage stage ended at 100 against a bound of 41. The
coverage objective (priority × uncovered seats, `objectives.coverage`) is the loss of a
maximum-weight transport of shifts from doctors to seats, and relaxing the rules that are not
counts leaves a min-cost flow that OR-Tools solves exactly in a second or two:

    source ─(period cap)→ doctor ─(weekly cap)→ doctor's ISO week ─(day capacity)→ doctor's day
           ─(1)→ slot ─(seats, cost −priority)→ sink          (and source → sink, cost 0)

- the doctor's period cap is the fewest of `max_shifts`, their eligible slots, and the number
  of their shortest eligible slots that fit in `max_hours`;
- a week's capacity is `max_shifts_per_week` (the ISO week of the local start date, as the
  model's weekly cap);
- a day's capacity is the most of the doctor's slots starting that local date that one doctor
  can work one after the other with the minimum rest between them (interval scheduling by
  earliest end, which is exact for that), capped by the rules' shifts per day;
- a doctor × slot arc exists only for the pairs eligibility allows and the manager did not
  remove.

Every rota is a flow of this network (its shifts on a day are pairwise spaced by at least the
minimum rest, whatever the travel buffer adds), so the flow's loss bounds the coverage of every
rota from below. The rules left out (consecutive days, site and kind caps, successions,
weekends, hours beyond the count, travel buffers, pins, minimum rules) only make rotas fewer.
On the 1,000-doctor region the bound is the optimum CP-SAT proves (6); on the 5,000-doctor one
it is 75.

The balance objectives (`objectives.fairness`, `fairness_unpopular`: the sum of squared loads)
get the same network carrying hours instead of shifts (`balance_bound`): a doctor's load enters
through unit arcs of increasing cost (the k-th unit of a doctor carrying c units over costs
(c + k)² − (c + k − 1)² = 2(c + k) − 1), so a flow's cost is the sum of squared loads exactly
at every integer load, and the convex cost flow's optimum bounds every rota's. CP-SAT's LP
bound on the 1,000-doctor region's fairness was 154,472 h² after 45 s; the flow gives 466,124
in half a second, where the LP relaxation solved to the end (GLOP, 95 s) gives 466,148.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from ortools.graph.python import min_cost_flow

from scheduler.domain.problem import Doctor, Problem, Slot
from scheduler.engine.eligibility import eligible_pairs


def coverage_bound(problem: Problem) -> int:
    """A lower bound on `objectives.coverage` (priority × uncovered seats, an integer ≥ 0) of
    every rota keeping the hard rules of `problem`: total seat priority minus the flow's
    maximum weight (see the module). Linear in the eligible pairs; raises `RuntimeError` if
    the flow solver fails (it cannot on a well-formed network)."""
    removed = {(p.doctor, p.slot) for p in problem.removed}
    by_doctor: dict[str, list[Slot]] = defaultdict(list)
    doctors: dict[str, Doctor] = {}
    for doctor, slot in eligible_pairs(problem):
        if (doctor.id, slot.id) not in removed:
            by_doctor[doctor.id].append(slot)
            doctors[doctor.id] = doctor
    flow = min_cost_flow.SimpleMinCostFlow()
    nodes: dict[object, int] = {}

    def node(key: object) -> int:
        return nodes.setdefault(key, len(nodes))

    source, sink = node("source"), node("sink")
    rest_minutes = problem.rules.min_rest_hours * 60
    per_day = problem.rules.max_shifts_per_day
    tz = problem.tz
    supply = 0
    for doctor_id, slots in by_doctor.items():
        cap = _period_cap(doctors[doctor_id], slots)
        if cap <= 0:
            continue
        doctor_node = node(("doctor", doctor_id))
        flow.add_arc_with_capacity_and_unit_cost(source, doctor_node, cap, 0)
        supply += cap
        weeks: dict[tuple[int, int], dict[date, list[Slot]]] = defaultdict(
            lambda: defaultdict(list))
        for slot in slots:
            day = slot.start_date(tz)
            iso = day.isocalendar()
            weeks[iso.year, iso.week][day].append(slot)
        weekly = doctors[doctor_id].max_shifts_per_week
        for week, days in weeks.items():
            week_node = node(("week", doctor_id, week))
            flow.add_arc_with_capacity_and_unit_cost(
                doctor_node, week_node, cap if weekly is None else min(cap, weekly), 0)
            for day, day_slots in days.items():
                day_node = node(("day", doctor_id, day))
                room = _day_capacity(day_slots, rest_minutes)
                flow.add_arc_with_capacity_and_unit_cost(
                    week_node, day_node, room if per_day is None else min(room, per_day), 0)
                for slot in day_slots:
                    flow.add_arc_with_capacity_and_unit_cost(
                        day_node, node(("slot", slot.id)), 1, 0)
    for slot in problem.slots:
        if ("slot", slot.id) in nodes and slot.seats > 0:
            flow.add_arc_with_capacity_and_unit_cost(node(("slot", slot.id)), sink, slot.seats,
                                                     -slot.priority)
    # Supply the doctors do not place goes straight to the sink, at no cost.
    flow.add_arc_with_capacity_and_unit_cost(source, sink, supply, 0)
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"coverage bound: the flow solver answered {status}")
    full = sum(slot.priority * slot.seats for slot in problem.slots)
    return full + int(flow.optimal_cost())


def _period_cap(doctor: Doctor, slots: list[Slot]) -> int:
    """The most shifts the doctor can work in the period, from counts alone."""
    cap = len(slots)
    if doctor.max_shifts is not None:
        cap = min(cap, doctor.max_shifts)
    if doctor.max_hours is not None:
        shortest = min(slot.minutes for slot in slots)
        cap = min(cap, math.floor(doctor.max_hours * 60 / shortest + 1e-6))
    return cap


def _day_capacity(slots: list[Slot], rest_minutes: float) -> int:
    """The most of these slots one doctor can work in turn, each starting at least the minimum
    rest after the previous one ends: earliest end first (optimal for intervals)."""
    count, free_from = 0, None
    for slot in sorted(slots, key=lambda s: (s.end_utc, s.start_utc)):
        if free_from is None or (slot.start_utc - free_from).total_seconds() / 60 \
                >= rest_minutes:
            count, free_from = count + 1, slot.end_utc
    return count


def balance_bound(problem: Problem, *, unit: int, counts: Callable[[Slot], bool],
                  with_carry_over: bool, coverage_at_most: int) -> int:
    """A lower bound on the sum of squared loads (in `unit`² where a load is in `unit`
    minutes: `objectives.load_unit_minutes`, which divides every slot length and carry-over)
    over every rota keeping the hard rules whose coverage objective is at most
    `coverage_at_most` (the coverage stage's value, held by the later stages).

    A load counts the hours of the slots `counts` selects (all, or the unpopular ones), plus
    the carried-over hours when `with_carry_over`. The network is `coverage_bound`'s carrying
    units of time (see the module): a doctor's counted hours at most the longest
    `max_shifts` of their slots and `max_hours`, a week's the longest
    `max_shifts_per_week`, a day's the most a rest-spaced sequence of its slots holds; a
    doctor gives a slot at most its length, a slot takes at most its length times its most
    doctors (`max_seats`, else `seats`). The flow must carry every counted seat's hours less
    what uncovered seats may leave: at most `coverage_at_most` × the most hours a unit of
    priority uncovered can take away (a fractional knapsack). Linear in the eligible pairs
    and the units of load; 0.5 s on the 1,000-doctor region, 3.7 s on the 5,000-doctor one."""
    removed = {(p.doctor, p.slot) for p in problem.removed}
    by_doctor: dict[str, list[Slot]] = defaultdict(list)
    for doctor, slot in eligible_pairs(problem):
        if counts(slot) and (doctor.id, slot.id) not in removed:
            by_doctor[doctor.id].append(slot)
    counted = [s for s in problem.slots if counts(s)]
    lengths = {s.id: s.minutes // unit for s in counted}
    carried = {d.id: round(d.carry_over_hours * 60) // unit if with_carry_over else 0
               for d in problem.doctors}
    fixed = sum(c * c for c in carried.values())
    need = sum(s.seats * lengths[s.id] for s in counted)
    if counted and coverage_at_most > 0:
        need -= math.floor(coverage_at_most
                           * max(lengths[s.id] / s.priority for s in counted) + 1e-9)
    if need <= 0:
        return fixed
    flow = min_cost_flow.SimpleMinCostFlow()
    nodes: dict[object, int] = {}

    def node(key: object) -> int:
        return nodes.setdefault(key, len(nodes))

    source, sink = node("source"), node("sink")
    rest_minutes = problem.rules.min_rest_hours * 60
    per_day = problem.rules.max_shifts_per_day
    tz = problem.tz
    doctors = problem.doctor_by_id()
    for doctor_id, slots in by_doctor.items():
        doctor = doctors[doctor_id]
        own = [lengths[s.id] for s in slots]
        cap = _longest(own, doctor.max_shifts)
        if doctor.max_hours is not None:
            cap = min(cap, math.floor(doctor.max_hours * 60 / unit + 1e-6))
        doctor_node = node(("doctor", doctor_id))
        carry = carried[doctor_id]
        for k in range(1, cap + 1):
            flow.add_arc_with_capacity_and_unit_cost(source, doctor_node, 1, 2 * (carry + k) - 1)
        weeks: dict[tuple[int, int], dict[date, list[Slot]]] = defaultdict(
            lambda: defaultdict(list))
        for slot in slots:
            day = slot.start_date(tz)
            iso = day.isocalendar()
            weeks[iso.year, iso.week][day].append(slot)
        for week, days in weeks.items():
            week_node = node(("week", doctor_id, week))
            flow.add_arc_with_capacity_and_unit_cost(
                doctor_node, week_node,
                _longest([lengths[s.id] for day_slots in days.values() for s in day_slots],
                         doctor.max_shifts_per_week), 0)
            for day, day_slots in days.items():
                day_node = node(("day", doctor_id, day))
                flow.add_arc_with_capacity_and_unit_cost(
                    week_node, day_node, _day_units(day_slots, lengths, rest_minutes, per_day), 0)
                for slot in day_slots:
                    flow.add_arc_with_capacity_and_unit_cost(
                        day_node, node(("slot", slot.id)), lengths[slot.id], 0)
    for slot in counted:
        if ("slot", slot.id) in nodes:
            most = slot.seats if slot.max_seats is None else slot.max_seats
            flow.add_arc_with_capacity_and_unit_cost(node(("slot", slot.id)), sink,
                                                     most * lengths[slot.id], 0)
    flow.set_node_supply(source, need)
    flow.set_node_supply(sink, -need)
    if flow.solve() != flow.OPTIMAL:
        # (No flow carries that much: no rota reaches that coverage. The later stages hold a
        # coverage a rota reached, so this does not happen; the sum of carried-over loads
        # squared is a bound whatever.)
        return fixed
    return fixed + int(flow.optimal_cost())


def _longest(lengths: list[int], count: int | None) -> int:
    """The most time `count` of these slots can hold (all of them when None)."""
    return sum(lengths) if count is None else sum(sorted(lengths, reverse=True)[:count])


def _day_units(slots: list[Slot], lengths: dict[str, int], rest_minutes: float,
               per_day: int | None) -> int:
    """The most time one doctor can work among these slots of one day: slots in turn with the
    minimum rest between them, at most `per_day` of them (weighted interval scheduling by
    dynamic programming over the slots by end; a relaxation when `per_day` also binds:
    the longest `per_day` of the slots, if fewer)."""
    ordered = sorted(slots, key=lambda s: (s.end_utc, s.start_utc))
    best = [0] * (len(ordered) + 1)  # best[i]: the most time among the first i slots
    for i, slot in enumerate(ordered):
        # The last earlier slot ending at least the rest before this one starts.
        j = i
        while j > 0 and (slot.start_utc - ordered[j - 1].end_utc).total_seconds() / 60 \
                < rest_minutes:
            j -= 1
        best[i + 1] = max(best[i], best[j] + lengths[slot.id])
    if per_day is None:
        return best[-1]
    return min(best[-1], _longest([lengths[s.id] for s in slots], per_day))
