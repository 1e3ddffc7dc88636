"""The OpenAPI schema documents every status a JSON route can answer, with its real body.

FastAPI documents what each route declares. The answers that come from the layers around
the routes are added here, once, to every operation they apply to:

- 422 has the service's one body (`web.errors.ProblemsOut`), not FastAPI's default;
- 400: a path or query string that is not clean text (`web.boundary.CleanRequests`), or a
  body that cannot be parsed (`web.errors`);
- 404: an operation with path parameters names something that does not exist (or, for a
  manager, lies outside their sites);
- 413: a request body over the limit (`web.boundary.BodyLimit`);
- 429: too many invalid credentials from one address (`web.limits.LinkGuard`);
- 503: the database is too busy to write now (`web.boundary`).

401 and 403 are declared by the routers (`web.auth.MANAGER_ONLY`, `LINK_ONLY`); statuses
particular to a route (409, 502, …) by the route, with `web.errors.refusals`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from scheduler.web.errors import Message, ProblemsOut

_MESSAGE = "#/components/schemas/Message"
_PROBLEMS = "#/components/schemas/ProblemsOut"
_METHODS = ("get", "put", "post", "delete", "patch")


def _answer(description: str, ref: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": ref}}}}


def _around(path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The answers the layers around the routes can give to this operation."""
    answers = {
        "400": _answer("The path, the query string or the body cannot be read (a NUL, "
                       "invalid UTF-8, not JSON, a broken form)", _PROBLEMS),
        "503": _answer("The database is busy: nothing was written, try again", _MESSAGE),
    }
    if path.startswith("/api/"):
        answers["429"] = _answer("Too many invalid credentials from this address", _MESSAGE)
    if "{" in path:
        answers["404"] = _answer("Not found", _MESSAGE)
    if "requestBody" in operation:
        answers["413"] = _answer("The request body is too large", _MESSAGE)
    if operation.get("parameters") or "requestBody" in operation:
        answers["422"] = _answer("Bad input: each field and what is wrong with it",
                                 _PROBLEMS)
    return answers


def _with_bodies(responses: dict[str, Any]) -> None:
    """Route-declared refusals without a body get the `Message` body they are sent with."""
    for status, answer in responses.items():
        if status.startswith("4") and "content" not in answer:
            answer["content"] = {"application/json": {"schema": {"$ref": _MESSAGE}}}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (FastAPI's) with every status documented; FastAPI's own 422 models removed."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Message, ProblemsOut):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(generated.pop("$defs", {}))
        components[model.__name__] = generated
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's default shape: ours replaces it
            _with_bodies(responses)
            for status, answer in _around(path, operation).items():
                responses.setdefault(status, answer)
    return schema


def document_every_status(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed schema (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=app.description, routes=app.routes, tags=app.openapi_tags,
                servers=app.servers))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
