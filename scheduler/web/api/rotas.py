"""Rota versions with their assignments."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from scheduler.models import AssignmentPublic, RotaVersion, RotaVersionDetail
from scheduler.storage.rotas import rota_assignments
from scheduler.web.deps import SessionDep

router = APIRouter(prefix="/rotas", tags=["rotas"])


@router.get("/{version_id}", response_model=RotaVersionDetail)
def read_rota(session: SessionDep, version_id: int) -> RotaVersionDetail:
    """Read one rota version with its assignments."""
    version = session.get(RotaVersion, version_id)
    if version is None:
        raise HTTPException(status_code=404, detail="Rota not found")
    assignments = [
        AssignmentPublic.model_validate(a) for a in rota_assignments(session, version_id)
    ]
    return RotaVersionDetail.model_validate(version, update={"assignments": assignments})
