"""A rota version as files a manager hands on: the rota (one line per doctor on a slot) and the
payment statement (shifts, hours and amount per doctor), as CSV (semicolons and a byte order
mark, as a French spreadsheet opens it) or XLSX (`openpyxl`).

Hours are real elapsed time (DESIGN's counting conventions: a night across the October clock
change lasts 13 h); the amount is hours × the hourly rate, in euros, rounded to the cent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from sqlmodel import Session

from scheduler.domain import french
from scheduler.models import RotaVersion
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import version_rota

ROTA_HEADER = ("Date", "Jour", "Début", "Fin", "Site", "Créneau", "Médecin", "RPPS", "Heures")
PAYMENT_HEADER = ("Médecin", "RPPS", "Gardes", "Heures", "Taux horaire (€)", "Montant (€)")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Table:
    """A sheet: its name, header and rows (text, whole numbers and decimals)."""

    name: str
    header: tuple[str, ...]
    rows: list[tuple[str | int | Decimal, ...]]


def rota_table(session: Session, version: RotaVersion) -> Table:
    """One row per doctor on a slot, in time order."""
    problem = problem_from_db(session, version.period_id)
    slots, doctors = problem.slot_by_id(), problem.doctor_by_id()
    sites = {s.id: s.name for s in problem.sites}
    rows: list[tuple[str | int | Decimal, ...]] = []
    for a in sorted(version_rota(session, version),
                    key=lambda a: (slots[a.slot].start, slots[a.slot].site, a.doctor)):
        slot, doctor = slots[a.slot], doctors[a.doctor]
        start, end = slot.start.astimezone(problem.tz), slot.end.astimezone(problem.tz)
        rows.append((start.date().isoformat(), french.WEEKDAYS[start.weekday()],
                     french.clock(start), french.slot_hours(start, end).split("–")[1],
                     sites.get(slot.site, slot.site), slot.label or slot.id,
                     doctor.name or doctor.id, _rpps(session, doctor.id), _hours(slot.minutes)))
    return Table("Planning", ROTA_HEADER, rows)


def payment_table(session: Session, version: RotaVersion, hourly_rate: Decimal) -> Table:
    """Per doctor with at least one shift: shifts, hours, the rate and the amount; a total
    line last."""
    problem = problem_from_db(session, version.period_id)
    slots = problem.slot_by_id()
    shifts: dict[str, int] = {}
    minutes: dict[str, int] = {}
    for a in version_rota(session, version):
        shifts[a.doctor] = shifts.get(a.doctor, 0) + 1
        minutes[a.doctor] = minutes.get(a.doctor, 0) + slots[a.slot].minutes
    # Rounded once per doctor (six 4 h 10 shifts are 25 h, not 6 × 4.17).
    hours = {doctor: _hours(total) for doctor, total in minutes.items()}
    rows: list[tuple[str | int | Decimal, ...]] = []
    for doctor in sorted((d for d in problem.doctors if d.id in shifts),
                         key=lambda d: d.name or d.id):
        amount = (hours[doctor.id] * hourly_rate).quantize(CENT, ROUND_HALF_UP)
        rows.append((doctor.name or doctor.id, _rpps(session, doctor.id), shifts[doctor.id],
                     hours[doctor.id], hourly_rate, amount))
    total_hours = sum(hours.values(), Decimal(0))
    rows.append(("Total", "", sum(shifts.values()), total_hours, hourly_rate,
                 sum((r[5] for r in rows if isinstance(r[5], Decimal)), Decimal(0))))
    return Table("Paiement", PAYMENT_HEADER, rows)


def _hours(minutes: int) -> Decimal:
    """Elapsed minutes as hours, to the hundredth."""
    return (Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP)


def _rpps(session: Session, doctor_id: str) -> str:
    from scheduler.models import DoctorRow

    row = session.get(DoctorRow, doctor_id)
    return (row.rpps or "") if row is not None else ""


def _inert(value: str | int | Decimal) -> str | int | Decimal:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_csv(table: Table) -> bytes:
    """Semicolon-separated UTF-8 with a byte order mark; decimals with a comma."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([str(v).replace(".", ",") if isinstance(v, Decimal) else _inert(v)
                         for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(*tables: Table) -> bytes:
    """A workbook with one sheet per table; numbers stay numbers."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for table in tables:
        sheet = book.create_sheet(table.name)
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else _inert(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
