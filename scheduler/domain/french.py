"""French wording for pages and emails: dates, weekdays, plurals (no locale dependence)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
#: Weekday plurals, for "tous les dimanches".
WEEKDAYS_PLURAL = ("lundis", "mardis", "mercredis", "jeudis", "vendredis", "samedis",
                   "dimanches")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def day_number(day: date) -> str:
    return "1er" if day.day == 1 else str(day.day)


def long_date(day: date) -> str:
    """«1er juillet 2027»."""
    return f"{day_number(day)} {MONTHS[day.month - 1]} {day.year}"


def weekday_date(day: date) -> str:
    """«lundi 5 juillet»."""
    return f"{WEEKDAYS[day.weekday()]} {day_number(day)} {MONTHS[day.month - 1]}"


def month_with_de(month: int) -> str:
    """«de juillet», «d'août», «d'octobre»."""
    name = MONTHS[month - 1]
    return f"d'{name}" if name[0] in "aeiouéèê" else f"de {name}"


def clock(moment: datetime) -> str:
    """«20:00»; the end of a day shows as «24:00» where it ends a slot (see `slot_hours`)."""
    return moment.strftime("%H:%M")


def slot_hours(start: datetime, end: datetime) -> str:
    """«20:00–24:00» for local start and end times."""
    end_text = "24:00" if end.hour == 0 and end.minute == 0 and end.date() > start.date() \
        else clock(end)
    return f"{clock(start)}–{end_text}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """«1 créneau», «12 créneaux»; French treats 0 and 1 as singular."""
    word = singular if count <= 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def moment(value: datetime, timezone: str) -> str:
    """«5 juillet 2027 à 14:32» in the given time zone."""
    local = value.astimezone(ZoneInfo(timezone))
    return f"{long_date(local.date())} à {clock(local)}"


def numeric_moment(value: datetime, timezone: str, *, year: bool = True) -> str:
    """«05/07/2027 14:32» (or «05/07 14:32» without the year) in the given time zone: the
    manager's tables, in the period's local time (the server's clock is UTC)."""
    return value.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M" if year
                                                         else "%d/%m %H:%M")


#: French names of the skills a slot may require (scenario files use the English codes).
SKILLS = {"paediatrics": "pédiatrie", "sutures": "sutures", "gynaecology": "gynécologie",
          "geriatrics": "gériatrie", "radiology": "radiologie"}


def skill(code: str) -> str:
    return SKILLS.get(code, code)
