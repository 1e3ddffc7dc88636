"""Saving a GP's answers: validated, all or nothing, closed after the deadline, and safe when
two tabs save at once (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.collection.answers import (
    Answers,
    AnswersClosed,
    AnswersRejected,
    NotInvited,
    answers_open,
    deadline_end,
    offered_counts,
    save_answers,
    stored_answers,
    summarise,
)
from scheduler.domain.enums import PeriodStatus
from scheduler.domain.problem import Answer, Problem
from scheduler.domain.rota import Rota
from scheduler.engine.checker import RotaChecker
from scheduler.models import Availability, DateAway, DoctorPeriod, DoctorRow, TensionPeriod
from scheduler.solver import SolveOptions, solve
from scheduler.storage.periods import period_slots
from scheduler.storage.problems import problem_from_db
from tests.support.collection import NOW, PERIOD, load_period

MONDAY = "chiv-20270705-2000"
TUESDAY = "chiv-20270706-2000"
SUNDAY_MORNING = "chiv-20270711-0800"
HOLIDAY_MORNING = "chiv-20270714-0800"


@pytest.fixture
def period(session: Session) -> Problem:
    return load_period(session)


def answers(**overrides: object) -> Answers:
    values: dict[str, object] = {
        "availability": {MONDAY: Answer.AVAILABLE, SUNDAY_MORNING: Answer.PREFERRED},
        "away": ((date(2027, 7, 14), date(2027, 7, 15)),),
        "max_shifts": 4,
        "max_shifts_per_week": 2,
        "comment": "Pas avant 20 h.",
    }
    return Answers(**{**values, **overrides})  # type: ignore[arg-type]


def snapshot(session: Session) -> tuple[object, ...]:
    session.expire_all()
    return (
        sorted((a.doctor_id, a.slot_id, a.answer) for a in session.exec(select(Availability))),
        sorted((d.doctor_id, d.first, d.last) for d in session.exec(select(DateAway))),
        sorted((c.doctor_id, c.max_shifts, c.max_shifts_per_week, c.answered_max_weekends,
                c.max_weekends, c.comment, c.answered_at)
               for c in session.exec(select(DoctorPeriod))),
    )


def test_saving_stores_every_part_of_the_answer_and_the_time(session: Session,
                                                             period: Problem) -> None:
    save_answers(session, "dr-anne", PERIOD, answers(), now=NOW)
    assert stored_answers(session, "dr-anne", PERIOD) == answers()
    caps = session.get(DoctorPeriod, ("dr-anne", PERIOD))
    assert caps is not None and caps.answered_at == NOW


def test_saving_again_replaces_the_answer_without_leftover_rows(session: Session,
                                                                period: Problem) -> None:
    save_answers(session, "dr-anne", PERIOD, answers(), now=NOW)
    second = Answers(availability={TUESDAY: Answer.AVAILABLE})
    save_answers(session, "dr-anne", PERIOD, second, now=NOW)
    assert stored_answers(session, "dr-anne", PERIOD) == second
    rows = session.exec(select(Availability).where(Availability.doctor_id == "dr-anne")).all()
    assert [r.slot_id for r in rows] == [TUESDAY]


def test_saving_leaves_other_doctors_answers_alone(session: Session, period: Problem) -> None:
    before = stored_answers(session, "dr-bruno", PERIOD)
    save_answers(session, "dr-anne", PERIOD, answers(), now=NOW)
    assert stored_answers(session, "dr-bruno", PERIOD) == before
    assert before is not None and len(before.availability) == 9  # the scenario's evenings


def test_slot_of_another_period_is_refused_and_nothing_is_written(
    session: Session, period: Problem, loaded_tiny: Problem
) -> None:
    before = snapshot(session)
    other = loaded_tiny.slots[0].id
    with pytest.raises(AnswersRejected) as caught:
        save_answers(session, "dr-anne", PERIOD,
                     answers(availability={other: Answer.AVAILABLE}), now=NOW)
    assert [p.field for p in caught.value.problems] == [f"availability.{other}"]
    assert snapshot(session) == before


@pytest.mark.parametrize(("field", "value"), [
    ("max_shifts", 0), ("max_shifts", 201), ("max_shifts_per_week", 22),
    ("max_weekends", 0), ("max_weekends", 61),
])
def test_caps_out_of_range_are_refused_naming_the_field(
    session: Session, period: Problem, field: str, value: int
) -> None:
    before = snapshot(session)
    with pytest.raises(AnswersRejected) as caught:
        save_answers(session, "dr-anne", PERIOD, answers(**{field: value}), now=NOW)
    assert [p.field for p in caught.value.problems] == [field]
    assert snapshot(session) == before


def test_a_weekends_cap_is_kept_as_the_gp_gave_it_beside_the_periods_rule(
    session: Session, period: Problem
) -> None:
    _set_weekend_rule(session, "dr-anne", 2)
    save_answers(session, "dr-anne", PERIOD, answers(max_weekends=1), now=NOW)
    stored = stored_answers(session, "dr-anne", PERIOD)
    assert stored is not None and stored.max_weekends == 1
    session.expire_all()
    caps = session.get(DoctorPeriod, ("dr-anne", PERIOD))
    assert caps is not None and (caps.answered_max_weekends, caps.max_weekends) == (1, 2)


@pytest.mark.parametrize(("rule", "message"), [
    (2, "L'équipe en prévoit au plus 2 pour vous : indiquez 2 ou moins, ou laissez vide."),
    (0, "L'équipe ne vous prévoit aucun week-end : laissez vide."),
])
def test_a_weekends_cap_above_the_periods_rule_is_refused(
    session: Session, period: Problem, rule: int, message: str
) -> None:
    _set_weekend_rule(session, "dr-anne", rule)
    before = snapshot(session)
    with pytest.raises(AnswersRejected) as caught:
        save_answers(session, "dr-anne", PERIOD, answers(max_weekends=3), now=NOW)
    [problem] = caught.value.answer_problems
    assert (problem.field, problem.message_fr) == ("max_weekends", message)
    assert snapshot(session) == before


@pytest.mark.parametrize(("rule", "answer", "solved_with"), [
    (2, 1, 1),        # the GP's lower cap applies
    (2, 2, 2),
    (2, None, 2),     # no answer: the rule
    (None, 2, 2),     # no rule: the answer
    (None, None, None),
])
def test_the_problem_takes_the_lower_of_the_gps_weekends_cap_and_the_rule(
    session: Session, period: Problem, rule: int | None, answer: int | None,
    solved_with: int | None
) -> None:
    _set_weekend_rule(session, "dr-anne", rule)
    save_answers(session, "dr-anne", PERIOD, answers(max_weekends=answer), now=NOW)
    doctors = problem_from_db(session, PERIOD).doctor_by_id()
    assert doctors["dr-anne"].max_weekends == solved_with
    assert doctors["dr-bruno"].max_weekends is None  # another doctor's answer is theirs alone


def test_a_rota_keeps_the_weekends_cap_a_gp_gave(session: Session, period: Problem) -> None:
    # Anne offers every slot of both weekends but says one weekend at most; nobody else
    # offers a weekend, so only her cap keeps her from working both.
    weekend = {s.id: Answer.AVAILABLE for s in period.slots
               if s.start.isoweekday() >= 6}
    save_answers(session, "dr-anne", PERIOD,
                 answers(availability=weekend, away=(), max_shifts=None,
                         max_shifts_per_week=None, max_weekends=1), now=NOW)
    problem = problem_from_db(session, PERIOD)
    assert len(_weekends_of(problem, solve(problem, SolveOptions(time_limit_seconds=10)))) == 1
    # The same problem without her cap: she works both weekends (the cap is what held her).
    uncapped = replace(problem, doctors=tuple(replace(d, max_weekends=None)
                                              for d in problem.doctors))
    assert len(_weekends_of(uncapped, solve(uncapped, SolveOptions(time_limit_seconds=10)))) == 2


def _weekends_of(problem: Problem, rota: Rota) -> set[tuple[int, int]]:
    """The weekends Dr Anne works in the rota, checked by the independent checker first."""
    pairs = [(a.doctor, a.slot) for a in rota.assignments]
    assert RotaChecker(problem).violations(pairs) == []
    slots = problem.slot_by_id()
    return {slots[slot].start.isocalendar()[:2] for doctor, slot in pairs if doctor == "dr-anne"}


def _set_weekend_rule(session: Session, doctor_id: str, cap: int | None) -> None:
    """The weekends cap the manager's scenario gave the doctor (the period's rule)."""
    caps = session.get(DoctorPeriod, (doctor_id, PERIOD))
    assert caps is not None
    caps.max_weekends = cap
    session.add(caps)
    session.commit()


def test_date_away_ending_before_it_starts_is_refused(session: Session, period: Problem) -> None:
    reversed_range = ((date(2027, 7, 10), date(2027, 7, 8)),)
    with pytest.raises(AnswersRejected) as caught:
        save_answers(session, "dr-anne", PERIOD, answers(away=reversed_range), now=NOW)
    [problem] = caught.value.answer_problems
    assert problem.field == "away[0].last"
    assert "before it starts" in problem.message
    assert "avant la date de début" in problem.message_fr


def test_date_away_outside_the_period_is_refused(session: Session, period: Problem) -> None:
    outside = ((date(2027, 8, 1), date(2027, 8, 3)),)
    with pytest.raises(AnswersRejected) as caught:
        save_answers(session, "dr-anne", PERIOD, answers(away=outside), now=NOW)
    assert [p.field for p in caught.value.problems] == ["away[0].first"]


def test_answers_close_at_the_end_of_the_deadline_day_in_paris(session: Session,
                                                               period: Problem) -> None:
    stored = session.get(TensionPeriod, PERIOD)
    assert stored is not None
    end = deadline_end(stored)
    assert end == datetime(2027, 6, 25, 22, 0, tzinfo=UTC)  # midnight, summer time (UTC+2)
    assert answers_open(stored, datetime(2027, 6, 25, 21, 59, tzinfo=UTC))
    assert not answers_open(stored, end)


def test_saving_after_the_deadline_is_refused_and_nothing_is_written(
    session: Session, period: Problem
) -> None:
    before = snapshot(session)
    with pytest.raises(AnswersClosed):
        save_answers(session, "dr-anne", PERIOD, answers(),
                     now=datetime(2027, 6, 26, 8, 0, tzinfo=UTC))
    assert snapshot(session) == before


def test_planning_closes_answers_even_before_the_deadline(session: Session,
                                                         period: Problem) -> None:
    stored = session.get(TensionPeriod, PERIOD)
    assert stored is not None
    stored.status = PeriodStatus.PLANNING
    session.add(stored)
    session.commit()
    with pytest.raises(AnswersClosed):
        save_answers(session, "dr-anne", PERIOD, answers(), now=NOW)


def test_doctor_not_taking_part_cannot_answer(session: Session, period: Problem) -> None:
    session.add(DoctorRow(id="dr-new", name="Dr Nouveau"))
    session.commit()
    with pytest.raises(NotInvited):
        save_answers(session, "dr-new", PERIOD, answers(), now=NOW)
    assert stored_answers(session, "dr-new", PERIOD) is None


def test_two_tabs_saving_at_once_leave_exactly_one_complete_answer(
    engine: Engine, session: Session, period: Problem
) -> None:
    tab_a = answers()
    tab_b = Answers(availability={TUESDAY: Answer.AVAILABLE, HOLIDAY_MORNING: Answer.PREFERRED},
                    away=((date(2027, 7, 5), date(2027, 7, 6)),), max_shifts=6, comment="B")
    for _ in range(4):
        barrier = threading.Barrier(2)
        failures: list[BaseException] = []

        def save(tab: Answers, barrier: threading.Barrier = barrier,
                 failures: list[BaseException] = failures) -> None:
            try:
                with Session(engine) as own:
                    own.exec(select(Availability)).all()  # a request reads before it saves
                    barrier.wait(timeout=10)
                    save_answers(own, "dr-anne", PERIOD, tab, now=NOW)
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=save, args=(tab,)) for tab in (tab_a, tab_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        session.expire_all()
        assert stored_answers(session, "dr-anne", PERIOD) in (tab_a, tab_b)
        session.commit()  # end the read: on SQLite an open read blocks the next writers


def test_summary_counts_offers_preferences_and_offers_during_dates_away(
    session: Session, period: Problem
) -> None:
    offer = answers(availability={MONDAY: Answer.AVAILABLE, SUNDAY_MORNING: Answer.PREFERRED,
                                  HOLIDAY_MORNING: Answer.AVAILABLE})
    summary = summarise(offer, period_slots(session, PERIOD), "Europe/Paris")
    assert (summary.offered, summary.preferred, summary.offered_while_away) == (3, 1, 1)
    assert (summary.max_shifts, summary.max_shifts_per_week, summary.away_ranges) == (4, 2, 1)
    assert summarise(answers(max_weekends=1), [], "Europe/Paris").max_weekends == 1


def test_offered_counts_are_per_doctor(session: Session, period: Problem) -> None:
    save_answers(session, "dr-anne", PERIOD, answers(), now=NOW)
    assert offered_counts(session, PERIOD) == {"dr-anne": (2, 1), "dr-bruno": (9, 0)}
