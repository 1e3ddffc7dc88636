"""Roster import: a CPTS/SAMI member list as CSV → doctors, previewed, then committed at once.

Accepted files: what Excel and LibreOffice export (`collection.roster_file`): UTF-8 with or
without a byte-order mark, Windows-1252, UTF-16 ("Unicode text"); semicolons, commas or tabs;
an Excel `sep=` first line; title or empty rows above the header. Headers may be English or
French ("Nom", "Prénom", "Courriel", "Téléphone", "N° RPPS", "Structure"...). Required columns:
name, email and RPPS; phone and organisation are optional. Organisations match by id or name
without case, accents or apostrophe form; phones are stored in E.164 (`domain.phone`).

A line updates the stored doctor with the same RPPS or the same email (case-insensitive), so a
re-import never duplicates anyone; otherwise it creates a doctor. Any bad line rejects the
whole import, and the database stays exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from scheduler.collection.roster_file import (
    COLUMNS,
    FRENCH_COLUMN,
    REQUIRED,
    Unreadable,
    decode,
    missing_columns,
    normalise,
    read_table,
)
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.phone import PhoneError, same_phone, to_e164
from scheduler.domain.rpps import rpps_is_valid
from scheduler.domain.text import EMAIL_MAX, NAME_MAX, PHONE_MAX, slug, text_problem
from scheduler.models import DoctorRow, Organisation

MAX_LINES = 5000
#: A roster of a few thousand lines is well under this.
MAX_ROSTER_BYTES = 2_000_000
Action = Literal["create", "update", "unchanged"]
#: A line's problem: (column, in English, in French).
_Said = tuple[str, str, str]

#: The longest value each column may hold (`domain.text`).
CELL_MAX = {"name": NAME_MAX, "first_name": NAME_MAX, "email": EMAIL_MAX, "phone": PHONE_MAX,
            "rpps": 32, "organisation": NAME_MAX}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TITLE = re.compile(r"^(dr\.?|docteur|pr\.?|professeur)\s+", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class RosterLine:
    """One line of the file: its values, what importing it would do, and what is wrong."""

    line: int
    name: str
    email: str
    phone: str | None
    rpps: str | None
    organisation_id: str | None
    action: Action | None = None
    #: The stored doctor it updates, or the id a new doctor will get.
    doctor_id: str | None = None
    problems: list[InputProblem] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class RosterPreview:
    encoding: str
    delimiter: str
    lines: list[RosterLine]
    #: File-level problems and every line's problems: the import is refused unless empty.
    problems: list[InputProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: Action) -> int:
        return sum(line.action == action for line in self.lines)


# Preview -----------------------------------------------------------------------------------

def preview_roster(
    session: Session, data: bytes, *, organisation_id: str | None = None, source: str = "roster",
    within: frozenset[str] | None = None,
) -> RosterPreview:
    """What importing `data` would do, line by line, with every problem; writes nothing.

    `organisation_id` is given to lines without an organisation of their own. `within` (a
    manager's reach, `access.scope.reachable_doctors`; None: an admin's, every doctor) bounds
    the stored doctors a line may change: a line that would change another doctor is a problem.
    """
    problems: list[InputProblem] = []
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        problems.append(InputProblem(source, "organisation",
                                     f"unknown organisation {organisation_id!r}",
                                     f"structure inconnue « {organisation_id} »"))
    try:
        table = read_table(data)
    except Unreadable as exc:
        text_encoding = decode(data)[1]
        return RosterPreview(encoding=text_encoding, delimiter="", lines=[], problems=[
            *problems, InputProblem(source, exc.field, exc.message, exc.french)])
    encoding, delimiter = table.encoding, table.delimiter

    def refused(more: list[InputProblem]) -> RosterPreview:
        return RosterPreview(encoding=encoding, delimiter=delimiter, lines=[],
                             problems=[*problems, *more])

    if not table.header:
        return refused([InputProblem(source, "", "the file is empty", "le fichier est vide")])
    missing = [c for c in REQUIRED if c not in table.columns.values()]
    if missing:
        return refused(missing_columns(source, table, missing))
    body, columns = table.body, table.columns
    if len(body) > MAX_LINES:
        return refused([InputProblem(source, "", f"more than {MAX_LINES} lines",
                                     f"plus de {MAX_LINES} lignes")])
    lines = _Matcher(session, source, organisation_id, within).lines(body, columns)
    problems += [p for line in lines for p in line.problems]
    return RosterPreview(encoding=encoding, delimiter=delimiter, lines=lines, problems=problems)


class _Matcher:
    """Parses lines and matches them to stored doctors, remembering earlier lines."""

    def __init__(self, session: Session, source: str, organisation_id: str | None,
                 within: frozenset[str] | None) -> None:
        self.session, self.source, self.default_org = session, source, organisation_id
        self.within = within
        organisations = session.exec(select(Organisation)).all()
        self.organisations = {normalise(o.id): o.id for o in organisations}
        self.organisations |= {normalise(o.name): o.id for o in organisations}
        self.ids = set(session.exec(select(DoctorRow.id)).all())
        self.seen_rpps: dict[str, int] = {}
        self.seen_email: dict[str, int] = {}
        self.seen_doctor: dict[str, int] = {}

    def lines(self, body: list[tuple[int, list[str]]], columns: dict[int, str | None]
              ) -> list[RosterLine]:
        self._prefetch(body, columns)
        out = []
        for number, row in body:
            values = {c: "" for c in COLUMNS}
            for i, cell in enumerate(row):
                column = columns.get(i)
                if column is not None and not values[column]:
                    values[column] = cell.strip()
            out.append(self.line(number, values))
        return out

    def _prefetch(self, body: list[tuple[int, list[str]]], columns: dict[int, str | None]
                  ) -> None:
        """The stored doctors any line could match, by RPPS and by email: two bulk lookups
        (in chunks), so that an import takes time in proportion to its lines."""
        wanted: dict[str, set[str]] = {"rpps": set(), "email": set()}
        for _, row in body:
            for i, cell in enumerate(row):
                column = columns.get(i)
                if column == "rpps":
                    wanted["rpps"].add(re.sub(r"\s", "", cell))
                elif column == "email":
                    wanted["email"].add(cell.strip().lower())
        self.by_rpps: dict[str, DoctorRow] = {}
        self.by_email: dict[str, DoctorRow] = {}
        for chunk in _chunks(sorted(wanted["rpps"] - {""})):
            for doctor in self.session.exec(select(DoctorRow).where(
                    col(DoctorRow.rpps).in_(chunk))):
                self.by_rpps.setdefault(doctor.rpps or "", doctor)
        for chunk in _chunks(sorted(wanted["email"] - {""})):
            for doctor in self.session.exec(select(DoctorRow).where(
                    func.lower(col(DoctorRow.email)).in_(chunk))):
                self.by_email.setdefault((doctor.email or "").lower(), doctor)

    def line(self, number: int, values: dict[str, str]) -> RosterLine:
        problems: list[_Said] = []
        for column, value in values.items():
            problem = text_problem(value)
            if problem is not None:
                problems.append((column, problem, "caractère non admis (NUL ou non Unicode)"))
            elif len(value) > CELL_MAX[column]:
                problems.append((column, f"longer than {CELL_MAX[column]} characters",
                                 f"plus de {CELL_MAX[column]} caractères"))
        if problems:
            return RosterLine(line=number, name="", email="", phone=None, rpps=None,
                              organisation_id=None, problems=self._said(number, problems))
        name = " ".join(x for x in (values["first_name"], values["name"]) if x)
        if not name:
            problems.append(("name", "missing name", "nom absent"))
        email = values["email"].lower()
        if not _EMAIL.fullmatch(email):
            problems.append(
                ("email", f"invalid email address {values['email']!r}",
                 f"adresse de courriel non valide « {values['email']} »") if email else
                ("email", "missing email address", "adresse de courriel absente"))
        rpps = re.sub(r"\s", "", values["rpps"]) or None
        if rpps is not None and not rpps_is_valid(rpps):
            problems.append(("rpps", f"invalid RPPS number {values['rpps']!r} "
                             "(11 digits with a Luhn check digit)",
                             f"numéro RPPS non valide « {values['rpps']} » (11 chiffres, "
                             "le dernier étant une clé de contrôle)"))
        phone = _phone(values["phone"], problems)
        organisation_id = self._organisation(values["organisation"], problems)
        problems += self._duplicates(number, email, rpps)
        line = RosterLine(line=number, name=name, email=email, phone=phone, rpps=rpps,
                          organisation_id=organisation_id)
        if not problems:
            line = self._match(number, line, problems)
        return replace(line, problems=self._said(number, problems))

    def _said(self, number: int, problems: list[_Said]) -> list[InputProblem]:
        return [InputProblem(self.source, f"line {number}, {column}", english,
                             f"{FRENCH_COLUMN[column]} : {french}")
                for column, english, french in problems]

    def _organisation(self, value: str, problems: list[_Said]) -> str | None:
        if not value:
            return self.default_org
        found = self.organisations.get(normalise(value))
        if found is None:
            problems.append(("organisation", f"unknown organisation {value!r}",
                             f"structure inconnue « {value} »"))
        return found

    def _duplicates(self, number: int, email: str, rpps: str | None) -> list[_Said]:
        out: list[_Said] = []
        if rpps is not None:
            if rpps in self.seen_rpps:
                first = self.seen_rpps[rpps]
                out.append(("rpps", f"duplicate of line {first} (same RPPS)",
                            f"doublon de la ligne {first} (même RPPS)"))
            self.seen_rpps.setdefault(rpps, number)
        if email:
            if email in self.seen_email:
                first = self.seen_email[email]
                out.append(("email", f"duplicate of line {first} (same email)",
                            f"doublon de la ligne {first} (même courriel)"))
            self.seen_email.setdefault(email, number)
        return out

    def _match(self, number: int, line: RosterLine, problems: list[_Said]) -> RosterLine:
        by_rpps = self._stored_rpps(line.rpps) if line.rpps else None
        by_email = self._stored_email(line.email)
        found = {d.id: d for d in (by_rpps, by_email) if d is not None}
        if self.within is not None and any(i not in self.within for i in found):
            # A doctor of other sites only: a manager may restate their details, never change
            # them, and learns nothing of them (no name, no id, no RPPS) from the refusal.
            [doctor] = found.values() if len(found) == 1 else [None]
            if doctor is None or (doctor.rpps and line.rpps and doctor.rpps != line.rpps) or \
                    _changes(doctor, line) or doctor.id in self.seen_doctor:
                problems.append(("email", "this email or RPPS belongs to a doctor of other "
                                 "sites' periods only: an admin may change their details",
                                 "ce courriel ou ce RPPS est celui d'un médecin d'autres sites "
                                 ": seul un administrateur peut modifier sa fiche"))
                return line
        if by_rpps and by_email and by_rpps.id != by_email.id:
            problems.append(("email", f"email belongs to doctor {by_email.id!r}, "
                             f"RPPS to doctor {by_rpps.id!r}",
                             f"ce courriel est celui de {by_email.name} ({by_email.id}), ce "
                             f"RPPS celui de {by_rpps.name} ({by_rpps.id})"))
            return line
        doctor = by_rpps or by_email
        if doctor is None:
            return replace(line, action="create", doctor_id=self._new_id(line.name))
        if doctor.rpps and line.rpps and doctor.rpps != line.rpps:
            problems.append(("rpps", f"email belongs to doctor {doctor.id!r} whose RPPS is "
                             f"{doctor.rpps!r}",
                             f"ce courriel est celui de {doctor.name} ({doctor.id}), dont le "
                             f"RPPS est {doctor.rpps}"))
            return line
        if doctor.id in self.seen_doctor:
            first = self.seen_doctor[doctor.id]
            problems.append(("email", f"duplicate of line {first} (same doctor {doctor.id!r})",
                             f"doublon de la ligne {first} (même médecin : {doctor.name})"))
            return line
        self.seen_doctor[doctor.id] = number
        changes = _changes(doctor, line)
        return replace(line, doctor_id=doctor.id, action="update" if changes else "unchanged")

    def _stored_rpps(self, rpps: str) -> DoctorRow | None:
        return self.by_rpps.get(rpps)

    def _stored_email(self, email: str) -> DoctorRow | None:
        return self.by_email.get(email)

    def _new_id(self, name: str) -> str:
        base = "dr-" + (slug(_TITLE.sub("", name), 56) or "medecin")
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Bounded IN lists."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _phone(value: str, problems: list[_Said]) -> str | None:
    """The cell's phone in E.164, or None (empty, or a problem noted)."""
    if not value:
        return None
    try:
        return to_e164(value)
    except PhoneError as bad:
        problems.append(("phone", str(bad), bad.french))
        return None


def _changes(doctor: DoctorRow, line: RosterLine) -> dict[str, object]:
    """The stored fields the line changes; empty phone or RPPS cells keep what is stored."""
    wanted: dict[str, object] = {"name": line.name, "email": line.email}
    if line.phone is not None:
        wanted["phone"] = line.phone
    if line.rpps is not None:
        wanted["rpps"] = line.rpps
    if line.organisation_id is not None:
        wanted["organisation_id"] = line.organisation_id
    changed = {k: v for k, v in wanted.items() if getattr(doctor, k) != v}
    if "phone" in changed and same_phone(doctor.phone, line.phone or ""):
        del changed["phone"]  # stored as typed before phones were E.164: the same number
    return changed


# Commit ------------------------------------------------------------------------------------

def import_roster(
    session: Session, data: bytes, *, organisation_id: str | None = None, source: str = "roster",
    within: frozenset[str] | None = None,
) -> RosterPreview:
    """Import `data` in one transaction, committed on success; returns what was done
    (`within` as for `preview_roster`).

    Raises `InputError` with every problem (file, line and column) and writes nothing if any
    line is bad.
    """
    try:
        preview = preview_roster(session, data, organisation_id=organisation_id, source=source,
                                 within=within)
        if not preview.ok:
            raise InputError(preview.problems)
        for line in preview.lines:
            _write(session, line)
        session.flush()
        session.commit()
        return preview
    except IntegrityError as exc:
        # Only a concurrent writer can get here: the preview saw no conflict.
        session.rollback()
        raise InputError([InputProblem(
            source, "", f"conflicting change during the import: {exc.orig}",
            "une autre modification a eu lieu pendant l'import : recommencez")]) from None
    except BaseException:
        session.rollback()
        raise


def _write(session: Session, line: RosterLine) -> None:
    assert line.doctor_id is not None
    if line.action == "create":
        session.add(DoctorRow(id=line.doctor_id, name=line.name, email=line.email, phone=line.phone,
                           rpps=line.rpps, organisation_id=line.organisation_id))
    elif line.action == "update":
        doctor = session.get(DoctorRow, line.doctor_id)
        assert doctor is not None
        for key, value in _changes(doctor, line).items():
            setattr(doctor, key, value)
        session.add(doctor)
