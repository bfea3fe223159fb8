"""/stages: the stage table, read by everyone, changed by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.core.enums import StageSlug
from app.core.http import IfMatch, set_etag
from app.core.pagination import Page
from app.core.security import CurrentPrincipal, Principal, require_roles
from app.core.session import Session
from app.stages import service
from app.stages.schemas import Stage, StagePage, StageUpdate

router = APIRouter(tags=["stages"])

AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]


@router.get(
    "/stages",
    operation_id="stages-list",
    response_model=StagePage,
    description="The eleven stages ordered by number, with the requirement codes entering "
    "each needs per opportunity type.",
)
async def list_stages(_: CurrentPrincipal, session: Session, page: Page) -> StagePage:
    rows, cursor = await service.list_page(session, page)
    return StagePage(items=[Stage.model_validate(s) for s in rows], next_cursor=cursor)


@router.get("/stages/{slug}", operation_id="stages-get", response_model=Stage)
async def get_stage(
    slug: StageSlug, _: CurrentPrincipal, session: Session, response: Response
) -> Stage:
    stage = await service.get(session, slug)
    set_etag(response, stage.version)
    return Stage.model_validate(stage)


@router.patch(
    "/stages/{slug}",
    operation_id="stages-update",
    response_model=Stage,
    description="Admins change the probability, default forecast category and requirement "
    "codes (each list replaces the stored one). Opportunities keep their probability and "
    "category until their next stage change.",
)
async def update_stage(
    slug: StageSlug,
    body: StageUpdate,
    _: AdminPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Stage:
    stage = await service.update(session, slug, body, if_match)
    set_etag(response, stage.version)
    return Stage.model_validate(stage)
