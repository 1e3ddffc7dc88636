"""Editing a loaded period in place: move its answers' deadline, change a slot's seats and
priority, cancel a slot (no seat left; its answers are kept, in case it comes back), or add
slots (a day, its hours, seats, priority; tagged weekend, public holiday and night as the
scenario's expansion tags them, `scenario.expand`). Answers to the other slots are kept; the
new ones await the doctors' answers in their forms.

An edit is read from the form, checked (every field named in French), its impact shown before
it is saved (answers on cancelled slots; assignments of the latest and published versions that
no longer fit their slot's seats: the next generation moves them), then applied in one
transaction. Slots are never deleted: stored versions keep referring to them. Bounds are the
domain's (`Slot.BOUNDS`, `domain.text` dates).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, col, delete, func, select

from scheduler.domain import french
from scheduler.domain.french import plural
from scheduler.domain.problem import Problem, Slot
from scheduler.domain.text import EARLIEST, LATEST, text_problem
from scheduler.engine.explain_fr import slot_fr
from scheduler.models import Availability, PinRow, RotaVersion, SlotRow, TensionPeriod
from scheduler.scenario.calendar import bridge_days, overlaps_night, public_holidays, slot_times
from scheduler.scenario.spec import PrioritySpec
from scheduler.storage.periods import lock_period
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_versions, version_rota


@dataclass
class PeriodEdit:
    """What the manager asked: the new deadline, and the slots whose seats or priority
    change ({slot id: (seats, priority)}), read against `problem` (the period as stored)."""

    problem: Problem
    deadline: date | None
    slots: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: New slots, in the order asked.
    added: list[Slot] = field(default_factory=list)


@dataclass(frozen=True)
class Impact:
    """What an edit changes, in French, one line each; empty when it changes nothing."""

    lines: list[str]


def read_edit(session: Session, period: TensionPeriod, fields: list[tuple[str, str]]
              ) -> tuple[PeriodEdit, dict[str, str]]:
    """The edit the form asks for, and the French problems by field name (none: usable)."""
    problem = problem_from_db(session, period.id)
    form = dict(fields)
    problems: dict[str, str] = {}
    deadline = period.availability_deadline
    text = form.get("date_limite", "").strip()
    if text:
        try:
            deadline = date.fromisoformat(text)
            if not EARLIEST <= deadline <= min(LATEST, period.end):
                raise ValueError
        except ValueError:
            problems["date_limite"] = ("Date limite des réponses : une date au format "
                                       "AAAA-MM-JJ, au plus tard le dernier jour de la période.")
    edit = PeriodEdit(problem=problem, deadline=deadline)
    for slot in problem.slots:
        seats = _number(form, f"places:{slot.id}", slot.seats, Slot.BOUNDS["seats"].high,
                        0, problems, f"Places ({slot_fr(problem, slot.id)})")
        priority = _number(form, f"priorite:{slot.id}", slot.priority,
                           Slot.BOUNDS["priority"].high, 1, problems,
                           f"Priorité ({slot_fr(problem, slot.id)})")
        if form.get(f"annuler:{slot.id}") == "oui":
            seats = 0
        if slot.max_seats is not None and seats > slot.max_seats:
            problems[f"places:{slot.id}"] = (f"Places ({slot_fr(problem, slot.id)}) : au plus "
                                             f"{slot.max_seats}, le maximum de ce créneau.")
            continue
        if (seats, priority) != (slot.seats, slot.priority):
            edit.slots[slot.id] = (seats, priority)
    edit.added = _read_added(period, problem, form, problems)
    return edit, problems


#: Rows of the form for new slots.
ADD_ROWS = 3
#: A new slot's priority by tag when the row gives none: the scenario's defaults (a period
#: does not store the priorities it was loaded with).
TAG_PRIORITIES: dict[str, int] = PrioritySpec().model_dump()


def _read_added(period: TensionPeriod, problem: Problem, form: dict[str, str],
                problems: dict[str, str]) -> list[Slot]:
    """The new slots of rows `ajout{i}_…` (date, debut, fin, places, priorite, libelle,
    site, type); a row left blank is skipped. Without a type, a new slot takes the kind of the
    site's slots with the same hours, so forbidden successions and kind caps see it."""
    added: list[Slot] = []
    taken = {s.id for s in problem.slots}
    # The scenario's default country: periods do not store theirs (only FR is loaded today).
    holidays = public_holidays("FR", range(period.start.year, period.end.year + 2))
    bridges = bridge_days(holidays)
    for i in range(1, ADD_ROWS + 1):
        row = f"ajout{i}_"
        if not any(form.get(row + f, "").strip() for f in ("date", "debut", "fin", "places")):
            continue
        label = f"Nouveau créneau, ligne {i}"
        try:
            day = date.fromisoformat(form.get(row + "date", "").strip())
            if not period.start <= day <= period.end:
                raise ValueError
        except ValueError:
            problems[row + "date"] = f"{label} : un jour de la période (AAAA-MM-JJ)."
            continue
        try:
            start, end = slot_times(day, _clock(form.get(row + "debut", "")),
                                    _clock(form.get(row + "fin", "")), problem.tz)
        except ValueError:
            problems[row + "debut"] = f"{label} : début et fin au format HH:MM."
            continue
        site = form.get(row + "site", "").strip() or problem.sites[0].id
        if site not in {s.id for s in problem.sites}:
            problems[row + "site"] = f"{label} : un des sites de la période."
            continue
        label_text = form.get(row + "libelle", "").strip()
        if text_problem(label_text) is not None or len(label_text) > 80:
            problems[row + "libelle"] = f"{label} : un libellé de 80 caractères au plus."
            continue
        seats = _number(form, row + "places", 1, Slot.BOUNDS["seats"].high, 1, problems, label,
                        empty_is_default=True)
        slot_id = f"{site}-{start:%Y%m%d-%H%M}"
        if slot_id in taken:
            problems[row + "debut"] = (f"{label} : un créneau de ce site commence déjà le "
                                       f"{day.strftime('%d/%m/%Y')} à {start:%H:%M}.")
            continue
        taken.add(slot_id)
        kind = form.get(row + "type", "").strip() or _same_hours_kind(problem, site, start, end)
        if kind and kind not in slot_kinds(problem):
            problems[row + "type"] = f"{label} : un des types de créneau de la période."
            continue
        tags = {"weekend"} if day.weekday() >= 5 else set()
        if day in holidays:
            tags.add("holiday")
        if day in bridges:
            tags |= {"bridge", "holiday"}
        if overlaps_night(start, end, problem.tz):
            tags.add("night")
        # As the expansion does: the row's priority or the highest its tags carry.
        priority = _number(form, row + "priorite", 1, Slot.BOUNDS["priority"].high, 1,
                           problems, label, empty_is_default=True,
                           default=max([1, *(TAG_PRIORITIES.get(t, 1) for t in tags)]))
        added.append(Slot(id=slot_id, site=site, start=start.astimezone(UTC),
                          end=end.astimezone(UTC), seats=seats, priority=priority,
                          tags=frozenset(tags), label=label_text, kind=kind))
    return added


def slot_kinds(problem: Problem) -> list[str]:
    """The period's slot kinds (its templates' `kind`: "jour", "nuit"…), sorted."""
    return sorted({s.kind for s in problem.slots if s.kind})


def _same_hours_kind(problem: Problem, site: str, start: datetime, end: datetime) -> str:
    """The kind of the period's slots at `site` with the same local hours, when they agree
    (a new 20:00–08:00 slot is a night like the others), else none."""
    tz = problem.tz
    hours = (start.astimezone(tz).time(), end.astimezone(tz).time())
    kinds = {s.kind for s in problem.slots if s.site == site and s.kind
             and (s.start.astimezone(tz).time(), s.end.astimezone(tz).time()) == hours}
    return kinds.pop() if len(kinds) == 1 else ""


def _clock(text: str) -> str:
    """`text` as "HH:MM" (a browser may send "18:00:00"), else ValueError."""
    text = text.strip()[:5]
    if len(text) != 5 or text[2] != ":" or not text.replace(":", "").isdigit():
        raise ValueError(text)
    return text


def _number(form: dict[str, str], name: str, current: int, high: int | float, low: int,
            problems: dict[str, str], label: str, *, empty_is_default: bool = False,
            default: int | None = None) -> int:
    """The field's whole number within `low`..`high`: absent, `current`; empty, a problem
    (the French message names `label`) — unless `empty_is_default`, where absent or empty
    is `default` (else `current`)."""
    text = form.get(name, "" if empty_is_default else str(current)).strip()
    if not text and empty_is_default:
        return current if default is None else default
    if not text.isascii() or not text.isdigit() or len(text) > 4 or \
            not low <= int(text) <= high:
        problems[name] = f"{label} : un nombre entier de {low} à {int(high)}."
        return current
    return int(text)


def impact(session: Session, period: TensionPeriod, edit: PeriodEdit) -> Impact:
    """The edit's consequences, before it is saved."""
    problem = edit.problem
    slots = problem.slot_by_id()
    lines = []
    if edit.deadline != period.availability_deadline and edit.deadline is not None:
        lines.append(f"La date limite des réponses passe au {edit.deadline.strftime('%d/%m/%Y')}"
                     " : les médecins peuvent répondre jusque-là.")
    cancelled = [s for s, (seats, _p) in edit.slots.items() if seats == 0 and slots[s].seats]
    if cancelled:
        answers = session.exec(select(func.count()).select_from(Availability).where(
            Availability.period_id == period.id,
            col(Availability.slot_id).in_(cancelled))).one()
        lines.append(f"{plural(len(cancelled), 'créneau annulé', 'créneaux annulés')} ; "
                     f"{plural(answers, 'disponibilité donnée', 'disponibilités données')} "
                     "pour eux gardée(s) mais sans usage.")
    for new in edit.added:
        start, end = new.start.astimezone(problem.tz), new.end.astimezone(problem.tz)
        lines.append(f"Nouveau créneau : {french.weekday_date(start.date())}, "
                     f"{french.slot_hours(start, end)}, {plural(new.seats, 'place', 'places')}"
                     f"{f', type {new.kind}' if new.kind else ''}"
                     " ; il s'affiche dans les formulaires des médecins, qui n'y ont pas encore "
                     "répondu.")
    for slot_id, (seats, priority) in sorted(edit.slots.items()):
        before = slots[slot_id]
        if seats != before.seats:
            lines.append(f"{slot_fr(problem, slot_id)} : {before.seats} → {seats} place(s).")
        if priority != before.priority:
            lines.append(f"{slot_fr(problem, slot_id)} : priorité {before.priority} → "
                         f"{priority}.")
    lifted = _pins_beyond_seats(problem, edit)
    if lifted:
        lines.append(f"{plural(len(lifted), 'épinglage levé', 'épinglages levés')} : "
                     "les créneaux annulés ou réduits n'ont plus la place de les garder.")
    for version in _versions_to_check(session, period.id):
        on = Counter(a.slot for a in version_rota(session, version))
        over = sum(max(0, on[s] - seats) for s, (seats, _p) in edit.slots.items())
        if over:
            what = "publiée" if version.status.value == "published" else "la plus récente"
            lines.append(f"La version {version.number} ({what}) a {over} affectation(s) au-delà "
                         "des nouvelles places : le prochain calcul les retirera ou les "
                         "déplacera.")
    return Impact(lines=lines)


def _versions_to_check(session: Session, period_id: str) -> list[RotaVersion]:
    versions = rota_versions(session, period_id)
    picked = [v for v in versions if v.status.value == "published"]
    if versions and versions[-1] not in picked:
        picked.append(versions[-1])
    return picked


def _pins_beyond_seats(problem: Problem, edit: PeriodEdit) -> list[tuple[str, str]]:
    """Pins the edited seats can no longer hold (a solve would have no rota): every pin of a
    slot whose new seats are fewer than its pins."""
    pins: dict[str, list[str]] = {}
    for p in problem.pinned:
        pins.setdefault(p.slot, []).append(p.doctor)
    return [(d, s) for s, (seats, _p) in edit.slots.items()
            for d in pins.get(s, []) if len(pins[s]) > seats]


def apply_edit(session: Session, period: TensionPeriod, edit: PeriodEdit) -> None:
    """Save the edit in the session's transaction (the caller commits); pins the new seats
    cannot hold are lifted."""
    lock_period(session, period.id)
    for doctor, slot in _pins_beyond_seats(problem_from_db(session, period.id), edit):
        session.exec(delete(PinRow).where(col(PinRow.period_id) == period.id,
                                          col(PinRow.doctor_id) == doctor,
                                          col(PinRow.slot_id) == slot))
    period.availability_deadline = edit.deadline
    session.add(period)
    for slot_id, (seats, priority) in edit.slots.items():
        row = session.exec(select(SlotRow).where(SlotRow.period_id == period.id,
                                                 SlotRow.id == slot_id)).one()
        row.seats, row.priority = seats, priority
        session.add(row)
    last = session.exec(select(func.max(SlotRow.position)).where(
        SlotRow.period_id == period.id)).one()
    for k, new in enumerate(edit.added, start=(last or 0) + 1):
        session.add(SlotRow(id=new.id, period_id=period.id, site_id=new.site,
                            start=new.start, end=new.end, seats=new.seats,
                            priority=new.priority, tags=sorted(new.tags), label=new.label,
                            kind=new.kind, position=k))
    session.flush()
