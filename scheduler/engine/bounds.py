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

The preferences objective (assignments on plain "available" answers) gets the shift network
with a cost of 1 on the arcs of plain answers (`preferences_bound`): the fewest plain
assignments that fill the seats the held coverage requires.

Long on purpose: the three bounds share one network (`_Network`) and its capacities; apart,
each would repeat the caps, the weeks and the days.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date

from ortools.graph.python import min_cost_flow

from scheduler.domain.problem import Answer, Doctor, Problem, Slot
from scheduler.engine.eligibility import eligible_pairs

#: At most this many arcs carry one doctor's load (in blocks of units beyond it).
MAX_LOAD_ARCS = 200

#: The eligible doctor × slot pairs when the caller has them (`RotaModel.eligible`; 0.3 s to
#: recompute on a 5,000-doctor region), else None.
Eligible = Sequence[tuple[Doctor, Slot]] | None


def coverage_bound(problem: Problem, *, eligible: Eligible = None) -> int:
    """A lower bound on `objectives.coverage` (priority × uncovered seats, an integer ≥ 0) of
    every rota keeping the hard rules of `problem`: total seat priority minus the flow's
    maximum weight (see the module). `eligible`: the problem's eligible pairs when known
    (every bound here takes them). Linear in the eligible pairs; raises `RuntimeError` if
    the flow solver fails (it cannot on a well-formed network)."""
    net = _Network(problem, eligible, counts=lambda s: True, size=lambda s: 1)
    for doctor, slots in net.by_doctor():
        net.add_doctor(doctor, slots, net.shift_cap(doctor, slots))
    supply = net.supply
    for slot in problem.slots:
        if slot.seats > 0:
            net.add_slot(slot, slot.seats, cost=-slot.priority)
    # Supply the doctors do not place goes straight to the sink, at no cost.
    net.flow.add_arc_with_capacity_and_unit_cost(net.source, net.sink, supply, 0)
    cost = net.solve(supply)
    if cost is None:
        raise RuntimeError("coverage bound: the flow solver found no flow")
    return sum(slot.priority * slot.seats for slot in problem.slots) + cost


def balance_bound(problem: Problem, *, unit: int, counts: Callable[[Slot], bool],
                  with_carry_over: bool, coverage_at_most: int, eligible: Eligible = None
                  ) -> int:
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
    net = _Network(problem, eligible, counts=counts, size=lambda s: s.minutes // unit)
    carried = {d.id: round(d.carry_over_hours * 60) // unit if with_carry_over else 0
               for d in problem.doctors}
    fixed = sum(c * c for c in carried.values())
    counted = [s for s in problem.slots if counts(s)]
    need = sum(s.seats * net.size(s) for s in counted)
    if counted and coverage_at_most > 0:
        # (In integers: a float floor may come out one too low on huge sizes.)
        need -= max(coverage_at_most * net.size(s) // s.priority for s in counted)
    if need <= 0:
        return fixed
    for doctor, slots in net.by_doctor():
        cap = _longest([net.size(s) for s in slots], doctor.max_shifts)
        if doctor.max_hours is not None:
            cap = min(cap, math.floor(doctor.max_hours * 60 / unit + 1e-6))
        net.add_doctor(doctor, slots, cap, carried=carried[doctor.id])
    for slot in counted:
        net.add_slot(slot, slot.seats if slot.max_seats is None else slot.max_seats)
    # (No flow carrying that much means no rota reaches that coverage: the later stages hold
    # a coverage a rota reached, so it does not happen; the carried-over loads bound anyway.)
    cost = net.solve(need)
    return fixed + (cost or 0)


def preferences_bound(problem: Problem, *, coverage_at_most: int, eligible: Eligible = None
                      ) -> int:
    """A lower bound on `objectives.preferences` (assignments on plain "available" answers)
    over every rota keeping the hard rules whose coverage objective is at most
    `coverage_at_most`: the shift network of `coverage_bound`, a plain answer's arc costing 1,
    must fill every seat but the most that coverage may leave empty (`coverage_at_most`
    over the lowest priority)."""
    net = _Network(problem, eligible, counts=lambda s: True, size=lambda s: 1,
                   arc_cost=lambda d, s: int(d.availability[s.id] is Answer.AVAILABLE))
    lowest = min((s.priority for s in problem.slots), default=1)
    need = problem.total_seats - coverage_at_most // lowest
    if need <= 0:
        return 0
    for doctor, slots in net.by_doctor():
        net.add_doctor(doctor, slots, net.shift_cap(doctor, slots))
    for slot in problem.slots:
        net.add_slot(slot, slot.seats if slot.max_seats is None else slot.max_seats)
    return net.solve(need) or 0


class _Network:
    """The flow network of the module: source → doctor → ISO week → day → slot → sink, arcs
    carrying `size(slot)` units per slot (1: shifts; its length in units: hours)."""

    def __init__(self, problem: Problem, eligible: Eligible, *, counts: Callable[[Slot], bool],
                 size: Callable[[Slot], int],
                 arc_cost: Callable[[Doctor, Slot], int] | None = None) -> None:
        self.problem, self.counts, self.size, self.arc_cost = problem, counts, size, arc_cost
        self.eligible = eligible_pairs(problem) if eligible is None else eligible
        self.flow = min_cost_flow.SimpleMinCostFlow()
        self.nodes: dict[object, int] = {}
        self.source, self.sink = self.node("source"), self.node("sink")
        #: What the source arcs can carry in all.
        self.supply = 0

    def node(self, key: object) -> int:
        return self.nodes.setdefault(key, len(self.nodes))

    def by_doctor(self) -> list[tuple[Doctor, list[Slot]]]:
        """Each doctor with the counted slots they may take (eligible, not removed)."""
        removed = {(p.doctor, p.slot) for p in self.problem.removed}
        out: dict[str, tuple[Doctor, list[Slot]]] = {}
        for doctor, slot in self.eligible:
            if self.counts(slot) and (doctor.id, slot.id) not in removed:
                out.setdefault(doctor.id, (doctor, []))[1].append(slot)
        return list(out.values())

    def shift_cap(self, doctor: Doctor, slots: list[Slot]) -> int:
        """The most shifts the doctor can work in the period, from counts alone."""
        cap = len(slots)
        if doctor.max_shifts is not None:
            cap = min(cap, doctor.max_shifts)
        if doctor.max_hours is not None:
            shortest = min(slot.minutes for slot in slots)
            cap = min(cap, math.floor(doctor.max_hours * 60 / shortest + 1e-6))
        return cap

    def add_doctor(self, doctor: Doctor, slots: list[Slot], cap: int, *,
                   carried: int | None = None) -> None:
        """The doctor's arcs: `cap` units from the source (one arc, free; or with `carried`,
        unit arcs costing the squared load's increments), weeks, days, and slots."""
        if cap <= 0:
            return
        flow, node = self.flow, self.node
        doctor_node = node(("doctor", doctor.id))
        if carried is None:
            flow.add_arc_with_capacity_and_unit_cost(self.source, doctor_node, cap, 0)
        else:
            # Blocks of units, each at the increment of its first unit (a unit further on
            # costs more, so this only lowers the bound), at most `MAX_LOAD_ARCS` a doctor:
            # a one-minute unit would otherwise mean thousands of arcs each.
            block = max(1, math.ceil(cap / MAX_LOAD_ARCS))
            for first in range(1, cap + 1, block):
                flow.add_arc_with_capacity_and_unit_cost(
                    self.source, doctor_node, min(block, cap - first + 1),
                    2 * (carried + first) - 1)
        self.supply += cap
        tz = self.problem.tz
        rules = self.problem.rules
        weeks: dict[tuple[int, int], dict[date, list[Slot]]] = defaultdict(
            lambda: defaultdict(list))
        for slot in slots:
            day = slot.start_date(tz)
            iso = day.isocalendar()
            weeks[iso.year, iso.week][day].append(slot)
        for week, days in weeks.items():
            week_node = node(("week", doctor.id, week))
            in_week = [self.size(s) for day_slots in days.values() for s in day_slots]
            flow.add_arc_with_capacity_and_unit_cost(
                doctor_node, week_node, min(cap, _longest(in_week, doctor.max_shifts_per_week)),
                0)
            for day, day_slots in days.items():
                day_node = node(("day", doctor.id, day))
                flow.add_arc_with_capacity_and_unit_cost(
                    week_node, day_node,
                    _day_units(day_slots, self.size, rules.min_rest_hours * 60,
                               rules.max_shifts_per_day), 0)
                for slot in day_slots:
                    cost = 0 if self.arc_cost is None else self.arc_cost(doctor, slot)
                    flow.add_arc_with_capacity_and_unit_cost(
                        day_node, node(("slot", slot.id)), self.size(slot), cost)

    def add_slot(self, slot: Slot, doctors: int, *, cost: int = 0) -> None:
        """The slot's arc to the sink: up to `doctors` doctors' worth, at `cost` a unit."""
        if ("slot", slot.id) in self.nodes:
            self.flow.add_arc_with_capacity_and_unit_cost(
                self.node(("slot", slot.id)), self.sink, doctors * self.size(slot), cost)

    def solve(self, amount: int) -> int | None:
        """The least cost of carrying `amount` from the source to the sink; None when the
        network cannot carry it."""
        self.flow.set_node_supply(self.source, amount)
        self.flow.set_node_supply(self.sink, -amount)
        if self.flow.solve() != self.flow.OPTIMAL:
            return None
        return int(self.flow.optimal_cost())


def _longest(lengths: list[int], count: int | None) -> int:
    """The most time `count` of these slots can hold (all of them when None)."""
    return sum(lengths) if count is None else sum(sorted(lengths, reverse=True)[:count])


def _day_units(slots: list[Slot], size: Callable[[Slot], int], rest_minutes: float,
               per_day: int | None) -> int:
    """The most units one doctor can work among these slots of one day: slots in turn with
    the minimum rest between them (weighted interval scheduling by dynamic programming over
    the slots by end, exact for that), and at most the largest `per_day` of them."""
    ordered = sorted(slots, key=lambda s: (s.end_utc, s.start_utc))
    best = [0] * (len(ordered) + 1)  # best[i]: the most units among the first i slots
    for i, slot in enumerate(ordered):
        # The earlier slots ending at least the rest before this one starts are a prefix.
        j = i
        while j > 0 and (slot.start_utc - ordered[j - 1].end_utc).total_seconds() / 60 \
                < rest_minutes:
            j -= 1
        best[i + 1] = max(best[i], best[j] + size(slot))
    if per_day is None:
        return best[-1]
    return min(best[-1], _longest([size(s) for s in slots], per_day))
