"""Scenario → Problem: turn templates, exceptions, overrides and rules into concrete slots and
per-slot answers (the solver's input). Deterministic: same scenario, same problem.

Every problem found is collected and raised together as one `InputError`, each naming its field
(`slot_overrides[2].slot`), so a manager fixes a file in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.problem import Answer, Doctor, DoctorSlot, Period, Problem, Rules, Site, Slot
from scheduler.domain.text import MAX_SLOTS_PER_PERIOD
from scheduler.scenario.calendar import (
    DAY,
    UTC,
    DayCalendar,
    bridge_days,
    clock_minutes,
    overlaps_night,
    public_holidays,
    slot_times,
)
from scheduler.scenario.gap import gp_seats
from scheduler.scenario.spec import (
    WEEKDAYS,
    AvailabilityRule,
    DoctorSpec,
    PeriodSpec,
    Scenario,
    SlotTemplate,
    availability_answer,
    reference_problems,
)


@dataclass
class _Draft:
    """A slot being built, with what the availability rules filter on."""

    id: str
    template: int
    template_id: str
    site: str
    start: datetime
    end: datetime
    seats: int | None
    skills: frozenset[str]
    priority: int
    tags: frozenset[str]
    label: str
    start_date: date
    day_kinds: frozenset[str]
    kind: str = ""

    def slot(self) -> Slot:
        return Slot(
            id=self.id, site=self.site, start=self.start, end=self.end, seats=self.seats or 0,
            skills=self.skills, priority=self.priority, tags=self.tags, label=self.label,
            kind=self.kind,
        )


class _Expansion:
    """One run of `expand`: the scenario, its calendar and the problems found so far."""

    def __init__(self, scenario: Scenario, source: str) -> None:
        self.scenario = scenario
        self.source = source
        # References first: everything below looks sites and templates up by id.
        self.problems = [InputProblem(source, f, m) for f, m in reference_problems(scenario)]
        self.check()
        self.tz = self._timezone(scenario.period)
        self.calendar = self._calendar()
        self.drafts: dict[str, _Draft] = {}
        self.by_times: dict[tuple[str, datetime, datetime], _Draft] = {}
        self.by_template: dict[str, list[_Draft]] = defaultdict(list)
        self.cancelled: set[str] = set()
        self.priorities: dict[str, int] = scenario.priorities.model_dump()

    def fail(self, field_name: str, message: str) -> None:
        self.problems.append(InputProblem(self.source, field_name, message))

    def check(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    def _timezone(self, period: PeriodSpec) -> ZoneInfo:
        try:
            return ZoneInfo(period.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError.single(
                self.source, "period.timezone", f"unknown time zone {period.timezone!r}"
            ) from None

    def _calendar(self) -> DayCalendar:
        period = self.scenario.period
        # One year more: a night starting on 31 December ends in the next year.
        years = range(period.start.year, period.end.year + 2)
        try:
            found = public_holidays(period.holiday_country, years)
        except NotImplementedError:
            raise InputError.single(
                self.source,
                "period.holiday_country",
                f"unknown country or subdivision {period.holiday_country!r} for public holidays",
            ) from None
        exceptions: dict[date, str] = {}
        for i, exc in enumerate(self.scenario.date_exceptions):
            if exc.date in exceptions:
                self.fail(f"date_exceptions[{i}].date", f"{exc.date} is listed twice")
            exceptions[exc.date] = exc.treat_as
        return DayCalendar(found, bridge_days(found), exceptions)

    # Slots -------------------------------------------------------------------------------

    def build_slots(self) -> None:
        period = self.scenario.period
        templates = self.scenario.slot_templates
        for i, template in enumerate(templates):
            if not self._valid_clock(i, template):
                continue
            day = period.start
            while day <= period.end:
                if self._applies(template, day):
                    self._add(self._draft(i, template, day))
                day += DAY
            if len(self.drafts) > MAX_SLOTS_PER_PERIOD:
                # Stop before building more: the period is too large to plan anyway.
                self.fail(f"slot_templates[{i}]", f"the period would have more than "
                          f"{MAX_SLOTS_PER_PERIOD:,} slots, the most one period may hold")
                raise InputError(self.problems)

    def _valid_clock(self, i: int, template: SlotTemplate) -> bool:
        ok = True
        for name in ("start", "end"):
            try:
                clock_minutes(getattr(template, name))
            except ValueError as exc:
                self.fail(f"slot_templates[{i}].{name}", str(exc))
                ok = False
        return ok

    def _applies(self, template: SlotTemplate, day: date) -> bool:
        return (
            self.calendar.kind(day) in template.days
            and (template.first is None or template.first <= day)
            and (template.last is None or day <= template.last)
            and day not in template.skip_dates
        )

    def _draft(self, index: int, template: SlotTemplate, day: date) -> _Draft:
        start, end = slot_times(day, template.start, template.end, self.tz)
        start_date = start.date()
        tags = self._tags(template, start, end)
        tag_priorities = [self.priorities[t] for t in tags if t in self.priorities]
        return _Draft(
            id=f"{template.site}-{start:%Y%m%d-%H%M}",
            template=index,
            template_id=template.id,
            site=template.site,
            start=start,
            end=end,
            seats=self._seats(template, start, end),
            skills=frozenset(template.skills),
            priority=max([template.priority, *tag_priorities]),
            tags=tags,
            label=template.label,
            kind=template.kind,
            start_date=start_date,
            day_kinds=frozenset({self.calendar.kind(start_date), WEEKDAYS[start.weekday()]}),
        )

    def _tags(self, template: SlotTemplate, start: datetime, end: datetime) -> frozenset[str]:
        day = start.date()
        tags = set(template.tags)
        if day.weekday() >= 5:
            tags.add("weekend")
        if self.calendar.kind(day) == "holiday":
            tags.add("holiday")
        if day in self.calendar.bridge_days:
            tags |= {"bridge", "holiday"}
        if overlaps_night(start, end, self.tz):
            tags.add("night")
        return frozenset(tags)

    def _seats(self, template: SlotTemplate, start: datetime, end: datetime) -> int | None:
        """The template's seats, else the site's gap model, else None (reported later)."""
        site = next(s for s in self.scenario.sites if s.id == template.site)
        if template.seats is not None or site.gap_model is None:
            return template.seats
        return gp_seats(
            site.gap_model,
            start,
            end,
            self.tz,
            public_holidays=self.calendar.public_holidays,
            bridge_days=self.calendar.bridge_days,
            absorption_per_hour=template.in_house_absorption_per_hour,
        )

    def _add(self, draft: _Draft) -> None:
        times = (draft.site, draft.start.astimezone(UTC), draft.end.astimezone(UTC))
        twin = self.drafts.get(draft.id) or self.by_times.get(times)
        if twin is None:
            self.drafts[draft.id] = draft
            self.by_times[times] = draft
            return
        templates = self.scenario.slot_templates
        self.fail(
            f"slot_templates[{draft.template}]",
            f"overlapping duplicate slots: templates {templates[twin.template].id!r} and "
            f"{templates[draft.template].id!r} both make slot {draft.id} at site {draft.site!r}",
        )

    def apply_overrides(self) -> None:
        seen: set[str] = set()
        for i, override in enumerate(self.scenario.slot_overrides):
            where = f"slot_overrides[{i}].slot"
            if override.slot in seen:
                self.fail(where, f"slot {override.slot!r} is overridden twice")
                continue
            seen.add(override.slot)
            draft = self.drafts.get(override.slot)
            if draft is None:
                self.fail(where, f"unknown slot {override.slot!r}")
                continue
            if override.cancelled:
                del self.drafts[override.slot]
                self.cancelled.add(override.slot)
                continue
            if override.seats is not None:
                draft.seats = override.seats
            if override.priority is not None:
                draft.priority = override.priority
            if override.skills is not None:
                draft.skills = frozenset(override.skills)

    def finish_slots(self) -> None:
        """Index the final slots by template; flag slots nobody gave a number of seats."""
        for draft in self.drafts.values():
            self.by_template[draft.template_id].append(draft)
        missing = sorted({d.template for d in self.drafts.values() if d.seats is None})
        for i in missing:
            template = self.scenario.slot_templates[i]
            self.fail(
                f"slot_templates[{i}].seats",
                f"no seats given and site {template.site!r} has no gap_model to compute them",
            )

    def slots(self) -> tuple[Slot, ...]:
        ordered = sorted(
            self.drafts.values(), key=lambda d: (d.start.astimezone(UTC), d.site, d.id)
        )
        return tuple(d.slot() for d in ordered)

    # Doctors and pins ----------------------------------------------------------------------

    def doctor(self, index: int, spec: DoctorSpec) -> Doctor:
        answers: dict[str, Answer] = {}
        for j, rule in enumerate(spec.availability):
            answer = availability_answer(rule.answer)
            for draft in self._matching(rule, f"doctors[{index}].availability[{j}].slots"):
                if answer is None:
                    answers.pop(draft.id, None)
                else:
                    answers[draft.id] = answer
        caps = spec.caps
        return Doctor(
            id=spec.id,
            name=spec.name,
            max_shifts=caps.max_shifts,
            max_shifts_per_week=caps.max_shifts_per_week,
            max_consecutive_days=caps.max_consecutive_days,
            max_hours=caps.max_hours,
            skills=frozenset(spec.skills),
            availability=answers,
            away=tuple((first, last) for first, last in spec.away),
            carry_over_hours=spec.carry_over_hours,
            max_shifts_per_site=dict(caps.max_shifts_per_site),
            max_weekends=caps.max_weekends if caps.max_weekends is not None
            else self.scenario.rules.max_weekends,
            min_days_off=caps.min_days_off if caps.min_days_off is not None
            else self.scenario.rules.min_days_off,
            max_shifts_by_kind={**self.scenario.rules.max_shifts_by_kind,
                                **caps.max_shifts_by_kind},
        )

    def _matching(self, rule: AvailabilityRule, where: str) -> list[_Draft]:
        if rule.slots is not None:
            candidates = []
            for k, slot_id in enumerate(rule.slots):
                if slot_id in self.drafts:
                    candidates.append(self.drafts[slot_id])
                elif slot_id not in self.cancelled:
                    self.fail(f"{where}[{k}]", f"unknown slot {slot_id!r}")
        elif rule.templates is not None:
            candidates = [d for t in rule.templates for d in self.by_template[t]]
        else:
            candidates = list(self.drafts.values())
        return [d for d in candidates if _rule_matches(rule, d)]

    def pins(self, name: str = "pinned") -> tuple[DoctorSlot, ...]:
        out = []
        for i, pin in enumerate(getattr(self.scenario, name)):
            if pin.slot not in self.drafts:
                why = "is cancelled" if pin.slot in self.cancelled else "is unknown"
                self.fail(f"{name}[{i}].slot", f"slot {pin.slot!r} {why}")
            out.append(DoctorSlot(doctor=pin.doctor, slot=pin.slot))
        return tuple(out)


def _rule_matches(rule: AvailabilityRule, d: _Draft) -> bool:
    return (
        (rule.templates is None or d.template_id in rule.templates)
        and (rule.sites is None or d.site in rule.sites)
        and (rule.days is None or not d.day_kinds.isdisjoint(rule.days))
        and (rule.tags is None or not d.tags.isdisjoint(rule.tags))
        and (rule.first is None or rule.first <= d.start_date)
        and (rule.last is None or d.start_date <= rule.last)
        and (rule.slots is None or d.id in rule.slots)
    )


def expand(scenario: Scenario, source: str = "") -> Problem:
    """The solver's problem for a scenario; raises `InputError` listing every problem found."""
    run = _Expansion(scenario, source)
    run.build_slots()
    run.apply_overrides()
    run.finish_slots()
    doctors = tuple(run.doctor(i, spec) for i, spec in enumerate(scenario.doctors))
    pinned = run.pins()
    removed = run.pins("removed")
    run.check()
    period = scenario.period
    return Problem(
        period=Period(id=period.id, start=period.start, end=period.end, timezone=period.timezone),
        rules=Rules(
            min_rest_hours=scenario.rules.min_rest_hours,
            travel_buffer_minutes=scenario.rules.travel_buffer_minutes,
            max_shifts_per_day=scenario.rules.max_shifts_per_day,
            forbidden_successions=tuple(
                (a, b) for a, b in scenario.rules.forbidden_successions),
        ),
        sites=tuple(
            Site(id=s.id, name=s.name, address=s.address, contact=s.contact)
            for s in scenario.sites
        ),
        slots=run.slots(),
        doctors=doctors,
        pinned=pinned,
        removed=removed,
    )
