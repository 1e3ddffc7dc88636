"""A new tension period from the manager's form, field by field: the posted fields are read
into the same scenario document a file holds (`scenario.spec`), so the form and `scheduler
load` share one validation and one all-or-nothing load. Every problem comes back in French,
keyed by the form field to correct.

The form's fields (French names, as posted):
- `nom`, `identifiant` (optional: made from the name), `debut`, `fin`, `date_limite`;
- `site` (one value per site of the period), `nouveau_site_id` and `nouveau_site_nom`;
- `repos` (hours), `battement` (minutes), `priorite_nuit`, `priorite_weekend`,
  `priorite_ferie`;
- per slot template row i (1..TEMPLATE_ROWS): `creneau{i}_libelle`, `_site`, `_debut`, `_fin`,
  `_places` (empty: the site's gap model computes them), `_priorite`, `_jours` (one value per
  day kind: mon..sun, holiday), `_du`, `_au`;
- per exception row i (1..EXCEPTION_ROWS): `exception{i}_date`, `_comme` (a day kind),
  `_motif`;
- per site s, its gap model (`GapModelSpec`): `besoins_{s}_actif` ("oui"), one line of 24
  arrivals per weekday `besoins_{s}_{mon..sun}`, `_part` (% of low acuity), `_absorption`,
  `_rythme` (patients per GP hour), `_salles`, `_ferie`, `_pont` (factors).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.text import slug, text_problem
from scheduler.planning.period_words import expand_fr, validation_fr
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import (
    PRIORITY,
    SEATS,
    WEEKDAYS,
    Scenario,
    reference_problems,
)

TEMPLATE_ROWS = 8
EXCEPTION_ROWS = 4
DAY_KINDS = (*WEEKDAYS, "holiday")
#: Scenario fields → the form's fields.
_PERIOD = {"id": "identifiant", "name": "nom", "start": "debut", "end": "fin",
           "availability_deadline": "date_limite"}
_TEMPLATE = {"label": "libelle", "site": "site", "start": "debut", "end": "fin",
             "seats": "places", "priority": "priorite", "days": "jours", "first": "du",
             "last": "au"}
_GAP = {"low_acuity_share": "part", "in_house_absorption_per_hour": "absorption",
        "gp_patients_per_hour": "rythme", "consultation_rooms": "salles",
        "public_holiday_factor": "ferie", "bridge_factor": "pont"}
_CLOCK = re.compile(r"([01]\d|2[0-4]):[0-5]\d")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True, kw_only=True)
class SiteChoice:
    """A site the manager may put in the period: its id, name and stored details."""

    id: str
    name: str
    address: str = ""
    contact: str = ""


@dataclass(frozen=True)
class PeriodForm:
    """What the form describes: the scenario and its expanded problem, or the problems found
    (form field → French message); exactly one of the two is set."""

    scenario: Scenario | None
    problem: Problem | None
    problems: dict[str, str]


class _Reader:
    """The posted fields, read one by one; each bad one leaves a French message."""

    def __init__(self, fields: Sequence[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in fields:
            self.values.setdefault(key, []).append(value.strip())
        self.problems: dict[str, str] = {}
        #: The form row of each date exception read (blank rows are skipped).
        self.exception_rows: list[int] = []

    def text(self, name: str, *, limit: int = 200) -> str:
        value = (self.values.get(name) or [""])[0]
        if text_problem(value) is not None:
            self.problems[name] = "caractère non admis"
        elif len(value) > limit:
            self.problems[name] = f"{limit} caractères au plus"
        else:
            return value
        return ""

    def all(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, []) if v and text_problem(v) is None][:20]

    def day(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name)
        if not value:
            if required:
                self.problems.setdefault(name, "obligatoire")
            return None
        found = _FRENCH_DATE.fullmatch(value)
        iso = f"{found[3]}-{int(found[2]):02d}-{int(found[1]):02d}" if found else value
        try:
            return date.fromisoformat(iso).isoformat()
        except ValueError:
            self.problems[name] = "date attendue (jj/mm/aaaa)"
            return None

    def clock(self, name: str) -> str | None:
        value = self.text(name)
        if not value:
            self.problems.setdefault(name, "obligatoire")
            return None
        if len(value) == 4 and value[1] == ":":
            value = "0" + value
        if not _CLOCK.fullmatch(value) or (value.startswith("24") and value != "24:00"):
            self.problems[name] = "heure attendue (HH:MM, de 00:00 à 24:00)"
            return None
        return value

    def number(self, name: str, low: float, high: float, *, whole: bool = True,
               default: float | None = None) -> float | None:
        value = self.text(name).replace(",", ".").replace(" ", "")
        if not value:
            return default
        number: float | None = None
        if re.fullmatch(r"\d{1,6}" if whole else r"\d{1,6}(\.\d{1,4})?", value):
            number = int(value) if whole else float(value)
        if number is None or not low <= number <= high:
            kind = "un nombre entier" if whole else "un nombre"
            self.problems[name] = f"{kind} entre {_fr(low)} et {_fr(high)}"
            return None
        return number


def _fr(number: float) -> str:
    return f"{number:g}".replace(".", ",")


def read_period_form(fields: Sequence[tuple[str, str]], sites: Sequence[SiteChoice], *,
                     may_add_site: bool, taken: Callable[[str], bool]) -> PeriodForm:
    """Read the posted `fields` into a scenario and expand it.

    `sites` are those the manager reaches (with their stored details); `may_add_site` lets an
    admin name a new one; `taken(id)` says whether a period id is already stored (an empty
    `identifiant` becomes the name's slug, numbered until free). Writes nothing.
    """
    form = _Reader(fields)
    document = _document(form, {s.id: s for s in sites}, may_add_site, taken)
    if form.problems:
        return PeriodForm(None, None, form.problems)
    # What `_form_field` needs beside the document: the form row of each date exception.
    where = {**document, "_exception_rows": form.exception_rows}
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        return PeriodForm(None, None, _validation_fr(exc, where))
    problems = reference_problems(scenario)
    if problems:
        return PeriodForm(None, None, {_form_field(f, where): "référence non valide"
                                       for f, _ in problems})
    try:
        problem = expand(scenario, "formulaire")
    except InputError as exc:
        return PeriodForm(None, None, {_form_field(p.field, where): expand_fr(p.message)
                                       for p in exc.problems})
    return PeriodForm(scenario, problem, {})


def _document(form: _Reader, sites: dict[str, SiteChoice], may_add_site: bool,
              taken: Callable[[str], bool]) -> dict[str, Any]:
    name = form.text("nom", limit=120)
    if not name:
        form.problems.setdefault("nom", "obligatoire")
    start, end = form.day("debut", required=True), form.day("fin", required=True)
    if start and end and end < start:
        form.problems["fin"] = "la fin précède le début"
    elif start and end and (date.fromisoformat(end) - date.fromisoformat(start)).days >= 366:
        form.problems["fin"] = "une période dure au plus un an"
    deadline = form.day("date_limite")
    asked = list(dict.fromkeys(form.all("site")))
    chosen = [sites[s] for s in asked if s in sites]
    if len(chosen) != len(asked):
        form.problems["site"] = "un site coché n'est pas des vôtres"
    new_id, new_name = form.text("nouveau_site_id", limit=64), form.text("nouveau_site_nom")
    if new_id or new_name:
        if not may_add_site:
            form.problems["nouveau_site_id"] = "seul un administrateur crée un site"
        elif not (new_id and new_name) or slug(new_id) != new_id:
            form.problems["nouveau_site_id"] = ("identifiant (minuscules, chiffres, tirets) et "
                                                "nom du nouveau site, les deux")
        elif new_id in sites:
            form.problems["nouveau_site_id"] = "ce site existe déjà : cochez-le"
        else:
            chosen.append(SiteChoice(id=new_id, name=new_name))
    if not chosen:
        form.problems.setdefault("site", "cochez au moins un site")
    period_id = form.text("identifiant", limit=64) or _free_id(slug(name, 48) or "periode", taken)
    if taken(period_id):
        form.problems["identifiant"] = "une période porte déjà cet identifiant"
    rules = {"min_rest_hours": form.number("repos", 0, 24, whole=False, default=11),
             "travel_buffer_minutes": form.number("battement", 0, 240, default=0)}
    priorities = {key: form.number(f"priorite_{field}", PRIORITY.low, PRIORITY.high,
                                   default=default)
                  for key, field, default in (("night", "nuit", 3), ("weekend", "weekend", 2),
                                              ("holiday", "ferie", 3))}
    priorities["bridge"] = priorities["holiday"]  # the form's "fériés et ponts"
    return {
        "period": {k: v for k, v in {"id": period_id, "name": name, "start": start, "end": end,
                                     "availability_deadline": deadline}.items() if v},
        "rules": rules, "priorities": priorities,
        "sites": [{"id": s.id, "name": s.name, "address": s.address, "contact": s.contact,
                   **_gap_model(form, s.id)} for s in chosen],
        "slot_templates": _templates(form, [s.id for s in chosen]),
        "date_exceptions": _exceptions(form),
    }


def _free_id(base: str, taken: Callable[[str], bool]) -> str:
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _templates(form: _Reader, site_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(1, TEMPLATE_ROWS + 1):
        row = f"creneau{i}_"
        if not any(form.text(row + f) for f in ("libelle", "debut", "fin", "places")):
            continue
        site = form.text(row + "site", limit=64) or (site_ids[0] if len(site_ids) == 1 else "")
        if site not in site_ids:
            form.problems[row + "site"] = "choisissez un des sites cochés"
        days = form.all(row + "jours")
        if not days or any(d not in DAY_KINDS for d in days):
            form.problems[row + "jours"] = "cochez au moins un jour"
        seats = form.number(row + "places", SEATS.low, SEATS.high)
        template = {"id": f"creneau-{i}", "site": site, "days": days,
                    "start": form.clock(row + "debut"), "end": form.clock(row + "fin"),
                    "seats": seats, "priority": form.number(row + "priorite", PRIORITY.low,
                                                            PRIORITY.high, default=1),
                    "label": form.text(row + "libelle", limit=80),
                    "first": form.day(row + "du"), "last": form.day(row + "au")}
        out.append({k: v for k, v in template.items() if v is not None})
    if not out:
        form.problems.setdefault("creneau1_debut", "décrivez au moins un créneau")
    return out


def _exceptions(form: _Reader) -> list[dict[str, Any]]:
    out = []
    for i in range(1, EXCEPTION_ROWS + 1):
        row = f"exception{i}_"
        day, kind = form.day(row + "date"), form.text(row + "comme")
        if day is None and not kind:
            continue
        if day is None:
            form.problems.setdefault(row + "date", "obligatoire")
        if kind not in DAY_KINDS:
            form.problems[row + "comme"] = "choisissez le jour à imiter"
        out.append({"date": day, "treat_as": kind, "reason": form.text(row + "motif", limit=80)})
        form.exception_rows.append(i)
    return out


def _gap_model(form: _Reader, site: str) -> dict[str, Any]:
    prefix = f"besoins_{site}_"
    if form.text(prefix + "actif") != "oui":
        return {}
    arrivals: dict[str, list[float]] = {}
    for day in WEEKDAYS:
        cells = [c for c in re.split(r"[\s;]+", form.text(prefix + day, limit=400)) if c]
        try:
            values = [float(c.replace(",", ".")) for c in cells]
        except ValueError:
            values = []
        if len(values) != 24 or any(not 0 <= v <= 1000 for v in values):
            form.problems[prefix + day] = "24 nombres (arrivées par heure, de 0 h à 23 h)"
        arrivals[day] = values
    share = form.number(prefix + "part", 1, 100, whole=False)
    model = {"arrivals_per_hour": arrivals,
             "low_acuity_share": None if share is None else share / 100,
             "in_house_absorption_per_hour": form.number(prefix + "absorption", 0, 1000,
                                                         whole=False, default=0),
             "gp_patients_per_hour": form.number(prefix + "rythme", 0.1, 20, whole=False),
             "consultation_rooms": form.number(prefix + "salles", 0, 50),
             "public_holiday_factor": form.number(prefix + "ferie", 0.1, 5, whole=False,
                                                  default=1),
             "bridge_factor": form.number(prefix + "pont", 0.1, 5, whole=False, default=1)}
    for key in ("low_acuity_share", "gp_patients_per_hour", "consultation_rooms"):
        if model[key] is None:
            form.problems.setdefault(prefix + _GAP[key], "obligatoire")
    return {"gap_model": model}


# Problems, in French -------------------------------------------------------------------------

def _form_field(path: str, document: dict[str, Any]) -> str:
    """The form field a scenario field path comes from (`slot_templates[0].seats` →
    `creneau3_places` when the first template is the third row)."""
    found = re.match(r"(\w+)(?:\[(\d+)\])?\.?(\w+)?(?:\.(\w+))?", path)
    if found is None:
        return ""
    part, index, name, sub = found[1], found[2], found[3] or "", found[4] or ""
    if part == "period":
        return _PERIOD.get(name, "nom")
    if part == "rules":
        return {"min_rest_hours": "repos"}.get(name, "battement")
    if part == "slot_templates" and index is not None:
        template = document["slot_templates"][int(index)]
        return f"{template['id'].replace('-', '')}_{_TEMPLATE.get(name, 'debut')}"
    if part == "date_exceptions" and index is not None:
        rows = document.get("_exception_rows") or []
        row = rows[int(index)] if int(index) < len(rows) else int(index) + 1
        return f"exception{row}_{'comme' if name == 'treat_as' else 'date'}"
    if part == "sites" and index is not None and name == "gap_model":
        site = document["sites"][int(index)]["id"]
        return f"besoins_{site}_{_GAP.get(sub, 'mon')}"
    return "site" if part == "sites" else ""


def _validation_fr(exc: ValidationError, document: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, message in validation_fr(exc):
        out.setdefault(_form_field(path, document), message)
    return out
