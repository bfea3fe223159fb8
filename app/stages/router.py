"""/stages: the stage table, read by everyone, changed by admins."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.enums import StageSlug
from app.core.routes import Resource
from app.core.security import AdminPrincipal
from app.core.security import CurrentPrincipal
from app.stages import service
from app.stages.schemas import Stage
from app.stages.schemas import StagePage
from app.stages.schemas import StageUpdate

router = APIRouter(tags=["stages"])
stages = Resource(router, "/stages", Stage, AdminPrincipal, name="stage", key=("slug", StageSlug))


stages.list(
    service.list_page,
    StagePage,
    principal=CurrentPrincipal,
    description="The eleven stages ordered by number, with the requirement codes entering "
    "each needs per opportunity type.",
)


stages.read(service.get, principal=CurrentPrincipal)


stages.update(
    service.update,
    StageUpdate,
    description="Admins change the probability, default forecast category and requirement "
    "codes (each list replaces the stored one). Opportunities keep their probability and "
    "category until their next stage change.",
)
