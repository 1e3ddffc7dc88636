"""Adjusting a rota by hand, on SQLite and PostgreSQL: candidates keep every rule (checked by
the independent checker) and come least loaded first; assigning, replacing, removing and
pinning save a new draft version and a decision that the next generation keeps; a refused
change writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler import cli
from scheduler.engine.checker import RotaChecker
from scheduler.models import PinRow, RemovalRow, RotaVersion
from scheduler.planning.adjust import AdjustRefused, assign, candidates, pin, remove
from scheduler.storage.db import writer
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_version, version_rota
from tests.support.cli import TINY
from tests.support.dump import dump

PERIOD = "tiny-2026-07"
pytestmark = pytest.mark.usefixtures("configured")


@pytest.fixture
def planned(configured: None, tmp_path: Path) -> None:
    """The tiny week without caps (so a slot has doctors who could take it), planned."""
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    for doctor in data["doctors"]:
        doctor.pop("caps", None)
    path = tmp_path / "tiny-uncapped.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli.main(["load", str(path)]) == 0
    assert cli.main(["plan", PERIOD, "--time-limit", "5"]) == 0


def _pairs(session: Session, version: RotaVersion) -> set[tuple[str, str]]:
    return {(a.doctor, a.slot) for a in version_rota(session, version)}


def _replaceable(session: Session) -> tuple[RotaVersion, str, str, str]:
    """Version 1, and a slot with a doctor on it and another who could take their place."""
    version = rota_version(session, PERIOD, 1)
    for doctor, slot in sorted(_pairs(session, version)):
        ranked = candidates(session, version, slot, replacing=doctor)
        if ranked:
            return version, slot, doctor, ranked[0].doctor_id
    raise AssertionError("the tiny rota has no replaceable assignment")


@pytest.mark.usefixtures("planned")
def test_candidates_keep_every_rule_and_come_least_loaded_first(engine: Engine) -> None:
    with Session(engine) as session:
        version = rota_version(session, PERIOD, 1)
        problem = problem_from_db(session, PERIOD)
        checker = RotaChecker(problem)
        pairs = _pairs(session, version)
        tried = 0
        for doctor, slot_id in sorted(pairs):
            ranked = candidates(session, version, slot_id, replacing=doctor)
            assert [c.hours for c in ranked] == sorted(c.hours for c in ranked)
            base = pairs - {(doctor, slot_id)}
            for c in ranked:
                assert slot_id in problem.doctor_by_id()[c.doctor_id].availability
                assert c.doctor_id != doctor and (c.doctor_id, slot_id) not in pairs
                assert checker.violations([*base, (c.doctor_id, slot_id)]) == []
                tried += 1
            # A full slot takes nobody more without someone leaving it.
            assert candidates(session, version, slot_id) == [] or any(
                s.id == slot_id and s.seats > sum(1 for _d, x in pairs if x == slot_id)
                for s in problem.slots)
        assert tried > 0


@pytest.mark.usefixtures("planned")
def test_replacing_saves_a_new_version_that_the_next_generation_keeps(engine: Engine) -> None:
    with Session(writer(engine)) as session:
        version, slot, before, after = _replaceable(session)
        old = _pairs(session, version)
        new = assign(session, version, slot, after, replacing=before)
        session.commit()
        assert new.number == 2 and "modifiée" in new.note
        assert _pairs(session, new) == (old - {(before, slot)}) | {(after, slot)}
        assert session.get(PinRow, (PERIOD, after, slot)) is not None
        assert session.get(RemovalRow, (PERIOD, before, slot)) is not None
        assert RotaChecker(problem_from_db(session, PERIOD)).violations(
            _pairs(session, new)) == []
    # Generating again keeps the choice: the new doctor stays on, the old one stays off.
    assert cli.main(["plan", PERIOD, "--time-limit", "5"]) == 0
    with Session(engine) as session:
        third = _pairs(session, rota_version(session, PERIOD, 3))
        assert (after, slot) in third and (before, slot) not in third


@pytest.mark.usefixtures("planned")
def test_removing_and_pinning_are_kept_by_the_next_generation(engine: Engine) -> None:
    with Session(writer(engine)) as session:
        version = rota_version(session, PERIOD, 1)
        (kept_doctor, kept_slot), (gone_doctor, gone_slot) = sorted(_pairs(session, version))[:2]
        pin(session, version, kept_slot, kept_doctor)
        new = remove(session, version, gone_slot, gone_doctor)
        session.commit()
        assert (gone_doctor, gone_slot) not in _pairs(session, new)
    assert cli.main(["plan", PERIOD, "--time-limit", "5"]) == 0
    with Session(engine) as session:
        latest = _pairs(session, rota_version(session, PERIOD))
        assert (kept_doctor, kept_slot) in latest and (gone_doctor, gone_slot) not in latest


@pytest.mark.usefixtures("planned")
def test_a_doctor_who_cannot_take_the_slot_is_refused_and_nothing_is_written(
        engine: Engine) -> None:
    before = dump(engine)
    with Session(writer(engine)) as session:
        version = rota_version(session, PERIOD, 1)
        doctor, slot = sorted(_pairs(session, version))[0]
        for who in (doctor, "dr-nobody"):  # already on it; not in the period
            with pytest.raises(AdjustRefused):
                assign(session, version, slot, who)
            session.rollback()
        with pytest.raises(AdjustRefused):
            remove(session, version, slot, "dr-nobody")
        session.rollback()
        with pytest.raises(AdjustRefused):
            candidates(session, version, "no-such-slot")
    assert dump(engine) == before
    with Session(engine) as session:
        assert len(session.exec(select(RotaVersion)).all()) == 1


@pytest.mark.usefixtures("planned")
def test_only_the_latest_version_is_adjusted_and_removals_stay_removed(engine: Engine) -> None:
    with Session(writer(engine)) as session:
        version, slot, before, after = _replaceable(session)
        assign(session, version, slot, after, replacing=before)
        session.commit()
        old = rota_version(session, PERIOD, 1)
        with pytest.raises(AdjustRefused, match="dernière version"):
            pin(session, old, slot, before)  # removed since: pinning it would contradict
        session.rollback()
        latest = rota_version(session, PERIOD)
        with pytest.raises(AdjustRefused):
            candidates(session, latest, slot, replacing=before)  # not on it any more
        [other] = [d for d, s in _pairs(session, latest) if s == slot]
        assert other == after
