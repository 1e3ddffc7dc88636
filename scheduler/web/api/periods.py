"""Tension periods and what belongs to them: sites, slots, doctors, answers, rota versions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response

from scheduler.access.scope import reachable_periods
from scheduler.models import (
    AvailabilityPublic,
    DoctorPeriod,
    PeriodDoctorPublic,
    RotaVersionPublic,
    SitePublic,
    SlotPublic,
    TensionPeriod,
    TensionPeriodDetail,
    TensionPeriodPublic,
)
from scheduler.scenario.fields import Day, Id
from scheduler.storage.periods import (
    availability_query,
    paged,
    period_doctors,
    period_sites,
    slots_query,
)
from scheduler.storage.rotas import rota_versions
from scheduler.web.auth import MANAGER_ONLY, PeriodDep, ReachDep, manager_reach
from scheduler.web.deps import TOTAL_HEADER, PageDep, SessionDep

router = APIRouter(prefix="/periods", tags=["periods"], dependencies=[Depends(manager_reach)],
                   responses=MANAGER_ONLY)




@router.get("", response_model=list[TensionPeriodPublic])
def list_periods(session: SessionDep, reach: ReachDep) -> list[TensionPeriod]:
    """List the tension periods of the caller's sites, latest first."""
    return reachable_periods(session, reach)


@router.get("/{period_id}", response_model=TensionPeriodDetail)
def read_period(session: SessionDep, period: PeriodDep) -> TensionPeriodDetail:
    """Read one tension period with its sites."""
    sites = [SitePublic.model_validate(s) for s in period_sites(session, period.id)]
    return TensionPeriodDetail.model_validate(period, update={"sites": sites})


@router.get("/{period_id}/slots", response_model=list[SlotPublic])
def list_slots(
    session: SessionDep,
    period: PeriodDep,
    page: PageDep,
    response: Response,
    site: Id | None = None,
    first: Day | None = None,
    last: Day | None = None,
) -> list[SlotPublic]:
    """List the period's slots; filter by site and by local start date (first..last). Paged:
    `limit` (at most 1000), `offset`; `X-Total-Count` gives the number of slots in all."""
    if site is not None and site not in {s.id for s in period_sites(session, period.id)}:
        raise HTTPException(status_code=404, detail="Site not found")
    slots = paged(session, slots_query(session, period.id, site=site, first=first, last=last),
                  page)
    response.headers[TOTAL_HEADER] = str(slots.total)
    return [SlotPublic.model_validate(s) for s in slots.rows]


@router.get("/{period_id}/doctors", response_model=list[PeriodDoctorPublic])
def list_doctors(session: SessionDep, period: PeriodDep, page: PageDep,
                 response: Response) -> list[PeriodDoctorPublic]:
    """List the doctors taking part in the period, with their caps and dates away. Paged
    like the slots."""
    doctors = period_doctors(session, period.id)
    response.headers[TOTAL_HEADER] = str(len(doctors))
    return doctors[page.offset:page.offset + page.limit]


@router.get("/{period_id}/availability", response_model=list[AvailabilityPublic])
def list_availability(
    session: SessionDep, period: PeriodDep, page: PageDep, response: Response,
    doctor: Id | None = None,
) -> list[AvailabilityPublic]:
    """List the doctors' answers for the period's slots, optionally one doctor's. Paged like
    the slots."""
    if doctor is not None and session.get(DoctorPeriod, (doctor, period.id)) is None:
        raise HTTPException(status_code=404, detail="Doctor not found")
    rows = paged(session, availability_query(period.id, doctor=doctor), page)
    response.headers[TOTAL_HEADER] = str(rows.total)
    return [AvailabilityPublic.model_validate(r) for r in rows.rows]


@router.get("/{period_id}/rotas", response_model=list[RotaVersionPublic])
def list_rotas(session: SessionDep, period: PeriodDep) -> list[RotaVersionPublic]:
    """List the period's rota versions, oldest first."""
    return [RotaVersionPublic.model_validate(v) for v in rota_versions(session, period.id)]
