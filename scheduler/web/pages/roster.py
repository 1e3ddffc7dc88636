"""Importing a roster (a CPTS/SAMI member list) from the browser, in French: upload the CSV,
read what each line would do (create, update, unchanged) with every problem beside its line,
then import all lines or none (`collection.roster`). Doctors are shared by every site: a
manager's lines may create doctors but change only those of their sites' periods (or of no
period yet), as in the API; an admin's, anyone.

The previewed file travels to the confirmation as a compressed field of the form: the import
reads and checks it again in full, so an edited field can do no more than a new upload.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from scheduler.access.scope import reach_of, reachable_doctors
from scheduler.collection.roster import (
    MAX_ROSTER_BYTES,
    RosterPreview,
    import_roster,
    preview_roster,
)
from scheduler.collection.roster_file import DELIMITER_WORDS, ENCODING_NAMES
from scheduler.domain.errors import InputError, InputProblem
from scheduler.domain.phone import shown
from scheduler.domain.text import text_problem
from scheduler.models import Account, Organisation, TensionPeriod
from scheduler.web.deps import FieldsDep, SessionDep
from scheduler.web.pages.scope import ManagerDep, PeriodPageDep
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)

ACTIONS = {"create": "nouveau", "update": "mis à jour", "unchanged": "inchangé"}


def _within(session: SessionDep, account: Account) -> frozenset[str] | None:
    return reachable_doctors(session, reach_of(session, account))


def _upload_form(request: Request, session: SessionDep, period: TensionPeriod,
                 problems: list[str], status_code: int = 200) -> HTMLResponse:
    return page(request, "roster.html", status_code=status_code,
                title=f"Importer un annuaire — {period.name}", period=period,
                organisations=_organisations(session), problems=problems, preview=None)


def _organisations(session: SessionDep) -> dict[str, str]:
    return {o.id: o.name for o in session.exec(select(Organisation).order_by(
        col(Organisation.name)))}


def _french(problems: list[InputProblem]) -> list[str]:
    return [p.french or str(p) for p in problems]


@router.get("/periodes/{period_id}/annuaire", response_class=HTMLResponse)
def roster_page(request: Request, period: PeriodPageDep, session: SessionDep,
                account: ManagerDep) -> Response:
    """The upload form: a CSV roster and the organisation of lines that name none."""
    return _upload_form(request, session, period, [])


@router.post("/periodes/{period_id}/annuaire", response_class=HTMLResponse)
def roster_preview_page(request: Request, period: PeriodPageDep, session: SessionDep,
                        account: ManagerDep,
                        fichier: Annotated[UploadFile | None, File()] = None,
                        structure: Annotated[str, Form()] = "") -> Response:
    """What importing the file would do, line by line; writes nothing."""
    data = fichier.file.read(MAX_ROSTER_BYTES + 1) if fichier is not None else b""
    if not data or len(data) > MAX_ROSTER_BYTES:
        return _upload_form(request, session, period, [
            "Fichier : choisissez un fichier CSV non vide." if not data else
            f"Fichier : plus de {MAX_ROSTER_BYTES // 1_000_000} Mo."], 422)
    name = (fichier.filename if fichier is not None and fichier.filename else "annuaire.csv")
    return _preview(request, session, period, data, name[-100:], _organisation(structure),
                    account)


def _organisation(value: str) -> str | None:
    """The chosen organisation's id; one that cannot be an id is kept as its first 64
    characters of text and refused by the preview as unknown."""
    value = value[:64]
    if text_problem(value) is not None:
        value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "?")
    return value or None


def _preview(request: Request, session: SessionDep, period: TensionPeriod, data: bytes,
             name: str, organisation_id: str | None, account: Account) -> HTMLResponse:
    preview = preview_roster(session, data, organisation_id=organisation_id, source=name,
                             within=_within(session, account))
    return page(request, "roster.html", status_code=200 if preview.ok else 422,
                title=f"Importer un annuaire — {period.name}", period=period,
                organisations=_organisations(session), problems=[], preview=_shown(preview),
                organisation_id=organisation_id or "", file_name=name,
                content=base64.urlsafe_b64encode(zlib.compress(data, 9)).decode())


def _shown(preview: RosterPreview) -> dict[str, object]:
    lines = [{"line": x.line, "name": x.name, "email": x.email, "phone": shown(x.phone),
              "rpps": x.rpps or "", "organisation": x.organisation_id or "",
              "action": ACTIONS.get(x.action or "", ""),
              "problems": _french(x.problems)}
             for x in preview.lines]
    in_lines = {id(p) for x in preview.lines for p in x.problems}
    return {"ok": preview.ok, "encoding": ENCODING_NAMES.get(preview.encoding, preview.encoding),
            "delimiter": DELIMITER_WORDS.get(preview.delimiter, ("", preview.delimiter))[1],
            "created": preview.count("create"), "updated": preview.count("update"),
            "unchanged": preview.count("unchanged"), "lines": lines,
            "bad_lines": sum(bool(x.problems) for x in preview.lines),
            "problems": _french([p for p in preview.problems if id(p) not in in_lines])}


@router.post("/periodes/{period_id}/annuaire/importer", response_class=HTMLResponse)
def roster_import_page(request: Request, period: PeriodPageDep, session: SessionDep,
                       account: ManagerDep, fields: FieldsDep) -> Response:
    """Import the previewed file, all lines or none; then on to the invitations."""
    form = dict(fields)
    data = _unpacked(form.get("contenu", ""))
    if data is None:
        return _upload_form(request, session, period, [
            "Fichier : le contenu transmis n'est pas lisible ; chargez le fichier à nouveau."],
            422)
    name = form.get("nom_fichier", "").replace("\x00", "")[-100:] or "annuaire.csv"
    organisation_id = _organisation(form.get("structure", ""))
    try:
        done = import_roster(session, data, organisation_id=organisation_id, source=name,
                             within=_within(session, account))
    except InputError:
        return _preview(request, session, period, data, name, organisation_id, account)
    return RedirectResponse(
        f"/periodes/{period.id}/invitations?importes={len(done.lines)}", status_code=303)


def _unpacked(content: str) -> bytes | None:
    """The file the preview packed, or None if it was altered beyond reading or is too large."""
    try:
        packed = base64.urlsafe_b64decode(content.encode("ascii"))
        inflate = zlib.decompressobj()
        data = inflate.decompress(packed, MAX_ROSTER_BYTES + 1)
    except (binascii.Error, UnicodeEncodeError, ValueError, zlib.error):
        return None
    if not data or len(data) > MAX_ROSTER_BYTES or inflate.unconsumed_tail or \
            not inflate.eof or inflate.unused_data:
        return None
    return data
