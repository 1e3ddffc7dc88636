"""Every line a solve job's log can hold reads in French on the manager's pages: the lines are
made by the real job flows (done, cancelled, given back, reaped, interrupted, failed), then
translated; none may stay in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler import cli
from scheduler.domain.enums import JobState
from scheduler.models import SolveJob
from scheduler.planning.job_words import log_line_fr
from scheduler.planning.jobs import (
    beat,
    claim,
    finish,
    give_back,
    reap,
    request_cancel,
    request_job,
)
from scheduler.planning.runner import RunContext, run_job
from scheduler.storage.db import writer
from tests.support.cli import TINY

PERIOD = "tiny-2026-07"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
STALE = timedelta(seconds=30)
pytestmark = pytest.mark.usefixtures("configured")


def _new(session: Session, now: datetime = T0) -> SolveJob:
    job = request_job(session, PERIOD, requested_by="cadre@chiv.test", time_limit_seconds=2,
                      seed=0, now=now, stale_after=STALE)
    session.commit()
    return job


def _nothing(_session: Session, _job: SolveJob) -> None:
    """The embedded queue's hand-over."""


def test_every_log_line_is_worded_in_french(engine: Engine) -> None:
    assert cli.main(["load", str(TINY)]) == 0
    lines: list[str] = []
    with Session(writer(engine), expire_on_commit=False) as s:
        # Done, with its stages.
        job = _new(s)
        assert job.id is not None
        assert run_job(RunContext(engine=engine, worker="h:1", hand_over=_nothing),
                       job.id) is JobState.DONE
        # Cancelled before it started; cancelled while running; given back; reaped twice.
        lines += request_cancel(s, _new(s), T0, by="cadre").log
        running = claim(s, _new(s).id or 0, "h:2", T0)
        assert running is not None
        beat(s, running.id or 0, 1, T0, None, ["stage coverage"])
        request_cancel(s, running, T0, by="cadre")
        finish(s, running.id or 0, 1, JobState.CANCELLED, T0,
               "cancelled during stage coverage: nothing was saved")
        back = claim(s, _new(s).id or 0, "h:3", T0)
        assert back is not None
        give_back(s, back.id or 0, 1, T0, "its worker h:3 is stopping", _nothing)
        for attempt in (1, 2):
            claim(s, back.id or 0, f"h:{attempt}", T0)
            reap(s, T0 + 2 * STALE, STALE, _nothing)
        failed = claim(s, _new(s, T0 + 3 * STALE).id or 0, "h:4", T0)
        assert failed is not None
        finish(s, failed.id or 0, 1, JobState.FAILED, T0,
               "no rota (infeasible): nothing was saved")
        for stored in s.exec(select(SolveJob)).all():
            lines += stored.log
    assert len(set(line.split(" ", 1)[1].split(" ")[0] for line in lines)) >= 6
    english = [line for line in lines if log_line_fr(line) == line]
    assert english == []
    assert log_line_fr("2026-11-30T09:00:00Z stage fairness") == \
        "2026-11-30T09:00:00Z étape : équité des charges"
