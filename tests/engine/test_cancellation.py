"""Cancelling a solve from another thread: it stops at once, mid-search, and returns no rota."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scheduler.domain.rota import Progress
from scheduler.scenario.inputs import read_input
from scheduler.solver import Cancellation, SolveCancelled, SolveOptions, replan, solve

CHIV = read_input(Path("scenarios/chiv-summer-2026.yaml")).problem
LIMIT = 120.0


def test_a_cancellation_before_the_start_stops_the_solve_before_any_search() -> None:
    cancellation = Cancellation()
    cancellation.cancel()
    events: list[Progress] = []
    with pytest.raises(SolveCancelled):
        solve(CHIV, SolveOptions(time_limit_seconds=LIMIT, cancellation=cancellation,
                                 progress=events.append))
    assert events == []


@pytest.mark.parametrize("stage", ["coverage", "fairness"])
def test_a_cancellation_mid_search_stops_the_stage_running(stage: str) -> None:
    """Cancelled from another thread at the first progress event of `stage` (fairness runs
    CP-SAT, then the neighbourhood search): the solve raises long before its time limit and
    reports nothing after."""
    cancellation = Cancellation()
    events: list[Progress] = []
    cancelled_at: list[float] = []

    def progress(event: Progress) -> None:
        events.append(event)
        if event.stage == stage and not cancelled_at:
            cancelled_at.append(time.monotonic())
            threading.Thread(target=cancellation.cancel).start()

    started = time.monotonic()
    with pytest.raises(SolveCancelled):
        solve(CHIV, SolveOptions(time_limit_seconds=LIMIT, cancellation=cancellation,
                                 progress=progress))
    assert cancelled_at, f"no {stage} progress"
    assert time.monotonic() - started < LIMIT / 2
    assert {e.stage for e in events} <= {"coverage", "stability", stage}


def test_a_replan_is_cancelled_the_same_way() -> None:
    rota = solve(CHIV, SolveOptions(time_limit_seconds=2))
    cancellation = Cancellation()
    cancellation.cancel()
    with pytest.raises(SolveCancelled):
        replan(CHIV, rota.assignments,
               SolveOptions(time_limit_seconds=LIMIT, cancellation=cancellation))
