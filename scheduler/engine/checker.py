"""An independent check of a rota: hard-rule violations, metrics, loads, justified complaints.

Plain Python written straight from DESIGN's counting conventions, sharing no code with the CP
model, so that anyone can verify what the solver claims. `scheduler check` runs it on a
problem.json and a rota.json.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from scheduler.domain.benchmark import minimums_of
from scheduler.domain.problem import Doctor, Problem, Slot, weekend_of
from scheduler.domain.rules import Rule

UTC = ZoneInfo("UTC")


@dataclass(frozen=True, kw_only=True)
class Violation:
    rule: Rule
    doctor: str
    slots: tuple[str, ...]
    message: str


@dataclass(frozen=True, kw_only=True)
class Complaint:
    """Doctor `claimant` could take `slot` from `holder`, whose load exceeds theirs by more."""

    claimant: str
    holder: str
    slot: str
    claimant_load: float
    holder_load: float


def hours(slot: Slot) -> float:
    return (slot.end.astimezone(UTC) - slot.start.astimezone(UTC)).total_seconds() / 3600


def local_start_date(slot: Slot, tz: ZoneInfo) -> date:
    return slot.start.astimezone(tz).date()


def local_dates_touched(slot: Slot, tz: ZoneInfo) -> set[date]:
    start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    days, day = set(), start.date()
    while datetime.combine(day, datetime.min.time(), tz) < end:
        days.add(day)
        day += timedelta(days=1)
    return days


class RotaChecker:
    """Checks assignments (doctor id, slot id) against a problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.tz = problem.tz
        self.slots = {s.id: s for s in problem.slots}
        self.doctors = {d.id: d for d in problem.doctors}
        period = problem.period
        #: Every date of the period, in order (for the runs of working days and days off).
        self.days = [period.start + timedelta(days=i)
                     for i in range((period.end - period.start).days + 1)]

    @cached_property
    def offers(self) -> defaultdict[str, list[Doctor]]:
        """slot id -> the doctors who offered it (available or preferred), in problem order:
        one pass over the answers (scanning every doctor for every slot took 15 s on a
        5,000-doctor region)."""
        out: defaultdict[str, list[Doctor]] = defaultdict(list)
        for doctor in self.problem.doctors:
            for slot_id in doctor.availability:
                out[slot_id].append(doctor)
        return out

    # -- hard rules -------------------------------------------------------------------------

    def violations(self, assignments: Iterable[tuple[str, str]]) -> list[Violation]:
        pairs = list(assignments)
        out: list[Violation] = []
        for doctor_id, slot_id in pairs:
            if doctor_id not in self.doctors or slot_id not in self.slots:
                out.append(Violation(rule=Rule.UNKNOWN_RECORD, doctor=doctor_id, slots=(slot_id,),
                                     message="assignment names an unknown doctor or slot"))
        known = [(d, s) for d, s in pairs if d in self.doctors and s in self.slots]
        out += self._duplicates(known)
        by_doctor: dict[str, list[Slot]] = defaultdict(list)
        for doctor_id, slot_id in dict.fromkeys(known):
            by_doctor[doctor_id].append(self.slots[slot_id])
        for doctor_id, slots in by_doctor.items():
            out += self.doctor_violations(self.doctors[doctor_id], slots)
        # A doctor with no shift at all can still fall short of a minimum.
        for doctor in self.problem.doctors:
            if doctor.id not in by_doctor and minimums_of(self.problem, doctor.id).min_hours:
                out += self.doctor_violations(doctor, [])
        out += self._seats(known)
        out += self._pinned(set(known))
        out += self._removed(set(known))
        return out

    def doctor_violations(self, doctor: Doctor, slots: Sequence[Slot]) -> list[Violation]:
        out = [v for s in slots for v in self._pair(doctor, s)]
        out += self._spacing(doctor, slots)
        out += self._caps(doctor, slots)
        out += self._days(doctor, slots)
        return out

    def _v(self, rule: Rule, doctor: Doctor, slots: Iterable[Slot], message: str) -> Violation:
        return Violation(rule=rule, doctor=doctor.id, slots=tuple(s.id for s in slots),
                         message=message)

    def _pair(self, doctor: Doctor, slot: Slot) -> list[Violation]:
        out = []
        if slot.id not in doctor.availability:
            out.append(self._v(Rule.AVAILABILITY, doctor, [slot], "slot not offered by the doctor"))
        away = sorted(d for d in local_dates_touched(slot, self.tz) if doctor.is_away_on(d))
        if away:
            out.append(self._v(Rule.DATES_AWAY, doctor, [slot], f"doctor away on {away[0]}"))
        missing = set(slot.skills) - set(doctor.skills)
        if missing:
            out.append(self._v(Rule.SKILLS, doctor, [slot], f"missing skills {sorted(missing)}"))
        return out

    def _spacing(self, doctor: Doctor, slots: Sequence[Slot]) -> list[Violation]:
        rules = self.problem.rules
        # Every pair closer than the widest required gap; sorted by start, the gap from `a`
        # only grows, so the scan stops there (linear in the slots, not quadratic).
        widest_h = max(rules.min_rest_hours, rules.travel_buffer_minutes / 60)
        ordered = sorted(((s.start.astimezone(UTC), s.end.astimezone(UTC), s.id, s)
                          for s in slots), key=lambda t: (t[0], t[2]))
        out = []
        for i, (_, a_end, _, a) in enumerate(ordered):
            for b_start, _, _, b in ordered[i + 1 :]:
                gap_h = (b_start - a_end).total_seconds() / 3600
                if gap_h >= widest_h:
                    break
                if gap_h < 0:
                    out.append(self._v(Rule.NO_OVERLAP, doctor, [a, b], "overlapping slots"))
                elif gap_h < rules.min_rest_hours:
                    out.append(self._v(Rule.MINIMUM_REST, doctor, [a, b],
                                       f"{gap_h:g} h rest < {rules.min_rest_hours:g} h"))
                elif a.site != b.site and gap_h * 60 < rules.travel_buffer_minutes:
                    out.append(self._v(Rule.TRAVEL_BUFFER, doctor, [a, b],
                                       f"{gap_h * 60:g} min between sites"))
        return out

    def _caps(self, doctor: Doctor, slots: Sequence[Slot]) -> list[Violation]:
        out = []
        if doctor.max_shifts is not None and len(slots) > doctor.max_shifts:
            out.append(self._v(Rule.PERIOD_CAP, doctor, slots,
                               f"{len(slots)} shifts > {doctor.max_shifts}"))
        if doctor.max_shifts_per_week is not None:
            weeks = Counter(local_start_date(s, self.tz).isocalendar()[:2] for s in slots)
            for (year, week), n in sorted(weeks.items()):
                if n > doctor.max_shifts_per_week:
                    out.append(self._v(Rule.WEEKLY_CAP, doctor, slots,
                                       f"{n} shifts in {year}-W{week:02d} > "
                                       f"{doctor.max_shifts_per_week}"))
        total = sum(hours(s) for s in slots)
        if doctor.max_hours is not None and total > doctor.max_hours + 1e-9:
            out.append(self._v(Rule.HOURS_CAP, doctor, slots,
                               f"{total:g} h > {doctor.max_hours:g} h"))
        per_site = Counter(s.site for s in slots)
        for site, cap in sorted(doctor.max_shifts_per_site.items()):
            if per_site[site] > cap:
                out.append(self._v(Rule.SITE_CAP, doctor, [s for s in slots if s.site == site],
                                   f"{per_site[site]} shifts at {site} > {cap}"))
        if doctor.max_consecutive_days is not None:
            run = longest_run({local_start_date(s, self.tz) for s in slots})
            if run > doctor.max_consecutive_days:
                out.append(self._v(Rule.CONSECUTIVE_DAYS, doctor, slots,
                                   f"{run} consecutive days > {doctor.max_consecutive_days}"))
        return out

    def _days(self, doctor: Doctor, slots: Sequence[Slot]) -> list[Violation]:
        """The rules on worked dates and slot kinds: minimum hours, kind caps, shifts per day,
        forbidden successions, minimum runs of working days and of days off, weekends."""
        out = []
        rules = self.problem.rules
        total = sum(hours(s) for s in slots)
        least = minimums_of(self.problem, doctor.id)
        if least.min_hours is not None and total < least.min_hours - 1e-9:
            out.append(self._v(Rule.MINIMUM_HOURS, doctor, slots,
                               f"{total:g} h < {least.min_hours:g} h"))
        kinds = Counter(s.kind for s in slots)
        for kind, cap in sorted(doctor.max_shifts_by_kind.items()):
            if kinds[kind] > cap:
                out.append(self._v(Rule.KIND_CAP, doctor, [s for s in slots if s.kind == kind],
                                   f"{kinds[kind]} {kind!r} shifts > {cap}"))
        on_day: dict[date, list[Slot]] = defaultdict(list)
        for s in slots:
            on_day[local_start_date(s, self.tz)].append(s)
        if rules.max_shifts_per_day is not None:
            for day, day_slots in sorted(on_day.items()):
                if len(day_slots) > rules.max_shifts_per_day:
                    out.append(self._v(Rule.SHIFTS_PER_DAY, doctor, day_slots,
                                       f"{len(day_slots)} shifts on {day} > "
                                       f"{rules.max_shifts_per_day}"))
        forbidden = set(rules.forbidden_successions)
        for day, day_slots in sorted(on_day.items()):
            for a in day_slots:
                for b in on_day.get(day + timedelta(days=1), []):
                    if (a.kind, b.kind) in forbidden:
                        out.append(self._v(Rule.FORBIDDEN_SUCCESSION, doctor, [a, b],
                                           f"{b.kind!r} the day after {a.kind!r}"))
        out += self._runs(doctor, slots, set(on_day))
        if doctor.max_weekends is not None:
            weekends = {weekend_of(d) for d in on_day} - {None}
            if len(weekends) > doctor.max_weekends:
                out.append(self._v(Rule.WEEKENDS, doctor, slots,
                                   f"{len(weekends)} weekends worked > {doctor.max_weekends}"))
        return out

    def _runs(self, doctor: Doctor, slots: Sequence[Slot], worked: set[date]
              ) -> list[Violation]:
        """Short runs of working days or of days off strictly inside the period."""
        out: list[Violation] = []
        least_working = minimums_of(self.problem, doctor.id).min_consecutive_days
        if least_working is None and doctor.min_days_off is None:
            return out
        days = self.days
        runs: list[tuple[bool, int, int]] = []  # (working, first index, length)
        for i, day in enumerate(days):
            if runs and runs[-1][0] == (day in worked):
                kind, first, length = runs[-1]
                runs[-1] = (kind, first, length + 1)
            else:
                runs.append((day in worked, i, 1))
        for working, first, length in runs[1:-1]:  # runs touching an edge are exempt
            minimum = least_working if working else doctor.min_days_off
            if minimum is not None and length < minimum:
                rule = Rule.MINIMUM_CONSECUTIVE_DAYS if working else Rule.MINIMUM_DAYS_OFF
                what = "working days" if working else "days off"
                out.append(self._v(rule, doctor, slots,
                                   f"{length} {what} from {days[first]} < {minimum}"))
        return out

    def _removed(self, pairs: set[tuple[str, str]]) -> list[Violation]:
        return [
            Violation(rule=Rule.REMOVED, doctor=p.doctor, slots=(p.slot,),
                      message="assignment removed by the manager is back")
            for p in self.problem.removed
            if (p.doctor, p.slot) in pairs
        ]

    def _duplicates(self, pairs: list[tuple[str, str]]) -> list[Violation]:
        return [
            Violation(rule=Rule.DUPLICATE, doctor=d, slots=(s,), message="assigned twice")
            for (d, s), n in Counter(pairs).items()
            if n > 1
        ]

    def _seats(self, pairs: list[tuple[str, str]]) -> list[Violation]:
        per_slot = Counter(s for _, s in set(pairs))
        return [
            Violation(rule=Rule.SEATS, doctor="", slots=(s,),
                      message=f"{n} doctors > {most} seats")
            for s, n in sorted(per_slot.items())
            if n > (most := self._most_doctors(self.slots[s]))
        ]

    @staticmethod
    def _most_doctors(slot: Slot) -> int:
        return slot.seats if slot.max_seats is None else max(slot.seats, slot.max_seats)

    def _pinned(self, pairs: set[tuple[str, str]]) -> list[Violation]:
        return [
            Violation(rule=Rule.PINNED, doctor=p.doctor, slots=(p.slot,),
                      message="pinned assignment missing")
            for p in self.problem.pinned
            if (p.doctor, p.slot) not in pairs
        ]

    # -- metrics and fairness ---------------------------------------------------------------

    def loads(self, assignments: Iterable[tuple[str, str]], *, unpopular: bool = False
              ) -> dict[str, float]:
        """Hours per doctor (plus carried-over hours, except for the unpopular balance)."""
        out = {d.id: 0.0 if unpopular else d.carry_over_hours for d in self.problem.doctors}
        for doctor_id, slot_id in set(assignments):
            slot = self.slots[slot_id]
            if not unpopular or slot.unpopular:
                out[doctor_id] += hours(slot)
        return out

    def uncovered_seats(self, assignments: Iterable[tuple[str, str]]) -> dict[str, int]:
        per_slot = Counter(s for _, s in set(assignments))
        return {s.id: s.seats - per_slot[s.id] for s in self.problem.slots
                if per_slot[s.id] < s.seats}

    def justified_complaints(self, assignments: Iterable[tuple[str, str]], *,
                             unpopular: bool = False,
                             keep: Iterable[tuple[str, str]] = ()) -> list[Complaint]:
        """DESIGN's fairness certificate: every shift a less-loaded doctor could take over.

        Pinned assignments never move; `keep` adds others that must not (e.g. published ones).
        """
        pairs = set(assignments)
        load = self.loads(pairs, unpopular=unpopular)
        worked: dict[str, list[Slot]] = defaultdict(list)
        for doctor_id, slot_id in pairs:
            worked[doctor_id].append(self.slots[slot_id])
        pinned = {(p.doctor, p.slot) for p in self.problem.pinned} | set(keep)
        removed = {(p.doctor, p.slot) for p in self.problem.removed}
        offers = self.offers
        out = []
        for holder, slot_id in sorted(pairs):
            slot = self.slots[slot_id]
            if (holder, slot_id) in pinned or (unpopular and not slot.unpopular):
                continue
            for claimant in offers[slot_id]:
                pair = (claimant.id, slot_id)
                if pair in pairs or pair in removed or claimant.id == holder:
                    continue
                if load[holder] - load[claimant.id] <= hours(slot) + 1e-9:
                    continue
                if not self.doctor_violations(claimant, [*worked[claimant.id], slot]):
                    out.append(Complaint(claimant=claimant.id, holder=holder, slot=slot_id,
                                         claimant_load=load[claimant.id],
                                         holder_load=load[holder]))
        return out


def longest_run(days: set[date]) -> int:
    best = 0
    for day in days:
        if day - timedelta(days=1) not in days:
            n = 1
            while day + timedelta(days=n) in days:
                n += 1
            best = max(best, n)
    return best
