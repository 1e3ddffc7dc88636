"""Liveness for load balancers and `make run`: is the service up, can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from scheduler.web.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/health", responses={503: {"model": Health}})
def health(session: SessionDep, response: Response) -> Health:
    """Report whether the service is up and its database answers."""
    try:
        session.exec(select(1)).one()
    except SQLAlchemyError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="error", database="unreachable")
    return Health(status="ok", database="ok")
