"""The web service: `create_app()` builds it (`uvicorn --factory scheduler.api:create_app`).

Thin on purpose: routes parse the request, call the layers below, and map what is missing to
404 and bad input to the one 422 body (`scheduler.web.errors`). The database engine lives in
the app state, so each app has its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from sqlalchemy.exc import SQLAlchemyError

from scheduler.config.settings import Settings, get_settings
from scheduler.planning.queue import job_queue
from scheduler.publication.lookup import feed_lookup
from scheduler.storage.db import make_engine, writer
from scheduler.web import docs, feeds, health
from scheduler.web.api import (
    answers,
    coordinator,
    invitations,
    jobs,
    organisations,
    periods,
    roster,
    rotas,
)
from scheduler.web.boundary import (
    MAX_BODY_BYTES,
    BodyLimit,
    CleanRequests,
    install_busy_handler,
)
from scheduler.web.csrf import Csrf
from scheduler.web.docs import mount_docs_assets
from scheduler.web.errors import install_error_handlers
from scheduler.web.limits import Limiter, LinkGuard
from scheduler.web.openapi import document_every_status
from scheduler.web.pages import (
    accounts,
    adjust,
    agenda,
    form,
    period_edit,
    period_files,
    period_new,
    planning,
)
from scheduler.web.pages import coordinator as coordinator_pages
from scheduler.web.pages import invitations as invitations_pages
from scheduler.web.pages import roster as roster_pages
from scheduler.web.pages.scope import install_page_answers
from scheduler.web.private import PrivateHeaders
from scheduler.web.security import SecurityHeaders, install_log_redaction
from scheduler.web.templating import mount_static

API_PREFIX = "/api/v1"

#: Every router the app mounts, with its prefix: the JSON API, the feed URLs, the pages.
ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (health.router, ""),
    *((api.router, API_PREFIX)
      for api in (periods, rotas, jobs, invitations, organisations, roster, answers,
                  coordinator)),
    (feeds.router, ""),
    (docs.router, ""),
    *((pages.router, "") for pages in (accounts, planning, period_files, period_edit, period_new,
                                          adjust, invitations_pages, roster_pages, form, agenda,
                                          coordinator_pages)),
)

API_DESCRIPTION = (
    "Managers authenticate with their browser session (sign in at `/`) or with "
    "`Authorization: Bearer <API token>` (`scheduler api-token EMAIL`); a GP or a coordinator "
    "calls `/api/v1/answers` or `/api/v1/coordinator` with their personal link's secret as "
    "the bearer token."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service configured by `settings` (default: the environment)."""
    settings = settings or get_settings()
    settings.check_for_production()
    install_log_redaction()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Its connection taken now, while the pool is idle (else at the first feed request:
        # a database down at start must not stop the service from starting).
        with suppress(SQLAlchemyError, engine.dialect.loaded_dbapi.Error):
            feed_lookup(app.state)
        yield
        engine.dispose()

    app = FastAPI(
        title="ED relief scheduler",
        summary="Relief shifts staffed by self-employed GPs: periods, slots, answers, rotas.",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # Served by `web.docs`, for signed-in managers and without a CDN.
        docs_url=None, redoc_url=None, openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.write_engine = writer(engine)
    app.state.job_queue = job_queue(engine, timedelta(seconds=settings.job_stale_seconds))
    app.state.limiter = Limiter(settings)
    install_error_handlers(app)
    document_every_status(app)
    install_busy_handler(app)
    install_page_answers(app)
    # The last added runs first: bounded bodies, clean paths and queries, security headers,
    # the link guard, the private headers, and the anti-CSRF check nearest the routes.
    app.add_middleware(Csrf, secret=settings.secret_key.get_secret_value(),
                       secure=settings.https)
    app.add_middleware(PrivateHeaders)
    app.add_middleware(LinkGuard, limiter=app.state.limiter)
    app.add_middleware(SecurityHeaders, https=settings.https)
    app.add_middleware(CleanRequests)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    mount_static(app)
    mount_docs_assets(app)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)
    return app
