"""The manager's planning pages, in French: a period's page (its rota versions and solve jobs),
generating a rota as a solve job and following it live, cancelling it, reviewing a version,
and publishing it (with a confirmation when the deadline is ahead or a newer draft exists).
The gaps and exports are in `period_files`, adjusting a version in `adjust`.

Signed-in managers only (others are sent to sign in), within their sites (403 otherwise, also
for a period that does not exist, as the API answers). Every form carries its anti-CSRF token.
Progress follows without JavaScript (the page refreshes itself while the job runs) and, with
it, live through the job's server-sent events (`static/job.js`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from scheduler.domain.enums import JobState, RotaStatus
from scheduler.domain.french import long_date, numeric_moment
from scheduler.engine.checker import Violation
from scheduler.engine.explain_fr import conflicts_fr, violation_fr
from scheduler.models import SolveJob, TensionPeriod
from scheduler.planning.job_words import STAGE_FR, log_line_fr
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
from scheduler.planning.review import (
    CHART_BAR_WIDTH,
    CHART_NAME_WIDTH,
    CHART_ROW,
    load_bars,
    review,
)
from scheduler.publication.publish import (
    BreaksHardRules,
    NotPublishable,
    broken_rules,
    publish,
)
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_versions
from scheduler.web.deps import FieldsDep, NowDep, SessionDep, SettingsDep, released
from scheduler.web.pages.scope import (
    ManagerDep,
    PageAnswer,
    PeriodPageDep,
    VersionPageDep,
    refused,
)
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)

#: Time limits offered on the page, in seconds, with their French label.
TIME_LIMITS = {20: "20 secondes (essai)", 60: "1 minute", 180: "3 minutes", 600: "10 minutes"}
JOB_STATE_FR = {
    JobState.QUEUED: "en attente d'un calculateur", JobState.RUNNING: "en cours",
    JobState.DONE: "terminé", JobState.FAILED: "échoué", JobState.CANCELLED: "annulé",
    JobState.INTERRUPTED: "interrompu",
}
VERSION_FR = {RotaStatus.DRAFT: "brouillon", RotaStatus.PUBLISHED: "publiée",
              RotaStatus.SUPERSEDED: "remplacée"}






def _job_view(session: Session, job: SolveJob, now: datetime, stale: timedelta, timezone: str,
              detailed: bool = False) -> dict[str, Any]:
    """A job as the pages show it, its times in `timezone` (the period's); `detailed` (the
    job's own page) explains a failure."""
    state = shown_state(job, now, stale)
    progress = job.progress or {}
    return {
        "id": job.id, "state": state.value, "state_fr": JOB_STATE_FR[state],
        "finished": state.finished, "requested_by": job.requested_by,
        "requested_at": numeric_moment(job.requested_at, timezone),
        "time_limit": f"{job.time_limit_seconds:g}", "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "stage": STAGE_FR.get(progress.get("stage", ""), progress.get("stage", "")),
        "value": progress.get("value"), "bound": progress.get("bound"),
        "elapsed": progress.get("elapsed"), "log": [log_line_fr(line) for line in job.log],
        "failed": state is JobState.FAILED,
        "error": _error_fr(session, job) if detailed and state is JobState.FAILED and job.error
        else [],
        "version": version_number(session, job),
    }


_NO_ROTA = re.compile(r"no rota \((?P<status>\w+)\)")


def _error_fr(session: Session, job: SolveJob) -> list[str]:
    """Why a failed job has no rota, in French (`explain_fr.conflicts_fr`, recomputed from the
    period as it is now), or the unexpected error's kind."""
    status = next((m["status"] for line in job.log if (m := _NO_ROTA.search(line))), None)
    if status is not None:
        return conflicts_fr(problem_from_db(session, job.period_id), status)
    return ["Erreur inattendue : rien n'a été enregistré ; le journal du calculateur en donne "
            "le détail."]


def _stale(settings: SettingsDep) -> timedelta:
    return timedelta(seconds=settings.job_stale_seconds)


@router.get("/periodes/{period_id}", response_class=HTMLResponse)
def period_page(request: Request, period: PeriodPageDep, session: SessionDep,
                settings: SettingsDep, now: NowDep) -> Response:
    """A period: its dates, rota versions (with publishing) and solve jobs (with generating)."""
    jobs, _total = period_jobs(session, period.id, limit=10, offset=0)
    versions = [{"number": v.number, "status": VERSION_FR[v.status],
                 "published": v.status is RotaStatus.PUBLISHED,
                 "created": numeric_moment(v.created_at, period.timezone),
                 "uncovered": (v.statistics.get("metrics") or {}).get("uncovered_seats"),
                 "assigned": (v.statistics.get("metrics") or {}).get("covered_seats")}
                for v in reversed(rota_versions(session, period.id))]
    return page(request, "period.html", title=period.name, period=period,
                dates=f"du {long_date(period.start)} au {long_date(period.end)}",
                deadline=long_date(period.availability_deadline)
                if period.availability_deadline else "—",
                versions=versions, time_limits=TIME_LIMITS,
                rate_text="" if period.hourly_rate is None
                else f"{period.hourly_rate:.2f}".replace(".", ","),
                default_limit=min(TIME_LIMITS, key=lambda s: abs(
                    s - settings.solver_time_limit_seconds)),
                jobs=[_job_view(session, j, now, _stale(settings), period.timezone)
                      for j in jobs])


@router.post("/periodes/{period_id}/calculs")
def generate(request: Request, period: PeriodPageDep, session: SessionDep,
             account: ManagerDep, settings: SettingsDep, now: NowDep,
             fields: FieldsDep) -> Response:
    """Start a solve job for the period, then follow it on its page (or the one already
    running)."""
    chosen = dict(fields).get("duree", "")
    if not chosen.isascii() or not chosen.isdigit() or int(chosen) not in TIME_LIMITS:
        return page(request, "error.html", status_code=400, title="Demande non valide",
                    message="Durée de calcul : choisissez l'une des durées proposées.")
    queue: JobQueue = request.app.state.job_queue
    try:
        job = request_job(session, period.id, requested_by=account.email, now=now,
                          time_limit_seconds=float(chosen), seed=settings.solver_seed,
                          stale_after=_stale(settings))
        queue.hand_over(session, job)
        session.commit()
        job_id = job.id
    except JobBusy as busy:
        session.rollback()
        job_id = busy.job_id
    return RedirectResponse(f"/periodes/{period.id}/calculs/{job_id}", status_code=303)


def page_job(request: Request, job_id: int, session: SessionDep, period: PeriodPageDep
             ) -> SolveJob:
    """The path's solve job of the path's period."""
    job = session.get(SolveJob, job_id) if 0 < job_id < 2**31 else None
    if job is None or job.period_id != period.id:
        raise PageAnswer(refused(request))
    return released(session, job)


JobPageDep = Annotated[SolveJob, Depends(page_job)]


@router.get("/periodes/{period_id}/calculs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, period: PeriodPageDep, job: JobPageDep, session: SessionDep,
             settings: SettingsDep, now: NowDep) -> Response:
    """A solve job: its state and the solver's progress, live; cancel; the version it saved."""
    view = _job_view(session, job, now, _stale(settings), period.timezone, detailed=True)
    return page(request, "job.html", title=f"Calcul n° {job.id} — {period.name}",
                period=period, job=view)


@router.post("/periodes/{period_id}/calculs/{job_id}/annuler")
def cancel(period: PeriodPageDep, job: JobPageDep, session: SessionDep, account: ManagerDep,
           now: NowDep) -> Response:
    """Cancel the job (a running one stops within seconds, keeping nothing)."""
    try:
        request_cancel(session, job, now, by=account.email)
    except JobFinished:
        session.rollback()  # finished meanwhile: its page says how
    return RedirectResponse(f"/periodes/{period.id}/calculs/{job.id}", status_code=303)


SOLVER_FR = {"optimal": "optimal (prouvé)", "feasible": "réalisable (non prouvé optimal)",
             "infeasible": "impossible (données contradictoires)", "unknown": "inconnu"}


@router.get("/periodes/{period_id}/versions/{number}", response_class=HTMLResponse)
def version_page(request: Request, period: PeriodPageDep, chosen: VersionPageDep,
                 session: SessionDep) -> Response:
    """A rota version reviewed: by day, its uncovered seats and why, loads, fairness, and
    what it changed from the published version."""
    number = chosen.number
    reviewed = review(session, chosen)
    return page(request, "version.html", title=f"Version {number} — {period.name}",
                period=period, version=chosen, status=VERSION_FR[chosen.status],
                rate=period.hourly_rate,
                solver=SOLVER_FR.get(chosen.solver_status.value, chosen.solver_status.value),
                review=reviewed, bars=load_bars(reviewed.loads),
                chart={"name": CHART_NAME_WIDTH, "bar": CHART_BAR_WIDTH, "row": CHART_ROW})


def _refused(request: Request, session: Session, period: TensionPeriod, number: int,
             violations: list[Violation]) -> Response:
    """The refusal to publish a version breaking hard rules, each named in French."""
    problem = problem_from_db(session, period.id)
    return page(request, "publish_refused.html", status_code=409,
                title="Publication impossible", period=period, number=number,
                lines=list(dict.fromkeys(violation_fr(problem, v) for v in violations)))


@router.post("/periodes/{period_id}/versions/{number}/publier", response_class=HTMLResponse)
def publish_version(request: Request, period: PeriodPageDep, chosen: VersionPageDep,
                    session: SessionDep, settings: SettingsDep, now: NowDep,
                    fields: FieldsDep) -> Response:
    """Publish a version. Before the answers' deadline, or when a newer draft exists, first
    ask for confirmation (the same form again, confirmed); a version breaking hard rules is
    refused before that (`publish` checks them otherwise: once either way)."""
    number, versions = chosen.number, rota_versions(session, period.id)
    warnings = []
    deadline = period.availability_deadline
    if deadline is not None and now.date() <= deadline:
        warnings.append(f"La date limite des réponses ({long_date(deadline)}) n'est pas "
                        "passée : des médecins peuvent encore répondre.")
    newer = [v.number for v in versions if v.number > number and v.status is RotaStatus.DRAFT]
    if newer:
        warnings.append(f"Une version plus récente existe (version {max(newer)}) : c'est la "
                        f"version {number} qui sera publiée.")
    if warnings and dict(fields).get("confirme") != "oui":
        if chosen.status is not RotaStatus.PUBLISHED \
                and (broken := broken_rules(session, chosen)):
            return _refused(request, session, period, number, broken)
        return page(request, "publish_confirm.html", title="Confirmer la publication",
                    period=period, number=number, warnings=warnings)
    try:
        publish(session, period.id, now=now, version=number, contact=settings.ed_contact)
        session.commit()
    except BreaksHardRules as exc:
        session.rollback()
        return _refused(request, session, period, number, exc.violations)
    except NotPublishable:
        session.rollback()
        return page(request, "error.html", status_code=409, title="Publication impossible",
                    message=f"La version {number} n'a pas de planning valide (données "
                            "contradictoires) : corrigez les données et relancez un calcul.")
    return RedirectResponse(f"/periodes/{period.id}", status_code=303)

