"""Editing a loaded period in the browser, in French: the answers' deadline, each slot's seats
and priority, cancelling a slot; what the edit affects is shown, then saved on confirmation
(`planning.edit`). New periods are `period_new`'s."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.domain.problem import Problem
from scheduler.engine.explain_fr import slot_fr
from scheduler.models import TensionPeriod
from scheduler.planning.edit import ADD_ROWS, apply_edit, impact, read_edit, slot_kinds
from scheduler.storage.problems import problem_from_db
from scheduler.web.deps import FieldsDep, SessionDep
from scheduler.web.pages.scope import PeriodPageDep
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)


def _form(request: Request, problem: Problem, period: TensionPeriod,
          values: dict[str, str], problems: dict[str, str], status_code: int = 200
          ) -> HTMLResponse:
    slots = [{"id": s.id, "when": slot_fr(problem, s.id), "label": s.label,
              "seats": values.get(f"places:{s.id}", str(s.seats)),
              "priority": values.get(f"priorite:{s.id}", str(s.priority)),
              "cancelled": values.get(f"annuler:{s.id}") == "oui" or s.seats == 0}
             for s in problem.slots]
    deadline = values.get("date_limite") or (
        period.availability_deadline.isoformat() if period.availability_deadline else "")
    return page(request, "period_edit.html", status_code=status_code,
                title=f"Modifier — {period.name}", period=period, slots=slots,
                deadline=deadline, problems=problems, values=values,
                sites=problem.sites, kinds=slot_kinds(problem),
                add_rows=range(1, ADD_ROWS + 1))


@router.get("/periodes/{period_id}/modifier", response_class=HTMLResponse)
def edit_page(request: Request, period: PeriodPageDep, session: SessionDep) -> Response:
    """The period's deadline and slots, to edit."""
    return _form(request, problem_from_db(session, period.id), period, {}, {})


@router.post("/periodes/{period_id}/modifier", response_class=HTMLResponse)
def edit_post(request: Request, period: PeriodPageDep, session: SessionDep,
              fields: FieldsDep) -> Response:
    """Check the edit; show what it affects; save it once confirmed."""
    values = {k: v for k, v in fields if k != "csrftoken"}
    edit, problems = read_edit(session, period, fields)
    if problems:
        return _form(request, edit.problem, period, values, problems, status_code=422)
    if values.get("confirme") != "oui":
        return page(request, "period_edit_confirm.html", title="Confirmer les modifications",
                    period=period, lines=impact(session, period, edit).lines,
                    fields=[(k, v) for k, v in values.items() if k != "confirme"])
    apply_edit(session, period, edit)
    session.commit()
    return RedirectResponse(f"/periodes/{period.id}", status_code=303)
