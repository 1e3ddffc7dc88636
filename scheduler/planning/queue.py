"""Task queues that hand solve jobs to workers, behind one small interface (`JobQueue`).

- PostgreSQL: `procrastinate` (a maintained PostgreSQL task queue: LISTEN/NOTIFY, locks, no
  extra broker). A job is deferred in the same transaction as its `solve_job` row, so it is
  queued exactly when the row is; any number of `scheduler worker` processes on any number of
  machines pointing at the database share the work.
- SQLite (the embedded default): the `solve_job` table itself is the queue; `scheduler worker`
  polls it and runs jobs in threads (one machine, as SQLite is).

Both workers reap stale jobs (`jobs.reap`) every `REAP_SECONDS`, and on SIGTERM or SIGINT stop
taking jobs and give running ones back to the queue (within a heartbeat) before exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from scheduler.domain.enums import JobState
from scheduler.models import SolveJob
from scheduler.planning.jobs import next_queued, reap
from scheduler.planning.runner import RunContext, run_job, utc_now, worker_name
from scheduler.storage.db import writer

log = logging.getLogger("scheduler.planning")

#: Seconds between two looks for stale jobs, and between two polls of the embedded queue.
REAP_SECONDS = 2.0
POLL_SECONDS = 0.5
#: procrastinate's queue and task for solve jobs.
QUEUE, TASK = "solve", "solve_job"


class JobQueue(Protocol):
    """Where requested jobs wait for a worker."""

    def hand_over(self, session: Session, job: SolveJob) -> None:
        """Queue `job` (a queued row, flushed) within the session's transaction."""

    def run_worker(self, *, concurrency: int, until_idle: bool = False) -> None:
        """Run jobs, `concurrency` at a time, until SIGTERM or SIGINT (or, `until_idle`,
        until none is queued or running)."""


def job_queue(engine: Engine, stale_after: timedelta) -> JobQueue:
    """The queue for the database `engine` points at."""
    if engine.dialect.name == "postgresql":
        return ProcrastinateQueue(engine, stale_after)
    return EmbeddedQueue(engine, stale_after)


class _Stop:
    """SIGTERM/SIGINT → a flag the runs read at each heartbeat."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.event.set())


def _reap(engine: Engine, stale_after: timedelta, queue: JobQueue) -> None:
    try:
        with Session(writer(engine)) as session:
            for job in reap(session, utc_now(), stale_after, queue.hand_over):
                log.warning("solve job %s: its worker stopped answering; queued again", job.id)
        if isinstance(queue, ProcrastinateQueue):
            queue.repair()
    except Exception:
        log.warning("looking for stale solve jobs failed", exc_info=True)


class EmbeddedQueue:
    """SQLite: the job table is the queue."""

    def __init__(self, engine: Engine, stale_after: timedelta) -> None:
        self.engine, self.stale_after = engine, stale_after

    def hand_over(self, session: Session, job: SolveJob) -> None:
        """Nothing to do: a queued row is queued."""

    def run_worker(self, *, concurrency: int, until_idle: bool = False) -> None:
        stop = _Stop()
        stop.install()
        context = RunContext(engine=self.engine, worker=worker_name(),
                             hand_over=self.hand_over, stopping=stop.event.is_set)
        running: dict[int, Future[object]] = {}
        reaped = 0.0
        with ThreadPoolExecutor(concurrency, thread_name_prefix="solve") as pool:
            while not stop.event.is_set():
                if time.monotonic() - reaped > REAP_SECONDS:
                    _reap(self.engine, self.stale_after, self)
                    reaped = time.monotonic()
                for job_id in [j for j, f in running.items() if f.done()]:
                    running.pop(job_id).result()
                waiting = self._take(context, pool, running, concurrency)
                if until_idle and not running and not waiting:
                    break
                stop.event.wait(POLL_SECONDS)
            # Stopping: each run gives its job back at its next heartbeat.
        log.info("worker %s stopped", context.worker)

    def _take(self, context: RunContext, pool: ThreadPoolExecutor,
              running: dict[int, Future[object]], concurrency: int) -> bool:
        """Start queued jobs on free threads; whether any is left waiting."""
        with Session(self.engine) as session:
            while len(running) < concurrency:
                job = next_queued(session, skip=list(running))
                if job is None or job.id is None:
                    return False
                running[job.id] = pool.submit(_safe_run, context, job.id)
            return next_queued(session, skip=list(running)) is not None


def _safe_run(context: RunContext, job_id: int) -> object:
    try:
        return run_job(context, job_id)
    except Exception:  # the run logs its own failures; this is a database outage
        log.exception("solve job %s: the worker could not run it", job_id)
        return None


def libpq_url(engine: Engine) -> str:
    """The engine's PostgreSQL URL as libpq (psycopg, procrastinate) reads it."""
    return make_url(engine.url).set(drivername="postgresql").render_as_string(
        hide_password=False)


class ProcrastinateQueue:
    """PostgreSQL: procrastinate's queue `QUEUE`, one task `solve_job(job_id)`."""

    def __init__(self, engine: Engine, stale_after: timedelta) -> None:
        import procrastinate

        self.engine, self.stale_after = engine, stale_after
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=libpq_url(engine)))
        self._stop = _Stop()
        self.context = RunContext(engine=engine, worker=worker_name(),
                                  hand_over=self.hand_over, stopping=self._stop.event.is_set)
        self.app.task(name=TASK, queue=QUEUE)(self._run)
        # Deferring on a caller's (synchronous) connection goes through an app never opened
        # for async work: the worker's own app, once open, would use its async connector.
        deferrer = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=libpq_url(engine)))
        self._defer = deferrer.task(name=TASK, queue=QUEUE)(self._run)

    def _run(self, job_id: int) -> None:
        _safe_run(self.context, job_id)

    def hand_over(self, session: Session, job: SolveJob) -> None:
        # Deferred on the session's own connection: queued if and only if the row commits.
        connection = session.connection().connection.driver_connection
        job.queue_id = self._defer.configure(connection=connection).defer(job_id=job.id)
        session.add(job)

    def repair(self) -> None:
        """Queued jobs whose procrastinate job is gone (a worker killed between fetching it
        and starting it, an error before the start): handed to the queue again."""
        orphans = text(
            "SELECT s.id FROM solve_job s WHERE s.state = 'queued' AND NOT EXISTS ("
            " SELECT 1 FROM procrastinate_jobs p WHERE p.id = s.queue_id"
            " AND p.status IN ('todo', 'doing')) ORDER BY s.id")
        with Session(self.engine) as session:
            candidates = list(session.connection().execute(orphans).scalars())
        for job_id in candidates:
            with Session(self.engine) as session:
                job = session.get(SolveJob, job_id, with_for_update=True)
                if job is None or job.state is not JobState.QUEUED:
                    continue
                alive = session.connection().execute(text(
                    "SELECT 1 FROM procrastinate_jobs WHERE id = :id AND status IN "
                    "('todo', 'doing')"), {"id": job.queue_id}).first()
                if alive is None:
                    log.warning("solve job %s: its queue entry was lost; queued again", job_id)
                    self.hand_over(session, job)
                    session.commit()

    def run_worker(self, *, concurrency: int, until_idle: bool = False) -> None:
        asyncio.run(self._work(concurrency, until_idle))

    async def _work(self, concurrency: int, until_idle: bool) -> None:
        loop = asyncio.get_running_loop()
        # procrastinate runs each synchronous job on the loop's default pool: room for
        # every job at once, and for the reaper beside them.
        loop.set_default_executor(ThreadPoolExecutor(concurrency + 4,
                                                     thread_name_prefix="solve"))
        async with self.app.open_async():
            worker = asyncio.create_task(self.app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, wait=not until_idle,
                install_signal_handlers=False, name=self.context.worker,
                fetch_job_polling_interval=REAP_SECONDS, delete_jobs="successful"))
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop.event.set)
            while not worker.done() and not self._stop.event.is_set():
                await asyncio.to_thread(_reap, self.engine, self.stale_after, self)
                await self._tidy()
                await asyncio.wait({worker}, timeout=REAP_SECONDS)
            if not worker.done():
                # procrastinate waits for the running jobs, which give theirs back at
                # their next heartbeat.
                worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        log.info("worker %s stopped", self.context.worker)

    async def _tidy(self) -> None:
        """procrastinate's own jobs left "doing" by a dead worker (its heartbeat is stale):
        marked failed, so its view agrees with the job table (`_reap` queued a new one)."""
        from procrastinate.jobs import Status

        try:
            for stalled in await self.app.job_manager.get_stalled_jobs(queue=QUEUE):
                if stalled.id is not None:
                    await self.app.job_manager.finish_job_by_id_async(
                        stalled.id, Status.FAILED, delete_job=False)
        except Exception:
            log.warning("tidying the queue's stalled jobs failed", exc_info=True)
