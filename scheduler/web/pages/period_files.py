"""A period's gaps page, a version's exports (rota and payment statement, CSV and XLSX, a week
to print) and the period's hourly rate, for signed-in managers within their sites."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.planning.exports import as_csv, as_xlsx, payment_table, rota_table
from scheduler.planning.gaps import gaps
from scheduler.planning.review import week
from scheduler.web.deps import FieldsDep, SessionDep
from scheduler.web.pages.scope import PeriodPageDep, VersionPageDep, refused
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/periodes/{period_id}/besoins", response_class=HTMLResponse)
def gaps_page(request: Request, period: PeriodPageDep, session: SessionDep) -> Response:
    """Seats needed against doctors offering, day by day; slots at risk in words; answers
    by organisation."""
    return page(request, "gaps.html", title=f"Besoins — {period.name}", period=period,
                gaps=gaps(session, period.id))


EXPORTS = {"planning": "le planning", "paiement": "l'état de paiement"}


@router.get("/periodes/{period_id}/versions/{number}/export/{what}.{suffix}")
def export_version(request: Request, period: PeriodPageDep, chosen: VersionPageDep,
                   what: str, suffix: str, session: SessionDep) -> Response:
    """The version's rota or payment statement as CSV or XLSX (`?taux=` euros an hour for
    the payment, default the period's rate)."""
    if what not in EXPORTS or suffix not in ("csv", "xlsx"):
        return refused(request)
    number = chosen.number
    if what == "planning":
        table = rota_table(session, chosen)
    else:
        rate = _rate(request.query_params.get("taux"), period.hourly_rate)
        if rate is None:
            return _bad_rate(request)
        table = payment_table(session, chosen, rate)
    body = as_csv(table) if suffix == "csv" else as_xlsx(table)
    media = "text/csv; charset=utf-8" if suffix == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"{period.id}-v{number}-{what}.{suffix}"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _bad_rate(request: Request) -> Response:
    return page(request, "error.html", status_code=400, title="Demande non valide",
                message="Taux horaire : indiquez un montant en euros entre 0 et 1 000, par "
                        "exemple 85 ou 85,50.")


def _rate(text: str | None, stored: float | None) -> Decimal | None:
    """A rate typed as «85», «85,50» or «85.5», or the period's; None when unusable."""
    cent = Decimal("0.01")
    if text is None or not text.strip():
        return Decimal(str(stored)).quantize(cent) if stored is not None else None
    cleaned = text.strip().replace(",", ".")
    if not cleaned.isascii() or not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,2})?", cleaned):
        return None
    value = Decimal(cleaned).quantize(cent)
    return value if value <= 1000 else None


@router.post("/periodes/{period_id}/tarif")
def set_rate(request: Request, period: PeriodPageDep, session: SessionDep,
             fields: FieldsDep) -> Response:
    """Set the period's hourly rate (euros) for its payment statements."""
    rate = _rate(dict(fields).get("taux", ""), None)
    if rate is None:
        return _bad_rate(request)
    period.hourly_rate = float(rate)
    session.add(period)
    session.commit()
    return RedirectResponse(f"/periodes/{period.id}", status_code=303)


@router.get("/periodes/{period_id}/versions/{number}/semaine", response_class=HTMLResponse)
def week_page(request: Request, period: PeriodPageDep, version: VersionPageDep,
              session: SessionDep) -> Response:
    """A week of the version, laid out to print (`?du=YYYY-MM-DD`: the week holding it)."""
    asked = request.query_params.get("du", "")
    try:
        day = date.fromisoformat(asked) if asked else None
    except ValueError:
        return page(request, "error.html", status_code=400, title="Demande non valide",
                    message="Semaine : indiquez une date au format AAAA-MM-JJ.")
    return page(request, "week.html", title=f"Planning — {period.name}", period=period,
                version=version, week=week(session, version, day))
