"""The rota rules as CP-SAT constraints: one `add_<rule>` per rule of DESIGN.

Availability, dates away and skills are enforced by `eligibility.py` (a variable exists only for
an eligible doctor × slot pair); everything else is added here on a `RotaModel`. Each `add_*`
says which `Rule`s it enforces (`@enforces`), so the registry `HARD_RULES` names every rule the
model holds, and a test checks that it holds every rule of `scheduler.domain.rules`.

Long on purpose: the registry is the order the model is built in, and one `add_<rule>` per rule
in one file keeps it readable top to bottom; the shared per-doctor groupings live on
`RotaModel` beside them.
"""

from __future__ import annotations

import bisect
import gc
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from ortools.sat.python import cp_model

from scheduler.domain.benchmark import minimums_of
from scheduler.domain.problem import Doctor, Problem, Slot, weekend_of
from scheduler.domain.rules import Rule
from scheduler.engine.eligibility import ELIGIBILITY_RULES, eligible_pairs, in_conflict


@dataclass
class RotaModel:
    """A CP-SAT model of one problem: x[doctor, slot] = 1 when the doctor works the slot."""

    problem: Problem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    uncovered: dict[str, cp_model.IntVar] = field(default_factory=dict)
    #: Doctors beyond `seats` on slots with `max_seats` (soft over-cover).
    over: dict[str, cp_model.IntVar] = field(default_factory=dict)
    _works: dict[tuple[str, date], cp_model.IntVar | None] = field(default_factory=dict)
    _by_day: dict[str, dict[date, list[tuple[Slot, cp_model.IntVar]]]] = field(
        default_factory=dict)
    _doctor_vars: dict[str, list[tuple[Slot, cp_model.IntVar]]] = field(default_factory=dict)
    _minutes: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)
    #: Each slot's variables as their indices in the model, in `by_slot` order.
    _slot_indices: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: Each slot's local start date (the date a shift belongs to), computed once.
    day_of: dict[str, date] = field(default_factory=dict)
    #: Each slot's length in minutes (real elapsed time), computed once.
    minutes_of: dict[str, int] = field(default_factory=dict)
    by_doctor: dict[str, list[Slot]] = field(default_factory=lambda: defaultdict(list))
    #: The eligible doctor × slot pairs the variables stand for (`eligibility.eligible_pairs`,
    #: kept for the flow bounds, the repair and `by_slot`); None until `build`.
    eligible: list[tuple[Doctor, Slot]] | None = None

    @classmethod
    def build(cls, problem: Problem) -> RotaModel:
        """The model of every hard rule. Linear in the eligible pairs, the slots and the days:
        every per-doctor grouping (by date, by kind) is made once and shared by the rules.

        The cyclic garbage collector is paused meanwhile: the build makes millions of small
        containers and no garbage cycle, and the collector's passes over them took 10-20 % of
        the build on the largest Curtois instance."""
        with _collector_paused():
            return cls._build(problem)

    @classmethod
    def _build(cls, problem: Problem) -> RotaModel:
        m = cls(problem)
        tz = problem.tz
        m.day_of = {s.id: s.start_date(tz) for s in problem.slots}
        m.minutes_of = {s.id: s.minutes for s in problem.slots}
        m.eligible = eligible_pairs(problem)
        # The variables straight on the model's proto, one shared 0..1 domain and no name
        # (`x` maps each doctor × slot pair to its variable): what `new_bool_var` does less
        # its per-call domain, name and wrapper (2.7 → 0.9 s for the 1.13 M variables of
        # Curtois Instance 24).
        proto, boolean, new_var = m.model.proto, cp_model.Domain(0, 1), cp_model.IntVar
        x, slot_indices = m.x, m._slot_indices
        for doctor, slots in _runs_by_doctor(m.eligible):
            did = doctor.id
            index = len(proto.variables)
            variables = [new_var(proto).with_domain(boolean) for _ in slots]
            # (Extended, not set: a doctor's pairs are one run in `eligible_pairs`, but the
            # rules per doctor must see all of them if that ever changes.)
            m.by_doctor[did].extend(slots)
            m._doctor_vars.setdefault(did, []).extend(zip(slots, variables, strict=True))
            x.update(zip([(did, slot.id) for slot in slots], variables, strict=True))
            for slot in slots:
                slot_indices[slot.id].append(index)
                index += 1
        for _, add in HARD_RULES:
            add(m)
        return m

    @cached_property
    def by_slot(self) -> dict[str, list[Doctor]]:
        """Each slot's eligible doctors, in `eligible` order (made on first use: only the
        neighbourhood search asks, and the build of a million pairs need not)."""
        out: dict[str, list[Doctor]] = defaultdict(list)
        for doctor, slot in self.eligible or ():
            out[slot.id].append(doctor)
        return out

    def doctor_vars(self, doctor: Doctor) -> list[tuple[Slot, cp_model.IntVar]]:
        """The doctor's eligible slots with their variables, in problem order (shared list:
        do not modify)."""
        return self._doctor_vars.get(doctor.id, [])

    def by_day(self, doctor: Doctor) -> dict[date, list[tuple[Slot, cp_model.IntVar]]]:
        """The doctor's eligible slots and variables by local start date (shared: read only)."""
        if (days := self._by_day.get(doctor.id)) is None:
            days = self._by_day[doctor.id] = {}
            day_of = self.day_of
            for pair in self.doctor_vars(doctor):  # (the pairs themselves: no copies)
                if (on_day := days.get(day := day_of[pair[0].id])) is None:
                    days[day] = [pair]
                else:
                    on_day.append(pair)
        return days

    def period_dates(self) -> list[date]:
        period = self.problem.period
        return [period.start + timedelta(days=i)
                for i in range((period.end - period.start).days + 1)]

    def works(self, doctor: Doctor, day: date) -> cp_model.IntVar | None:
        """True when the doctor starts a shift on that local date; None when they cannot."""
        key = (doctor.id, day)
        if key not in self._works:
            day_vars = [var for _, var in self.by_day(doctor).get(day, [])]
            w: cp_model.IntVar | None = None
            if len(day_vars) == 1:
                w = day_vars[0]
            elif day_vars:
                w = self.model.new_bool_var(f"works_on[{doctor.id},{day}]")
                if self.problem.rules.max_shifts_per_day == 1:
                    # At most one shift that day: working is their sum (a tighter relaxation),
                    # written sum + (1 - w) == 1, an exactly-one that builds 2× faster than the
                    # linear equality and that presolve would reach anyway. (It also holds
                    # the one-shift-a-day rule for that date: `add_max_shifts_per_day` adds
                    # nothing more there.)
                    self.model.add_exactly_one([~w, *day_vars])
                else:
                    self.model.add_max_equality(w, day_vars)
            self._works[key] = w
        return self._works[key]


def _runs_by_doctor(pairs: list[tuple[Doctor, Slot]]) -> Iterator[tuple[Doctor, list[Slot]]]:
    """`eligible_pairs` (doctors then slots) as each doctor with their slots, in order."""
    start = 0
    while start < len(pairs):
        doctor = pairs[start][0]
        end = start
        while end < len(pairs) and pairs[end][0] is doctor:
            end += 1
        yield doctor, [slot for _, slot in pairs[start:end]]
        start = end


def add_linear(model: cp_model.CpModel, variables: Sequence[cp_model.IntVar | int],
               coefficients: list[int] | None, lower: int, upper: int) -> None:
    """lower ≤ Σ coefficients·variables ≤ upper (every coefficient 1 when None), written
    straight on the model's proto: the constraint `model.add(lower <= sum <= upper)` makes,
    but with the terms as given (`model.add` also merges a variable given twice, drops zero
    coefficients and sorts by index), built about 5× faster on sums of many variables (no
    expression tree). `variables`: variables, not negated literals (CP-SAT refuses those in
    a linear constraint), or their indices in the model (cheaper where known). Use
    `cp_model.INT_MIN` / `INT_MAX` for an open side."""
    linear = model.proto.constraints.add().linear
    linear.vars.extend([v if isinstance(v, int) else v.index for v in variables])
    linear.coeffs.extend([1] * len(variables) if coefficients is None else coefficients)
    linear.domain.extend([lower, upper])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (reference counting goes on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


AddRule = Callable[[RotaModel], None]

#: Every constraint function, in the order the model is built, with the rules it enforces.
HARD_RULES: list[tuple[frozenset[Rule], AddRule]] = []


def enforces(*rules: Rule) -> Callable[[AddRule], AddRule]:
    """Register a constraint function as the model's enforcement of `rules`."""
    def register(add: AddRule) -> AddRule:
        HARD_RULES.append((frozenset(rules), add))
        return add
    return register


def enforced_rules() -> frozenset[Rule]:
    """Every rule the model holds: the eligibility rules (no variable) and the registered ones."""
    return ELIGIBILITY_RULES.union(*(rules for rules, _ in HARD_RULES))


@enforces(Rule.SEATS)
def add_seats(m: RotaModel) -> None:
    """Seats: at most `seats` doctors per slot (or `max_seats` where set); empty seats are
    uncovered, doctors beyond `seats` are over-cover."""
    for slot in m.problem.slots:
        assigned = m._slot_indices[slot.id]
        u = m.model.new_int_var(0, slot.seats, f"uncovered[{slot.id}]")
        m.uncovered[slot.id] = u
        if slot.max_seats is None:
            add_linear(m.model, [*assigned, u.index], None, slot.seats, slot.seats)
            continue
        extra = max(0, slot.max_seats - slot.seats)
        over = m.model.new_int_var(0, extra, f"over[{slot.id}]")
        add_linear(m.model, [*assigned, u.index, over.index], [1] * (len(assigned) + 1) + [-1],
                   slot.seats, slot.seats)
        # Never both: the model's cost then equals the plain count on every rota, not only
        # on optimal ones.
        short = m.model.new_bool_var(f"short[{slot.id}]")
        m.model.add(over == 0).only_enforce_if(short)
        m.model.add(u == 0).only_enforce_if(short.Not())
        m.over[slot.id] = over


@enforces(Rule.NO_OVERLAP, Rule.MINIMUM_REST, Rule.TRAVEL_BUFFER)
def add_no_overlap_rest_and_travel(m: RotaModel) -> None:
    """No overlapping slots for a doctor, minimum rest between shifts, travel buffer between sites.

    With one required gap g for every pair, two slots conflict exactly when their intervals
    extended by g, [start, end + g), intersect: an interval graph, whose maximal cliques are
    found at slot starts. One at-most-one per clique is far tighter than one clause per pair.
    Pairs that only conflict through a travel buffer longer than the rest get a clause each.
    """
    rules = m.problem.rules
    rest = timedelta(hours=rules.min_rest_hours)
    # Once for all doctors: the slots' sweep order (start, end, id), each slot's start as a
    # rank among the distinct starts, and the rank of the first start its extended interval
    # [start, end + rest) does not reach. Per doctor the sweep then compares integers only.
    ordered = sorted(m.problem.slots, key=lambda s: (s.start_utc, s.end_utc, s.id))
    starts = sorted({s.start_utc for s in ordered})
    start_rank = {at: i for i, at in enumerate(starts)}
    position = {s.id: i for i, s in enumerate(ordered)}
    rank = {s.id: start_rank[s.start_utc] for s in ordered}
    until = {s.id: bisect.bisect_left(starts, s.end_utc + rest) for s in ordered}
    for doctor in m.problem.doctors:
        slots = sorted(m.by_doctor[doctor.id], key=lambda s: position[s.id])
        did, x = doctor.id, m.x
        cliques: set[tuple[str, ...]] = set()
        # A sweep over the distinct starts (slots sorted by start): the clique at a start is
        # every slot begun by then whose extended interval has not ended; linear in the slots
        # times the largest clique, where testing every slot at every start was quadratic.
        active: list[tuple[str, int]] = []
        index, count = 0, len(slots)
        while index < count:
            at = rank[slots[index].id]
            while index < count and rank[(sid := slots[index].id)] == at:
                active.append((sid, until[sid]))
                index += 1
            active = [pair for pair in active if pair[1] > at]
            if len(active) > 1:
                cliques.add(tuple([sid for sid, _ in active]))
        for clique in sorted(cliques):
            m.model.add_at_most_one([x[did, sid] for sid in clique])
        if rules.travel_buffer_minutes > rules.min_rest_hours * 60:
            _add_travel_pairs(m, doctor, slots, rest)


def _add_travel_pairs(m: RotaModel, doctor: Doctor, slots: list[Slot], rest: timedelta) -> None:
    rules = m.problem.rules
    buffer = timedelta(minutes=rules.travel_buffer_minutes)
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if b.start_utc >= a.end_utc + buffer:
                break
            if a.site != b.site and b.start_utc >= a.end_utc + rest and in_conflict(
                a, b, rules.min_rest_hours, rules.travel_buffer_minutes
            ):
                m.model.add_bool_or([m.x[doctor.id, a.id].Not(), m.x[doctor.id, b.id].Not()])


@enforces(Rule.PERIOD_CAP)
def add_period_cap(m: RotaModel) -> None:
    """At most N shifts in the period."""
    for doctor in m.problem.doctors:
        if doctor.max_shifts is not None:
            add_linear(m.model, [v for _, v in m.doctor_vars(doctor)], None,
                       cp_model.INT_MIN, doctor.max_shifts)


@enforces(Rule.WEEKLY_CAP)
def add_weekly_cap(m: RotaModel) -> None:
    """At most M shifts per ISO week (of the local start date)."""
    for doctor in m.problem.doctors:
        if doctor.max_shifts_per_week is None:
            continue
        weeks: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for slot, var in m.doctor_vars(doctor):
            iso = m.day_of[slot.id].isocalendar()
            weeks[iso.year, iso.week].append(var)
        for week_vars in weeks.values():
            if len(week_vars) > doctor.max_shifts_per_week:
                add_linear(m.model, week_vars, None, cp_model.INT_MIN,
                           doctor.max_shifts_per_week)


@enforces(Rule.HOURS_CAP)
def add_hours_cap(m: RotaModel) -> None:
    """At most H hours in the period (real elapsed time)."""
    for doctor in m.problem.doctors:
        if doctor.max_hours is None:
            continue
        limit = math.floor(doctor.max_hours * 60 + 1e-6)
        add_linear(m.model, *_minutes_worked(m, doctor), cp_model.INT_MIN, limit)


@enforces(Rule.CONSECUTIVE_DAYS)
def add_consecutive_days_cap(m: RotaModel) -> None:
    """At most K consecutive working days (a shift belongs to its local start date)."""
    for doctor in m.problem.doctors:
        k = doctor.max_consecutive_days
        if k is None:
            continue
        works: dict[date, cp_model.IntVar] = {}
        if m.problem.rules.max_shifts_per_day == 1:
            # One shift a day: the shared "works" literals are exact sums (tighter LP).
            works = {day: w for day in m.period_dates() if (w := m.works(doctor, day)) is not None}
        else:
            for day, day_pairs in m.by_day(doctor).items():
                w = m.model.new_bool_var(f"works[{doctor.id},{day}]")
                for _, v in day_pairs:
                    m.model.add_implication(v, w)
                works[day] = w
        if k >= len(works):
            continue
        days = sorted(works)
        span = timedelta(days=k)
        for i in range(len(days) - k):
            # k + 1 distinct sorted dates k days apart: every date of the window has a literal.
            if days[i + k] - days[i] == span:
                add_linear(m.model, [works[day] for day in days[i:i + k + 1]], None,
                           cp_model.INT_MIN, k)


def _minutes_worked(m: RotaModel, doctor: Doctor) -> tuple[list[int], list[int]]:
    """The doctor's worked minutes (real elapsed time) as the variable indices and
    coefficients of a linear sum (`add_linear`), made once per doctor (the hours cap and the
    minimum hours share them)."""
    if (terms := m._minutes.get(doctor.id)) is None:
        pairs = m.doctor_vars(doctor)
        terms = m._minutes[doctor.id] = ([v.index for _, v in pairs],
                                         [m.minutes_of[s.id] for s, _ in pairs])
    return terms


@enforces(Rule.SITE_CAP)
def add_site_caps(m: RotaModel) -> None:
    """At most N shifts at one site, where a doctor sets per-site caps (multi-site periods)."""
    for doctor in m.problem.doctors:
        for site, cap in doctor.max_shifts_per_site.items():
            here = [v for s, v in m.doctor_vars(doctor) if s.site == site]
            if len(here) > cap:
                add_linear(m.model, here, None, cp_model.INT_MIN, cap)


@enforces(Rule.PINNED)
def add_pinned(m: RotaModel) -> None:
    """Pinned assignments stay (their feasibility is checked before solving)."""
    for pin in m.problem.pinned:
        m.model.add(m.x[pin.doctor, pin.slot] == 1)


@enforces(Rule.REMOVED)
def add_removed(m: RotaModel) -> None:
    """Assignments the manager removed by hand stay removed."""
    for pair in m.problem.removed:
        var = m.x.get((pair.doctor, pair.slot))
        if var is not None:
            m.model.add(var == 0)


@enforces(Rule.MINIMUM_HOURS)
def add_min_hours(m: RotaModel) -> None:
    """At least H hours in the period (real elapsed time)."""
    for doctor in m.problem.doctors:
        min_hours = minimums_of(m.problem, doctor.id).min_hours
        if min_hours is None:
            continue
        floor = math.ceil(min_hours * 60 - 1e-6)
        add_linear(m.model, *_minutes_worked(m, doctor), floor, cp_model.INT_MAX)


@enforces(Rule.KIND_CAP)
def add_kind_caps(m: RotaModel) -> None:
    """At most N shifts of one kind (shift type) in the period."""
    for doctor in m.problem.doctors:
        if not doctor.max_shifts_by_kind:
            continue
        by_kind: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for s, v in m.doctor_vars(doctor):
            by_kind[s.kind].append(v)
        for kind, cap in doctor.max_shifts_by_kind.items():
            of_kind = by_kind.get(kind, [])
            if len(of_kind) > cap:
                add_linear(m.model, of_kind, None, cp_model.INT_MIN, cap)


@enforces(Rule.SHIFTS_PER_DAY)
def add_max_shifts_per_day(m: RotaModel) -> None:
    """At most N shifts starting on one local date. (With N = 1, a date whose "works" literal
    an earlier rule made (`RotaModel.works`) already has its exactly-one, which says as much:
    Curtois Instance 24 then has 49,200 fewer constraints.)"""
    cap = m.problem.rules.max_shifts_per_day
    if cap is None:
        return
    for doctor in m.problem.doctors:
        for day, day_pairs in m.by_day(doctor).items():
            if len(day_pairs) <= cap:
                continue
            if cap == 1:
                if m._works.get((doctor.id, day)) is not None:
                    continue
                m.model.add_at_most_one([v for _, v in day_pairs])  # 3× faster to build
            else:
                add_linear(m.model, [v for _, v in day_pairs], None, cp_model.INT_MIN, cap)


@enforces(Rule.FORBIDDEN_SUCCESSION)
def add_forbidden_successions(m: RotaModel) -> None:
    """No slot of kind b on the local date after a slot of kind a, for each forbidden (a, b)."""
    forbidden: dict[str, set[str]] = defaultdict(set)
    for first, then in m.problem.rules.forbidden_successions:
        forbidden[first].add(then)
    if not forbidden:
        return
    then_of = {first: sorted(kinds) for first, kinds in forbidden.items()}
    #: (kinds today, kinds tomorrow) → the clique inequalities as (kinds today, kinds
    #: tomorrow) each: the same few pairs of days come back all period long.
    plans: dict[tuple[tuple[str, ...], tuple[str, ...]],
                list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    one_a_day = m.problem.rules.max_shifts_per_day == 1
    one_day = timedelta(days=1)
    for doctor in m.problem.doctors:
        # Each date's variables by kind, once (each date is "tomorrow" for the date before).
        by_kind: dict[date, dict[str, list[cp_model.IntVar]]] = {}
        for day, pairs in m.by_day(doctor).items():
            kinds: dict[str, list[cp_model.IntVar]] = {}
            by_kind[day] = kinds
            for s, v in pairs:
                if (of_kind := kinds.get(s.kind)) is None:
                    kinds[s.kind] = [v]
                else:
                    of_kind.append(v)
        for day, today in by_kind.items():
            if (tomorrow := by_kind.get(day + one_day)) is None:
                continue
            if not one_a_day:
                for first, of_first in today.items():
                    for kind in then_of.get(first, ()):
                        for var in of_first:
                            for other in tomorrow.get(kind, ()):
                                m.model.add_bool_or([var.Not(), other.Not()])
                continue
            # Today's slots exclude each other, and so do tomorrow's: the slots of today
            # whose kinds forbid the same kinds tomorrow share one clique inequality.
            key = (tuple(today), tuple(tomorrow))
            if (plan := plans.get(key)) is None:
                plan = plans[key] = _succession_cliques(key[0], tomorrow, then_of)
            for firsts, laters in plan:
                m.model.add_at_most_one([v for k in firsts for v in today[k]]
                                        + [v for k in laters for v in tomorrow[k]])


def _succession_cliques(today: tuple[str, ...], tomorrow: Collection[str],
                        then_of: dict[str, list[str]]
                        ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """With one shift a day, the forbidden successions between two dates as cliques: the
    kinds of today forbidding the same kinds tomorrow, with those kinds (each a tuple in
    today's order, the later ones sorted)."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for kind in today:
        if later := tuple(k for k in then_of.get(kind, ()) if k in tomorrow):
            groups[later].append(kind)
    return [(tuple(firsts), later) for later, firsts in groups.items()]


@enforces(Rule.MINIMUM_CONSECUTIVE_DAYS)
def add_min_consecutive_days(m: RotaModel) -> None:
    """Runs of working days last at least K days, unless they touch the period's edges."""
    for doctor in m.problem.doctors:
        least = minimums_of(m.problem, doctor.id).min_consecutive_days
        if least is not None:
            _forbid_short_inner_runs(m, doctor, least, working=True)


@enforces(Rule.MINIMUM_DAYS_OFF)
def add_min_days_off(m: RotaModel) -> None:
    """Runs of days off last at least K days, unless they touch the period's edges."""
    for doctor in m.problem.doctors:
        if doctor.min_days_off is not None:
            _forbid_short_inner_runs(m, doctor, doctor.min_days_off, working=False)


def _forbid_short_inner_runs(m: RotaModel, doctor: Doctor, minimum: int, *, working: bool
                             ) -> None:
    """Forbid each pattern `other, run shorter than minimum, other` inside the period: one
    clause per pattern, over the literals "works on that date" (constant false on a date
    without any slot for the doctor)."""
    days = m.period_dates()
    works = [m.works(doctor, day) for day in days]
    for length in range(1, minimum):
        for start in range(1, len(days) - length):
            # (works that date, whether the pattern has a working date there)
            pattern = [(works[start - 1], not working),
                       *((works[d], working) for d in range(start, start + length)),
                       (works[start + length], not working)]
            clause: list[cp_model.LiteralT] = []
            satisfied = False
            for var, needs_work in pattern:
                # The clause says: some date of the pattern differs from it.
                if var is None:
                    satisfied |= needs_work  # never works that date: the pattern cannot occur
                    continue
                clause.append(var.Not() if needs_work else var)
            if not satisfied:
                m.model.add_bool_or(clause)


@enforces(Rule.WEEKENDS)
def add_max_weekends(m: RotaModel) -> None:
    """At most N weekends worked; a weekend counts once if its Saturday or Sunday is worked."""
    days = m.period_dates()
    for doctor in m.problem.doctors:
        if doctor.max_weekends is None:
            continue
        weekends: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for day in days:
            key = weekend_of(day)
            if key is not None and (w := m.works(doctor, day)) is not None:
                weekends[key].append(w)
        if len(weekends) <= doctor.max_weekends:
            continue
        worked = []
        for key, day_vars in sorted(weekends.items()):
            weekend = m.model.new_bool_var(f"weekend[{doctor.id},{key[0]}-W{key[1]}]")
            for w in day_vars:
                m.model.add_implication(w, weekend)
            worked.append(weekend)
        add_linear(m.model, worked, None, cp_model.INT_MIN, doctor.max_weekends)
