"""Uncovered seats explained in French (the manager's pages): one case per reason, each the
same reason `rota.json` gives in English."""

from __future__ import annotations

import time
from datetime import date

from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment
from scheduler.engine.checker import RotaChecker
from scheduler.engine.explain import explain_uncovered, uncovered_reasons
from scheduler.engine.explain_fr import conflicts_fr, reason_fr, violation_fr
from tests.support.factories import doctor, problem, slot


def _fr_and_en(p: Problem, assignments: list[Assignment]) -> tuple[str, str]:
    [reason] = uncovered_reasons(p, assignments)
    [english] = explain_uncovered(p, assignments)
    return reason_fr(p, reason), english.reason


def test_nobody_offered_it() -> None:
    p = problem([slot("s1", "2027-07-05T20:00")], [doctor("a", [])])
    fr, en = _fr_and_en(p, [])
    assert (fr, en) == ("Aucun médecin disponible.", "no doctor available")


def test_a_doctor_away() -> None:
    away = doctor("a", ["s1"], away=((date(2027, 7, 5), date(2027, 7, 5)),))
    fr, en = _fr_and_en(problem([slot("s1", "2027-07-05T20:00")], [away]), [])
    assert fr == ("Le seul médecin disponible ne peut pas le prendre — Dr a : absent à cette "
                  "date.")
    assert en == "the only available doctor cannot take it (Dr a: away)"


def test_the_rest_rule_names_the_other_shift_in_words() -> None:
    slots = [slot("night", "2027-07-05T20:00", 12), slot("s2", "2027-07-06T14:00")]
    p = problem(slots, [doctor("a", ["night", "s2"])])
    fr, en = _fr_and_en(p, [Assignment(doctor="a", slot="night")])
    assert fr == ("Le seul médecin disponible ne peut pas le prendre — Dr a : repos minimal "
                  "après sa garde du lundi 5 juillet, 20:00–08:00.")
    assert en == "the only available doctor cannot take it (Dr a: rest rule after night)"


def test_a_cap_reached_and_two_doctors() -> None:
    slots = [slot("s1", "2027-07-05T20:00"), slot("s2", "2027-07-07T20:00")]
    p = problem(slots, [doctor("a", ["s1", "s2"], max_shifts=1),
                        doctor("b", ["s1", "s2"], max_shifts=0)])
    fr, _en = _fr_and_en(p, [Assignment(doctor="a", slot="s1")])
    assert fr == ("Les 2 médecins disponibles ne peuvent pas le prendre — Dr a : a atteint son "
                  "maximum de gardes sur la période ; Dr b : a atteint son maximum de gardes "
                  "sur la période.")


def test_free_but_not_taken() -> None:
    fr, en = _fr_and_en(problem([slot("s1", "2027-07-05T20:00")], [doctor("a", ["s1"])]), [])
    assert fr.endswith("Dr a : libre, mais le placer aurait laissé vide un créneau plus "
                       "prioritaire, ou le temps de calcul a manqué.")
    assert en.endswith("free, but taking it would cost a higher-priority slot or the time "
                       "limit ran out)")


def test_past_the_deadline_slots_are_not_examined_and_the_reason_says_so() -> None:
    away = doctor("a", ["s1"], away=((date(2027, 7, 5), date(2027, 7, 5)),))
    p = problem([slot("s1", "2027-07-05T20:00")], [away])
    [reason] = uncovered_reasons(p, [], deadline=time.monotonic() - 1)
    [english] = explain_uncovered(p, [], deadline=time.monotonic() - 1)
    assert reason_fr(p, reason) == "Non examiné : le temps de calcul était écoulé."
    assert english.reason == "not examined: the time limit ran out"
    assert (reason.examined, reason.blockers, english.seats) == (False, (), 1)
    # Before the deadline, the slot is examined as without one.
    assert uncovered_reasons(p, [], deadline=time.monotonic() + 60) == [
        uncovered_reasons(p, [])[0]]


def test_pinned_shifts_too_close_name_the_doctor_the_slots_and_the_rule() -> None:
    """A solve with no rota says why in French: the doctor, both slots in words, the rule."""
    slots = [slot("night", "2027-07-05T20:00", 12), slot("s2", "2027-07-06T14:00")]
    p = problem(slots, [doctor("a", ["night", "s2"])], pinned=[("a", "night"), ("a", "s2")])
    assert conflicts_fr(p, "infeasible") == [
        "Dr a : les affectations épinglées (lundi 5 juillet, 20:00–08:00 ; mardi 6 juillet, "
        "14:00–18:00) — règle « repos minimal » non respectée. Levez l’un de ces épinglages, "
        "puis relancez le calcul."]


def test_a_single_pin_the_doctor_cannot_take_asks_to_lift_that_pin() -> None:
    p = problem([slot("s1", "2027-07-05T20:00")], [doctor("a", [])], pinned=[("a", "s1")])
    assert conflicts_fr(p, "infeasible") == [
        "Dr a : l'affectation épinglée (lundi 5 juillet, 20:00–24:00) — le médecin n'a pas "
        "proposé ce créneau. Levez cet épinglage, puis relancez le calcul."]


def test_without_a_pinned_conflict_the_general_cause_is_given() -> None:
    p = problem([slot("s1", "2027-07-05T20:00")], [doctor("a", ["s1"])])
    assert conflicts_fr(p, "infeasible")[0].startswith("Aucun planning ne respecte toutes")
    assert conflicts_fr(p, "unknown")[0].startswith("Aucun planning trouvé dans le temps")


def test_broken_rules_in_french_name_the_doctor_the_slot_and_the_rule() -> None:
    """What a version breaks as the period stands (`violation_fr`): a seat rule has no doctor,
    a cap names no shifts (the checker gives them all), a pair rule names its slot."""
    away = ((date(2027, 7, 5), date(2027, 7, 5)),)
    slots = [slot("s1", "2027-07-05T20:00"), slot("s2", "2027-07-06T20:00")]
    p = problem(slots, [doctor("a", ["s1", "s2"], away=away, max_shifts=1),
                        doctor("b", ["s2"])])
    lines = {violation_fr(p, v)
             for v in RotaChecker(p).violations([("a", "s1"), ("a", "s2"), ("b", "s2")])}
    assert lines == {
        "Dr a — lundi 5 juillet, 20:00–24:00 : le médecin est absent à cette date",
        "Dr a : au-delà de son maximum de gardes sur la période",
        "mardi 6 juillet, 20:00–24:00 : plus de médecins que de places sur le créneau",
    }
