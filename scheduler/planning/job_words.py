"""A solve job's log in French, for the manager's pages (the log is stored in English, as the
API and the workers' logs give it). Lines this module does not know stay as they are."""

from __future__ import annotations

import re

#: The solver's stages, in French.
STAGE_FR = {
    "coverage": "couverture des besoins", "over_cover": "places en surnombre",
    "stability": "stabilité du planning publié", "fairness": "équité des charges",
    "fairness_unpopular": "équité des créneaux pénibles", "preferences": "préférences",
    "wishes": "souhaits", "weighted": "objectif pondéré",
}


def _stage(match: re.Match[str]) -> str:
    return STAGE_FR.get(match["stage"], match["stage"])


#: (English pattern, French wording: a format string over the pattern's groups, plus
#: `stage_fr` where there is a stage).
LINES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), words) for pattern, words in (
        (r"requested by (?P<who>.+) \(time limit (?P<limit>\S+) s, seed (?P<seed>\d+)\)",
         "demandé par {who} (durée {limit} s, graine {seed})"),
        (r"started on (?P<worker>\S+) \(attempt (?P<n>\d+) of (?P<of>\d+)\)",
         "démarré sur {worker} (essai {n} sur {of})"),
        (r"stage (?P<stage>\w+)", "étape : {stage_fr}"),
        (r"saved draft rota version (?P<v>\d+): (?P<a>\d+) assignments, (?P<u>\d+) "
         r"uncovered seats",
         "version {v} enregistrée en brouillon : {a} affectations, {u} places non pourvues"),
        (r"cancelled by (?P<who>.+) before it started", "annulé par {who} avant de démarrer"),
        (r"cancellation requested by (?P<who>.+)", "annulation demandée par {who}"),
        (r"cancelled during stage (?P<stage>\w+): nothing was saved",
         "annulé pendant l'étape « {stage_fr} » : rien n'a été enregistré"),
        (r"cancelled: nothing was saved", "annulé : rien n'a été enregistré"),
        (r"cancelled as it ended: nothing was saved",
         "annulé au moment de finir : rien n'a été enregistré"),
        (r"its worker (?P<worker>\S*) is stopping: queued again",
         "son calculateur {worker} s'arrête : remis en file d'attente"),
        (r"its worker (?P<worker>\S*) is stopping: cancelled as asked; nothing was saved",
         "son calculateur {worker} s'arrête : annulé comme demandé, rien n'a été enregistré"),
        (r"its worker (?P<worker>\S*) stopped answering; nothing was saved; queued again",
         "son calculateur {worker} ne répond plus : rien n'a été enregistré, remis en file "
         "d'attente"),
        (r"its worker (?P<worker>\S*) stopped answering; cancelled as asked; nothing was saved",
         "son calculateur {worker} ne répond plus : annulé comme demandé, rien n'a été "
         "enregistré"),
        (r"interrupted: its worker (?P<worker>\S*) stopped answering; nothing was saved",
         "interrompu : son calculateur {worker} ne répond plus, rien n'a été enregistré"),
        (r"no rota \((?P<status>\w+)\): nothing was saved",
         "aucun planning possible (les données se contredisent, ou aucun planning trouvé "
         "dans le temps donné) : rien n'a été enregistré"),
        (r"failed: an unexpected error; nothing was saved",
         "échec : erreur inattendue, rien n'a été enregistré"),
    ))
_STAMP = re.compile(r"^(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) (?P<text>.*)$")


def log_line_fr(line: str) -> str:
    """One log line («2026-11-30T09:00:00Z started on host:12 (attempt 1 of 2)») in French,
    its time kept; unknown lines unchanged."""
    stamped = _STAMP.match(line)
    stamp, text = (stamped["stamp"] + " ", stamped["text"]) if stamped else ("", line)
    for pattern, words in LINES:
        match = pattern.match(text)
        if match is not None:
            groups = match.groupdict()
            if "stage" in groups:
                groups["stage_fr"] = _stage(match)
            return stamp + words.format(**groups)
    return line
