"""Where commands read and write, whatever folder they run from (issue 14), through the real
command line: a what-if solve never touches the published feeds and writes no feed without a
rota (its summary's counts adding up); the database is the data folder's, said on stderr;
links sent away follow the configured port, and pages link their styles by path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from scheduler.cli.output import database_said
from scheduler.config.settings import Settings, default_data_dir
from tests.support import REPO
from tests.support.cli import TINY, run

#: Three doctors pinned on a one-seat evening that two of them never offered: no rota.
PINS = [{"doctor": d, "slot": "chiv-20260706-2000"} for d in ("dr-alpha", "dr-bravo",
                                                               "dr-charlie")]


def _data(tmp_path: Path) -> dict[str, str]:
    return {"SCHEDULER_DATA_DIR": str(tmp_path / "data"), "SCHEDULER_DATABASE_URL": ""}


def test_a_solve_writes_into_its_own_folder_never_the_published_feeds(tmp_path: Path) -> None:
    env = _data(tmp_path)
    published = tmp_path / "data" / "calendars"
    published.mkdir(parents=True)
    feed = published / "doctor-dr-alpha.ics"
    feed.write_bytes(b"BEGIN:VCALENDAR\r\nstand-in for a published feed\r\nEND:VCALENDAR\r\n")
    done = run("solve", TINY, "--time-limit", "3", "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    solved = tmp_path / "data" / "solves" / "tiny-2026-07"
    assert {"rota.json", "problem.json", "doctor-dr-alpha.ics"} <= {
        p.name for p in solved.iterdir()}
    assert f"wrote 8 files to {solved}/" in done.stdout
    for out in (published, published / "what-if"):
        refused = run("solve", TINY, "--time-limit", "3", "--out", out, env=env)
        assert refused.returncode == 1
        assert f"error: --out: {out} holds the published feeds" in refused.stderr
    assert feed.read_bytes().count(b"stand-in") == 1 and not (published / "what-if").exists()
    assert {p.name for p in published.iterdir()} == {"doctor-dr-alpha.ics"}


def test_an_infeasible_solve_writes_no_feed_and_its_counts_add_up(tmp_path: Path) -> None:
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["pinned"] = PINS
    scenario = tmp_path / "contradictory.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "what-if"
    # An earlier solve's feeds in the folder: they would contradict this one.
    assert run("solve", TINY, "--time-limit", "2", "--quiet", "--out", out,
               env=_data(tmp_path)).returncode == 0
    assert (out / "doctor-dr-alpha.ics").exists()
    (out / "mine.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")  # not a feed of ours
    done = run("solve", scenario, "--time-limit", "3", "--quiet", "--out", out,
               env=_data(tmp_path))
    assert done.returncode == 2
    assert sorted(p.name for p in out.iterdir()) == ["mine.ics", "problem.json", "rota.json"]
    assert "(no rota, infeasible: no feeds)" in done.stdout
    metrics = json.loads((out / "rota.json").read_text(encoding="utf-8"))["metrics"]
    assert metrics["covered_seats"] + metrics["uncovered_seats"] == metrics["total_seats"] > 0
    total = metrics["total_seats"]
    assert f"seats: 0 covered / {total}, {total} uncovered" in done.stdout


def test_commands_from_any_folder_use_the_data_folders_database_and_say_so(
        tmp_path: Path) -> None:
    env = _data(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    database = tmp_path / "data" / "scheduler.db"
    loaded = run("load", TINY, env=env, cwd=tmp_path / "a")
    assert loaded.returncode == 0, loaded.stderr
    assert f"database: sqlite:///{database}" in loaded.stderr
    planned = run("plan", "tiny-2026-07", "--time-limit", "3", env=env, cwd=tmp_path / "b")
    assert planned.returncode == 0, planned.stderr  # not "unknown period": the same database
    assert f"database: sqlite:///{database}" in planned.stderr
    assert not list((tmp_path / "a").iterdir()) and not list((tmp_path / "b").iterdir())


def test_a_password_in_the_database_url_is_never_said() -> None:
    done = run("plan", "tiny-2026-07", env={
        "SCHEDULER_DATABASE_URL": "postgresql+psycopg://who:s3cret@127.0.0.1:1/none"})
    assert done.returncode != 0
    assert "database: postgresql+psycopg://who:***@127.0.0.1:1/none" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    said = database_said("postgresql+psycopg://who@db/none?password=s3cret&sslkey=k3y&port=1")
    assert "s3cret" not in said and "k3y" not in said and "port=1" in said


def test_the_data_folder_is_the_checkout_by_default_and_links_follow_the_port(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*os.environ]:
        if name.startswith("SCHEDULER_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    assert default_data_dir() == REPO
    settings = Settings(port=8010)
    assert settings.base_url == "http://127.0.0.1:8010"
    assert settings.database_url == f"sqlite:///{REPO / 'scheduler.db'}"
    assert settings.calendars_dir == REPO / "calendars"
    assert Settings(port=8010, base_url="https://relief.example.org").base_url == \
        "https://relief.example.org"
    assert Settings(host="0.0.0.0", port=8010).base_url == "http://127.0.0.1:8010"
