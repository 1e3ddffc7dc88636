"""What the manager's period pages share: the period or version a signed-in manager reaches,
and the one refusal for what is outside their sites (or does not exist)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from scheduler.access.scope import reach_of, reaches_period
from scheduler.models import Account, RotaVersion, TensionPeriod
from scheduler.storage.rotas import rota_versions
from scheduler.web.templating import page


def refused(request: Request) -> HTMLResponse:
    """403: outside the manager's sites, or no such period (the same answer)."""
    return page(request, "error.html", status_code=403, title="Accès refusé",
                message="Cette période n'existe pas ou ne relève pas de vos sites.")


def period_in_reach(session: Session, account: Account, period_id: str
                    ) -> TensionPeriod | None:
    """The period, when it exists and the account reaches one of its sites."""
    if len(period_id) > 64 or not reaches_period(session, reach_of(session, account),
                                                 period_id):
        return None
    return session.get(TensionPeriod, period_id)


def version_in_reach(session: Session, account: Account, period_id: str, number: int
                     ) -> tuple[TensionPeriod, RotaVersion] | None:
    """The period and its version `number`, when the account reaches the period."""
    period = period_in_reach(session, account, period_id)
    if period is None:
        return None
    chosen = next((v for v in rota_versions(session, period.id) if v.number == number), None)
    return None if chosen is None else (period, chosen)
