"""Server-rendered pages: Jinja2 templates and static files, French UI, no JavaScript build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from scheduler.domain import french

PACKAGE = Path(__file__).parent
templates = Jinja2Templates(directory=PACKAGE / "templates")
templates.env.globals["service_name"] = "Délestage des urgences"
templates.env.filters["skill"] = french.skill


def csrf_token(request: Request) -> str:
    """The request's anti-CSRF token (`web.csrf`); asking for it sets its cookie."""
    token = request.scope.get("csrftoken")
    return str(token()) if callable(token) else ""


def csrf_field(request: Request) -> Markup:
    """The hidden anti-CSRF field every POST form carries."""
    return Markup('<input type="hidden" name="csrftoken" value="{}">').format(csrf_token(request))


def static_url(request: Request, path: str) -> str:
    """A static file's URL by path alone ("/static/style.css", after any mount prefix): it
    follows whatever host and port serve the page, unlike an absolute `url_for`."""
    return f"{request.scope.get('root_path', '')}/static/{path}"


templates.env.globals["static_url"] = static_url
templates.env.globals["csrf_field"] = csrf_field
templates.env.globals["csrf_token"] = csrf_token


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def not_found_page(request: Request, contact: str = "") -> HTMLResponse:
    """The same answer for unknown, revoked or expired links: nothing tells them apart."""
    return page(
        request, "error.html", status_code=404, title="Lien non valide",
        message="Ce lien n'est pas ou plus valide. Demandez un nouveau lien au service des "
                "urgences.",
        contact=contact,
    )


def bad_request_page(request: Request, message: str, contact: str = "") -> HTMLResponse:
    """A 400 page for a posted form whose values cannot be used; `message` is French and names
    the field."""
    return page(request, "error.html", status_code=400, title="Demande non valide",
                message=message, contact=contact)
