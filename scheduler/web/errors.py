"""One error body for the whole JSON API.

Bad input answers 422 with `{"detail": [{"field": ..., "message": ...}]}`, whether FastAPI
refused the request (wrong type, missing field) or a layer below raised `InputError`; other
errors answer `{"detail": "<short fixed text>"}` with their status. Routes raise `InputError`
(or call `unprocessable`) and never build a 422 body themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from scheduler.domain.errors import InputError, InputProblem, field_path


class FieldProblem(BaseModel):
    """One thing wrong with the request: the field (`body.doctor_ids[2]`) and what."""

    field: str
    message: str


class ProblemsOut(BaseModel):
    """The 422 body."""

    detail: list[FieldProblem]


#: `responses=` of an operation that can answer 422, so OpenAPI shows the real body.
BAD_INPUT: dict[int | str, dict[str, Any]] = {422: {"model": ProblemsOut}}


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


def install_error_handlers(app: FastAPI) -> None:
    """Answer both kinds of bad input with the one 422 body."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InputError, _input_error)
