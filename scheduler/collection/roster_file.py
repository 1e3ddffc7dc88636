"""Reading a roster file: its encoding, its delimiter, its header spellings and its cells
(`collection.roster` matches the lines to doctors)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator

#: Our column → the header spellings accepted for it (compared without case or accents).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "nom complet", "full name", "medecin", "docteur"),
    "first_name": ("first name", "prenom"),
    "email": ("email", "e mail", "mail", "courriel", "adresse mail", "adresse e mail"),
    "phone": ("phone", "telephone", "tel", "portable", "mobile", "numero de telephone"),
    "rpps": ("rpps", "n rpps", "n° rpps", "no rpps", "numero rpps", "numero de rpps"),
    "organisation": ("organisation", "organization", "structure", "cpts", "sami"),
}

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


def normalise(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_.:-]+", " ", text).strip()


#: A normalised header spelling → our column.
ALIASES = {normalise(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def delimiter_of(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class Unreadable(Exception):
    """A roster the csv module cannot read: `field` names the line, `message` why (`french`
    in French)."""

    def __init__(self, field: str, message: str, french: str) -> None:
        super().__init__(message)
        self.field, self.message, self.french = field, message, french


def rows_of(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells); `Unreadable` for what no spreadsheet writes (a cell over
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
                limit = csv.field_size_limit()
                raise Unreadable(line, f"a cell is longer than {limit:,} characters",
                                 f"ligne {reader.line_num} : une cellule dépasse {limit:,} "
                                 "caractères".replace(",", " ")) from None
            raise Unreadable(line, f"not a CSV file a spreadsheet writes: {exc}",
                             f"ligne {reader.line_num} : ce n'est pas un fichier CSV tel qu'un "
                             f"tableur l'écrit ({exc})") from None
        yield reader.line_num, row


#: Each column's name on the pages.
FRENCH_COLUMN = {"name": "nom", "first_name": "prénom", "email": "courriel",
                 "phone": "téléphone", "rpps": "RPPS", "organisation": "structure"}
