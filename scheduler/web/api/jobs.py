"""Solve jobs: plan a period in the background, follow it (JSON or server-sent events), cancel
it. Managers only, within their sites."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.scope import reaches_period
from scheduler.domain.enums import JobState
from scheduler.models import SolveJob
from scheduler.planning.jobs import (
    JobBusy,
    JobFinished,
    period_jobs,
    request_cancel,
    request_job,
    shown_state,
    version_number,
)
from scheduler.planning.queue import JobQueue
from scheduler.web.auth import MANAGER_ONLY, PeriodDep, ReachDep, manager_reach, not_allowed
from scheduler.web.deps import TOTAL_HEADER, NowDep, PageDep, SessionDep, SettingsDep, released
from scheduler.web.errors import refusals

router = APIRouter(tags=["solve jobs"], dependencies=[Depends(manager_reach)],
                   responses=MANAGER_ONLY)

#: Server-sent events: how often the job is read, how long a stream lasts at most, and how
#: often a comment keeps idle proxies from closing it.
EVENTS_POLL_SECONDS = 0.5
EVENTS_MAX_SECONDS = 3600.0
EVENTS_KEEPALIVE_SECONDS = 15.0


class SolveJobIn(BaseModel):
    """Options of a solve; absent, the server's defaults (`SCHEDULER_SOLVER_*`)."""

    model_config = ConfigDict(extra="forbid")

    time_limit_seconds: float | None = Field(None, ge=1, le=3600, allow_inf_nan=False)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class ProgressOut(BaseModel):
    """The solver's latest report: the stage, its best value and bound, seconds elapsed."""

    stage: str
    value: float
    bound: float
    elapsed: float


class SolveJobOut(BaseModel):
    id: int
    #: This job's URL.
    url: str
    period_id: str
    state: JobState
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    time_limit_seconds: float
    seed: int
    attempts: int
    #: host:pid of the worker running it (or that last ran it).
    worker: str
    cancel_requested: bool
    progress: ProgressOut | None
    log: list[str]
    #: The number of the draft rota version it saved (state `done`).
    rota_version: int | None
    error: str


class BusyOut(BaseModel):
    """409 of a second job on a period: the one queued or running."""

    detail: str
    job_id: int
    url: str


def job_url(job_id: int) -> str:
    return f"/api/v1/solve-jobs/{job_id}"


def job_out(session: Session, job: SolveJob, now: datetime, stale_after: timedelta
            ) -> SolveJobOut:
    assert job.id is not None
    return SolveJobOut(
        id=job.id, url=job_url(job.id), period_id=job.period_id,
        state=shown_state(job, now, stale_after), requested_by=job.requested_by,
        requested_at=job.requested_at, started_at=job.started_at, finished_at=job.finished_at,
        time_limit_seconds=job.time_limit_seconds, seed=job.seed, attempts=job.attempts,
        worker=job.worker, cancel_requested=job.cancel_requested,
        progress=ProgressOut(**job.progress) if job.progress else None, log=job.log,
        rota_version=version_number(session, job), error=job.error)


def reachable_job(job_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
                  reach: ReachDep) -> SolveJob:
    """The path's job, when the caller reaches its period."""
    job = session.get(SolveJob, job_id)
    if job is None or not reaches_period(session, reach, job.period_id):
        raise not_allowed(reach, job is not None)
    return released(session, job)


JobDep = Annotated[SolveJob, Depends(reachable_job)]


def _stale(settings: SettingsDep) -> timedelta:
    return timedelta(seconds=settings.job_stale_seconds)


StaleDep = Annotated[timedelta, Depends(_stale)]


@router.post("/periods/{period_id}/solve-jobs", status_code=202, response_model=SolveJobOut,
             responses={409: {"model": BusyOut,
                              "description": "A job is already queued or running"}})
def create_solve_job(period: PeriodDep, request: Request, response: Response,
                     session: SessionDep, settings: SettingsDep, reach: ReachDep,
                     now: NowDep, stale: StaleDep, body: SolveJobIn | None = None
                     ) -> SolveJobOut | JSONResponse:
    """Queue a solve of the period (a re-plan from its published version, if any); a worker
    saves the rota as a new draft version. One job per period at a time."""
    body = body or SolveJobIn()
    queue: JobQueue = request.app.state.job_queue
    try:
        job = request_job(
            session, period.id, requested_by=reach.email, now=now, stale_after=stale,
            time_limit_seconds=body.time_limit_seconds or settings.solver_time_limit_seconds,
            seed=settings.solver_seed if body.seed is None else body.seed)
        queue.hand_over(session, job)
        session.commit()
    except JobBusy as busy:
        session.rollback()
        return JSONResponse(BusyOut(detail=str(busy), job_id=busy.job_id,
                                    url=job_url(busy.job_id)).model_dump(), status_code=409)
    assert job.id is not None
    response.headers["Location"] = job_url(job.id)
    return job_out(session, job, now, stale)


@router.get("/periods/{period_id}/solve-jobs", response_model=list[SolveJobOut])
def list_solve_jobs(period: PeriodDep, session: SessionDep, page: PageDep, response: Response,
                    now: NowDep, stale: StaleDep) -> list[SolveJobOut]:
    """The period's solve jobs, newest first (paged: `limit`, `offset`; the total in
    `X-Total-Count`)."""
    rows, total = period_jobs(session, period.id, limit=page.limit, offset=page.offset)
    response.headers[TOTAL_HEADER] = str(total)
    return [job_out(session, job, now, stale) for job in rows]


@router.get("/solve-jobs/{job_id}", response_model=SolveJobOut)
def read_solve_job(job: JobDep, session: SessionDep, now: NowDep, stale: StaleDep
                   ) -> SolveJobOut:
    """One job: its state, the solver's latest progress, its log and, once done, the rota
    version it saved."""
    return job_out(session, job, now, stale)


@router.post("/solve-jobs/{job_id}/cancel", status_code=202, response_model=SolveJobOut,
             responses=refusals({409: "The job has finished"}))
def cancel_solve_job(job: JobDep, session: SessionDep, reach: ReachDep, now: NowDep,
                     stale: StaleDep) -> SolveJobOut:
    """Cancel the job: a queued one at once, a running one within seconds (its worker stops
    the solver and saves nothing)."""
    try:
        job = request_cancel(session, job, now, by=reach.email)
    except JobFinished as finished:
        raise HTTPException(status_code=409, detail="The job has finished") from finished
    return job_out(session, job, now, stale)


@router.get("/solve-jobs/{job_id}/events",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`progress` events (the job as JSON) whenever it "
                                            "changes, then `end` once it has finished"}})
def solve_job_events(job: JobDep, request: Request, now: NowDep, stale: StaleDep
                     ) -> StreamingResponse:
    """The job as server-sent events: a `progress` event (the job as JSON, as `GET` answers
    it) at once and whenever it changes, `end` when it has finished."""
    assert job.id is not None
    engine: Engine = request.app.state.engine
    return StreamingResponse(_events(request, engine, job.id, now, stale),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, engine: Engine, job_id: int, opened: datetime,
                  stale: timedelta) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    started = last_sent = loop.time()
    previous = ""
    while loop.time() - started < EVENTS_MAX_SECONDS:
        now = opened + timedelta(seconds=loop.time() - started)
        out = await asyncio.to_thread(_read, engine, job_id, now, stale)
        if out is None:
            return
        data = out.model_dump_json()
        if data != previous:
            previous, last_sent = data, loop.time()
            yield f"event: progress\ndata: {data}\n\n"
        if out.state.finished:
            yield f"event: end\ndata: {json.dumps({'state': out.state.value})}\n\n"
            return
        if loop.time() - last_sent > EVENTS_KEEPALIVE_SECONDS:
            last_sent = loop.time()
            yield ": still running\n\n"
        if await request.is_disconnected():
            return
        await asyncio.sleep(EVENTS_POLL_SECONDS)


def _read(engine: Engine, job_id: int, now: datetime, stale: timedelta) -> SolveJobOut | None:
    with Session(engine) as session:
        job = session.get(SolveJob, job_id)
        return None if job is None else job_out(session, job, now, stale)
