"""`scheduler publish PERIOD [--version N] [--out DIR]`: publishes, and writes one file per
doctor and per site (plus all shifts) byte-identical to what the feed URLs serve."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from scheduler import cli
from scheduler.domain.enums import RotaStatus, TokenKind
from scheduler.domain.problem import Problem
from scheduler.storage import tokens
from scheduler.storage.rotas import rota_versions
from tests.support.cli import errors
from tests.support.published import NIGHT, PERIOD, SUMMER, WINTER, load_seasons, save_version

ROTA = [("dr-alpha", SUMMER), ("dr-bravo", NIGHT), ("dr-charlie", NIGHT), ("dr-alpha", WINTER)]
# The command's own behaviour; publishing itself runs on both databases (test_publication).
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
FILES = {"all-shifts.ics", "site-chiv.ics", "site-chic.ics",
         *(f"doctor-dr-{name}.ics" for name in ("alpha", "bravo", "charlie", "delta", "echo"))}


@pytest.fixture
def seasons(session: Session, tiny_data: dict[str, Any], configured: None) -> Problem:
    problem = load_seasons(session, tiny_data)
    save_version(session, problem, ROTA)
    return problem


def publish(out: Path, *extra: str) -> int:
    return cli.main(["publish", PERIOD, "--out", str(out), *extra])


def test_publish_writes_one_file_per_doctor_and_site_identical_to_http(
    tmp_path: Path, client: TestClient, session: Session, seasons: Problem
) -> None:
    out = tmp_path / "calendars"
    assert publish(out) == 0
    assert {p.name for p in out.iterdir()} == FILES
    now = datetime.now(UTC)
    doctor = tokens.issue(session, TokenKind.FEED, now=now, doctor_id="dr-alpha")
    site = tokens.issue(session, TokenKind.SITE_FEED, now=now, site_id="chiv")
    manager = tokens.issue(session, TokenKind.MANAGER_FEED, now=now)
    urls = {"doctor-dr-alpha.ics": f"/feeds/doctor/{doctor}.ics",
            "site-chiv.ics": f"/feeds/site/chiv/{site}.ics",
            "all-shifts.ics": f"/feeds/all/{manager}.ics"}
    session.commit()
    for name, url in urls.items():
        assert client.get(url).content == (out / name).read_bytes(), name


@sqlite_only
def test_publish_marks_the_version_published_and_reports_what_changed(
    tmp_path: Path, session: Session, seasons: Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(tmp_path / "out") == 0
    out = capsys.readouterr().out
    assert "published rota version 1 of seasons-2026" in out
    assert "4 shifts added, 0 changed, 0 removed" in out
    assert f"wrote {len(FILES)} files to {tmp_path / 'out'}/" in out
    assert [v.status for v in rota_versions(session, PERIOD)] == [RotaStatus.PUBLISHED]


@sqlite_only
def test_publishing_again_without_change_rewrites_the_same_bytes(
    tmp_path: Path, seasons: Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(tmp_path / "first") == 0
    assert publish(tmp_path / "again") == 0
    assert "0 of 8 feeds changed" in capsys.readouterr().out
    for name in FILES:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


@sqlite_only
def test_publish_a_chosen_version_supersedes_the_published_one(
    tmp_path: Path, session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, ROTA[:1])
    assert publish(tmp_path / "out", "--version", "2") == 0
    assert publish(tmp_path / "out", "--version", "1") == 0
    session.expire_all()
    assert [v.status for v in rota_versions(session, PERIOD)] == [RotaStatus.PUBLISHED,
                                                                   RotaStatus.SUPERSEDED]


@sqlite_only
def test_unknown_version_exits_1_naming_the_version_and_writes_nothing(
    tmp_path: Path, seasons: Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(tmp_path / "out", "--version", "9") == 1
    assert errors(capsys.readouterr().err) == (
        "error: version: period 'seasons-2026' has no rota version 9 (it has 1)\n")
    assert not (tmp_path / "out").exists()


@sqlite_only
def test_unknown_period_exits_1_naming_the_period(
    tmp_path: Path, configured: None, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["publish", "no-such-period", "--out", str(tmp_path / "out")]) == 1
    assert errors(capsys.readouterr().err) == "error: period: unknown period 'no-such-period'\n"
