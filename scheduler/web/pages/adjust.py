"""Adjusting a rota version by hand, in French: a slot's page (who is on it, who could take a
seat, ranked by fairness impact then preference), and pinning, removing or assigning a
doctor there; each change saves the next draft version (`planning.adjust`)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from scheduler.engine.explain_fr import slot_fr
from scheduler.models import RotaVersion, TensionPeriod
from scheduler.planning.adjust import (
    AdjustRefused,
    assign,
    candidates,
    latest_only,
    pin,
    pinned,
    remove,
)
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import version_rota
from scheduler.web.deps import FieldsDep, SessionDep
from scheduler.web.pages.scope import PeriodPageDep, VersionPageDep
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/periodes/{period_id}/versions/{number}/creneaux/{slot_id}",
            response_class=HTMLResponse)
def slot_page(request: Request, period: PeriodPageDep, version: VersionPageDep, slot_id: str,
              session: SessionDep) -> Response:
    """One slot of a version: who is on it (pin, remove, replace) and who could take a seat,
    ranked (`?remplace=DOCTOR`: in place of that doctor)."""
    replacing = request.query_params.get("remplace") or None
    try:
        ranked = candidates(session, version, slot_id, replacing)
    except AdjustRefused as why:
        return page(request, "error.html", status_code=404, title="Créneau introuvable",
                    message=str(why))
    problem = problem_from_db(session, period.id)
    names = {d.id: d.name or d.id for d in problem.doctors}
    slot = problem.slot_by_id()[slot_id]
    on = sorted(d for d, s in ((a.doctor, a.slot) for a in version_rota(session, version))
                if s == slot_id)
    kept = pinned(session, period.id)
    try:
        latest_only(session, version)
        locked = ""
    except AdjustRefused as why:
        locked = str(why)
    return page(request, "slot.html", title=f"Créneau — {period.name}", period=period,
                version=version, slot_id=slot_id, when=slot_fr(problem, slot_id),
                seats=slot.seats, replacing=replacing,
                replacing_name=names.get(replacing or "", replacing),
                on=[{"id": d, "name": names.get(d, d), "pinned": (d, slot_id) in kept}
                    for d in on],
                candidates=ranked, locked=locked)


def _adjusted(request: Request, period: TensionPeriod, version: RotaVersion, slot_id: str,
              session: Session, change: Callable[[RotaVersion], object]) -> Response:
    """Apply `change` to the version and commit, then show the slot in the version made."""
    try:
        result = change(version)
        session.commit()
    except AdjustRefused as why:
        session.rollback()
        return page(request, "error.html", status_code=409, title="Modification refusée",
                    message=str(why))
    target = result.number if isinstance(result, RotaVersion) else version.number
    return RedirectResponse(f"/periodes/{period.id}/versions/{target}/creneaux/{slot_id}",
                            status_code=303)


def _doctor(fields: list[tuple[str, str]], name: str = "medecin") -> str:
    value = dict(fields).get(name, "")
    return value if 0 < len(value) <= 64 and "\x00" not in value else ""


@router.post("/periodes/{period_id}/versions/{number}/creneaux/{slot_id}/affecter")
def assign_page(request: Request, period: PeriodPageDep, version: VersionPageDep,
                slot_id: str, session: SessionDep, fields: FieldsDep) -> Response:
    """Put a candidate on the slot (in place of `remplace`): a new draft version."""
    doctor, replacing = _doctor(fields), _doctor(fields, "remplace") or None
    return _adjusted(request, period, version, slot_id, session,
                     lambda v: assign(session, v, slot_id, doctor, replacing))


@router.post("/periodes/{period_id}/versions/{number}/creneaux/{slot_id}/retirer")
def remove_page(request: Request, period: PeriodPageDep, version: VersionPageDep,
                slot_id: str, session: SessionDep, fields: FieldsDep) -> Response:
    """Take a doctor off the slot: a new draft version; generating again keeps them off."""
    doctor = _doctor(fields)
    return _adjusted(request, period, version, slot_id, session,
                     lambda v: remove(session, v, slot_id, doctor))


@router.post("/periodes/{period_id}/versions/{number}/creneaux/{slot_id}/epingler")
def pin_page(request: Request, period: PeriodPageDep, version: VersionPageDep, slot_id: str,
             session: SessionDep, fields: FieldsDep) -> Response:
    """Keep a doctor on the slot whenever the period is generated again."""
    doctor = _doctor(fields)
    return _adjusted(request, period, version, slot_id, session,
                     lambda v: pin(session, v, slot_id, doctor))
