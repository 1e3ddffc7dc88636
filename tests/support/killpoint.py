"""The real `scheduler` command, made to stop inside its database work so a test can SIGKILL
it there: `python -m tests.support.killpoint ARGS` runs `scheduler ARGS` with SQLAlchemy
listeners that, at the point named by SCHEDULER_KILLPOINT, write the process id to the file
SCHEDULER_KILLPOINT_FILE and sleep until killed:

- `first-write`: right after the first INSERT, UPDATE or DELETE has run;
- `commit`: when the transaction that wrote is about to commit (every write done);
- `count`: no stop; at exit, the file holds how many transactions that wrote were
  committed (all or nothing needs exactly one).

Test-only: the service has no such hook; the listeners are added from outside, on every
engine the command makes.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from scheduler.cli import main

POINTS = ("first-write", "commit")
COUNT = "count"
_WRITES = ("INSERT", "UPDATE", "DELETE")


def _pause() -> None:
    Path(os.environ["SCHEDULER_KILLPOINT_FILE"]).write_text(str(os.getpid()))
    time.sleep(300)  # the test kills the process long before
    sys.exit("killpoint: not killed")


def install(point: str) -> None:
    """Pause at `point` (one of POINTS) in whatever engine the command makes."""
    if point not in (*POINTS, COUNT):
        raise SystemExit(f"SCHEDULER_KILLPOINT must be one of {POINTS} or {COUNT}")
    committed = [0]
    if point == COUNT:
        atexit.register(lambda: Path(os.environ["SCHEDULER_KILLPOINT_FILE"]).write_text(
            str(committed[0])))

    @event.listens_for(Engine, "after_cursor_execute")
    def wrote(connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(_WRITES):
            connection.info["wrote"] = True
            if point == "first-write":
                _pause()

    @event.listens_for(Engine, "commit")
    def committing(connection: Connection) -> None:
        if connection.info.pop("wrote", False):
            if point == "commit":
                _pause()
            committed[0] += 1

    @event.listens_for(Engine, "rollback")
    def rolling_back(connection: Connection) -> None:
        connection.info.pop("wrote", None)


if __name__ == "__main__":
    install(os.environ["SCHEDULER_KILLPOINT"])
    sys.exit(main(sys.argv[1:]))
