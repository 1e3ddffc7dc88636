"""The web service: `create_app()` builds it (`uvicorn --factory scheduler.api:create_app`).

Thin on purpose: routes parse the request, call the layers below, and map what is missing to
404 and bad input to the one 422 body (`scheduler.web.errors`). The database engine lives in
the app state, so each app has its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

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
from scheduler.web.private import PrivateHeaders
from scheduler.web.templating import mount_static

API_PREFIX = "/api/v1"

#: Every router the app mounts, with its prefix: the JSON API, the feed URLs, the pages.
ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (health.router, ""),
    *((api.router, API_PREFIX)
      for api in (periods, rotas, invitations, organisations, roster, answers, coordinator)),
    (feeds.router, ""),
    *((pages.router, "") for pages in (form, agenda, coordinator_pages)),
)


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
    app.add_middleware(PrivateHeaders)
    mount_static(app)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)
    return app
