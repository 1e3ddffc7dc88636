"""`scheduler plan` re-plans from the published rota, and `scheduler export` writes what the
database holds, on SQLite and PostgreSQL (the commands run in-process on the test database;
`test_cli.py` runs the same path through a real subprocess)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, delete

from scheduler import cli
from scheduler.domain.enums import RotaStatus
from scheduler.domain.rota import Rota, SolveStatus
from scheduler.models import Availability, PinRow
from scheduler.scenario.exchange import problem_to_data
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_versions, save_rota, version_rota
from tests.support.cli import TINY
from tests.support.rota_verifier import verify

PERIOD = "tiny-2026-07"
pytestmark = pytest.mark.usefixtures("configured")


def run(*args: str | Path) -> int:
    return cli.main([str(a) for a in args])


def plan() -> None:
    assert run("plan", PERIOD, "--time-limit", "5") == 0


def published_plan(tmp_path: Path) -> list[tuple[str, str]]:
    """Load tiny, plan and publish: the published assignments."""
    assert run("load", TINY) == 0
    plan()
    assert run("publish", PERIOD, "--out", tmp_path / "calendars") == 0
    return exported(tmp_path / "published")["assignments"]


def exported(out: Path, *extra: str) -> dict[str, Any]:
    assert run("export", PERIOD, "--out", out, *extra) == 0
    data: dict[str, Any] = json.loads((out / "rota.json").read_text(encoding="utf-8"))
    data["assignments"] = sorted((a["doctor"], a["slot"]) for a in data["assignments"])
    return data


def latest_changes(session: Session) -> dict[str, Any]:
    session.expire_all()
    changes: dict[str, Any] = rota_versions(session, PERIOD)[-1].statistics["changes"]
    return changes


def test_first_plan_is_a_plain_solve(session: Session) -> None:
    assert run("load", TINY) == 0
    plan()
    [version] = rota_versions(session, PERIOD)
    assert version.statistics["changes"] is None
    assert version.status == RotaStatus.DRAFT


def test_planning_again_with_unchanged_inputs_keeps_every_published_assignment(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = published_plan(tmp_path)
    plan()
    changes = latest_changes(session)
    assert changes == {"kept": len(published), "moved": [], "added": [], "removed": []}
    assert f"{len(published)} kept, 0 moved, 0 added, 0 removed" in capsys.readouterr().out
    version = rota_versions(session, PERIOD)[-1]
    assert sorted((a.doctor, a.slot) for a in version_rota(session, version)) == published


def test_a_withdrawal_changes_only_the_withdrawn_doctors_assignments(
    session: Session, tmp_path: Path
) -> None:
    published = published_plan(tmp_path)
    busiest = max({d for d, _ in published}, key=lambda d: sum(x == d for x, _ in published))
    theirs = [(d, s) for d, s in published if d == busiest]
    session.exec(delete(Availability).where(col(Availability.doctor_id) == busiest))
    session.commit()
    plan()
    changes = latest_changes(session)
    assert changes["kept"] == len(published) - len(theirs)
    gone = [(m["from"], m["slot"]) for m in changes["moved"]]
    gone += [(r["doctor"], r["slot"]) for r in changes["removed"]]
    assert sorted(gone) == sorted(theirs)
    new_rota = exported(tmp_path / "replanned")["assignments"]
    assert set(published) - set(theirs) <= set(new_rota)
    assert not any(d == busiest for d, _ in new_rota)


def test_export_writes_the_stored_problem_and_rota_that_check_accepts(
    session: Session, tmp_path: Path
) -> None:
    published = published_plan(tmp_path)
    out = tmp_path / "export"
    rota = exported(out)
    problem = json.loads((out / "problem.json").read_text(encoding="utf-8"))
    assert problem == json.loads(json.dumps(problem_to_data(problem_from_db(session, PERIOD))))
    assert sorted((p["doctor"], p["slot"]) for p in problem["published"]) == published
    assert (rota["version"], rota["version_status"]) == (1, "published")
    # The solve's own account comes from the stored version: tiny's stages are all proven,
    # nothing the clock could cut, so the same input and seed give this rota again.
    saved = rota_versions(session, PERIOD)[0].statistics["metrics"]
    assert rota["metrics"]["reproducible"] is saved["reproducible"] is True
    assert run("check", out / "problem.json", out / "rota.json") == 0
    assert verify(problem, json.loads((out / "rota.json").read_text(encoding="utf-8"))) == []


def test_export_takes_the_latest_version_unless_told(session: Session, tmp_path: Path) -> None:
    published_plan(tmp_path)
    plan()
    assert exported(tmp_path / "latest")["version"] == 2
    assert exported(tmp_path / "first", "--version", "1")["version"] == 1


@pytest.mark.parametrize(("args", "field"), [
    (("export", PERIOD, "--version", "7"), "version: period 'tiny-2026-07' has no rota "
                                           "version 7 (it has 1)"),
    (("export", "no-such-period"), "period: unknown period 'no-such-period'"),
])
def test_export_refuses_what_is_not_stored_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], field: str
) -> None:
    assert run("load", TINY) == 0
    plan()
    capsys.readouterr()
    out = tmp_path / "nothing"
    assert run(*args, "--out", out) == 1
    assert field in capsys.readouterr().err
    assert not out.exists()


def test_plan_with_contradictory_hard_data_saves_nothing_and_exits_2(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = published_plan(tmp_path)
    doctor, slot = published[0]
    session.add(PinRow(period_id=PERIOD, doctor_id=doctor, slot_id=slot, position=0))
    session.exec(delete(Availability).where(col(Availability.doctor_id) == doctor))
    session.commit()
    capsys.readouterr()
    assert run("plan", PERIOD, "--time-limit", "5") == 2
    err = capsys.readouterr().err
    assert "conflict: availability" in err and "nothing saved" in err
    assert len(rota_versions(session, PERIOD)) == 1


def test_an_infeasible_version_cannot_be_published(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("load", TINY) == 0
    problem = problem_from_db(session, PERIOD)
    save_rota(session, PERIOD, problem, Rota(status=SolveStatus.INFEASIBLE))
    session.commit()
    capsys.readouterr()
    assert run("publish", PERIOD, "--out", tmp_path / "feeds") == 1
    assert "version: rota version 1 of 'tiny-2026-07' is infeasible" in capsys.readouterr().err
    assert rota_versions(session, PERIOD)[0].status == RotaStatus.DRAFT
