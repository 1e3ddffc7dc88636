"""Reading a roster file: its encoding, its delimiter, its header spellings and its cells
(`collection.roster` matches the lines to doctors)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from scheduler.domain.errors import InputProblem
from scheduler.domain.text import without_accents

#: The columns a roster must have.
REQUIRED = ("name", "email", "rpps")
#: Our column → the header spellings accepted for it (compared as `normalise` does).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("nom", "name", "nom complet", "nom de famille", "full name", "médecin", "docteur"),
    "first_name": ("prénom", "first name"),
    "email": ("courriel", "email", "e-mail", "mail", "adresse mail", "adresse e-mail",
              "adresse électronique"),
    "phone": ("téléphone", "phone", "tél", "portable", "mobile", "téléphone portable",
              "numéro de téléphone"),
    "rpps": ("RPPS", "N° RPPS", "N. RPPS", "No RPPS", "numéro RPPS", "numéro de RPPS",
             "identifiant RPPS"),
    "organisation": ("structure", "organisation", "organization", "CPTS", "SAMI"),
}

#: The encodings a spreadsheet writes a CSV or text export in, as the pages name them.
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (avec BOM)", "utf-16": "UTF-16",
                  "cp1252": "Windows-1252", "latin-1": "Latin-1"}
#: How far down a title, notes or empty rows may push the header line.
HEADER_SCAN = 15
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
                              "\u00b4": "'", "\u2032": "'"})
_SEP_LINE = re.compile(r'^\s*"?sep=(.)"?[;,\t]*\s*$', re.IGNORECASE)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-16 (Excel's "Unicode text", with its
    byte-order mark, or without one when every other byte is NUL), UTF-8 (with or without a
    mark), else Windows-1252 (what a French spreadsheet writes), else Latin-1."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    sample = data[:2000]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) * 0.4:
        return data.decode("utf-16-le", errors="replace"), "utf-16"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) * 0.4:
        return data.decode("utf-16-be", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1"), "latin-1"


def normalise(text: str) -> str:
    """`text` compared as people mean it: without case, accents, apostrophe form (’ ‘ ` ´ as
    '), punctuation runs or surrounding spaces ("CPTS de l’Est " → "cpts de l'est")."""
    plain = without_accents(text.translate(_APOSTROPHES).strip().lower())
    return re.sub(r"[\s_.:-]+", " ", plain).strip()


#: A normalised header spelling → our column.
ALIASES = {normalise(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def delimiter_of(first_line: str) -> str:
    """The delimiter most used on `first_line` (";", "," or a tab; "," when none is)."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class RosterTable:
    """A roster file read: how, where its header is, and the lines below it.

    `header_line` is None when no line among the first `HEADER_SCAN` names two known columns
    (`header` is then the first non-empty line). Line numbers are those the spreadsheet shows
    (an Excel `sep=` first line is not one of them)."""

    encoding: str
    delimiter: str
    header_line: int | None
    header: list[str]
    #: Column index → our column (None: a column we do not read).
    columns: dict[int, str | None]
    #: (line number, cells) of the non-empty lines below the header.
    body: list[tuple[int, list[str]]]


def read_table(data: bytes) -> RosterTable:
    """The roster in `data`: its encoding (`decode`), its delimiter (an Excel `sep=X` first
    line, else the one whose header names the most columns), its header line (the first of the
    first `HEADER_SCAN` non-empty lines naming two known columns, below any title or empty
    rows) and the lines below. Raises `Unreadable` for what no spreadsheet writes."""
    text, encoding = decode(data)
    first, _, rest = text.partition("\n")
    given = _SEP_LINE.match(first.rstrip("\r"))
    if given:
        text = rest
    candidates = [given[1]] if given else [";", ",", "\t"]
    best: RosterTable | None = None
    for delimiter in candidates:
        table = _table(text, encoding, delimiter)
        if best is None or _score(table) > _score(best):
            best = table
    assert best is not None
    if best.header_line is None and not given:
        first_line = next((line for line in text.splitlines() if line.strip(" ;,\t")), "")
        return _table(text, encoding, delimiter_of(first_line))
    return best


def _score(table: RosterTable) -> int:
    return -1 if table.header_line is None else len({c for c in table.columns.values() if c})


def _table(text: str, encoding: str, delimiter: str) -> RosterTable:
    rows = [(n, row) for n, row in rows_of(text, delimiter) if any(c.strip() for c in row)]
    # The header: among the first lines naming two known columns, the first with every
    # required one, else the one naming the most (a two-level header's lower line wins).
    candidates = [(i, known) for i, (_n, row) in enumerate(rows[:HEADER_SCAN])
                  if len(known := _known(row)) >= 2]
    chosen = next((i for i, known in candidates if set(REQUIRED) <= known), None)
    if chosen is None and candidates:
        chosen = max(candidates, key=lambda c: len(c[1]))[0]
    if chosen is not None:
        number, row = rows[chosen]
        return RosterTable(encoding=encoding, delimiter=delimiter, header_line=number,
                           header=row, columns={j: ALIASES.get(normalise(cell))
                                                for j, cell in enumerate(row)},
                           body=rows[chosen + 1:])
    header = rows[0][1] if rows else []
    return RosterTable(encoding=encoding, delimiter=delimiter, header_line=None, header=header,
                       columns={j: ALIASES.get(normalise(c)) for j, c in enumerate(header)},
                       body=rows[1:])


def _known(row: list[str]) -> set[str]:
    return {c for c in (ALIASES.get(normalise(cell)) for cell in row) if c is not None}


class Unreadable(Exception):
    """A roster the csv module cannot read: `field` names the line, `message` why (`french`
    in French)."""

    def __init__(self, field: str, message: str, french: str) -> None:
        super().__init__(message)
        self.field, self.message, self.french = field, message, french


def rows_of(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as the spreadsheet shows it, cells): rows are counted, not physical lines,
    so a quoted cell holding a line break (an address) shifts nothing. `Unreadable` for what
    no spreadsheet writes (a cell over `csv.field_size_limit`, a NUL...)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = f"line {reader.line_num}"
            if "field larger than field limit" in str(exc):
                limit = csv.field_size_limit()
                raise Unreadable(line, f"a cell is longer than {limit:,} characters",
                                 f"ligne {reader.line_num} : une cellule dépasse {limit:,} "
                                 "caractères".replace(",", " ")) from None
            raise Unreadable(line, f"not a CSV file a spreadsheet writes: {exc}",
                             f"ligne {reader.line_num} : ce n'est pas un fichier CSV tel qu'un "
                             f"tableur l'écrit ({exc})") from None
        number += 1
        yield number, row


#: Each column's name on the pages.
FRENCH_COLUMN = {"name": "nom", "first_name": "prénom", "email": "courriel",
                 "phone": "téléphone", "rpps": "RPPS", "organisation": "structure"}


#: Each delimiter in words: (English, French).
DELIMITER_WORDS = {";": ("semicolon", "point-virgule"), ",": ("comma", "virgule"),
                    "\t": ("tab", "tabulation")}


def missing_columns(source: str, table: RosterTable, missing: list[str]) -> list[InputProblem]:
    """What to change when required columns are not found: the header line used (or that
    none was found), how the file was read, the columns expected with their spellings."""
    en_delimiter, fr_delimiter = DELIMITER_WORDS.get(table.delimiter, (table.delimiter,) * 2)
    read_en = f"read as {table.encoding}, {en_delimiter}-separated"
    read_fr = (f"fichier lu en {ENCODING_NAMES.get(table.encoding, table.encoding)}, "
               f"séparateur {fr_delimiter}")
    if table.header_line is None:
        expected_en = "; ".join(f"{c} ({', '.join(COLUMNS[c])})" for c in REQUIRED)
        expected_fr = " ; ".join(f"{FRENCH_COLUMN[c]} ({', '.join(COLUMNS[c])})"
                                 for c in REQUIRED)
        return [InputProblem(
            source, "header", f"no header line found in the first {HEADER_SCAN} lines "
            f"({read_en}); expected columns: {expected_en}",
            f"aucune ligne d'en-tête parmi les {HEADER_SCAN} premières lignes ({read_fr}) ; "
            f"colonnes attendues : {expected_fr}")]
    return [InputProblem(
        source, c, f"missing column {c!r} (header line {table.header_line}, {read_en}; "
        f"accepted spellings: {', '.join(COLUMNS[c])})",
        f"colonne « {FRENCH_COLUMN[c]} » introuvable dans la ligne d'en-tête "
        f"{table.header_line} ({read_fr}) ; intitulés acceptés : {', '.join(COLUMNS[c])}")
        for c in missing]
