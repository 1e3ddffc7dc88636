"""Generate `scenarios/chiv-summer-2026.yaml`, the shipped CHIV demo scenario (seeded).

    .venv/bin/python scenarios/generate_chiv_summer.py

Everyone in it is fictional: nature-word surnames, @example.org addresses, 06 00 phone numbers,
RPPS numbers made with a valid check digit. The availability is written as a few rules per
doctor, the way a GP answers the form ("Tuesday and Thursday evenings in July"), and is tight
on purpose: weekend nights, the 13–14 July bridge and 14–16 August have few offers, while most
weekday evenings can be covered. The script prints offers against seats to show it.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from scheduler.domain.rpps import make_rpps
from scheduler.engine.eligibility import eligible_pairs
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import WEEKDAYS, parse_scenario

OUT = Path(__file__).with_name("chiv-summer-2026.yaml")
SEED = 2026
START, END = date(2026, 7, 1), date(2026, 8, 31)
EVENING_DAYS = ["mon", "tue", "wed", "thu"]
# Vacations cluster between these dates (start of a 1–3 week absence).
VACATION_STARTS = (date(2026, 7, 18), date(2026, 8, 10))

FIRST_NAMES = [
    "Camille", "Louise", "Hugo", "Léa", "Mathis", "Chloé", "Nathan", "Manon", "Lucas", "Inès",
    "Jules", "Sarah", "Thomas", "Emma", "Antoine", "Julie", "Maxime", "Clara", "Nicolas",
    "Pauline", "Julien", "Élodie", "Romain", "Céline", "Karim", "Yasmine", "Mehdi", "Amira",
    "Théo", "Zoé", "Baptiste", "Margaux", "Sophie", "Philippe", "Anne", "Bernard", "Martine",
    "Alain", "Françoise", "Gérard", "Nadia", "Samir", "Fatou", "Moussa", "Aïcha", "Paul", "Marie",
    "Jacques", "Hélène", "Rachid", "Leïla", "Vincent", "Agnès",
]
# Plant and bird names: clearly nobody's real name in a French ED rota.
SURNAMES = [
    "Peuplier", "Mésange", "Tilleul", "Bouleau", "Chardon", "Pervenche", "Sorbier", "Noisetier",
    "Aubépine", "Héron", "Saule", "Mélèze", "Cormoran", "Campanule", "Coquelicot", "Myrtille",
    "Pinson", "Roitelet", "Sarcelle", "Troène", "Verveine", "Airelle", "Alouette", "Bruyère",
    "Cerisier", "Églantier", "Fougère", "Glycine", "Hirondelle", "Jonquille", "Lavandin",
    "Marjolaine", "Nénuphar", "Ortie", "Pivoine", "Quetsche", "Romarin", "Sauge", "Tamaris",
    "Ulmaire", "Valériane", "Zinnia", "Amandier", "Bergamote", "Cannelle", "Dahlia", "Épicéa",
    "Figuier", "Genévrier", "Hêtre", "Jasmin", "Laurier", "Magnolia", "Noyer", "Prunier", "Sureau",
    "Serpolet", "Bigaradier", "Arnica", "Lilas", "Mirabellier", "Cognassier", "Aulne", "Charme",
    "Frêne", "Tourterelle", "Bécasseau", "Grèbe", "Martinet", "Fauvette", "Linotte", "Bouvreuil",
    "Rougegorge",
]

ORGANISATIONS = [
    ("cpts-bords-de-seine", "CPTS des Bords de Seine Sud (fictive)", "cpts"),
    ("cpts-tilleuls", "CPTS du Plateau des Tilleuls (fictive)", "cpts"),
    ("cpts-senart", "CPTS Lisière de Sénart (fictive)", "cpts"),
    ("cpts-confluence-nord", "CPTS Confluence Nord (fictive)", "cpts"),
    ("sami-villeneuve", "SAMI de Villeneuve (fictif)", "sami"),
    ("urps-idf", "URPS médecins libéraux IdF — liste de volontaires (fictive)", "urps"),
    ("ordre-94", "Conseil départemental de l'Ordre — liste de volontaires (fictive)", "ordre"),
]

# Adult ED arrivals per clock hour, 0h..23h (about 215 a day): peaks late morning and 15–16 h.
BASE_PROFILE = [5.0, 4.0, 3.5, 3.0, 3.0, 3.0, 4.0, 6.0, 9.0, 12.0, 14.0, 15.0,
                13.0, 12.0, 13.0, 14.0, 14.0, 12.0, 12.0, 11.0, 11.0, 10.0, 8.5, 7.0]
# Mondays about 11 % above the other days.
WEEKDAY_FACTOR = {"mon": 1.11, "tue": 1.0, "wed": 0.98, "thu": 0.99, "fri": 1.02,
                  "sat": 0.97, "sun": 0.95}


def gap_model() -> dict[str, Any]:
    return {
        "arrivals_per_hour": {
            day: [round(v * WEEKDAY_FACTOR[day], 1) for v in BASE_PROFILE] for day in WEEKDAYS
        },
        "low_acuity_share": 0.35,
        "in_house_absorption_per_hour": 0.25,
        "gp_patients_per_hour": 3.0,
        "consultation_rooms": 3,
        "public_holiday_factor": 1.25,
        "bridge_factor": 1.1,
        "date_factors": [{
            "first": date(2026, 7, 27), "last": date(2026, 8, 2), "factor": 1.15,
            "reason": "Épisode caniculaire (hypothèse de planification)",
        }],
    }


def templates() -> list[dict[str, Any]]:
    def t(tid: str, days: list[str], start: str, end: str, label: str, **kw: Any) -> dict[str, Any]:
        return {"id": tid, "site": "chiv", "days": days, "start": start, "end": end,
                "label": label, **kw}

    return [
        t("weekday-evening", EVENING_DAYS, "20:00", "24:00", "Soirée de semaine"),
        t("saturday-afternoon", ["sat"], "14:00", "20:00", "Samedi après-midi"),
        # From 20:00 on Fridays and Saturdays the night doctor also covers the evening.
        t("weekend-night", ["fri", "sat"], "20:00", "08:00", "Nuit du week-end",
          seats=1, tags=["night"]),
        t("sunday-morning", ["sun", "holiday"], "08:00", "14:00", "Dimanche / férié matin"),
        t("sunday-afternoon", ["sun", "holiday"], "14:00", "20:00",
          "Dimanche / férié après-midi"),
        t("holiday-evening", ["sun", "holiday"], "20:00", "24:00", "Dimanche / férié soir"),
    ]


def overrides() -> list[dict[str, Any]]:
    paediatric_sundays = ["20260719", "20260802", "20260816", "20260830"]
    return [
        *({"slot": f"chiv-{d}-0800", "skills": ["paediatrics"]} for d in paediatric_sundays),
        {"slot": "chiv-20260714-1400", "skills": ["sutures"]},
        {"slot": "chiv-20260714-2000", "priority": 5},
        {"slot": "chiv-20260815-1400", "skills": ["sutures"]},
        {"slot": "chiv-20260826-2000", "cancelled": True},
    ]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-")


class DoctorMaker:
    """Fictional identities and answers, drawn from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = rng.sample(SURNAMES, len(SURNAMES))
        self.phones: set[str] = set()
        self.rpps: set[str] = set()

    def identity(self, organisation: str | None) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST_NAMES), self.surnames.pop()
        phone = rpps = ""
        while not phone or phone in self.phones:
            phone = "06 00 " + " ".join(f"{self.rng.randrange(100):02d}" for _ in range(3))
        while not rpps or rpps in self.rpps:
            rpps = make_rpps("10" + f"{self.rng.randrange(10**8):08d}")
        self.phones.add(phone)
        self.rpps.add(rpps)
        out = {"id": f"dr-{ascii_slug(first)}-{ascii_slug(last)}", "name": f"Dr {first} {last}",
               "email": f"{ascii_slug(first)}.{ascii_slug(last)}@example.org",
               "phone": phone, "rpps": rpps}
        if organisation:
            out["organisation"] = organisation
        return out

    def skills(self, paediatrics: float, sutures: float) -> list[str]:
        return [s for s, p in (("paediatrics", paediatrics), ("sutures", sutures))
                if self.rng.random() < p]

    def caps(self, shifts: tuple[int, int], week: float, consecutive: float,
             hours: float) -> dict[str, Any]:
        caps: dict[str, Any] = {"max_shifts": self.rng.randint(*shifts)}
        if self.rng.random() < week:
            caps["max_shifts_per_week"] = self.rng.choice([1, 2])
        if self.rng.random() < consecutive:
            caps["max_consecutive_days"] = self.rng.choice([2, 3])
        if self.rng.random() < hours:
            caps["max_hours"] = self.rng.choice([24, 30, 36, 48])
        return caps

    def vacation(self, chance: float) -> list[list[date]]:
        if self.rng.random() >= chance:
            return []
        span = (VACATION_STARTS[1] - VACATION_STARTS[0]).days
        first = VACATION_STARTS[0] + timedelta(days=self.rng.randrange(span + 1))
        return [[first, first + timedelta(days=self.rng.choice([6, 13, 13, 20]))]]

    def evenings(self, count: tuple[int, int], one_month: float = 0.0) -> dict[str, Any]:
        days = sorted(self.rng.sample(EVENING_DAYS, self.rng.randint(*count)),
                      key=WEEKDAYS.index)
        rule = {"answer": "available", "templates": ["weekday-evening"], "days": days}
        return {**rule, **self.month()} if self.rng.random() < one_month else rule

    def month(self) -> dict[str, date]:
        return self.rng.choice([{"first": START, "last": date(2026, 7, 31)},
                                {"first": date(2026, 8, 1), "last": END}])


def window(first_month: int, first_day: int, last_month: int, last_day: int) -> dict[str, date]:
    return {"first": date(2026, first_month, first_day), "last": date(2026, last_month, last_day)}


def long_weekends_off(m: DoctorMaker, july: float, august: float) -> list[dict[str, Any]]:
    """The 14 July and 15 August long weekends, which most families keep for themselves."""
    out = []
    if m.rng.random() < july:
        out.append({"answer": "none", "first": date(2026, 7, 11), "last": date(2026, 7, 14)})
    if m.rng.random() < august:
        out.append({"answer": "none", "first": date(2026, 8, 14), "last": date(2026, 8, 16)})
    return out


def cpts_doctor(m: DoctorMaker, org: str) -> dict[str, Any]:
    """A CPTS volunteer: one to three weekday evenings, sometimes a Saturday or a Sunday."""
    rules = [m.evenings((1, 2), one_month=0.6)]
    if m.rng.random() < 0.3:
        rules.append({"answer": "preferred", "templates": ["weekday-evening"],
                      "days": [m.rng.choice(rules[0]["days"])]})
    if m.rng.random() < 0.35:
        rules.append({"answer": "available", "templates": ["saturday-afternoon"], **m.month()})
    if m.rng.random() < 0.3:
        rules.append({"answer": "available", "templates": ["sunday-morning", "sunday-afternoon"],
                      **m.month()})
    rules += long_weekends_off(m, 0.95, 0.95)
    return {**m.identity(org), "skills": m.skills(0.12, 0.3),
            "caps": m.caps((2, 6), 0.35, 0.1, 0.1), "away": m.vacation(0.8),
            "availability": rules}


def sami_doctor(m: DoctorMaker, nights: dict[str, date] | None) -> dict[str, Any]:
    """A SAMI doctor: used to evening and weekend rotas, offers much more."""
    rules: list[dict[str, Any]] = [
        m.evenings((1, 3)),
        {"answer": "available", "templates": ["saturday-afternoon", "holiday-evening"]},
        {"answer": "preferred", "days": ["sun"]},
    ]
    if m.rng.random() < 0.4:
        rules.append({"answer": "available", "days": ["holiday"]})
    if nights:
        rules.append({"answer": "available", "templates": ["weekend-night"], **nights})
    rules += long_weekends_off(m, 0.7, 0.75)
    return {**m.identity("sami-villeneuve"), "skills": m.skills(0.15, 0.5),
            "caps": m.caps((6, 12), 0.7, 0.6, 0.2), "away": m.vacation(0.7),
            "availability": rules}


def list_doctor(m: DoctorMaker, org: str) -> dict[str, Any]:
    """From the URPS or Ordre lists: fewer evenings, a weekend here and there."""
    rules = [m.evenings((1, 2), one_month=0.6)]
    if m.rng.random() < 0.5:
        rules.append({"answer": "available", "days": ["sat", "sun"], **m.month()})
        rules.append({"answer": "none", "templates": ["weekend-night"]})
    rules += long_weekends_off(m, 0.9, 0.9)
    return {**m.identity(org), "skills": m.skills(0.1, 0.3),
            "caps": m.caps((2, 8), 0.3, 0.2, 0.3), "away": m.vacation(0.7),
            "availability": rules}


def retired_doctor(m: DoctorMaker) -> dict[str, Any]:
    """A recently retired GP: free on weekdays, keeps an eye on their hours."""
    rules = [m.evenings((2, 4)),
             {"answer": "preferred", "templates": ["sunday-morning"]},
             *long_weekends_off(m, 0.8, 0.8)]
    return {**m.identity(None), "skills": m.skills(0.3, 0.5),
            "caps": {**m.caps((4, 10), 0.5, 0.5, 0.0), "max_hours": m.rng.choice([30, 40])},
            "away": m.vacation(0.6), "availability": rules,
            "comment": "Retraité(e) depuis peu ; disponible en semaine."}


def independent_doctor(m: DoctorMaker, nights: dict[str, date] | None) -> dict[str, Any]:
    rules = [m.evenings((1, 2), one_month=0.5)]
    if nights:
        rules.append({"answer": "available", "tags": ["night"], **nights})
    else:
        rules.append({"answer": "available", "templates": ["saturday-afternoon"]})
    rules += long_weekends_off(m, 0.9, 0.9)
    return {**m.identity(None), "skills": m.skills(0.1, 0.4),
            "caps": m.caps((2, 8), 0.4, 0.3, 0.2), "away": m.vacation(0.5),
            "availability": rules}


def doctors(rng: random.Random) -> list[dict[str, Any]]:
    m = DoctorMaker(rng)
    out = [cpts_doctor(m, org) for org, _, kind in ORGANISATIONS if kind == "cpts"
           for _ in range(9)]
    # Only six doctors take nights at all, each for a few weeks: nights stay hard to fill.
    sami_nights = [window(7, 1, 7, 19), window(7, 13, 8, 2), window(8, 1, 8, 16),
                   window(8, 17, 8, 31)]
    out += [sami_doctor(m, nights=sami_nights[i] if i < 4 else None) for i in range(12)]
    out += [list_doctor(m, "urps-idf") for _ in range(8)]
    out += [list_doctor(m, "ordre-94") for _ in range(4)]
    out += [retired_doctor(m) for _ in range(5)]
    independent_nights = [window(7, 1, 7, 26), window(8, 21, 8, 31)]
    out += [independent_doctor(m, nights=independent_nights[i] if i < 2 else None)
            for i in range(5)]
    flavour(rng, out)
    # Leave out empty lists, as a person writing the file would.
    return [{k: v for k, v in d.items() if v != []} for d in out]


def flavour(rng: random.Random, doctors: list[dict[str, Any]]) -> None:
    """Comments and last summer's hours, on a few doctors, as a real roster would have."""
    comments = [
        "Pas de nuit, merci.",
        "Plutôt en début de mois.",
        "Je peux dépanner au dernier moment par téléphone.",
        "Garde d'enfants le mercredi.",
        "Formation continue fin août.",
        "Disponible aussi pour remplacer un confrère au pied levé.",
    ]
    for doctor, text in zip(rng.sample(doctors, len(comments)), comments, strict=True):
        doctor.setdefault("comment", text)
    for doctor in rng.sample(doctors, 6):
        doctor["carry_over_hours"] = rng.choice([12, 18, 24, 36, 48])


def scenario() -> dict[str, Any]:
    rng = random.Random(SEED)
    return {
        "period": {"id": "chiv-summer-2026", "name": "CHIV — été 2026", "start": START,
                   "end": END, "timezone": "Europe/Paris",
                   "availability_deadline": date(2026, 6, 15), "status": "collecting",
                   "holiday_country": "FR"},
        "rules": {"min_rest_hours": 11, "travel_buffer_minutes": 0},
        "priorities": {"night": 3, "weekend": 2, "holiday": 3, "bridge": 3, "critical": 4},
        "sites": [{"id": "chiv", "name": "CHIV — urgences adultes",
                   "address": "40 allée de la Source, 94190 Villeneuve-Saint-Georges",
                   "contact": "cadre.urgences@example.org", "gap_model": gap_model()}],
        "slot_templates": templates(),
        "date_exceptions": [{"date": date(2026, 7, 13), "treat_as": "holiday",
                             "reason": "Pont du 14 juillet : cabinets de ville fermés"}],
        "slot_overrides": overrides(),
        "organisations": [{"id": i, "name": n, "kind": k} for i, n, k in ORGANISATIONS],
        "doctors": doctors(rng),
        "pinned": [],
    }


HEADER = """\
# CHIV, summer 2026: the shipped demo scenario. GENERATED by scenarios/generate_chiv_summer.py
# (seeded); edit the script and re-run it rather than editing this file by hand.
# Format: scenarios/README.md and scenarios/scenario.schema.json. Every person, organisation,
# e-mail address, phone and RPPS number below is fictional.
"""

SECTION_NOTES = {
    "sites": "# Seats come from the gap model unless a template or an override says otherwise.",
    "slot_templates": "# On a public holiday only templates listing `holiday` apply.",
    "slot_overrides": "# The manager's word wins: paediatric Sunday mornings, sutures on 14 July"
    " and 15 August,\n# fireworks evening, one evening staffed by the ED team itself.",
    "doctors": "# Availability rules apply in order; `none` withdraws what an earlier rule "
    "offered.",
}


class _Dumper(yaml.SafeDumper):
    """Block style, except lists of plain values and short rows, which read best on one line."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &id001 anchors for repeated dates


class _Flow(dict[str, Any]):
    pass


class _FlowList(list[Any]):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Quote clock times: unquoted, YAML 1.1 reads 20:00 as the number 1200 (base 60).
    style = '"' if re.fullmatch(r"\d\d:\d\d", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)
_Dumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)


def _styled(value: Any, nested: bool = False) -> Any:
    """Mark short nested mappings and lists of plain values for one-line (flow) style."""
    if isinstance(value, dict):
        styled = {k: _styled(v, nested=True) for k, v in value.items()}
        one_line = yaml.dump(_Flow(styled), Dumper=_Dumper, width=10**6, allow_unicode=True)
        return _Flow(styled) if nested and len(one_line) <= 92 else styled
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return _FlowList(value)
        return [_styled(v, nested=True) for v in value]
    return value


def render(data: dict[str, Any]) -> str:
    parts = [HEADER]
    for key, value in data.items():
        if key in SECTION_NOTES:
            parts.append(SECTION_NOTES[key])
        parts.append(yaml.dump({key: _styled(value)}, Dumper=_Dumper, sort_keys=False,
                               allow_unicode=True, width=100))
    return "\n".join(parts)


def tightness(data: dict[str, Any]) -> str:
    """Eligible offers (available, not away, with the skills) against seats, per template."""
    problem = expand(parse_scenario(data, str(OUT)), str(OUT))
    offers = Counter(s.id for d, s in eligible_pairs(problem))
    lines = [
        f"slots {len(problem.slots)}, seats {problem.total_seats}, doctors {len(problem.doctors)}, "
        f"answers {sum(len(d.availability) for d in problem.doctors)}, "
        f"eligible offers {sum(offers.values())}"
    ]
    by_label: dict[str, list[float]] = {}
    for s in problem.slots:
        by_label.setdefault(s.label, []).append(offers[s.id] / s.seats if s.seats else 0.0)
    for label, ratios in by_label.items():
        ratios.sort()
        lines.append(f"  {label:30} {len(ratios):3} slots, offers per seat min {ratios[0]:.1f}, "
                     f"median {ratios[len(ratios) // 2]:.1f}")
    hard = [s for s in problem.slots if offers[s.id] < 3 * s.seats]
    lines.append(f"slots with fewer than 3 offers per seat: {len(hard)}")
    lines += [f"  {s.id} {s.label}: {s.seats} seat(s), {offers[s.id]} offers" for s in hard]
    return "\n".join(lines)


def main() -> None:
    data = scenario()
    OUT.write_text(render(data), encoding="utf-8")
    print(f"wrote {OUT}")
    if "--quiet" not in sys.argv:
        print(tightness(data))


if __name__ == "__main__":
    main()
