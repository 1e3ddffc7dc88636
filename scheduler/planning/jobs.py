"""Solve jobs as the manager sees them: requested, queued, running (with progress and a
heartbeat), then done, failed, cancelled or interrupted. The `solve_job` table is the truth;
a task queue (`planning.queue`) only tells a worker which job to run next.

Rules (DESIGN, "Background solves"; issue "Solve jobs"):
- one job per period at a time: requesting a second while one is queued or running raises
  `JobBusy` with its id;
- a running job writes a heartbeat every `HEARTBEAT_SECONDS`; one silent for the stale delay
  (`Settings.job_stale_seconds`) lost its worker: it is queued again once (`MAX_ATTEMPTS`),
  then marked interrupted; never left "running" for ever;
- cancelling a queued job ends it at once; a running one stops at its worker's next heartbeat,
  keeping nothing;
- a rota version is saved only by the worker that still owns the job (`finish_done` checks the
  attempt under the job's lock), so a job runs to a saved version exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, func, select, update

from scheduler.domain.enums import JobState
from scheduler.domain.rota import Progress
from scheduler.models import RotaVersion, SolveJob
from scheduler.storage.periods import lock_period

#: Seconds between a running job's heartbeats (and progress writes).
HEARTBEAT_SECONDS = 1.0
#: Runs of a job before a lost worker leaves it interrupted instead of queued again.
MAX_ATTEMPTS = 2
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
#: Lines kept in a job's log (the last ones).
LOG_LINES = 200


class JobBusy(Exception):
    """The period already has a queued or running job: `job_id`."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"solve job {job_id} is already queued or running for this period")
        self.job_id = job_id


class JobFinished(Exception):
    """The job has finished: it cannot be cancelled."""


def _line(now: datetime, message: str) -> str:
    return f"{now.strftime('%Y-%m-%dT%H:%M:%SZ')} {message}"


def _logged(job: SolveJob, now: datetime, *messages: str) -> list[str]:
    return [*job.log, *(_line(now, m) for m in messages)][-LOG_LINES:]


def is_stale(job: SolveJob, now: datetime, stale_after: timedelta) -> bool:
    """A running job whose worker has not written a heartbeat for `stale_after`."""
    return job.state is JobState.RUNNING and (
        job.heartbeat_at is None or job.heartbeat_at < now - stale_after)


def request_job(session: Session, period_id: str, *, requested_by: str,
                time_limit_seconds: float, seed: int, now: datetime,
                stale_after: timedelta) -> SolveJob:
    """A new queued job for the period, flushed (it has its id) in the session's transaction:
    the caller hands it to the queue and commits.

    Raises `JobBusy` when the period has a queued job or a running one with a fresh heartbeat
    (a stale one is marked interrupted first).
    """
    lock_period(session, period_id)
    for job in session.exec(select(SolveJob).where(
            SolveJob.period_id == period_id, col(SolveJob.state).in_(ACTIVE))
            .order_by(col(SolveJob.id)).with_for_update()):
        if not is_stale(job, now, stale_after):
            raise JobBusy(job.id or 0)
        _interrupt(job, now, f"its worker {job.worker} stopped answering")
        session.add(job)
    job = SolveJob(period_id=period_id, requested_by=requested_by, requested_at=now,
                   time_limit_seconds=time_limit_seconds, seed=seed,
                   log=[_line(now, f"requested by {requested_by} (time limit "
                                   f"{time_limit_seconds:g} s, seed {seed})")])
    session.add(job)
    session.flush()
    return job


def claim(session: Session, job_id: int, worker: str, now: datetime) -> SolveJob | None:
    """Start the job on `worker` and commit; None when it is no longer queued (cancelled, or
    taken by another worker)."""
    started = session.exec(
        update(SolveJob).where(col(SolveJob.id) == job_id,
                               col(SolveJob.state) == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=now, heartbeat_at=now, worker=worker,
                attempts=SolveJob.attempts + 1, progress=None))
    if started.rowcount != 1:
        session.rollback()
        return None
    job = session.get(SolveJob, job_id)
    assert job is not None
    session.refresh(job)
    job.log = _logged(job, now, f"started on {worker} (attempt {job.attempts} of "
                                f"{MAX_ATTEMPTS})")
    session.add(job)
    session.commit()
    return job


Verdict = Literal["go on", "cancel", "lost"]


def beat(session: Session, job_id: int, attempt: int, now: datetime,
         progress: Progress | None, messages: Sequence[str] = ()) -> Verdict:
    """Write the heartbeat, the latest progress and new log lines of the job's `attempt`, and
    commit. Returns what the run should do: go on, stop for a cancellation, or stop because
    the job is no longer this run's (queued again or interrupted after a stale heartbeat)."""
    job = _owned(session, job_id, attempt)
    if job is None:
        session.rollback()
        return "lost"
    job.heartbeat_at = now
    if progress is not None:
        job.progress = {"stage": progress.stage, "value": progress.value,
                        "bound": progress.bound, "elapsed": round(progress.elapsed, 3)}
    if messages:
        job.log = _logged(job, now, *messages)
    verdict: Verdict = "cancel" if job.cancel_requested else "go on"
    session.add(job)
    session.commit()
    return verdict


def _owned(session: Session, job_id: int, attempt: int) -> SolveJob | None:
    job = session.get(SolveJob, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.state is not JobState.RUNNING or job.attempts != attempt:
        return None
    return job


def finish_done(session: Session, job_id: int, attempt: int, version: RotaVersion,
                now: datetime, summary: str) -> JobState | None:
    """Mark the job done with `version` (added to the session, not committed) and commit both
    together. When it was cancelled meanwhile, the version is dropped and the job ends
    cancelled; when the run no longer owns it, nothing is saved (None)."""
    job = _owned(session, job_id, attempt)
    if job is None:
        session.rollback()
        return None
    if job.cancel_requested:
        session.rollback()
        return JobState.CANCELLED if finish(
            session, job_id, attempt, JobState.CANCELLED, now,
            "cancelled as it ended: nothing was saved") else None
    session.flush()
    job.state, job.finished_at, job.rota_version_id = JobState.DONE, now, version.id
    job.log = _logged(job, now, f"saved draft rota version {version.number}: {summary}")
    session.add(job)
    session.commit()
    return JobState.DONE


def finish(session: Session, job_id: int, attempt: int, state: JobState, now: datetime,
           message: str, error: str = "") -> bool:
    """End the run `attempt` of the job as `state` (failed, cancelled) and commit; False when
    it no longer owns the job."""
    job = _owned(session, job_id, attempt)
    if job is None:
        session.rollback()
        return False
    job.state, job.finished_at, job.error = state, now, error
    job.log = _logged(job, now, message)
    session.add(job)
    session.commit()
    return True


#: Hands a queued job to the task queue within the caller's transaction (`JobQueue.hand_over`).
HandOver = Callable[[Session, SolveJob], None]


def give_back(session: Session, job_id: int, attempt: int, now: datetime, why: str,
              hand_over: HandOver) -> bool:
    """Put a running job back in the queue without counting the run (its worker is stopping);
    commits. False when the run no longer owns it."""
    job = _owned(session, job_id, attempt)
    if job is None:
        session.rollback()
        return False
    if job.cancel_requested:
        job.state, job.finished_at = JobState.CANCELLED, now
        job.log = _logged(job, now, f"{why}: cancelled as asked; nothing was saved")
        session.add(job)
        session.commit()
        return True
    job.state, job.attempts, job.worker, job.progress = JobState.QUEUED, job.attempts - 1, "", None
    job.log = _logged(job, now, f"{why}: queued again")
    session.add(job)
    session.flush()
    hand_over(session, job)
    session.commit()
    return True


def request_cancel(session: Session, job: SolveJob, now: datetime, by: str) -> SolveJob:
    """Cancel the job: a queued one ends at once, a running one at its next heartbeat.
    Commits. Raises `JobFinished` for a finished job."""
    session.refresh(job, with_for_update=True)
    if job.state.finished:
        session.rollback()
        raise JobFinished(f"solve job {job.id} has finished ({job.state.value})")
    if job.state is JobState.QUEUED:
        job.state, job.finished_at = JobState.CANCELLED, now
        job.log = _logged(job, now, f"cancelled by {by} before it started")
    elif not job.cancel_requested:
        job.cancel_requested = True
        job.log = _logged(job, now, f"cancellation requested by {by}")
    session.add(job)
    session.commit()
    return job


def _interrupt(job: SolveJob, now: datetime, why: str) -> None:
    job.state, job.finished_at = JobState.INTERRUPTED, now
    job.log = _logged(job, now, f"interrupted: {why}; nothing was saved")


def reap(session: Session, now: datetime, stale_after: timedelta, hand_over: HandOver
         ) -> list[SolveJob]:
    """Running jobs whose worker stopped answering: queued again (handed to the queue) when
    they have runs left, else interrupted. Commits; returns the jobs queued again."""
    again = []
    stale = session.exec(select(SolveJob).where(
        SolveJob.state == JobState.RUNNING,
        col(SolveJob.heartbeat_at) < now - stale_after).order_by(col(SolveJob.id))).all()
    for candidate in stale:
        job = session.get(SolveJob, candidate.id, with_for_update=True, populate_existing=True)
        if job is None or not is_stale(job, now, stale_after):
            continue  # it answered meanwhile, or another worker reaped it
        silent = f"its worker {job.worker} stopped answering"
        if job.cancel_requested:
            job.state, job.finished_at = JobState.CANCELLED, now
            job.log = _logged(job, now, f"{silent}; cancelled as asked; nothing was saved")
            session.add(job)
        elif job.attempts < MAX_ATTEMPTS:
            job.state, job.worker, job.progress = JobState.QUEUED, "", None
            job.log = _logged(job, now, f"{silent}; nothing was saved; queued again")
            session.add(job)
            session.flush()
            hand_over(session, job)
            again.append(job)
        else:
            _interrupt(job, now, silent)
            session.add(job)
    session.commit()
    return again


def next_queued(session: Session, skip: Sequence[int] = ()) -> SolveJob | None:
    """The oldest queued job not in `skip` (the embedded runner's queue)."""
    query = select(SolveJob).where(SolveJob.state == JobState.QUEUED)
    if skip:
        query = query.where(col(SolveJob.id).not_in(skip))
    return session.exec(query.order_by(col(SolveJob.id))).first()


def period_jobs(session: Session, period_id: str, *, limit: int, offset: int
                ) -> tuple[list[SolveJob], int]:
    """The period's jobs, newest first, one page, and how many there are in all."""
    total = session.exec(select(func.count()).select_from(SolveJob)
                         .where(SolveJob.period_id == period_id)).one()
    rows = session.exec(select(SolveJob).where(SolveJob.period_id == period_id)
                        .order_by(col(SolveJob.id).desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def version_number(session: Session, job: SolveJob) -> int | None:
    """The number of the rota version the job saved, if any."""
    if job.rota_version_id is None:
        return None
    version = session.get(RotaVersion, job.rota_version_id)
    return None if version is None else version.number


def shown_state(job: SolveJob, now: datetime, stale_after: timedelta) -> JobState:
    """The state a reader should see, before any worker reaps a stale job: what reaping will
    make of it (queued again while it has runs left, cancelled when asked, else
    interrupted). Never "running" for a job whose worker stopped answering."""
    if not is_stale(job, now, stale_after):
        return job.state
    if job.cancel_requested:
        return JobState.CANCELLED
    return JobState.QUEUED if job.attempts < MAX_ATTEMPTS else JobState.INTERRUPTED
