"""Solve jobs on SQLite and PostgreSQL, run in this process (`test_workers.py` runs them in
real worker processes): one per period, claimed once, heartbeats and progress, cancelled
queued or running, given back by a stopping worker, stale ones queued again once then
interrupted, and a version saved only by the run that owns the job."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler import cli
from scheduler.domain.enums import JobState
from scheduler.models import RotaVersion, SolveJob
from scheduler.planning.jobs import (
    MAX_ATTEMPTS,
    JobBusy,
    JobFinished,
    beat,
    claim,
    finish_done,
    reap,
    request_cancel,
    request_job,
    shown_state,
)
from scheduler.planning.plan import save_solved, solve_period
from scheduler.planning.runner import RunContext, run_job
from scheduler.solver import SolveOptions
from scheduler.storage.db import writer
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import version_rota
from tests.support.cli import CHIV, TINY

pytestmark = pytest.mark.usefixtures("configured")
TINY_PERIOD = "tiny-2026-07"
CHIV_PERIOD = "chiv-summer-2026"
STALE = timedelta(seconds=30)
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _no_hand_over(_session: Session, _job: SolveJob) -> None:
    """The embedded queue's: the row is the queue."""


def _request(engine: Engine, period: str = TINY_PERIOD, limit: float = 2.0,
             now: datetime = T0) -> int:
    with Session(writer(engine)) as session:
        job = request_job(session, period, requested_by="cadre@example.org",
                          time_limit_seconds=limit, seed=0, now=now, stale_after=STALE)
        session.commit()
        assert job.id is not None
        return job.id


def _job(engine: Engine, job_id: int) -> SolveJob:
    with Session(engine) as session:
        job = session.get(SolveJob, job_id)
        assert job is not None
        return job


def _versions(engine: Engine, period: str) -> list[RotaVersion]:
    with Session(engine) as session:
        return list(session.exec(select(RotaVersion).where(RotaVersion.period_id == period)))


def _context(engine: Engine, **kwargs: object) -> RunContext:
    return RunContext(engine=engine, worker="test:1", hand_over=_no_hand_over,
                      **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def tiny(configured: None) -> None:
    assert cli.main(["load", str(TINY)]) == 0


@pytest.mark.usefixtures("tiny")
def test_a_job_runs_once_and_saves_a_draft_version_with_its_log(engine: Engine) -> None:
    job_id = _request(engine)
    assert run_job(_context(engine), job_id) is JobState.DONE
    assert run_job(_context(engine), job_id) is None  # not queued any more: not run again
    job = _job(engine, job_id)
    [version] = _versions(engine, TINY_PERIOD)
    assert (job.state, job.attempts, job.rota_version_id) == (JobState.DONE, 1, version.id)
    assert job.progress is not None and job.progress["stage"] == "preferences"
    assert [line.split(" ", 1)[1].split(" (")[0] for line in job.log[1:3]] == [
        "started on test:1", "stage coverage"]
    assert "saved draft rota version 1" in job.log[-1]


@pytest.mark.usefixtures("tiny")
def test_a_second_job_for_the_period_is_refused_with_the_first_ones_id(engine: Engine) -> None:
    first = _request(engine)
    with pytest.raises(JobBusy) as busy:
        _request(engine)
    assert busy.value.job_id == first
    # Once it has finished, the period takes a new job.
    run_job(_context(engine), first)
    assert _request(engine) > first


@pytest.mark.usefixtures("tiny")
def test_a_queued_job_cancelled_never_runs(engine: Engine) -> None:
    job_id = _request(engine)
    with Session(writer(engine)) as session:
        job = session.get(SolveJob, job_id)
        assert job is not None
        assert request_cancel(session, job, T0, by="cadre").state is JobState.CANCELLED
    assert run_job(_context(engine), job_id) is None
    assert _versions(engine, TINY_PERIOD) == []
    with Session(writer(engine)) as session, pytest.raises(JobFinished):
        job = session.get(SolveJob, job_id)
        assert job is not None
        request_cancel(session, job, T0, by="cadre")


def _load_chiv() -> None:
    assert cli.main(["load", str(CHIV)]) == 0


def _run_in_thread(context: RunContext, job_id: int) -> tuple[threading.Thread, list[object]]:
    ended: list[object] = []
    thread = threading.Thread(target=lambda: ended.append(run_job(context, job_id)))
    thread.start()
    return thread, ended


def _wait_running_with_progress(engine: Engine, job_id: int) -> SolveJob:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = _job(engine, job_id)
        if job.state is JobState.RUNNING and job.progress is not None:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reported progress: {_job(engine, job_id)}")


def test_a_running_job_cancelled_stops_within_seconds_and_saves_nothing(
        engine: Engine) -> None:
    _load_chiv()
    job_id = _request(engine, CHIV_PERIOD, limit=120)
    thread, ended = _run_in_thread(_context(engine), job_id)
    _wait_running_with_progress(engine, job_id)
    with Session(writer(engine)) as session:
        job = session.get(SolveJob, job_id)
        assert job is not None
        request_cancel(session, job, T0, by="cadre")
    cancelled_at = time.monotonic()
    thread.join(timeout=60)
    assert ended == [JobState.CANCELLED]
    assert time.monotonic() - cancelled_at < 30  # a time limit of 120 s: stopped, not run out
    job = _job(engine, job_id)
    assert job.state is JobState.CANCELLED and "nothing was saved" in job.log[-1]
    assert _versions(engine, CHIV_PERIOD) == []


def test_a_stopping_worker_gives_its_job_back_uncounted(engine: Engine) -> None:
    _load_chiv()
    job_id = _request(engine, CHIV_PERIOD, limit=120)
    stopping = threading.Event()
    thread, ended = _run_in_thread(_context(engine, stopping=stopping.is_set), job_id)
    _wait_running_with_progress(engine, job_id)
    stopping.set()
    thread.join(timeout=60)
    assert ended == [JobState.QUEUED]
    job = _job(engine, job_id)
    assert (job.state, job.attempts, job.progress) == (JobState.QUEUED, 0, None)
    assert "is stopping: queued again" in job.log[-1]
    assert _versions(engine, CHIV_PERIOD) == []


@pytest.mark.usefixtures("tiny")
def test_a_stale_job_is_queued_again_once_then_interrupted(engine: Engine) -> None:
    job_id = _request(engine)
    handed: list[int] = []

    def hand_over(_session: Session, job: SolveJob) -> None:
        handed.append(job.id or 0)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        with Session(writer(engine)) as session:
            assert claim(session, job_id, f"dead:{attempt}", T0) is not None
        job = _job(engine, job_id)
        # Fresh: shown running, not reaped.
        assert shown_state(job, T0 + STALE / 2, STALE) is JobState.RUNNING
        with Session(writer(engine)) as session:
            assert reap(session, T0 + STALE / 2, STALE, hand_over) == []
        # Stale: shown as what reaping makes of it (never "running"), then reaped.
        assert shown_state(job, T0 + 2 * STALE, STALE) is (
            JobState.QUEUED if attempt < MAX_ATTEMPTS else JobState.INTERRUPTED)
        with Session(writer(engine)) as session:
            reap(session, T0 + 2 * STALE, STALE, hand_over)
        job = _job(engine, job_id)
        if attempt < MAX_ATTEMPTS:
            assert job.state is JobState.QUEUED and handed == [job_id]
            assert f"its worker dead:{attempt} stopped answering" in job.log[-1]
    assert job.state is JobState.INTERRUPTED and job.finished_at is not None
    assert handed == [job_id]  # queued again once only
    assert _versions(engine, TINY_PERIOD) == []


@pytest.mark.usefixtures("tiny")
def test_a_run_that_lost_its_job_saves_nothing(engine: Engine) -> None:
    """A worker whose heartbeat went stale (its job reaped and queued again) but which then
    finishes its solve must not save a version: only the run owning the job saves."""
    job_id = _request(engine)
    with Session(writer(engine)) as session:
        assert claim(session, job_id, "slow:1", T0) is not None
    with Session(writer(engine)) as session:
        reap(session, T0 + 2 * STALE, STALE, _no_hand_over)
        assert claim(session, job_id, "other:2", T0 + 2 * STALE) is not None
    # The slow first run ends its solve and tries to save.
    with Session(writer(engine)) as session:
        solved = solve_period(session, TINY_PERIOD, SolveOptions(time_limit_seconds=2))
        version = save_solved(session, TINY_PERIOD, solved)
        assert finish_done(session, job_id, 1, version, T0, "late") is None
    assert _versions(engine, TINY_PERIOD) == []
    # Its heartbeat is refused too.
    with Session(writer(engine)) as session:
        assert beat(session, job_id, 1, T0, None) == "lost"
    with Session(writer(engine)) as session:
        assert beat(session, job_id, 2, T0, None) == "go on"


@pytest.mark.usefixtures("tiny")
def test_a_stale_job_does_not_block_a_new_request(engine: Engine) -> None:
    stale_job = _request(engine)
    with Session(writer(engine)) as session:
        assert claim(session, stale_job, "dead:1", T0) is not None
    new_job = _request(engine, now=T0 + 2 * STALE)
    job = _job(engine, stale_job)
    assert job.state is JobState.INTERRUPTED and new_job != stale_job


def _two_periods(tmp_path: Path) -> None:
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["period"]["id"] = "tiny-bis"
    path = tmp_path / "tiny-bis.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cli.main(["load", str(TINY)]) == 0
    assert cli.main(["load", str(path)]) == 0


def test_jobs_of_two_periods_run_side_by_side(engine: Engine, tmp_path: Path) -> None:
    _two_periods(tmp_path)
    jobs = [_request(engine, TINY_PERIOD), _request(engine, "tiny-bis")]
    threads = [_run_in_thread(_context(engine), j) for j in jobs]
    for thread, ended in threads:
        thread.join(timeout=60)
        assert ended == [JobState.DONE]
    assert [len(_versions(engine, p)) for p in (TINY_PERIOD, "tiny-bis")] == [1, 1]


@pytest.mark.usefixtures("tiny")
def test_a_stale_job_asked_to_cancel_ends_cancelled(engine: Engine) -> None:
    job_id = _request(engine)
    with Session(writer(engine)) as session:
        job = claim(session, job_id, "dead:1", T0)
        assert job is not None
        request_cancel(session, job, T0, by="cadre")
    assert shown_state(_job(engine, job_id), T0 + 2 * STALE, STALE) is JobState.CANCELLED
    with Session(writer(engine)) as session:
        assert reap(session, T0 + 2 * STALE, STALE, _no_hand_over) == []
    assert _job(engine, job_id).state is JobState.CANCELLED


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite: the table is the queue
@pytest.mark.usefixtures("tiny")
def test_a_queued_job_whose_queue_entry_was_lost_is_handed_over_again(engine: Engine) -> None:
    """PostgreSQL: a worker killed between taking procrastinate's job and starting the run
    (or an error there) leaves the row queued with no queue entry; the reaper repairs it."""
    from sqlalchemy import text

    from scheduler.planning.queue import ProcrastinateQueue

    queue = ProcrastinateQueue(engine, STALE)
    with Session(writer(engine)) as session:
        job = request_job(session, TINY_PERIOD, requested_by="cadre", time_limit_seconds=1,
                          seed=0, now=T0, stale_after=STALE)
        queue.hand_over(session, job)
        session.commit()
        lost = job.queue_id
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM procrastinate_jobs WHERE id = :id"), {"id": lost})
    queue.repair()
    again = _job(engine, job.id or 0)
    assert again.state is JobState.QUEUED and again.queue_id not in (None, lost)
    with engine.connect() as connection:
        status = connection.execute(text("SELECT status FROM procrastinate_jobs WHERE id = :id"),
                                    {"id": again.queue_id}).scalar_one()
    assert status == "todo"
    queue.repair()  # nothing more to do
    assert _job(engine, job.id or 0).queue_id == again.queue_id


def test_a_period_without_answers_yet_gets_a_rota_of_uncovered_seats_with_reasons(
        engine: Engine, tmp_path: Path, configured: None) -> None:
    """Generating before any doctor answered is not an error: the saved version has every seat
    uncovered, each with its reason (nobody offered it)."""
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["period"]["id"] = "tiny-sans-reponse"
    data["doctors"], data["pinned"], data["removed"] = [], [], []
    path = tmp_path / "sans-reponse.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cli.main(["load", str(path)]) == 0
    job_id = _request(engine, "tiny-sans-reponse")
    assert run_job(_context(engine), job_id) is JobState.DONE
    [version] = _versions(engine, "tiny-sans-reponse")
    with Session(engine) as session:
        problem = problem_from_db(session, "tiny-sans-reponse")
        rota = version_rota(session, version)
    assert rota == []
    uncovered = version.statistics["uncovered"]
    assert sum(u["seats"] for u in uncovered) == sum(s.seats for s in problem.slots) > 0
    assert {u["reason"] for u in uncovered} == {"no doctor available"}
