"""The French words of a new period's problems (`period_form`, and a scenario file uploaded
in the browser): a validation error by its type, the English messages of a scenario's reading
and expansion by pattern, and each form field's label."""

from __future__ import annotations

import re

from pydantic import ValidationError

from scheduler.domain.errors import field_path
from scheduler.scenario.spec import WEEKDAYS

DAY_KIND_FR = {"mon": "lundi", "tue": "mardi", "wed": "mercredi", "thu": "jeudi",
               "fri": "vendredi", "sat": "samedi", "sun": "dimanche", "holiday": "férié"}


def _number_fr(value: object) -> str:
    return f"{value:g}".replace(".", ",") if isinstance(value, int | float) else str(value)


def validation_fr(exc: ValidationError) -> list[tuple[str, str]]:
    """Each error of a scenario's validation as (field path, French message): the path as
    `InputError` gives it (`slot_templates[0].seats`), the message from the error's type."""
    out = []
    for error in exc.errors():
        ctx = error.get("ctx", {})
        message = {
            "missing": "obligatoire",
            "extra_forbidden": "champ inconnu",
            "string_pattern_mismatch": "format non valide",
            "string_too_long": f"{ctx.get('max_length')} caractères au plus",
            "greater_than_equal": f"au moins {_number_fr(ctx.get('ge'))}",
            "less_than_equal": f"au plus {_number_fr(ctx.get('le'))}",
            "greater_than": f"plus de {_number_fr(ctx.get('gt'))}",
            "too_short": f"au moins {ctx.get('min_length')} valeur(s)",
            "too_long": "trop d'éléments",
        }.get(error["type"]) or expand_fr(error["msg"].removeprefix("Value error, "),
                                        otherwise="valeur non valide")
        out.append((field_path(error["loc"]), message))
    return out


def expand_fr(message: str, otherwise: str | None = None) -> str:
    """The English messages of a scenario's reading, validation and expansion, in French (the
    form's and the uploaded file's); a message not listed gives `otherwise`, by default
    itself."""
    for pattern, french in (
        (r"no seats given and site .* has no gap_model",
         "indiquez le nombre de places, ou activez le modèle de besoins du site"),
        (r"overlapping duplicate slots", "ce créneau en recouvre un autre du même site, "
                                         "aux mêmes jours"),
        (r"the period would have more than ([\d,]+) slots",
         "la période aurait trop de créneaux (raccourcissez-la)"),
        (r"is listed twice", "cette date est donnée deux fois"),
        (r"unknown time zone|unknown country", "réglage de la période non valide"),
        (r"invalid (YAML|JSON) at line (\d+), column (\d+): (.*)",
         r"syntaxe \1 non valide ligne \2, colonne \3 (\4)"),
        (r"invalid (YAML|JSON)", r"syntaxe \1 non valide"),
        (r"file larger than ([\d,]+) bytes", r"fichier de plus de \1 octets"),
        (r"duplicate id '(.*)'", r"identifiant « \1 » en double"),
        (r"unknown (site|template|organisation|doctor) '(.*)'", r"référence inconnue « \2 »"),
        (r"sites outside your own: (.*)", r"sites hors des vôtres : \1"),
        (r"period '(.*)' is already loaded from different content",
         r"la période « \1 » existe déjà avec un autre contenu : donnez un autre identifiant"),
        (r"a scenario file \(", "un fichier de scénario est attendu (un problem.json se charge "
                                "avec « scheduler load »)"),
        (r"is not between (\d{4})-\d\d-\d\d and (\d{4})-\d\d-\d\d", r"une date de \1 à \2"),
        (r"end .* is before start", "la fin précède le début"),
        (r"last .* is before first", "la fin précède le début"),
        (r"date range ends", "la plage de dates finit avant de commencer"),
        (r"missing weekdays: (.*)", r"jours manquants : \1"),
        (r"invalid RPPS number", "numéro RPPS non valide (11 chiffres dont une clé)"),
        (r"invalid email address", "adresse de courriel non valide"),
        (r"arrivals cannot be negative", "les arrivées ne peuvent être négatives"),
    ):
        found = re.search(pattern, message)
        if found:
            return found.expand(french)
    return message if otherwise is None else otherwise


_LABELS = {"nom": "Nom", "identifiant": "Identifiant", "debut": "Premier jour",
           "fin": "Dernier jour", "date_limite": "Date limite", "site": "Sites",
           "nouveau_site_id": "Nouveau site", "repos": "Repos minimal",
           "battement": "Trajet entre sites", "priorite_nuit": "Priorité des nuits",
           "priorite_weekend": "Priorité des week-ends", "priorite_ferie": "Priorité des fériés"}
_ROW_WORDS = {"libelle": "libellé", "site": "site", "debut": "début", "fin": "fin",
              "places": "places", "priorite": "priorité", "jours": "jours", "du": "du",
              "au": "au", "date": "date", "comme": "traité comme"}
_GAP_WORDS: dict[str, str] = {"part": "part relevant d'un généraliste",
                              "absorption": "absorption",
                              "rythme": "patients par heure", "salles": "salles",
                              "ferie": "coefficient férié", "pont": "coefficient pont",
                              **{d: DAY_KIND_FR[d] for d in WEEKDAYS}}


def field_label(name: str, site_names: dict[str, str] | None = None) -> str:
    """The French label of a form field, as the list of problems names it
    (`creneau3_places` → "Créneau, ligne 3 : places"; a gap-model field by its site's name in
    `site_names`)."""
    if name in _LABELS:
        return _LABELS[name]
    row = re.fullmatch(r"(creneau|exception)(\d+)_(\w+)", name)
    if row:
        what = "Créneau" if row[1] == "creneau" else "Jour particulier"
        return f"{what}, ligne {row[2]} : {_ROW_WORDS.get(row[3], row[3])}"
    gap = re.fullmatch(r"besoins_(.+)_(\w+)", name)
    if gap:
        site = (site_names or {}).get(gap[1], gap[1])
        return f"Modèle de besoins ({site}) : {_GAP_WORDS.get(gap[2], gap[2])}"
    return name or "Formulaire"
