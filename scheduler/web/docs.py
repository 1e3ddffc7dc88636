"""The API's documentation, for signed-in managers, working without internet.

Swagger UI and ReDoc come from the `fastapi-offline` package's files (no CDN). The pages load
them as files and start Swagger UI from `static/docs.js` (no inline script, so the pages keep
the Content-Security-Policy); Swagger UI sends the anti-CSRF header with the requests it makes
for a manager signed in with a cookie. `/openapi.json` needs the same credentials as the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from scheduler.web.auth import AccountDep, ReachDep
from scheduler.web.templating import page

router = APIRouter(include_in_schema=False)
ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static-docs"


def mount_docs_assets(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")


@router.get("/openapi.json")
def openapi(request: Request, _reach: ReachDep) -> dict[str, Any]:
    """The OpenAPI schema of the JSON API."""
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request, account: AccountDep) -> Response:
    """Swagger UI on the schema (signed-in managers)."""
    if account is None:
        return RedirectResponse("/", status_code=303)
    return page(request, "docs.html", assets=ASSETS_URL)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request, account: AccountDep) -> Response:
    """ReDoc on the schema (signed-in managers)."""
    if account is None:
        return RedirectResponse("/", status_code=303)
    return page(request, "redoc.html", assets=ASSETS_URL)
