"""What the GP form shows and reads back: the calendar grid, quick actions, raw form state.

Pure functions, no HTTP: `web/pages/form.py` turns requests into `FormState` and renders it.
The form works without JavaScript: quick actions are submit buttons that pre-fill the grid
server-side, so every choice already made by hand travels with them and is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.collection.answers import MAX_AWAY_RANGES, AnswerProblem, Answers, Summary
from scheduler.domain import french
from scheduler.domain.problem import Answer, weekend_of
from scheduler.domain.text import check_date
from scheduler.models import SlotRow

NONE = "none"
CHOICES = (NONE, Answer.AVAILABLE.value, Answer.PREFERRED.value)
SLOT_FIELD = "slot:"
_AWAY_FIELD = re.compile(r"^away-(\d{1,3})-(first|last)$")


# The grid ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class GridSlot:
    id: str
    #: Position in the period, for HTML ids (slot ids may hold any character).
    index: int
    hours: str
    label: str
    site: str | None
    skills: list[str]
    #: What a screen reader announces for the slot's group of choices.
    legend: str


@dataclass(frozen=True, kw_only=True)
class GridDay:
    day: date
    title: str
    in_period: bool
    slots: list[GridSlot]


@dataclass(frozen=True, kw_only=True)
class GridWeek:
    title: str
    days: list[GridDay]
    #: The week in the navigation links: «29 juin».
    short: str = ""


def build_grid(
    first: date, last: date, slots: Sequence[SlotRow], timezone: str, site_names: Mapping[str, str]
) -> list[GridWeek]:
    """Weeks (Monday to Sunday) × days of the period, each day with the slots starting on it."""
    tz = ZoneInfo(timezone)
    by_day: dict[date, list[GridSlot]] = {}
    for index, slot in enumerate(slots):
        start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
        hours = french.slot_hours(start, end)
        site = site_names.get(slot.site_id, slot.site_id) if len(site_names) > 1 else None
        legend = ", ".join(x for x in (french.weekday_date(start.date()), hours, slot.label, site)
                           if x)
        by_day.setdefault(start.date(), []).append(GridSlot(
            id=slot.id, index=index, hours=hours, label=slot.label, site=site,
            skills=list(slot.skills), legend=legend,
        ))
    slots_by_id = {s.id: s for s in slots}
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        days = [monday + timedelta(days=i) for i in range(7)]
        weeks.append(GridWeek(
            title=f"Semaine du {french.weekday_date(monday)}",
            short=french.weekday_date(monday).split(" ", 1)[1],
            days=[GridDay(day=d, title=_day_title(d, slots_by_id, by_day.get(d, [])),
                          in_period=first <= d <= last, slots=by_day.get(d, []))
                  for d in days],
        ))
        monday += timedelta(days=7)
    return weeks


def _day_title(day: date, slots: Mapping[str, SlotRow], shown: list[GridSlot]) -> str:
    tags = {tag for g in shown for tag in slots[g.id].tags}
    suffix = " (pont)" if "bridge" in tags else " (férié)" if "holiday" in tags else ""
    return french.weekday_date(day) + suffix


# Quick actions -----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class QuickAction:
    id: str
    label: str
    slot_ids: frozenset[str]


CLEAR = "effacer"


def quick_actions(slots: Sequence[SlotRow], timezone: str) -> list[QuickAction]:
    """Groups a GP thinks in: weekday evenings, the Sundays of a month, public holidays..."""
    tz = ZoneInfo(timezone)
    local = [(s, s.start.astimezone(tz)) for s in slots]
    out = [QuickAction(id="soirees-semaine", label="Toutes les soirées de semaine",
                       slot_ids=frozenset(s.id for s, start in local
                                          if start.weekday() < 5 and start.hour >= 18
                                          and "holiday" not in s.tags))]
    months = sorted({(start.year, start.month) for _, start in local})
    for weekday in (5, 6):
        for year, month in months:
            out.append(QuickAction(
                id=f"{french.WEEKDAYS_PLURAL[weekday]}-{year}-{month:02d}",
                label=f"Tous les {french.WEEKDAYS_PLURAL[weekday]} {french.month_with_de(month)}",
                slot_ids=frozenset(s.id for s, start in local if start.weekday() == weekday
                                   and (start.year, start.month) == (year, month)),
            ))
    bridges = any("bridge" in s.tags for s in slots)
    out.append(QuickAction(id="feries",
                           label="Tous les jours fériés et ponts" if bridges
                           else "Tous les jours fériés",
                           slot_ids=frozenset(s.id for s in slots if "holiday" in s.tags)))
    out.append(QuickAction(id="nuits", label="Toutes les nuits",
                           slot_ids=frozenset(s.id for s in slots if "night" in s.tags)))
    out = [a for a in out if a.slot_ids]
    out.append(QuickAction(id=CLEAR, label="Tout remettre à « non disponible »",
                           slot_ids=frozenset(s.id for s in slots)))
    return out


def weekends_with_slots(slots: Sequence[SlotRow], timezone: str) -> int:
    """How many weekends of the period have a slot (not cancelled) starting on their Saturday
    or Sunday (the weekends a cap on weekends worked can count; the engine's
    `add_max_weekends` rule)."""
    tz = ZoneInfo(timezone)
    days = (s.start.astimezone(tz).date() for s in slots if s.seats > 0)  # not cancelled
    return len({weekend_of(day) for day in days} - {None})


# Form state: what the page shows, as text, valid or not ------------------------------------

#: The caps a GP may give, by form field (each is also `Answers`' attribute).
CAP_FIELDS = ("max_shifts", "max_shifts_per_week", "max_weekends")

@dataclass(frozen=True, kw_only=True)
class FormState:
    choices: dict[str, str]
    away: list[tuple[str, str]] = field(default_factory=list)
    max_shifts: str = ""
    max_shifts_per_week: str = ""
    max_weekends: str = ""
    comment: str = ""


def state_from_answers(answers: Answers) -> FormState:
    return FormState(
        choices={slot_id: answer.value for slot_id, answer in answers.availability.items()},
        away=[(first.isoformat(), last.isoformat()) for first, last in answers.away],
        max_shifts=_text(answers.max_shifts),
        max_shifts_per_week=_text(answers.max_shifts_per_week),
        max_weekends=_text(answers.max_weekends),
        comment=answers.comment,
    )


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def state_from_form(form: Iterable[tuple[str, str]]) -> FormState:
    """Read a posted form; unknown fields are ignored, unknown slots kept (to be refused)."""
    choices: dict[str, str] = {}
    away: dict[int, dict[str, str]] = {}
    simple = {name: "" for name in (*CAP_FIELDS, "comment")}
    for key, value in form:
        if key.startswith(SLOT_FIELD):
            choices[key.removeprefix(SLOT_FIELD)] = value
        elif match := _AWAY_FIELD.match(key):
            away.setdefault(int(match[1]), {})[match[2]] = value.strip()
        elif key in simple:
            simple[key] = value if key == "comment" else value.strip()
    rows = [(away[i].get("first", ""), away[i].get("last", "")) for i in sorted(away)]
    return FormState(choices=choices, away=[r for r in rows if r != ("", "")],
                     max_shifts=simple["max_shifts"],
                     max_shifts_per_week=simple["max_shifts_per_week"],
                     max_weekends=simple["max_weekends"],
                     comment=simple["comment"].replace("\r\n", "\n"))


def apply_quick_action(state: FormState, action: QuickAction) -> tuple[FormState, int]:
    """The state with the action applied, and how many slots it changed.

    An action offers its slots (keeping those already preferred); `effacer` withdraws all.
    """
    choices = dict(state.choices)
    changed = 0
    for slot_id in action.slot_ids:
        current = choices.get(slot_id, NONE)
        wanted = NONE if action.id == CLEAR else (
            current if current == Answer.PREFERRED.value else Answer.AVAILABLE.value)
        if wanted != current:
            choices[slot_id] = wanted
            changed += 1
    return replace(state, choices=choices), changed


# Reading the state back -------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ParsedForm:
    answers: Answers
    #: French messages for the fields that cannot be read, keyed by form field name.
    errors: dict[str, str]
    #: For each date range in `answers.away`, its row in the form.
    away_rows: list[int]


def parse_state(state: FormState) -> ParsedForm:
    """The answers the state says; unreadable fields are left out and reported."""
    errors: dict[str, str] = {}
    availability: dict[str, Answer] = {}
    for slot_id, choice in state.choices.items():
        if choice not in CHOICES:
            errors[SLOT_FIELD + slot_id] = "Choix non valide."
        elif choice != NONE:
            availability[slot_id] = Answer(choice)
    away: list[tuple[date, date]] = []
    away_rows: list[int] = []
    for row, (first_text, last_text) in enumerate(state.away[: MAX_AWAY_RANGES + 1]):
        first = _date(first_text, f"away-{row}-first", errors, "de début")
        last = _date(last_text, f"away-{row}-last", errors, "de fin")
        if first is not None and last is not None:
            away.append((first, last))
            away_rows.append(row)
    caps = {name: _cap(getattr(state, name), name, errors)
            for name in CAP_FIELDS}
    answers = Answers(availability=availability, away=tuple(away),
                      max_shifts=caps["max_shifts"],
                      max_shifts_per_week=caps["max_shifts_per_week"],
                      max_weekends=caps["max_weekends"], comment=state.comment)
    return ParsedForm(answers=answers, errors=errors, away_rows=away_rows)


def _date(text: str, name: str, errors: dict[str, str], which: str) -> date | None:
    if not text:
        errors[name] = f"Indiquez la date {which} (la même date pour un seul jour)."
        return None
    try:
        if match := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", text):
            return check_date(date(int(match[3]), int(match[2]), int(match[1])))
        return check_date(date.fromisoformat(text))
    except ValueError:
        errors[name] = "Date non valide : écrivez-la jj/mm/aaaa."
        return None


def _cap(text: str, name: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    # ASCII digits only: "²".isdigit() is true, and a 5,000-digit number is no cap.
    if not re.fullmatch(r"[0-9]+", text):
        errors[name] = "Indiquez un nombre entier, ou laissez vide."
        return None
    if len(text) > 9:
        errors[name] = "Ce nombre est bien trop grand : laissez vide pour ne rien limiter."
        return None
    # (Out of range, the answers' own check names the range: `answers._cap_problems`.)
    return int(text)


def form_errors(problems: Sequence[AnswerProblem], parsed: ParsedForm) -> dict[str, str]:
    """French messages of the domain's problems, keyed by the form field they concern."""
    rows = parsed.away_rows
    out = dict(parsed.errors)
    for problem in problems:
        name = problem.field
        if name.startswith("availability."):
            name = SLOT_FIELD + name.removeprefix("availability.")
        elif match := re.fullmatch(r"away\[(\d+)\]\.(first|last)", name):
            name = f"away-{rows[int(match[1])]}-{match[2]}"
        out.setdefault(name, problem.message_fr)
    return out


# Summary ---------------------------------------------------------------------------------

def summary_fr(summary: Summary) -> str:
    """«12 créneaux proposés (dont 3 préférés), au plus 4 gardes, au plus 2 par semaine, au
    plus 1 week-end»."""
    if summary.offered == 0:
        text = "Aucun créneau proposé"
    else:
        text = french.plural(summary.offered, "créneau proposé", "créneaux proposés")
        if summary.preferred:
            text += f" (dont {french.plural(summary.preferred, 'préféré')})"
        caps = []
        if summary.max_shifts is not None:
            caps.append(f"au plus {french.plural(summary.max_shifts, 'garde')}")
        if summary.max_shifts_per_week is not None:
            caps.append(f"au plus {summary.max_shifts_per_week} par semaine")
        if summary.max_weekends is not None:
            caps.append(f"au plus {french.plural(summary.max_weekends, 'week-end')}")
        text += ", " + (", ".join(caps) if caps else "sans limite du nombre de gardes")
    if summary.away_ranges:
        text += " ; " + french.plural(summary.away_ranges, "période d'absence",
                                      "périodes d'absence")
    return text + "."


def answered_fr(answered_at: datetime | None, timezone: str) -> str:
    return "" if answered_at is None else french.moment(answered_at, timezone)


# Error list ------------------------------------------------------------------------------

CHOICE_LABELS = ((NONE, "Non"), (Answer.AVAILABLE.value, "Dispo"),
                 (Answer.PREFERRED.value, "Préféré"))
_FIELD_LABELS = {"max_shifts": "Nombre de gardes sur la période",
                 "max_shifts_per_week": "Nombre de gardes par semaine",
                 "max_weekends": "Nombre de week-ends",
                 "comment": "Commentaire", "away": "Dates d'absence"}
_FIELD_ANCHORS = {"away": "absences"}


@dataclass(frozen=True)
class ErrorItem:
    anchor: str
    label: str
    message: str


def error_items(errors: Mapping[str, str], weeks: Sequence[GridWeek]) -> list[ErrorItem]:
    """The errors listed at the top of the page, each linking to its field."""
    slots = {s.id: s for w in weeks for d in w.days for s in d.slots}
    out = []
    for name, message in errors.items():
        if name.startswith(SLOT_FIELD):
            slot = slots.get(name.removeprefix(SLOT_FIELD))
            label = slot.legend if slot else f"Créneau « {name.removeprefix(SLOT_FIELD)} »"
            out.append(ErrorItem(f"s{slot.index}" if slot else "creneaux", label, message))
        elif match := _AWAY_FIELD.match(name):
            which = "date de début" if match[2] == "first" else "date de fin"
            out.append(ErrorItem(name, f"Absence {int(match[1]) + 1}, {which}", message))
        else:
            out.append(ErrorItem(_FIELD_ANCHORS.get(name, name),
                                 _FIELD_LABELS.get(name, name), message))
    return out
