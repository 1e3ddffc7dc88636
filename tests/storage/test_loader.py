"""Loading a scenario: all or nothing, idempotent, conflicts named; the stored problem is
the expanded one; solved rotas are saved as numbered draft versions."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from scheduler.domain.enums import RotaStatus
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Rota, SolveStatus, UncoveredSeats
from scheduler.models import DoctorPeriod, DoctorRow, SiteRow
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import Scenario, load_scenario, parse_scenario
from scheduler.storage.loader import LoadResult, load_scenario_into
from scheduler.storage.problems import UnknownPeriod, problem_from_db
from scheduler.storage.rotas import rota_assignments, rota_versions, save_rota
from tests.support import REPO

SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))

#: When the files are loaded.
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table: what "the database is exactly as it was" is checked against."""
    return {
        table.name: session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in SQLModel.metadata.sorted_tables
    }


def load(session: Session, data: dict[str, Any], digest: str) -> LoadResult:
    scenario = parse_scenario(data, "test.yaml")
    return load_scenario_into(session, scenario, expand(scenario), digest, now=NOW,
                              source="test.yaml")


def next_week(data: dict[str, Any], period_id: str = "tiny-next") -> dict[str, Any]:
    """The same scenario one week later, as a new period: shares sites and doctors only."""
    out = copy.deepcopy(data)
    out["period"]["id"] = period_id
    out["period"]["start"] = data["period"]["start"] + timedelta(days=7)
    out["period"]["end"] = data["period"]["end"] + timedelta(days=7)
    out["period"]["availability_deadline"] = None
    for doctor in out["doctors"]:
        doctor["away"] = []
        for rule in doctor.get("availability", []):
            rule.pop("slots", None)
    return out


def refused(session: Session, data: dict[str, Any], digest: str = "other") -> InputError:
    """Load `data`, expect a refusal, and check that nothing at all was written."""
    before = row_counts(session)
    with pytest.raises(InputError) as caught:
        load(session, data, digest)
    assert row_counts(session) == before
    return caught.value


def fields(error: InputError) -> list[str]:
    return [p.field for p in error.problems]


# Loading -----------------------------------------------------------------------------------

def test_load_stores_every_slot_doctor_and_answer(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    result = load(session, tiny_data, "d1")
    counts = row_counts(session)
    problem = expand(parse_scenario(tiny_data))
    answers = sum(len(d.availability) for d in problem.doctors)
    assert result == LoadResult(
        period_id="tiny-2026-07", already_loaded=False, slots=len(problem.slots),
        doctors=len(problem.doctors), answers=answers, pins=len(problem.pinned),
    )
    assert counts["slot"] == len(problem.slots)
    assert counts["availability"] == answers
    assert counts["doctor_period"] == counts["doctor"] == len(problem.doctors)
    assert counts["date_away"] == sum(len(d.away) for d in problem.doctors)


def test_loading_the_same_file_twice_changes_nothing(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    before = row_counts(session)
    again = load(session, tiny_data, "d1")
    assert again.already_loaded
    assert row_counts(session) == before


def test_stored_problem_equals_the_expanded_scenario(
    session: Session, loaded_tiny: Problem
) -> None:
    assert problem_from_db(session, loaded_tiny.period.id) == loaded_tiny


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_round_trips_through_the_database(
    session: Session, path: Path
) -> None:
    scenario = load_scenario(path)
    problem = expand(scenario, str(path))
    load_scenario_into(session, scenario, problem, "digest", now=NOW, source=str(path))
    assert problem_from_db(session, problem.period.id) == problem


def test_stored_problem_keeps_pins_in_order(session: Session, tiny_data: dict[str, Any]) -> None:
    data = copy.deepcopy(tiny_data)
    data["pinned"] = [
        {"doctor": "dr-echo", "slot": "chiv-20260711-1400"},
        {"doctor": "dr-alpha", "slot": "chiv-20260706-2000"},
    ]
    load(session, data, "d1")
    problem = expand(parse_scenario(data))
    assert problem_from_db(session, "tiny-2026-07").pinned == problem.pinned
    assert row_counts(session)["pin"] == 2


def test_stored_problem_of_an_unknown_period_is_refused(session: Session) -> None:
    with pytest.raises(UnknownPeriod):
        problem_from_db(session, "nope")


def test_a_second_period_reuses_the_stored_doctors(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    result = load(session, next_week(tiny_data), "d2")
    counts = row_counts(session)
    assert not result.already_loaded
    assert counts["tension_period"] == 2
    assert counts["doctor"] == len(tiny_data["doctors"])
    assert counts["doctor_period"] == 2 * len(tiny_data["doctors"])


def test_a_second_period_refreshes_a_doctors_phone_and_skills(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["doctors"][1] |= {"phone": "+33 6 00 00 00 00", "skills": ["sutures"]}
    load(session, data, "d2")
    doctor = session.get(DoctorRow, data["doctors"][1]["id"])
    assert doctor is not None
    # Stored in E.164 whatever its spelling in the file (`domain.phone`).
    assert (doctor.phone, doctor.skills) == ("+33600000000", ["sutures"])


def test_doctors_who_gave_answers_are_marked_answered(
    session: Session, loaded_tiny: Problem
) -> None:
    rows = session.exec(select(DoctorPeriod)).all()
    answered = {r.doctor_id for r in rows if r.answered_at is not None}
    assert answered == {d.id for d in loaded_tiny.doctors if d.availability or d.away}


# Conflicts: refused with the field named, nothing written ---------------------------------

def test_same_period_id_with_different_content_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = copy.deepcopy(tiny_data)
    data["period"]["name"] = "Renamed"
    assert fields(refused(session, data, "d2")) == ["period.id"]


def test_doctor_id_with_a_different_rpps_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["doctors"][0]["rpps"] = "10000000066"
    error = refused(session, data)
    assert fields(error) == ["doctors[0].rpps"]
    assert "10000000017" in str(error)


def test_doctor_id_with_a_different_email_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["doctors"][2]["email"] = "someone.else@example.org"
    assert fields(refused(session, data)) == ["doctors[2].email"]


def test_rpps_of_another_stored_doctor_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    alpha = data["doctors"].pop(0)
    data["doctors"].append(alpha | {"id": "dr-new", "email": None})
    error = refused(session, data)
    assert fields(error) == ["doctors[4].rpps"]
    assert "dr-alpha" in str(error)


def test_email_of_another_stored_doctor_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    delta = data["doctors"].pop(3)
    data["doctors"].append(delta | {"id": "dr-new", "rpps": None})
    assert fields(refused(session, data)) == ["doctors[4].email"]


def test_one_rpps_given_to_two_doctors_of_the_file_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(tiny_data)
    data["doctors"][1]["rpps"] = data["doctors"][0]["rpps"]
    error = refused(session, data)
    assert fields(error) == ["doctors[1].rpps"]
    assert "test.yaml" in str(error)


def test_site_id_with_a_different_name_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["sites"][0]["name"] = "Another hospital"
    assert fields(refused(session, data)) == ["sites[0].name"]


def test_organisation_id_with_a_different_kind_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["organisations"][0]["kind"] = "sami"
    error = refused(session, data)
    assert fields(error) == ["organisations[0].kind"]
    assert "'cpts'" in str(error)


def test_periods_overlapping_at_one_site_load_side_by_side(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    # The same slots (same ids) in two periods: each period keeps its own.
    load(session, tiny_data, "d1")
    data = copy.deepcopy(tiny_data)
    data["period"]["id"] = "tiny-copy"
    data["doctors"][0]["caps"] = {"max_shifts": 1}
    load(session, data, "d2")
    first, second = (expand(parse_scenario(d)) for d in (tiny_data, data))
    assert problem_from_db(session, "tiny-2026-07") == first
    assert problem_from_db(session, "tiny-copy") == second
    assert {s.id for s in first.slots} == {s.id for s in second.slots}


def test_every_conflict_is_reported_at_once(session: Session, tiny_data: dict[str, Any]) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["sites"][0]["name"] = "Another hospital"
    data["doctors"][0]["rpps"] = "10000000066"
    assert fields(refused(session, data)) == ["sites[0].name", "doctors[0].rpps"]


def test_a_write_failing_halfway_leaves_nothing(
    session: Session, tiny_scenario: Scenario, tiny_problem: Problem
) -> None:
    # An answer for a slot the problem does not have: the database refuses it mid-write.
    first = tiny_problem.doctors[0]
    broken_doctor = type(first)(
        **{**first.__dict__, "availability": {**first.availability, "no-such-slot": "available"}}
    )
    broken = Problem(
        **{**tiny_problem.__dict__, "doctors": (broken_doctor, *tiny_problem.doctors[1:])}
    )
    before = row_counts(session)
    with pytest.raises(InputError):
        load_scenario_into(session, tiny_scenario, broken, "d1", now=NOW)
    assert row_counts(session) == before


def test_nothing_is_stored_for_a_site_when_the_load_is_refused(
    session: Session, tiny_data: dict[str, Any]
) -> None:
    load(session, tiny_data, "d1")
    data = next_week(tiny_data)
    data["sites"].append({"id": "chic", "name": "CHIC"})
    data["doctors"][0]["rpps"] = "10000000066"
    refused(session, data)
    assert session.get(SiteRow, "chic") is None


# Rota versions -----------------------------------------------------------------------------

def _rota(problem: Problem) -> Rota:
    first, second = problem.slots[0], problem.slots[1]
    return Rota(
        status=SolveStatus.OPTIMAL,
        assignments=[
            Assignment(doctor="dr-alpha", slot=first.id, pinned=True),
            Assignment(doctor="dr-charlie", slot=second.id),
        ],
        uncovered=[UncoveredSeats(slot=problem.slots[2].id, seats=1, reason="no doctor available")],
        seed=7,
    )


def test_saved_rotas_are_numbered_draft_versions(session: Session, loaded_tiny: Problem) -> None:
    first = save_rota(session, loaded_tiny.period.id, loaded_tiny, _rota(loaded_tiny))
    second = save_rota(session, loaded_tiny.period.id, loaded_tiny, _rota(loaded_tiny))
    session.commit()
    versions = rota_versions(session, loaded_tiny.period.id)
    assert [v.number for v in versions] == [1, 2]
    assert [v.id for v in versions] == [first.id, second.id]
    assert all(v.status is RotaStatus.DRAFT for v in versions)


def test_saved_rota_keeps_assignments_and_pins(session: Session, loaded_tiny: Problem) -> None:
    version = save_rota(session, loaded_tiny.period.id, loaded_tiny, _rota(loaded_tiny))
    session.commit()
    assert version.id is not None
    stored = {(a.doctor_id, a.slot_id, a.pinned) for a in rota_assignments(session, version.id)}
    assert stored == {
        ("dr-alpha", loaded_tiny.slots[0].id, True),
        ("dr-charlie", loaded_tiny.slots[1].id, False),
    }


def test_saved_rota_keeps_the_solver_statistics(session: Session, loaded_tiny: Problem) -> None:
    version = save_rota(session, loaded_tiny.period.id, loaded_tiny, _rota(loaded_tiny))
    session.commit()
    session.expire_all()
    stats = rota_versions(session, loaded_tiny.period.id)[0].statistics
    assert stats["metrics"]["covered_seats"] == 2
    # Counted from the rota itself: every seat the two assignments leave empty.
    assert stats["metrics"]["uncovered_seats"] == loaded_tiny.total_seats - 2
    assert stats["uncovered"][0]["reason"] == "no doctor available"
    assert version.seed == 7
    assert version.solver_status is SolveStatus.OPTIMAL


def test_saving_a_rota_with_a_doctor_outside_the_problem_is_refused(
    session: Session, loaded_tiny: Problem
) -> None:
    rota = Rota(status=SolveStatus.FEASIBLE, assignments=[Assignment(doctor="x", slot="y")])
    with pytest.raises(ValueError, match="x/y"):
        save_rota(session, loaded_tiny.period.id, loaded_tiny, rota)


def test_stored_period_dates_match_the_scenario(session: Session, loaded_tiny: Problem) -> None:
    problem = problem_from_db(session, loaded_tiny.period.id)
    assert (problem.period.start, problem.period.end) == (date(2026, 7, 6), date(2026, 7, 12))
