"""The web service: `create_app()` builds it (`uvicorn --factory scheduler.api:create_app`).

Thin on purpose: routes parse the request, call the layers below, and map what is missing to
404 and bad input to the one 422 body (`scheduler.web.errors`). The database engine lives in
the app state, so each app has its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from scheduler.config.settings import Settings, get_settings
from scheduler.storage.db import make_engine
from scheduler.web import feeds, health
from scheduler.web.api import (
    answers,
    coordinator,
    invitations,
    organisations,
    periods,
    roster,
    rotas,
)
from scheduler.web.errors import install_error_handlers
from scheduler.web.pages import agenda, form
from scheduler.web.pages import coordinator as coordinator_pages
from scheduler.web.templating import mount_static

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service configured by `settings` (default: the environment)."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="ED relief scheduler",
        summary="Relief shifts staffed by self-employed GPs: periods, slots, answers, rotas.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)
    mount_static(app)
    app.include_router(health.router)
    for api in (periods, rotas, invitations, organisations, roster, answers, coordinator):
        app.include_router(api.router, prefix=API_PREFIX)
    app.include_router(feeds.router)
    for pages in (form, agenda, coordinator_pages):
        app.include_router(pages.router)
    return app
