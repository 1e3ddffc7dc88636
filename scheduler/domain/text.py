"""Text, numbers, dates and sizes as the service accepts them, whatever the input path (API, forms,
CSV, scenario and problem files): one boundary, defined once.

Text must be valid Unicode without NUL (PostgreSQL refuses NUL, and a lone surrogate cannot
be encoded), and each kind of text has a longest length. Dates lie between `EARLIEST` and
`LATEST`: a tension period is planned this century, and date arithmetic near year 1 or 9999
overflows. Numbers are bounded on their domain types (`domain.bounds`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

#: Longest texts, in characters.
ID_MAX = 64
NAME_MAX = 200
LABEL_MAX = 200
ADDRESS_MAX = 500
CONTACT_MAX = 500
EMAIL_MAX = 254
PHONE_MAX = 40
COMMENT_MAX = 2000
PASSWORD_MAX = 256
#: The largest period: slots (a regional period of 10 sites over a summer has ~1,700) and
#: doctors taking part; and the largest file read.
MAX_SLOTS_PER_PERIOD = 4000
MAX_DOCTORS_PER_PERIOD = 6000
MAX_FILE_BYTES = 50_000_000
#: Dates the service plans with.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def text_problem(value: str) -> str | None:
    """What makes `value` unacceptable as text, in English, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def check_text(value: str) -> str:
    """`value`, or ValueError saying why it is not acceptable text."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_date(value: date) -> date:
    """`value`, or ValueError when it lies outside EARLIEST..LATEST."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value.isoformat()} is not between {EARLIEST.isoformat()} and "
                         f"{LATEST.isoformat()}")
    return value


def without_accents(text: str) -> str:
    """`text` with its accents dropped ("Hélène" → "Helene")."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


def slug(text: str, max_length: int = ID_MAX) -> str:
    """`text` as an identifier: lower-case ASCII letters, digits and hyphens, at most
    `max_length` characters ("Dr Hélène Lefèvre" → "dr-helene-lefevre")."""
    plain = without_accents(text.lower())
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:max_length].strip("-")
