"""One doctor's rota on a grid of days, by dynamic programming: the fast path of `construct.py`.

CP-SAT on one doctor's own model needs 0.1 s to over 10 s (Curtois Instance 22: no rota for
an employee in 10 s at linearisation level 2; Instance 24: 2 s each, 150 employees), because
counting minimum hours against runs of working days and of days off is hard for its search.
On a grid of days that counting is easy for a dynamic programme, in two passes:

1. **Which days to work.** A dynamic programme over the days whose state is the current run
   (working days in a row, capped at the maximum; days off in a row, capped at the minimum; and
   whether the run began on the first day, which exempts it from the minimums) and the number of
   days worked so far; it maximises the sum of each day's best gain, with the number of days
   worked in the window that minimum and maximum hours allow at the shortest slot length. The
   weekends worked are chosen before (the `max_weekends` with the most gain; the others are off).
2. **Which slot on each working day.** A second programme over the working days, whose state is
   the slot worked the day before (forbidden successions, rest and travel between days), then
   repairs of the per-kind caps and of the hours window by swapping one day's slot at a time.

It keeps one slot a day, so it applies when the problem allows at most one (`max_shifts_per_day
= 1`) and the doctor has no pinned slot. It is a heuristic: the rota it returns is judged by the
independent checker before use, and None sends the caller back to CP-SAT. Rules it does not
model itself (weekly, per-site caps...) are caught there too.

Long on purpose: the two passes, their retries and the repairs are one algorithm on one grid.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from scheduler.domain.benchmark import minimums_of
from scheduler.domain.problem import Doctor, Problem, Slot, weekend_of
from scheduler.engine.checker import RotaChecker
from scheduler.engine.eligibility import eligible_pairs

Floats = npt.NDArray[np.float64]
NEVER = -math.inf


def gains(problem: Problem, doctor: Doctor) -> dict[str, int]:
    """The first stage's gain of putting `doctor` on each slot of their own problem (slot id ->
    integer gain). In the weighted mode: the slot's priority while it has seats left, else
    minus its over-cover cost, plus the doctor's wish on it (positive: asked for; negative:
    asked to be spared). In DESIGN's lexicographic order coverage comes first: the priority
    is then scaled above the sum of every other term over the doctor's slots, so no wish or
    over-cover cost ever outweighs a seat filled."""
    def other(slot: Slot) -> int:
        return (0 if slot.seats > 0 else -slot.over_cover_cost) + doctor.wishes.get(slot.id, 0)

    scale = 1
    if problem.objective_mode != "weighted":
        scale += sum(abs(other(slot)) for slot in problem.slots)
    return {slot.id: scale * (slot.priority if slot.seats > 0 else 0) + other(slot)
            for slot in problem.slots}


@dataclass(frozen=True)
class _Day:
    """One date: the doctor's slots starting on it, and per slot its gain, kind and site (as
    indices), start and end (minutes since the epoch)."""

    day: date
    slots: list[Slot]
    gains: Floats
    kinds: npt.NDArray[np.intp]
    sites: npt.NDArray[np.intp]
    starts: Floats
    ends: Floats
    minutes: Floats


class _Grid:
    """The doctor's days and what says which slot may follow which on the next day."""

    def __init__(self, problem: Problem, by_day: Mapping[date, list[Slot]],
                 gain: Mapping[str, int]) -> None:
        rules = problem.rules
        kinds = sorted({s.kind for s in problem.slots})
        self.kind_index = {k: i for i, k in enumerate(kinds)}
        site_index = {s.id: i for i, s in enumerate(problem.sites)}
        self.forbidden = np.zeros((len(kinds), len(kinds)), dtype=bool)
        for a, b in rules.forbidden_successions:
            if a in self.kind_index and b in self.kind_index:
                self.forbidden[self.kind_index[a], self.kind_index[b]] = True
        self.rest = round(rules.min_rest_hours * 60)
        self.travel = max(self.rest, rules.travel_buffer_minutes)
        first, last = problem.period.start, problem.period.end
        self.days = []
        for d in (first + timedelta(days=i) for i in range((last - first).days + 1)):
            slots = by_day.get(d, [])
            self.days.append(_Day(
                d, slots, np.array([gain[s.id] for s in slots], dtype=np.float64),
                np.array([self.kind_index[s.kind] for s in slots], dtype=np.intp),
                np.array([site_index.get(s.site, -1) for s in slots], dtype=np.intp),
                np.array([s.start_utc.timestamp() / 60 for s in slots], dtype=np.float64),
                np.array([s.end_utc.timestamp() / 60 for s in slots], dtype=np.float64),
                np.array([s.minutes for s in slots], dtype=np.float64)))

    def follows(self, before: _Day, after: _Day) -> npt.NDArray[np.bool_]:
        """[a, b]: whether slot b of `after` (the next day) may follow slot a of `before`:
        no forbidden succession, rest and travel between them kept (`required_gap_minutes`)."""
        gap = after.starts[None, :] - before.ends[:, None]
        needed = np.where(before.sites[:, None] == after.sites[None, :], self.rest, self.travel)
        return ~self.forbidden[before.kinds[:, None], after.kinds[None, :]] & (gap >= needed)

    def may_follow(self, before: _Day, a: int, after: _Day, b: int) -> bool:
        """`follows(before, after)[a, b]` alone."""
        needed = self.rest if before.sites[a] == after.sites[b] else self.travel
        return not self.forbidden[before.kinds[a], after.kinds[b]] \
            and bool(after.starts[b] - before.ends[a] >= needed)


def day_grid_rota(problem: Problem, doctor: Doctor,
                  gain: Mapping[str, int] | None = None) -> list[str] | None:
    """Slot ids of a rota for the only doctor of `problem` (the problem of one doctor, as
    `construct.py` builds it) keeping every hard rule, by the two passes of this module, or None
    when it finds none or does not apply (a rota the checker refuses is None too).

    `gain` maps slot id -> the value of working it (default: `gains`); the rota maximises it
    heuristically, first through the days worked, then through the slots.
    """
    if problem.rules.max_shifts_per_day != 1 or any(p.doctor == doctor.id
                                                    for p in problem.pinned):
        return None
    gain = gains(problem, doctor) if gain is None else gain
    removed = {p.slot for p in problem.removed if p.doctor == doctor.id}
    tz = problem.tz
    by_day: dict[date, list[Slot]] = {}
    for _, slot in eligible_pairs(replace(problem, doctors=(doctor,))):
        if slot.id not in removed:
            by_day.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    grid = _Grid(problem, by_day, gain)
    days = grid.days
    lengths = sorted({s.minutes for day in days for s in day.slots})
    if not lengths:
        return None
    window = _days_window(problem, doctor, lengths[0], lengths[-1], len(days))
    checker = RotaChecker(problem)
    least = minimums_of(problem, doctor.id).min_hours
    high = math.inf if doctor.max_hours is None else doctor.max_hours * 60
    first_window = window
    tried: set[tuple[bool, tuple[int, int]]] = set()
    ways = (True, False) if doctor.max_weekends is not None else (True,)
    for chosen_weekends, attempt in itertools.product(ways, range(ATTEMPTS)):
        # The weekends chosen before pass 1 (fast), then counted in it (exact, slower).
        if attempt == 0:
            window = first_window
        if window is None or (chosen_weekends, window) in tried:
            continue  # (the same try again would give the same rota)
        tried.add((chosen_weekends, window))
        weekends = _allowed_weekends(doctor, days) if chosen_weekends else None
        worked = _working_days(problem, doctor, days, window, weekends)
        if worked is None:
            continue
        chosen = _slots_within_caps(doctor, grid, worked, lengths[0])
        if chosen is None:
            continue
        chosen = _repair(problem, doctor, grid, worked, chosen)
        rota = [days[i].slots[j] for i, j in zip(worked, chosen, strict=True)]
        if not checker.doctor_violations(doctor, rota):
            return [s.id for s in rota]
        # Over the hours (the shortest slots taken by the kind caps or the successions): work
        # fewer days next time; under them, more.
        minutes = sum(s.minutes for s in rota)
        if minutes > high:
            fewer = math.ceil((minutes - high) / lengths[0])
            window = (window[0], min(window[1], len(worked)) - fewer)
        elif least is not None and minutes < least * 60:
            more = math.ceil((least * 60 - minutes) / lengths[-1])
            window = (max(window[0], len(worked)) + more, window[1])
        if window[0] > window[1]:
            window = None
    return None


def _days_window(problem: Problem, doctor: Doctor, shortest: int, longest: int, horizon: int
                 ) -> tuple[int, int] | None:
    """How many days to work: the counts whose hours at the shortest slot length fall within
    the doctor's minimum and maximum hours when there are any (then every slot can be the
    shortest kind), else the counts some mix of lengths could reach; capped by `max_shifts`."""
    least_hours = minimums_of(problem, doctor.id).min_hours
    most_hours = doctor.max_hours
    low = 0.0 if least_hours is None else least_hours * 60
    high = math.inf if most_hours is None else most_hours * 60
    top = horizon if doctor.max_shifts is None else min(horizon, doctor.max_shifts)
    most = top if math.isinf(high) else min(top, math.floor(high / shortest + 1e-9))
    at_shortest = (math.ceil(low / shortest - 1e-9), most)
    if at_shortest[0] <= at_shortest[1]:
        return at_shortest
    mixed = (math.ceil(low / longest - 1e-9), at_shortest[1])
    return mixed if mixed[0] <= mixed[1] else None


def _allowed_weekends(doctor: Doctor, days: list[_Day]) -> set[tuple[int, int]] | None:
    """The weekends the doctor may work (None: all): `max_weekends` of them, those with the
    most gain first (each day's best positive gain), and among equals spread evenly over the
    period (golden-ratio order: the first N are never bunched together)."""
    if doctor.max_weekends is None:
        return None
    value: dict[tuple[int, int], float] = {}
    for day in days:
        weekend = weekend_of(day.day)
        if weekend is not None and day.slots:
            value[weekend] = value.get(weekend, 0.0) + \
                max(0.0, float(day.gains.max()))
    order = {w: (i * GOLDEN) % 1.0 for i, w in enumerate(sorted(value))}
    ranked = sorted(value, key=lambda w: (-value[w], order[w]))
    return set(ranked[:doctor.max_weekends])


def _working_days(problem: Problem, doctor: Doctor, days: list[_Day],
                  window: tuple[int, int], weekends: set[tuple[int, int]] | None
                  ) -> list[int] | None:
    """Indices of the days to work (pass 1), or None when no pattern keeps the run rules with a
    count in `window`."""
    longest_run = doctor.max_consecutive_days
    least_run = minimums_of(problem, doctor.id).min_consecutive_days or 1
    least_off = doctor.min_days_off or 1
    cap_run = longest_run if longest_run is not None else least_run
    # States: W1..WR working runs, O1..OP days off (OP: at least P), IW1..IWR a working run
    # from the first day, IO days off since the first day.
    work = list(range(cap_run))
    off = list(range(cap_run, cap_run + least_off))
    first_work = list(range(cap_run + least_off, 2 * cap_run + least_off))
    first_off = 2 * cap_run + least_off
    states = first_off + 1
    top = window[1]
    moves: list[tuple[int, int]] = []  # (from, to)
    for r in range(cap_run):
        if r + 1 < cap_run:
            moves += [(work[r], work[r + 1]), (first_work[r], first_work[r + 1])]
        if r + 1 >= least_run:
            moves.append((work[r], off[0]))
        moves.append((first_work[r], off[0]))
    if longest_run is None:  # the last working state means "at least R days"
        moves += [(work[-1], work[-1]), (first_work[-1], first_work[-1])]
    moves += [(off[-1], work[0]), (first_off, work[0]), (first_off, first_off)]
    moves += [(off[r], off[min(r + 1, least_off - 1)]) for r in range(least_off)]
    working_state = np.zeros(states, dtype=bool)
    working_state[work + first_work] = True

    # Weekends worked so far, when counted here rather than chosen before (`weekends` None
    # and a `max_weekends`): a Saturday worked counts, a Sunday after a Saturday off too.
    counted = doctor.max_weekends if weekends is None and doctor.max_weekends is not None else 0
    value = np.full((states, counted + 1, top + 1), NEVER)
    back = np.zeros((len(days), states, counted + 1, top + 1), dtype=np.int16)
    for i, day in enumerate(days):
        weekend = weekend_of(day.day)
        can_work = bool(day.slots) and (weekends is None or weekend is None
                                        or weekend in weekends)
        best = float(day.gains.max()) if day.slots else 0.0
        new = np.full((states, counted + 1, top + 1), NEVER)
        if i == 0:  # a run of either kind begins on the first day
            new[first_off, 0, 0] = 0.0
            back[0, first_off, 0, 0] = first_off
            if can_work and top >= 1:
                w = int(counted > 0 and weekend is not None)
                if w <= counted:
                    new[first_work[0], w, 1] = best
                    back[0, first_work[0], w, 1] = first_off
            value = new
            continue
        for source, target in moves:
            if working_state[target]:
                if not can_work:
                    continue
                candidate = np.full((counted + 1, top + 1), NEVER)
                candidate[:, 1:] = value[source, :, :-1] + best
                if counted and _new_weekend(day.day, bool(working_state[source])):
                    candidate[1:] = candidate[:-1].copy()
                    candidate[0] = NEVER
            else:
                candidate = value[source]
            better = candidate > new[target]
            new[target][better] = candidate[better]
            back[i, target][better] = source
        value = new
    low, high = window
    end = value[:, :, low:high + 1]
    if not np.isfinite(end).any():
        return None
    where = np.unravel_index(int(np.argmax(end)), end.shape)
    state, used, count = int(where[0]), int(where[1]), low + int(where[2])
    worked = []
    for i in range(len(days) - 1, -1, -1):
        previous = int(back[i, state, used, count])
        if working_state[state]:
            worked.append(i)
            if counted and _new_weekend(days[i].day, bool(working_state[previous])) and i > 0:
                used -= 1
            count -= 1
        state = previous
    worked.reverse()
    return worked


#: Tries per way of choosing weekends, the number of days to work corrected after each.
ATTEMPTS = 3
GOLDEN = (math.sqrt(5) - 1) / 2

#: Pass 2's rounds of penalties on the kinds over their cap.
CAP_ROUNDS = 12
#: Among slots of equal gain, pass 2 prefers the shortest (pass 1 counted days at that length):
#: this much gain per slot length over the shortest one (less than a gain difference on one
#: day; summed over many days it is a heuristic's tie-break, not an exact one).
LONGER_PENALTY = 0.01


def _new_weekend(day: date, worked_before: bool) -> bool:
    """Whether working on `day` starts a weekend worked: a Saturday, or a Sunday after a
    Saturday off."""
    weekday = day.isoweekday()
    return weekday == 6 or (weekday == 7 and not worked_before)


def _slots_within_caps(doctor: Doctor, grid: _Grid, worked: list[int], shortest: int
                       ) -> list[int] | None:
    """Pass 2 with the per-kind caps and the maximum hours as penalties (Lagrangian rounds):
    each round a kind over its cap costs more on every day, and one under its cap less; so do
    the minutes beyond the shortest slot's while the total is over the maximum hours. The best
    slots within every cap are kept, else the last round's (then `_repair` tries)."""
    caps = {grid.kind_index[k]: cap for k, cap in doctor.max_shifts_by_kind.items()
            if k in grid.kind_index}
    high = math.inf if doctor.max_hours is None else doctor.max_hours * 60 + 1e-6
    gains_seen = [float(g) for day in grid.days for g in day.gains]
    spread = max(gains_seen) - min(gains_seen) + 1.0 if gains_seen else 1.0
    penalty = np.zeros(len(grid.kind_index))
    longer = LONGER_PENALTY  # per shortest slot's length beyond it
    best: tuple[float, list[int]] | None = None
    last: list[int] | None = None
    for _ in range(CAP_ROUNDS):
        adjusted = [day.gains - penalty[day.kinds] - longer * (day.minutes / shortest - 1)
                    for day in grid.days]
        last = _slots(grid, worked, adjusted)
        if last is None:
            return None
        pairs = list(zip(worked, last, strict=True))
        kinds = Counter(int(grid.days[i].kinds[j]) for i, j in pairs)
        over = [k for k, cap in caps.items() if kinds[k] > cap]
        too_long = sum(float(grid.days[i].minutes[j]) for i, j in pairs) > high
        if not over and not too_long:
            gain = sum(float(grid.days[i].gains[j]) for i, j in pairs)
            if best is None or gain > best[0]:
                best = (gain, last)
            # Too dear now? Ease the kinds whose cap is not reached, and the length.
            eased = [k for k, cap in caps.items() if kinds[k] < cap and penalty[k] > 0]
            if not eased and longer <= LONGER_PENALTY:
                break
            penalty[eased] /= 2
            longer = max(LONGER_PENALTY, longer / 2)
            continue
        for k in over:
            penalty[k] = 2 * penalty[k] + spread / 8
        if too_long:
            longer = 2 * longer + spread / 8
    return best[1] if best is not None else last


def _slots(grid: _Grid, worked: list[int], gains: list[Floats]) -> list[int] | None:
    """For each working day, the index of its slot (pass 2): the most gain (`gains[i][j]` for
    slot j of day i) over the working days with every two consecutive days' slots allowed to
    follow each other."""
    days = grid.days
    value: Floats = np.zeros(0)
    back: list[npt.NDArray[np.intp]] = []
    for n, i in enumerate(worked):
        day = days[i]
        if n == 0 or worked[n - 1] != i - 1:
            # After a day off (or first): any slot of the last working day may come before.
            j = int(np.argmax(value)) if n else -1
            back.append(np.full(len(day.slots), j, dtype=np.intp))
            value = gains[i] + (value[j] if n else 0.0)
            continue
        before = days[worked[n - 1]]
        allowed = grid.follows(before, day)
        through = np.where(allowed, value[:, None], NEVER)
        back.append(np.argmax(through, axis=0))
        value = through.max(axis=0) + gains[i]
    if not worked or not np.isfinite(value).any():
        return None if worked else []
    chosen = [int(np.argmax(value))]
    for n in range(len(worked) - 1, 0, -1):
        chosen.append(int(back[n][chosen[-1]]))
    chosen.reverse()
    return chosen


def _repair(problem: Problem, doctor: Doctor, grid: _Grid, worked: list[int],
            chosen: list[int]) -> list[int]:
    """Mend pass 2's slots, one working day at a time, keeping each day's neighbours: first the
    kinds over their cap (`max_shifts_by_kind`), then total minutes outside the doctor's
    minimum and maximum hours, each time by the swap losing the least gain; then take any swap
    gaining more within the caps and hours. What cannot be mended is left for the checker to
    refuse."""
    days = grid.days
    chosen = list(chosen)
    caps = {grid.kind_index[k]: cap for k, cap in doctor.max_shifts_by_kind.items()
            if k in grid.kind_index}
    kinds: Counter[int] = Counter(int(days[i].kinds[j]) for i, j in zip(worked, chosen,
                                                                         strict=True))
    minutes = sum(days[i].slots[j].minutes for i, j in zip(worked, chosen, strict=True))
    least = minimums_of(problem, doctor.id).min_hours
    low = -math.inf if least is None else least * 60 - 1e-6
    high = math.inf if doctor.max_hours is None else doctor.max_hours * 60 + 1e-6

    def may_take(n: int, j: int) -> bool:
        """Whether day n of `worked` may take its slot j, given the slots of the days beside."""
        day = days[worked[n]]
        if n > 0 and worked[n - 1] == worked[n] - 1 \
                and not grid.may_follow(days[worked[n - 1]], chosen[n - 1], day, j):
            return False
        return not (n + 1 < len(worked) and worked[n + 1] == worked[n] + 1
                    and not grid.may_follow(day, j, days[worked[n + 1]], chosen[n + 1]))

    def swap(n: int, j: int) -> None:
        nonlocal minutes
        day = days[worked[n]]
        kinds[int(day.kinds[chosen[n]])] -= 1
        kinds[int(day.kinds[j])] += 1
        minutes += day.slots[j].minutes - day.slots[chosen[n]].minutes
        chosen[n] = j

    def mend(wrong: int, fits: Callable[[_Day, int, int], bool]) -> None:
        """Swap days whose slot is of kind `wrong` (-1: any) for the cheapest slot that `fits`
        (day, old index, new index), while the fault remains (`fits` checks it)."""
        candidates = []
        for n, i in enumerate(worked):
            day = days[i]
            if wrong >= 0 and day.kinds[chosen[n]] != wrong:
                continue
            for j in range(len(day.slots)):
                if j != chosen[n]:
                    candidates.append((float(day.gains[chosen[n]] - day.gains[j]), n, j))
        for _, n, j in sorted(candidates):
            day = days[worked[n]]
            if (wrong < 0 or day.kinds[chosen[n]] == wrong) and fits(day, chosen[n], j) \
                    and may_take(n, j):
                swap(n, j)

    def under_cap(kind: int) -> bool:
        return kind not in caps or kinds[kind] < caps[kind]

    def keeps_hours(day: _Day, old: int, new: int) -> bool:
        after = minutes + day.slots[new].minutes - day.slots[old].minutes
        return not low <= minutes <= high or low <= after <= high

    for kind, cap in caps.items():
        def over_cap(day: _Day, old: int, new: int, kind: int = kind, cap: int = cap) -> bool:
            return kinds[kind] > cap and under_cap(int(day.kinds[new])) \
                and keeps_hours(day, old, new)

        if kinds[kind] > cap:
            mend(kind, over_cap)
    if minutes > high:
        mend(-1, lambda day, old, new: minutes > high
             and day.slots[new].minutes < day.slots[old].minutes
             and under_cap(int(day.kinds[new])))
    elif minutes < low:
        mend(-1, lambda day, old, new: minutes < low
             and day.slots[new].minutes > day.slots[old].minutes
             and minutes + day.slots[new].minutes - day.slots[old].minutes <= high
             and under_cap(int(day.kinds[new])))

    def gains_more(day: _Day, old: int, new: int) -> bool:
        return bool(day.gains[new] > day.gains[old]) and keeps_hours(day, old, new) and (
            day.kinds[new] == day.kinds[old] or under_cap(int(day.kinds[new])))

    # Last, what the caps' penalties gave up for nothing: slots worth more, within every cap.
    mend(-1, gains_more)
    return chosen
