"""Setting up periods in the browser, in French: a new period from a scenario file (validated
and loaded all or nothing, as `scheduler load` does), and editing a loaded one (the answers'
deadline, each slot's seats and priority, cancelling a slot; what the edit affects is shown,
then saved on confirmation, `planning.edit`)."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.access.scope import reach_of
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.engine.explain_fr import slot_fr
from scheduler.models import TensionPeriod
from scheduler.planning.edit import apply_edit, impact, read_edit
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import Scenario, parse_scenario, read_document
from scheduler.storage.loader import load_scenario_into
from scheduler.storage.problems import problem_from_db
from scheduler.web.deps import FieldsDep, SessionDep
from scheduler.web.pages.scope import ManagerDep, PeriodPageDep
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)


def _form(request: Request, session: SessionDep, period: TensionPeriod,
          values: dict[str, str], problems: dict[str, str], status_code: int = 200
          ) -> HTMLResponse:
    problem = problem_from_db(session, period.id)
    slots = [{"id": s.id, "when": slot_fr(problem, s.id), "label": s.label,
              "seats": values.get(f"places:{s.id}", str(s.seats)),
              "priority": values.get(f"priorite:{s.id}", str(s.priority)),
              "cancelled": values.get(f"annuler:{s.id}") == "oui" or s.seats == 0}
             for s in problem.slots]
    deadline = values.get("date_limite") or (
        period.availability_deadline.isoformat() if period.availability_deadline else "")
    return page(request, "period_edit.html", status_code=status_code,
                title=f"Modifier — {period.name}", period=period, slots=slots,
                deadline=deadline, problems=problems)


@router.get("/periodes/{period_id}/modifier", response_class=HTMLResponse)
def edit_page(request: Request, period: PeriodPageDep, session: SessionDep) -> Response:
    """The period's deadline and slots, to edit."""
    return _form(request, session, period, {}, {})


@router.post("/periodes/{period_id}/modifier", response_class=HTMLResponse)
def edit_post(request: Request, period: PeriodPageDep, session: SessionDep,
              fields: FieldsDep) -> Response:
    """Check the edit; show what it affects; save it once confirmed."""
    values = {k: v for k, v in fields if k != "csrftoken"}
    edit, problems = read_edit(session, period, fields)
    if problems:
        return _form(request, session, period, values, problems, status_code=422)
    if values.get("confirme") != "oui":
        return page(request, "period_edit_confirm.html", title="Confirmer les modifications",
                    period=period, lines=impact(session, period, edit).lines,
                    fields=[(k, v) for k, v in values.items() if k != "confirme"])
    apply_edit(session, period, edit)
    session.commit()
    return RedirectResponse(f"/periodes/{period.id}", status_code=303)


def _import_form(request: Request, problems: list[str], status_code: int = 200
                 ) -> HTMLResponse:
    return page(request, "period_import.html", status_code=status_code,
                title="Nouvelle période", problems=problems)


@router.get("/periodes-nouvelle", response_class=HTMLResponse)
def import_page(request: Request, _account: ManagerDep) -> Response:
    """Create a period from a scenario file (YAML or JSON, as `scheduler load` reads it)."""
    return _import_form(request, [])


@router.post("/periodes-nouvelle", response_class=HTMLResponse)
def import_post(request: Request, session: SessionDep, account: ManagerDep,
                fichier: Annotated[UploadFile | None, File()] = None) -> Response:
    """Validate the scenario file and load it, all or nothing, as the command line does; a
    manager may only load periods of their own sites."""
    if fichier is None:
        return _import_form(request, ["Fichier de scénario : choisissez un fichier."], 422)
    data = fichier.file.read(MAX_IMPORT_BYTES + 1)
    name = (fichier.filename or "scenario.yaml")[-100:]
    try:
        if len(data) > MAX_IMPORT_BYTES:
            raise InputError.single(name, "", f"file larger than {MAX_IMPORT_BYTES:,} bytes")
        scenario, problem = _read_scenario(data, name)
        reach = reach_of(session, account)
        outside = sorted(s.id for s in problem.sites
                         if reach.sites is not None and s.id not in reach.sites)
        if outside:
            raise InputError.single(name, "sites", "sites outside your own: "
                                    + ", ".join(outside))
        result = load_scenario_into(session, scenario, problem,
                                    hashlib.sha256(data).hexdigest(),
                                    now=datetime.now(UTC), source=name)
    except InputError as refused_file:
        session.rollback()
        return _import_form(request, [str(p) for p in refused_file.problems], 422)
    return RedirectResponse(f"/periodes/{result.period_id}", status_code=303)


#: The largest scenario file taken through the browser (the request body is bounded too).
MAX_IMPORT_BYTES = 2_000_000


def _read_scenario(data: bytes, name: str) -> tuple[Scenario, Problem]:
    """The scenario in `data`, validated and expanded; `InputError` naming `name`'s fields."""
    suffix = ".json" if name.lower().endswith(".json") else ".yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"scenario{suffix}"
        path.write_bytes(data)
        document = read_document(path)
    if not isinstance(document, dict) or "format" in document or "slots" in document:
        raise InputError.single(name, "", "a scenario file (a problem.json is loaded with "
                                          "`scheduler load`)")
    scenario = parse_scenario(document, name)
    return scenario, expand(scenario, name)
