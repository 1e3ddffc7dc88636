"""SIGKILL in the middle of every command that writes (load, plan, publish, import-roster), on
SQLite and PostgreSQL. The real command runs in a subprocess (`tests.support.killpoint`):
- it commits exactly one transaction that writes, so a kill anywhere leaves either nothing
  or everything;
- stopped right after its first write, or just before that commit, and killed there, it
  leaves every table exactly as before, and the same command run again succeeds (no lock
  or journal left behind)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler import cli
from scheduler.domain.rpps import make_rpps
from tests.support import REPO
from tests.support.cli import TINY
from tests.support.dump import dump
from tests.support.killpoint import COUNT, POINTS

PERIOD = "tiny-2026-07"
pytestmark = pytest.mark.usefixtures("configured")


def _roster(folder: Path) -> Path:
    lines = ["name,email,rpps,organisation"] + [
        f"Dr Test {i},test{i}@example.org,{make_rpps(f'20000{i:05d}')},cpts-test"
        for i in range(40)]
    path = folder / "membres.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _loaded(_folder: Path) -> None:
    assert cli.main(["load", str(TINY)]) == 0


def _planned(folder: Path) -> None:
    _loaded(folder)
    assert cli.main(["plan", PERIOD, "--time-limit", "3"]) == 0


#: Each command: what the database holds before it, and its arguments (given the folder).
COMMANDS: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], list[str]]]] = {
    "load": (None, lambda _f: ["load", str(TINY)]),
    "plan": (_loaded, lambda _f: ["plan", PERIOD, "--time-limit", "3"]),
    "publish": (_planned, lambda f: ["publish", PERIOD, "--out", str(f / "calendars")]),
    "import-roster": (_loaded, lambda f: ["import-roster", str(_roster(f)), "--commit"]),
}


def _env(engine: Engine, point: str, marker: Path) -> dict[str, str]:
    return {**os.environ,
            "SCHEDULER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SCHEDULER_KILLPOINT": point, "SCHEDULER_KILLPOINT_FILE": str(marker)}


def _prepared(command: str, folder: Path) -> list[str]:
    setup, arguments = COMMANDS[command]
    if setup is not None:
        setup(folder)
    return arguments(folder)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_writes_in_one_transaction(command: str, engine: Engine,
                                             tmp_path: Path) -> None:
    args = _prepared(command, tmp_path)
    marker = tmp_path / "count"
    done = subprocess.run([sys.executable, "-m", "tests.support.killpoint", *args], cwd=REPO,
                          env=_env(engine, COUNT, marker), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "1"


def _kill_at(point: str, args: list[str], engine: Engine, folder: Path) -> None:
    marker = folder / "paused"
    process = subprocess.Popen([sys.executable, "-m", "tests.support.killpoint", *args],
                               cwd=REPO, env=_env(engine, point, marker),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"{args[0]} ended ({process.returncode}) before {point}: "
                        f"{process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{args[0]} never reached {point}")
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_killed_mid_write_leaves_no_trace(command: str, point: str, engine: Engine,
                                                    tmp_path: Path) -> None:
    args = _prepared(command, tmp_path)
    before = dump(engine)
    _kill_at(point, args, engine, tmp_path)
    assert dump(engine) == before
    again = subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=REPO,
                           env={**os.environ, "SCHEDULER_DATABASE_URL":
                                engine.url.render_as_string(hide_password=False)},
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert dump(engine) != before
