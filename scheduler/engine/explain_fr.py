"""The reasons for uncovered seats (`explain.uncovered_reasons`) and for a solve without a rota
(`explain.pinned_conflicts`) in French, for the manager's pages: the same reasons as
`rota.json` gives in English, each doctor who offered the slot with what keeps them off it,
and the slots named by weekday, date and hours."""

from __future__ import annotations

from scheduler.domain import french
from scheduler.domain.problem import Problem
from scheduler.domain.rules import Rule
from scheduler.engine.checker import Violation
from scheduler.engine.explain import Blocker, UncoveredReason, pinned_conflicts

#: What a cap reached means for the doctor ("a atteint …").
CAP_FR = {
    Rule.PERIOD_CAP: "son maximum de gardes sur la période",
    Rule.WEEKLY_CAP: "son maximum de gardes pour la semaine",
    Rule.HOURS_CAP: "son maximum d'heures sur la période",
    Rule.CONSECUTIVE_DAYS: "son maximum de jours de garde consécutifs",
    Rule.SITE_CAP: "son maximum de gardes sur ce site",
    Rule.KIND_CAP: "son maximum de gardes de ce type",
    Rule.SHIFTS_PER_DAY: "son maximum de gardes dans la journée",
    Rule.WEEKENDS: "son maximum de week-ends",
}
#: Other rules, by name.
RULE_FR = {
    Rule.FORBIDDEN_SUCCESSION: "enchaînement interdit",
    Rule.MINIMUM_REST: "repos minimal",
    Rule.TRAVEL_BUFFER: "temps de trajet entre sites",
    Rule.NO_OVERLAP: "pas de chevauchement",
    Rule.MINIMUM_HOURS: "heures minimales",
    Rule.MINIMUM_CONSECUTIVE_DAYS: "jours consécutifs minimaux",
    Rule.MINIMUM_DAYS_OFF: "jours de repos minimaux",
}


def slot_fr(problem: Problem, slot_id: str) -> str:
    """«samedi 11 juillet, 20:00–24:00» (with the site's name when the period has several)."""
    slot = problem.slot_by_id().get(slot_id)
    if slot is None:
        return slot_id
    start, end = slot.start.astimezone(problem.tz), slot.end.astimezone(problem.tz)
    text = f"{french.weekday_date(start.date())}, {french.slot_hours(start, end)}"
    if len(problem.sites) > 1:
        site = next((s.name for s in problem.sites if s.id == slot.site), slot.site)
        text += f" ({site})"
    return text


def reason_fr(problem: Problem, reason: UncoveredReason) -> str:
    """«Les 3 médecins disponibles ne peuvent pas le prendre : Dr A, absent ; …»."""
    if not reason.examined:
        return "Non examiné : le temps de calcul était écoulé."
    if not reason.blockers:
        return "Aucun autre médecin disponible." if reason.someone_on else \
            "Aucun médecin disponible."
    n = len(reason.blockers)
    lead = f"Les {n} médecins disponibles ne peuvent pas le prendre" if n > 1 else \
        "Le seul médecin disponible ne peut pas le prendre"
    blocks = [f"{b.doctor} : {blocker_fr(problem, b)}" for b in reason.blockers]
    return f"{lead} — {' ; '.join(blocks)}."


def blocker_fr(problem: Problem, b: Blocker) -> str:
    if b.kind == "away":
        return "absent à cette date"
    if b.kind == "skills":
        return "n'a pas la compétence " + ", ".join(
            french.skill(code) for code in b.detail.split(", "))
    if b.kind == "overlap":
        return f"déjà de garde sur un créneau qui chevauche ({slot_fr(problem, b.detail)})"
    if b.kind == "rest after":
        return f"repos minimal après sa garde du {slot_fr(problem, b.detail)}"
    if b.kind == "rest before":
        return f"repos minimal avant sa garde du {slot_fr(problem, b.detail)}"
    if b.kind == "cap" and b.rule is not None:
        return f"a atteint {CAP_FR.get(b.rule, 'un de ses plafonds')}"
    if b.kind == "rule" and b.rule is not None:
        return f"la règle « {RULE_FR.get(b.rule, str(b.rule))} » l'en empêche"
    return ("libre, mais le placer aurait laissé vide un créneau plus prioritaire, ou le "
            "temps de calcul a manqué")


#: What a pinned assignment can break besides the caps and the rules above.
PINNED_FR = {
    Rule.AVAILABILITY: "le médecin n'a pas proposé ce créneau",
    Rule.DATES_AWAY: "le médecin est absent à cette date",
    Rule.SKILLS: "le médecin n'a pas la compétence demandée",
    Rule.SEATS: "plus d'épinglages que de places sur le créneau",
    Rule.REMOVED: "l'affectation a aussi été retirée à la main",
    Rule.DUPLICATE: "la même affectation est épinglée deux fois",
}


def conflicts_fr(problem: Problem, status: str) -> list[str]:
    """Why a solve of `problem` found no rota, in French, one line per cause the manager can
    act on: each group of pinned assignments that break a rule together (the doctor, the
    slots, the rule), else the general cause for `status` ("infeasible": the doctors'
    minimums cannot all be met; else the time ran out)."""
    doctors = problem.doctor_by_id()
    out = []
    for conflict in pinned_conflicts(problem):
        who = [r.removeprefix("doctor ") for r in conflict.records if r.startswith("doctor ")]
        slots = [slot_fr(problem, r.removeprefix("slot "))
                 for r in conflict.records if r.startswith("slot ")]
        name = doctors[who[0]].name if who and who[0] in doctors else (who[0] if who else "")
        rule = conflict.rule
        why = _broken_fr(rule, unknown="nomme un médecin ou un créneau inconnu") \
            if rule is not None else "se contredit"
        if rule is Rule.SEATS:
            slot_ids = [r.removeprefix("slot ") for r in conflict.records]
            pinned = [doctors[p.doctor].name if p.doctor in doctors else p.doctor
                      for p in problem.pinned if p.slot in slot_ids]
            what = f"les épinglages du créneau ({' ; '.join(slots)}) : {', '.join(pinned)}"
        else:
            what = (("l'affectation épinglée" if len(slots) <= 1 else
                     "les affectations épinglées") + f" ({' ; '.join(slots)})")
        several = len(slots) > 1 or rule is Rule.SEATS
        out.append(f"{name + ' : ' if name else ''}{what} — {why}. "
                   f"Levez {'l’un de ces épinglages' if several else 'cet épinglage'}, puis "
                   "relancez le calcul.")
    if out:
        return out
    if status == "infeasible":
        return ["Aucun planning ne respecte toutes les règles à la fois : les minimums "
                "demandés aux médecins (heures, jours consécutifs, jours de repos) ne peuvent "
                "pas tous être tenus avec les créneaux proposés. Revoyez ces minimums ou les "
                "épinglages, puis relancez le calcul."]
    return ["Aucun planning trouvé dans le temps donné : relancez le calcul avec une durée "
            "plus longue."]


def violation_fr(problem: Problem, violation: Violation) -> str:
    """A hard rule a rota breaks, in French, for the manager: «Dr A — samedi 11 juillet,
    20:00–24:00 : le médecin est absent à cette date» (the doctor's name, the slots in words,
    the rule as the pinned conflicts say it)."""
    doctor = problem.doctor_by_id().get(violation.doctor)
    name = (doctor.name or doctor.id) if doctor is not None else violation.doctor
    rule = violation.rule
    # (For a cap the checker gives every shift of the doctor: the cap is the news.)
    slot_ids = () if rule in CAP_FR else violation.slots
    why = "plus de médecins que de places sur le créneau" if rule is Rule.SEATS \
        else _broken_fr(rule, unknown="médecin ou créneau inconnu")
    where = " ; ".join(slot_fr(problem, slot) for slot in slot_ids)
    return " — ".join(part for part in (name, where) if part) + f" : {why}"


def _broken_fr(rule: Rule, *, unknown: str) -> str:
    """What breaking `rule` means, in French: a cap exceeded, a rule not kept, or a per-pair
    rule in the pinned conflicts' words (`unknown` for the rest)."""
    if rule in CAP_FR:
        return f"au-delà de {CAP_FR[rule]}"
    if rule in RULE_FR:
        return f"règle « {RULE_FR[rule]} » non respectée"
    return PINNED_FR.get(rule, unknown)
