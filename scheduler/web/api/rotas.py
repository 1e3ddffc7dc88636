"""Rota versions with their assignments."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from scheduler.models import AssignmentPublic, RotaVersionDetail
from scheduler.storage.rotas import rota_assignments
from scheduler.web.auth import MANAGER_ONLY, VersionDep, manager_reach
from scheduler.web.deps import SessionDep

router = APIRouter(prefix="/rotas", tags=["rotas"], dependencies=[Depends(manager_reach)],
                   responses=MANAGER_ONLY)


@router.get("/{version_id}", response_model=RotaVersionDetail)
def read_rota(session: SessionDep, version: VersionDep) -> RotaVersionDetail:
    """Read one rota version with its assignments."""
    assert version.id is not None
    assignments = [
        AssignmentPublic.model_validate(a) for a in rota_assignments(session, version.id)
    ]
    return RotaVersionDetail.model_validate(version, update={"assignments": assignments})
