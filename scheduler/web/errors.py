"""One error body for the whole JSON API.

Bad input answers 422 with `{"detail": [{"field": ..., "message": ...}]}`, whether FastAPI
refused the request (wrong type, missing field) or a layer below raised `InputError` (400 with
the same body when the body or the path cannot be read at all); other
errors answer `{"detail": "<short fixed text>"}` with their status. Routes raise `InputError`
(or call `unprocessable`) and never build a 422 body themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from scheduler.domain.errors import InputError, InputProblem, field_path


class FieldProblem(BaseModel):
    """One thing wrong with the request: the field (`body.doctor_ids[2]`) and what."""

    field: str
    message: str


class ProblemsOut(BaseModel):
    """The 422 body (and the 400 of a path or query that is not clean text)."""

    detail: list[FieldProblem]


class Message(BaseModel):
    """The body of every other refusal: a short fixed English text."""

    detail: str


def refusals(by_status: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's own refusals, {status: description}, with their body."""
    return {status: {"model": Message, "description": description}
            for status, description in by_status.items()}


def unprocessable(field: str, message: str) -> InputError:
    """An error for one field, to raise from a route: answered as a 422."""
    return InputError.single("", field, message)


def problems_body(problems: Iterable[InputProblem]) -> dict[str, Any]:
    return {"detail": [{"field": p.field, "message": p.message} for p in problems]}


def _request_problems(exc: RequestValidationError) -> list[InputProblem]:
    out = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(InputProblem("", field_path(error.get("loc", ())), message))
    return out


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(problems_body(_request_problems(exc)), status_code=422)


async def _input_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(problems_body(exc.problems), status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    """A body FastAPI could not parse (400, "There was an error parsing the body") answers
    the problems body, naming `body`, like every other bad input."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.detail, str) and \
            request.url.path.startswith("/api/"):
        return JSONResponse({"detail": [{"field": "body", "message": exc.detail}]},
                            status_code=400)
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every kind of bad input with the one problems body (422, or 400 when the body
    cannot be parsed at all)."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
