"""Roster import: a CPTS/SAMI member list as CSV → doctors, previewed, then committed at once.

Accepted files: UTF-8 (with or without a byte-order mark) and what a French spreadsheet
exports (Windows-1252, semicolon-separated). Headers may be English or French ("Nom",
"Prénom", "Courriel", "Téléphone", "N° RPPS", "Structure"...). Required columns: name, email
and RPPS; phone and organisation are optional.

A line updates the stored doctor with the same RPPS or the same email (case-insensitive), so a
re-import never duplicates anyone; otherwise it creates a doctor. Any bad line rejects the
whole import, and the database stays exactly as it was.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.rpps import rpps_is_valid
from scheduler.domain.text import EMAIL_MAX, NAME_MAX, PHONE_MAX, text_problem
from scheduler.models import DoctorRow, Organisation

MAX_LINES = 5000
#: A roster of a few thousand lines is well under this.
MAX_ROSTER_BYTES = 2_000_000
Action = Literal["create", "update", "unchanged"]

#: Our column → the header spellings accepted for it (compared without case or accents).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "nom complet", "full name", "medecin", "docteur"),
    "first_name": ("first name", "prenom"),
    "email": ("email", "e mail", "mail", "courriel", "adresse mail", "adresse e mail"),
    "phone": ("phone", "telephone", "tel", "portable", "mobile", "numero de telephone"),
    "rpps": ("rpps", "n rpps", "n° rpps", "no rpps", "numero rpps", "numero de rpps"),
    "organisation": ("organisation", "organization", "structure", "cpts", "sami"),
}
REQUIRED = ("name", "email", "rpps")
#: The longest value each column may hold (`domain.text`).
CELL_MAX = {"name": NAME_MAX, "first_name": NAME_MAX, "email": EMAIL_MAX, "phone": PHONE_MAX,
            "rpps": 32, "organisation": NAME_MAX}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?\d{6,15}")
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


# Reading the file ------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 if it decodes, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1"), "latin-1"


def _normalise(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_.:-]+", " ", text).strip()


_ALIASES = {_normalise(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Unreadable(Exception):
    """A roster the csv module cannot read: `field` names the line, `message` why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells); `_Unreadable` for what no spreadsheet writes (a cell over
    `csv.field_size_limit`, a NUL...)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = f"line {reader.line_num}"
            if "field larger than field limit" in str(exc):
                raise _Unreadable(line, f"a cell is longer than {csv.field_size_limit():,} "
                                        "characters") from None
            raise _Unreadable(line, f"not a CSV file a spreadsheet writes: {exc}") from None
        yield reader.line_num, row


# Preview -----------------------------------------------------------------------------------

def preview_roster(
    session: Session, data: bytes, *, organisation_id: str | None = None, source: str = "roster"
) -> RosterPreview:
    """What importing `data` would do, line by line, with every problem; writes nothing.

    `organisation_id` is given to lines without an organisation of their own.
    """
    text, encoding = decode(data)
    delimiter = _delimiter(text.split("\n", 1)[0])
    problems: list[InputProblem] = []
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        problems.append(InputProblem(source, "organisation",
                                     f"unknown organisation {organisation_id!r}"))
    try:
        rows = list(_rows(text, delimiter))
    except _Unreadable as exc:
        return RosterPreview(encoding=encoding, delimiter=delimiter, lines=[], problems=[
            *problems, InputProblem(source, exc.field, exc.message)])
    if not rows:
        return RosterPreview(encoding=encoding, delimiter=delimiter, lines=[],
                             problems=[*problems, InputProblem(source, "", "the file is empty")])
    header_line, header = rows[0]
    columns = {i: _ALIASES.get(_normalise(h)) for i, h in enumerate(header)}
    missing = [c for c in REQUIRED if c not in columns.values()]
    problems += [InputProblem(source, c, f"missing column {c!r} (header line {header_line})")
                 for c in missing]
    if missing:
        return RosterPreview(encoding=encoding, delimiter=delimiter, lines=[], problems=problems)
    body = [(n, row) for n, row in rows[1:] if any(cell.strip() for cell in row)]
    if len(body) > MAX_LINES:
        problems.append(InputProblem(source, "", f"more than {MAX_LINES} lines"))
        return RosterPreview(encoding=encoding, delimiter=delimiter, lines=[], problems=problems)
    lines = _Matcher(session, source, organisation_id).lines(body, columns)
    problems += [p for line in lines for p in line.problems]
    return RosterPreview(encoding=encoding, delimiter=delimiter, lines=lines, problems=problems)


class _Matcher:
    """Parses lines and matches them to stored doctors, remembering earlier lines."""

    def __init__(self, session: Session, source: str, organisation_id: str | None) -> None:
        self.session, self.source, self.default_org = session, source, organisation_id
        organisations = session.exec(select(Organisation)).all()
        self.organisations = {_normalise(o.id): o.id for o in organisations}
        self.organisations |= {_normalise(o.name): o.id for o in organisations}
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
        problems: list[tuple[str, str]] = []
        for column, value in values.items():
            problem = text_problem(value)
            if problem is not None:
                problems.append((column, problem))
            elif len(value) > CELL_MAX[column]:
                problems.append((column, f"longer than {CELL_MAX[column]} characters"))
        if problems:
            return RosterLine(line=number, name="", email="", phone=None, rpps=None,
                              organisation_id=None, problems=[
                                  InputProblem(self.source, f"line {number}, {column}", message)
                                  for column, message in problems])
        name = " ".join(x for x in (values["first_name"], values["name"]) if x)
        if not name:
            problems.append(("name", "missing name"))
        email = values["email"].lower()
        if not _EMAIL.fullmatch(email):
            problems.append(("email", f"invalid email address {values['email']!r}"
                             if email else "missing email address"))
        rpps = re.sub(r"\s", "", values["rpps"]) or None
        if rpps is not None and not rpps_is_valid(rpps):
            problems.append(("rpps", f"invalid RPPS number {values['rpps']!r} "
                             "(11 digits with a Luhn check digit)"))
        phone = _phone(values["phone"], problems)
        organisation_id = self._organisation(values["organisation"], problems)
        problems += self._duplicates(number, email, rpps)
        line = RosterLine(line=number, name=name, email=email, phone=phone, rpps=rpps,
                          organisation_id=organisation_id)
        if not problems:
            line = self._match(number, line, problems)
        return replace(line, problems=[
            InputProblem(self.source, f"line {number}, {column}", message)
            for column, message in problems
        ])

    def _organisation(self, value: str, problems: list[tuple[str, str]]) -> str | None:
        if not value:
            return self.default_org
        found = self.organisations.get(_normalise(value))
        if found is None:
            problems.append(("organisation", f"unknown organisation {value!r}"))
        return found

    def _duplicates(self, number: int, email: str, rpps: str | None) -> list[tuple[str, str]]:
        out = []
        if rpps is not None:
            if rpps in self.seen_rpps:
                out.append(("rpps", f"duplicate of line {self.seen_rpps[rpps]} (same RPPS)"))
            self.seen_rpps.setdefault(rpps, number)
        if email:
            if email in self.seen_email:
                out.append(("email", f"duplicate of line {self.seen_email[email]} (same email)"))
            self.seen_email.setdefault(email, number)
        return out

    def _match(self, number: int, line: RosterLine, problems: list[tuple[str, str]]
               ) -> RosterLine:
        by_rpps = self._stored_rpps(line.rpps) if line.rpps else None
        by_email = self._stored_email(line.email)
        if by_rpps and by_email and by_rpps.id != by_email.id:
            problems.append(("email", f"email belongs to doctor {by_email.id!r}, "
                             f"RPPS to doctor {by_rpps.id!r}"))
            return line
        doctor = by_rpps or by_email
        if doctor is None:
            return replace(line, action="create", doctor_id=self._new_id(line.name))
        if doctor.rpps and line.rpps and doctor.rpps != line.rpps:
            problems.append(("rpps", f"email belongs to doctor {doctor.id!r} whose RPPS is "
                             f"{doctor.rpps!r}"))
            return line
        if doctor.id in self.seen_doctor:
            problems.append(("email", f"duplicate of line {self.seen_doctor[doctor.id]} "
                             f"(same doctor {doctor.id!r})"))
            return line
        self.seen_doctor[doctor.id] = number
        changes = _changes(doctor, line)
        return replace(line, doctor_id=doctor.id, action="update" if changes else "unchanged")

    def _stored_rpps(self, rpps: str) -> DoctorRow | None:
        return self.by_rpps.get(rpps)

    def _stored_email(self, email: str) -> DoctorRow | None:
        return self.by_email.get(email)

    def _new_id(self, name: str) -> str:
        base = "dr-" + (_slug(_TITLE.sub("", name)) or "medecin")
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


def _phone(value: str, problems: list[tuple[str, str]]) -> str | None:
    if not value:
        return None
    if not _PHONE.fullmatch(re.sub(r"[\s.()-]", "", value)):
        problems.append(("phone", f"invalid phone number {value!r}"))
    return value


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:56].strip("-")


def _changes(doctor: DoctorRow, line: RosterLine) -> dict[str, object]:
    """The stored fields the line changes; empty phone or RPPS cells keep what is stored."""
    wanted: dict[str, object] = {"name": line.name, "email": line.email}
    if line.phone is not None:
        wanted["phone"] = line.phone
    if line.rpps is not None:
        wanted["rpps"] = line.rpps
    if line.organisation_id is not None:
        wanted["organisation_id"] = line.organisation_id
    return {k: v for k, v in wanted.items() if getattr(doctor, k) != v}


# Commit ------------------------------------------------------------------------------------

def import_roster(
    session: Session, data: bytes, *, organisation_id: str | None = None, source: str = "roster"
) -> RosterPreview:
    """Import `data` in one transaction, committed on success; returns what was done.

    Raises `InputError` with every problem (file, line and column) and writes nothing if any
    line is bad.
    """
    try:
        preview = preview_roster(session, data, organisation_id=organisation_id, source=source)
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
        raise InputError.single(source, "", f"conflicting change during the import: {exc.orig}"
                                ) from None
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
