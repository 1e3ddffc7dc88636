"""New periods in the browser, in French: described field by field (`planning.period_form`)
or loaded from a scenario file; either way validated in full and stored all or nothing, as
`scheduler load` does. A manager creates periods of their own sites only; an admin may also
name a new site."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select

from scheduler.access.scope import reach_of
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.problem import Problem
from scheduler.models import Account, SiteRow, TensionPeriod
from scheduler.planning.period_form import (
    EXCEPTION_ROWS,
    TEMPLATE_ROWS,
    SiteChoice,
    read_period_form,
)
from scheduler.planning.period_words import DAY_KIND_FR, expand_fr, field_label, validation_fr
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import WEEKDAYS, Scenario, read_document, reference_problems
from scheduler.storage.loader import load_scenario_into
from scheduler.web.deps import FieldsDep, SessionDep
from scheduler.web.pages.scope import ManagerDep
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)

#: What a blank form proposes: the usual relief slots, to edit or clear.
SUGGESTED = [
    ("Soirée de semaine", "18:00", "00:00", ["mon", "tue", "wed", "thu", "fri"]),
    ("Journée de week-end et férié", "10:00", "20:00", ["sat", "sun", "holiday"]),
    ("Soirée de week-end et férié", "20:00", "00:00", ["sat", "sun", "holiday"]),
]
#: The largest scenario file taken through the browser (the request body is bounded too).
MAX_IMPORT_BYTES = 2_000_000


def _sites(session: SessionDep, account: Account) -> list[SiteChoice]:
    reach = reach_of(session, account)
    return [SiteChoice(id=s.id, name=s.name, address=s.address, contact=s.contact)
            for s in session.exec(select(SiteRow).order_by(col(SiteRow.name)))
            if reach.sites is None or s.id in reach.sites]


def _blank(sites: Sequence[SiteChoice]) -> list[tuple[str, str]]:
    fields = [("repos", "11"), ("battement", "0"), ("priorite_nuit", "3"),
              ("priorite_weekend", "2"), ("priorite_ferie", "3")]
    if len(sites) == 1:
        fields.append(("site", sites[0].id))
    for i, (label, start, end, days) in enumerate(SUGGESTED, start=1):
        fields += [(f"creneau{i}_libelle", label), (f"creneau{i}_debut", start),
                   (f"creneau{i}_fin", end), (f"creneau{i}_places", "1"),
                   *((f"creneau{i}_jours", d) for d in days)]
    return fields


def _new_page(request: Request, session: SessionDep, account: Account,
              fields: Sequence[tuple[str, str]], problems: dict[str, str],
              file_problems: Sequence[str] = (), status_code: int = 200) -> HTMLResponse:
    values: dict[str, str] = {}
    for key, value in fields:
        values.setdefault(key, value)
    sites = _sites(session, account)
    return page(request, "period_new.html", status_code=status_code, title="Nouvelle période",
                sites=sites, admin=reach_of(session, account).is_admin,
                values=values, checked={(k, v) for k, v in fields}, problems=problems,
                labels={name: field_label(name, {s.id: s.name for s in sites})
                        for name in problems},
                file_problems=list(file_problems), template_rows=range(1, TEMPLATE_ROWS + 1),
                exception_rows=range(1, EXCEPTION_ROWS + 1), day_kinds=DAY_KIND_FR,
                weekdays=WEEKDAYS)


@router.get("/periodes-nouvelle", response_class=HTMLResponse)
def new_period_page(request: Request, session: SessionDep, account: ManagerDep) -> Response:
    """The new-period form (the usual slots proposed), and the scenario-file upload."""
    return _new_page(request, session, account, _blank(_sites(session, account)), {})


@router.post("/periodes-nouvelle/saisie", response_class=HTMLResponse)
def new_period_post(request: Request, session: SessionDep, account: ManagerDep,
                    fields: FieldsDep) -> Response:
    """Check the form in full and store the period, all or nothing; else every bad field is
    named in French and nothing is written."""
    fields = [(k, v) for k, v in fields if k != "csrftoken"]
    read = read_period_form(
        fields, _sites(session, account), may_add_site=reach_of(session, account).is_admin,
        taken=lambda period_id: session.get(TensionPeriod, period_id) is not None)
    if read.scenario is None or read.problem is None:
        return _new_page(request, session, account, fields, read.problems, status_code=422)
    # The same form sent twice (a double click, the back button) is the period already made:
    # its digest leaves out the identifier the form chose.
    described = read.scenario.model_dump(mode="json")
    described["period"].pop("id")
    digest = "form:" + hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
    made = session.exec(select(TensionPeriod.id).where(
        col(TensionPeriod.source_digest) == digest)).first()
    if made is not None and not dict(fields).get("identifiant"):
        return RedirectResponse(f"/periodes/{made}", status_code=303)
    try:
        result = load_scenario_into(session, read.scenario, read.problem, digest,
                                    now=datetime.now(UTC), source="formulaire")
    except InputError as conflict:
        session.rollback()
        return _new_page(request, session, account, fields,
                         dict(_conflict_fr(p.field) for p in conflict.problems),
                         status_code=422)
    return RedirectResponse(f"/periodes/{result.period_id}", status_code=303)


def _conflict_fr(field: str) -> tuple[str, str]:
    """A conflict with stored data, on the form's field: the period id, a site's name, or a
    change made meanwhile by someone else."""
    if field.startswith("period"):
        return "identifiant", "une période porte déjà cet identifiant"
    if field.startswith("sites"):
        return "nouveau_site_id", "ce site existe déjà sous un autre nom"
    return "nom", "une autre modification a eu lieu en même temps : envoyez à nouveau"


@router.post("/periodes-nouvelle", response_class=HTMLResponse)
def import_post(request: Request, session: SessionDep, account: ManagerDep,
                fichier: Annotated[UploadFile | None, File()] = None) -> Response:
    """Validate the scenario file and load it, all or nothing, as the command line does; a
    manager may only load periods of their own sites."""
    def refused(problems: list[str]) -> HTMLResponse:
        return _new_page(request, session, account, _blank(_sites(session, account)), {},
                         problems, status_code=422)

    if fichier is None:
        return refused(["Fichier de scénario : choisissez un fichier."])
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
    except ValidationError as invalid:
        return refused([f"{name} : {path} : {message}" for path, message in validation_fr(invalid)])
    except InputError as refused_file:
        session.rollback()
        return refused([f"{p.source} : {p.field + ' : ' if p.field else ''}{expand_fr(p.message)}"
                        for p in refused_file.problems])
    return RedirectResponse(f"/periodes/{result.period_id}", status_code=303)


def _read_scenario(data: bytes, name: str) -> tuple[Scenario, Problem]:
    """The scenario in `data`, validated and expanded; `ValidationError` for a field out of the
    schema, `InputError` naming `name`'s fields for the rest."""
    suffix = ".json" if name.lower().endswith(".json") else ".yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"scenario{suffix}"
        path.write_bytes(data)
        document = read_document(path)
    if not isinstance(document, dict) or "format" in document or "slots" in document:
        raise InputError.single(name, "", "a scenario file (a problem.json is loaded with "
                                          "`scheduler load`)")
    scenario = Scenario.model_validate(document)  # ValidationError: worded by the caller
    problems = reference_problems(scenario)
    if problems:
        raise InputError([InputProblem(name, f, m) for f, m in problems])
    return scenario, expand(scenario, name)
