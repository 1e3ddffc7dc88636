"""What the manager's period pages share: the signed-in manager, the period or version they
reach (as route dependencies), and the one refusal for what is outside their sites (or does
not exist). A page dependency that refuses raises `PageAnswer`, whose response the app
sends as it is (`install_page_answers`): a redirect to sign in, or the 403 page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.access.scope import reach_of, reaches_period
from scheduler.models import Account, RotaVersion, TensionPeriod
from scheduler.storage.rotas import rota_versions
from scheduler.web.auth import AccountDep
from scheduler.web.deps import SessionDep, released
from scheduler.web.templating import page


class PageAnswer(Exception):
    """A page dependency's own answer, instead of the route's."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def install_page_answers(app: FastAPI) -> None:
    async def answer(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageAnswer)
        return exc.response

    app.add_exception_handler(PageAnswer, answer)


def refused(request: Request) -> HTMLResponse:
    """403: outside the manager's sites, or no such period (the same answer)."""
    return page(request, "error.html", status_code=403, title="Accès refusé",
                message="Cette période n'existe pas ou ne relève pas de vos sites.")


def signed_in_manager(account: AccountDep) -> Account:
    """The signed-in manager; others are sent to sign in."""
    if account is None:
        raise PageAnswer(RedirectResponse("/", status_code=303))
    return account


ManagerDep = Annotated[Account, Depends(signed_in_manager)]


def page_period(request: Request, period_id: str, session: SessionDep,
                account: ManagerDep) -> TensionPeriod:
    """The path's period, when the manager reaches one of its sites."""
    period = None
    if len(period_id) <= 64 and reaches_period(session, reach_of(session, account), period_id):
        period = session.get(TensionPeriod, period_id)
    if period is None:
        raise PageAnswer(refused(request))
    return released(session, period)


PeriodPageDep = Annotated[TensionPeriod, Depends(page_period)]


def page_version(request: Request, number: Annotated[int, Path()], session: SessionDep,
                 period: PeriodPageDep) -> RotaVersion:
    """The path's version of the path's period."""
    chosen = next((v for v in rota_versions(session, period.id) if v.number == number), None)
    if chosen is None:
        raise PageAnswer(refused(request))
    return released(session, chosen)


VersionPageDep = Annotated[RotaVersion, Depends(page_version)]
