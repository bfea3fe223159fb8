"""/activities and /activities/{id}/performance (API.md section 4)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app.activities import service
from app.activities.schemas import (
    ACTIVITY_SORTS,
    Activity,
    ActivityCreate,
    ActivityFilters,
    ActivityPage,
    ActivityPerformance,
    ActivityUpdate,
)
from app.core.config import Settings
from app.core.http import IfMatch, created, page_of, tagged
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.security import CurrentPrincipal
from app.core.session import Session

# Tagged `territories` first, as since v1: generated SDKs group operations by their first tag.
router = APIRouter(tags=["territories"])
activities = APIRouter(tags=["activities"])


@activities.post(
    "/activities",
    operation_id="activities-create",
    status_code=201,
    response_model=Activity,
    dependencies=[Idempotent],
    description="An engagement activity in a territory the caller can see (integrations: any "
    "territory). `partner` is required for `cloud_partner`, `si_partner`, `reseller` and `oem`; "
    "`account_ids` must be accounts of the same territory (422 `not_found` per index).",
)
async def create_activity(
    body: ActivityCreate, principal: CurrentPrincipal, session: Session, response: Response
) -> Activity:
    activity = await service.create_activity(session, principal, body)
    return created(response, Activity, activity, f"/api/v1/activities/{activity.id}")


@activities.get(
    "/activities",
    operation_id="activities-list",
    response_model=ActivityPage,
    description="Activities of the territories the caller can see; an integration sees those "
    "it created. `account_id` lists the activities that target that account. Sort: "
    "`created_at` (default), `name`, `updated_at`; `-` for descending.",
)
async def list_activities(
    *,
    principal: CurrentPrincipal,
    session: Session,
    filters: Annotated[ActivityFilters, Depends()],
    sort: str = ACTIVITY_SORTS.param,
    page: Page,
) -> ActivityPage:
    rows, cursor = await service.list_activities(session, principal, page, filters, sort)
    return page_of(ActivityPage, rows, cursor)


@activities.get("/activities/{activity_id}", operation_id="activities-get", response_model=Activity)
async def get_activity(
    activity_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Activity:
    activity = await service.get_activity(session, principal, activity_id)
    return tagged(response, Activity, activity)


@activities.patch(
    "/activities/{activity_id}",
    operation_id="activities-update",
    response_model=Activity,
    description="JSON Merge Patch: `partner` merges (null clears it where the type allows), "
    "`account_ids` replaces.",
)
async def update_activity(
    activity_id: uuid.UUID,
    body: ActivityUpdate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Activity:
    activity = await service.update_activity(session, principal, activity_id, body, if_match)
    return tagged(response, Activity, activity)


@activities.get(
    "/activities/{activity_id}/performance",
    operation_id="activities-performance",
    response_model=ActivityPerformance,
    description="What the activity produced: its leads, the contacts converted from them, its "
    "opportunities, those sales-accepted (reached stage 1), the amount of those open in stages "
    "1-6 and of those won. One SQL statement.",
)
async def activity_performance(
    activity_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: Session
) -> ActivityPerformance:
    settings: Settings = request.app.state.settings
    figures = await service.activity_performance(session, principal, activity_id)
    return ActivityPerformance(activity_id=activity_id, currency=settings.currency, **figures)


router.include_router(activities)
