"""The web service: `create_app()` builds it (`uvicorn --factory scheduler.api:create_app`).

Thin on purpose: routes parse the request, call `store` and the domain, and map what is
missing to 404. The database engine lives in the app state, so each app has its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from scheduler.db import make_engine
from scheduler.routers import agenda, coordinator, feeds, form, health, invitations, periods, rotas
from scheduler.settings import Settings, get_settings
from scheduler.web import mount_static

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
    mount_static(app)
    app.include_router(health.router)
    app.include_router(periods.router, prefix=API_PREFIX)
    app.include_router(rotas.router, prefix=API_PREFIX)
    app.include_router(feeds.router)
    app.include_router(agenda.router)
    app.include_router(form.router)
    app.include_router(coordinator.router)
    app.include_router(coordinator.api_router, prefix=API_PREFIX)
    app.include_router(invitations.router, prefix=API_PREFIX)
    return app
