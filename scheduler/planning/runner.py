"""Running one solve job on this thread, whichever queue handed it over.

The run claims the job, solves the period on the path `scheduler plan` takes
(`planning.plan`), and meanwhile a heartbeat thread writes, every `HEARTBEAT_SECONDS`, the
heartbeat, the solver's latest progress and the stages started (a stage's first progress at
once), and reads back whether the manager cancelled. A cancellation stops CP-SAT at once
(`Cancellation`); a worker stopping gives the job back to the queue; a run that lost the
job (its heartbeat went stale and it was queued again) stops and saves nothing. The rota
version and the job's "done" are committed together, by the run that still owns the job.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.domain.enums import JobState
from scheduler.domain.rota import Progress
from scheduler.planning.jobs import (
    HEARTBEAT_SECONDS,
    HandOver,
    Verdict,
    beat,
    claim,
    finish,
    finish_done,
    give_back,
)
from scheduler.planning.plan import save_solved, solve_period
from scheduler.solver import Cancellation, SolveCancelled, SolveOptions
from scheduler.storage.db import writer

log = logging.getLogger("scheduler.planning")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    """host:pid, as the job's log shows who ran it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunContext:
    """What a run needs from its worker: the database, its name, whether it is stopping, how
    to hand a job back to the queue, and the clock."""

    engine: Engine
    worker: str
    hand_over: HandOver
    stopping: Callable[[], bool] = lambda: False
    clock: Clock = utc_now


class _Heartbeat(threading.Thread):
    """Beats for one run; collects the solver's progress in between."""

    def __init__(self, context: RunContext, job_id: int, attempt: int,
                 cancellation: Cancellation) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.context, self.job_id, self.attempt = context, job_id, attempt
        self.cancellation = cancellation
        self._lock = threading.Lock()
        self._latest: Progress | None = None
        self._stage = ""
        self._messages: list[str] = []
        self._done = threading.Event()
        #: Set when a stage starts: its first progress is written at once.
        self._wake = threading.Event()
        #: Why the solve was stopped, when it was: "cancel", "lost" or "stopping".
        self.stopped_for = ""
        self.last_stage = ""

    def progress(self, event: Progress) -> None:
        """The solver's progress callback (any thread)."""
        with self._lock:
            self._latest = event
            if event.stage != self._stage:
                self._stage = event.stage
                self._messages.append(f"stage {event.stage}")
                self._wake.set()

    def run(self) -> None:
        while True:
            self._wake.wait(HEARTBEAT_SECONDS)
            self._wake.clear()
            if self._done.is_set():
                return
            self.beat()

    def beat(self) -> Verdict | None:
        with self._lock:
            latest, messages, self._messages = self._latest, self._messages, []
            self.last_stage = self._stage
        try:
            with Session(writer(self.context.engine)) as session:
                verdict = beat(session, self.job_id, self.attempt, self.context.clock(),
                               latest, messages)
        except Exception:  # a database hiccup: the next beat tries again
            log.warning("solve job %s: heartbeat failed", self.job_id, exc_info=True)
            with self._lock:
                self._messages = messages + self._messages
            return None
        if verdict != "go on" and not self.stopped_for:
            self.stopped_for = verdict
            self.cancellation.cancel()
        elif self.context.stopping() and not self.stopped_for:
            self.stopped_for = "stopping"
        if self.stopped_for:
            self.cancellation.cancel()  # again: covers a search that was just starting
        return verdict

    def stop(self) -> None:
        """Stop beating and write what was left (the last progress, stages started)."""
        self._done.set()
        self._wake.set()
        self.join()
        self.beat()


def run_job(context: RunContext, job_id: int) -> JobState | None:
    """Run the job to its end; returns the state it ended in (queued again when the worker is
    stopping), or None when it was not this run's (no longer queued, or lost meanwhile)."""
    with Session(writer(context.engine), expire_on_commit=False) as session:
        job = claim(session, job_id, context.worker, context.clock())
    if job is None:
        return None
    cancellation = Cancellation()
    heart = _Heartbeat(context, job_id, job.attempts, cancellation)
    options = SolveOptions(time_limit_seconds=job.time_limit_seconds, seed=job.seed,
                           progress=heart.progress, cancellation=cancellation)
    heart.start()
    try:
        with Session(context.engine) as session:
            solved = solve_period(session, job.period_id, options)
    except SolveCancelled:
        heart.stop()
        return _stopped(context, job_id, job.attempts, heart)
    except Exception as exc:
        heart.stop()
        return _failed(context, job_id, job.attempts, exc)
    heart.stop()
    if not solved.has_rota:
        conflicts = "; ".join(f"{c.rule or 'hard rules'}: {c.message}"
                              for c in solved.rota.conflicts)
        return _end(context, job_id, job.attempts, JobState.FAILED,
                    f"no rota ({solved.rota.status.value}): nothing was saved",
                    conflicts or f"no rota found ({solved.rota.status.value})")
    uncovered = sum(u.seats for u in solved.rota.uncovered)
    try:
        with Session(writer(context.engine)) as session:
            version = save_solved(session, job.period_id, solved)
            return finish_done(session, job_id, job.attempts, version, context.clock(),
                               f"{len(solved.rota.assignments)} assignments, {uncovered} "
                               "uncovered seats")
    except Exception as exc:  # e.g. the period changed under the solve
        return _failed(context, job_id, job.attempts, exc)


def _failed(context: RunContext, job_id: int, attempt: int, exc: Exception
            ) -> JobState | None:
    # The details (SQL, values) go to the worker's log, not to the job a manager reads.
    log.error("solve job %s failed", job_id, exc_info=exc)
    return _end(context, job_id, attempt, JobState.FAILED,
                "failed: an unexpected error; nothing was saved",
                f"unexpected error ({type(exc).__name__}); the worker's log has the details")


def _stopped(context: RunContext, job_id: int, attempt: int, heart: _Heartbeat
             ) -> JobState | None:
    if heart.stopped_for == "lost":
        return None
    if heart.stopped_for == "stopping":
        with Session(writer(context.engine)) as session:
            given = give_back(session, job_id, attempt, context.clock(),
                              f"its worker {context.worker} is stopping", context.hand_over)
        return JobState.QUEUED if given else None
    stage = f" during stage {heart.last_stage}" if heart.last_stage else ""
    return _end(context, job_id, attempt, JobState.CANCELLED,
                f"cancelled{stage}: nothing was saved")


def _end(context: RunContext, job_id: int, attempt: int, state: JobState, message: str,
         error: str = "") -> JobState | None:
    with Session(writer(context.engine)) as session:
        ended = finish(session, job_id, attempt, state, context.clock(), message, error)
    return state if ended else None
