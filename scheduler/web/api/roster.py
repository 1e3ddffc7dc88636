"""Roster import: a CPTS/SAMI CSV previewed line by line, then imported all or nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from pydantic import BaseModel

from scheduler.access.scope import reachable_doctors
from scheduler.collection.roster import (
    MAX_ROSTER_BYTES,
    RosterPreview,
    import_roster,
    preview_roster,
)
from scheduler.scenario.fields import Id
from scheduler.web.auth import MANAGER_ONLY, ReachDep
from scheduler.web.deps import SessionDep
from scheduler.web.errors import FieldProblem, refusals, unprocessable

# Doctors are shared by every site: a manager's roster may create doctors but change only
# those their reach holds (`access.scope.reachable_doctors`); an admin's, anyone.
router = APIRouter(prefix="/roster", tags=["roster"], responses=MANAGER_ONLY)



class RosterLineOut(BaseModel):
    line: int
    name: str
    email: str
    phone: str | None
    rpps: str | None
    organisation_id: str | None
    action: str | None
    doctor_id: str | None
    problems: list[FieldProblem]


class RosterOut(BaseModel):
    ok: bool
    encoding: str
    delimiter: str
    created: int
    updated: int
    unchanged: int
    lines: list[RosterLineOut]
    problems: list[FieldProblem]


def _roster_out(preview: RosterPreview) -> RosterOut:
    return RosterOut(
        ok=preview.ok, encoding=preview.encoding, delimiter=preview.delimiter,
        created=preview.count("create"), updated=preview.count("update"),
        unchanged=preview.count("unchanged"),
        lines=[RosterLineOut(
            line=x.line, name=x.name, email=x.email, phone=x.phone, rpps=x.rpps,
            organisation_id=x.organisation_id, action=x.action, doctor_id=x.doctor_id,
            problems=[FieldProblem(field=p.field, message=p.message) for p in x.problems],
        ) for x in preview.lines],
        problems=[FieldProblem(field=p.field, message=p.message) for p in preview.problems],
    )


def _roster_bytes(file: UploadFile) -> bytes:
    # Sync routes run in the thread pool: read the spooled upload directly.
    data = file.file.read(MAX_ROSTER_BYTES + 1)
    if len(data) > MAX_ROSTER_BYTES:
        raise HTTPException(status_code=413, detail="Roster file too large")
    if not data:
        raise unprocessable("body.file", "the file is empty")
    return data


RosterFile = Annotated[UploadFile, File(
    description="CSV: UTF-8, or ';'-separated Windows-1252; not empty",
    json_schema_extra={"minLength": 1})]
OrganisationField = Annotated[Id | None, Form(description="Organisation for lines that name none")]


TOO_LARGE = refusals({413: "The roster file is too large"})


@router.post("/preview", response_model=RosterOut, responses=TOO_LARGE)
def roster_preview(file: RosterFile, session: SessionDep, reach: ReachDep,
                   organisation_id: OrganisationField = None) -> RosterOut:
    """What importing the CSV roster would do, line by line, with every problem. Writes nothing.
    A manager's lines may change only the doctors of their sites' periods (or of none)."""
    data = _roster_bytes(file)
    return _roster_out(preview_roster(session, data, organisation_id=organisation_id,
                                      source=file.filename or "roster",
                                      within=reachable_doctors(session, reach)))


@router.post("/import", response_model=RosterOut, responses=TOO_LARGE)
def roster_import(file: RosterFile, session: SessionDep, reach: ReachDep,
                  organisation_id: OrganisationField = None) -> RosterOut:
    """Import the CSV roster: all lines or none. Doctors match by RPPS or email; a manager's
    lines may change only the doctors of their sites' periods (or of none)."""
    data = _roster_bytes(file)
    preview = import_roster(session, data, organisation_id=organisation_id,
                            source=file.filename or "roster",
                            within=reachable_doctors(session, reach))
    return _roster_out(preview)
