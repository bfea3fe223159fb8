"""/activities and /activities/{id}/performance (API.md section 4)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.core.config import Settings
from app.core.enums import ActivityStatus, ActivityType, Vertical
from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.schemas import Moment
from app.core.security import CurrentPrincipal
from app.core.session import Session
from app.territories import activities_service as service
from app.territories.schemas import (
    Activity,
    ActivityCreate,
    ActivityPage,
    ActivityPerformance,
    ActivityUpdate,
)

router = APIRouter(tags=["activities"])


@router.post(
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
    set_created(response, f"/api/v1/activities/{activity.id}", activity.version)
    return Activity.model_validate(activity)


@router.get(
    "/activities",
    operation_id="activities-list",
    response_model=ActivityPage,
    description="Activities of the territories the caller can see; an integration sees those "
    "it created. `account_id` lists the activities that target that account. Sort: "
    "`created_at` (default), `name`, `updated_at`; `-` for descending.",
)
async def list_activities(
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    territory_id: uuid.UUID | None = None,
    type: ActivityType | None = None,
    status: ActivityStatus | None = None,
    vertical: Vertical | None = None,
    account_id: uuid.UUID | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
    updated_after: Moment | None = None,
    sort: Annotated[
        Literal["created_at", "-created_at", "name", "-name", "updated_at", "-updated_at"],
        Query(),
    ] = "created_at",
) -> ActivityPage:
    filters = {
        "territory_id": territory_id,
        "type": type,
        "status": status,
        "vertical": vertical,
        "account_id": account_id,
        "starts_from": starts_from,
        "starts_to": starts_to,
        "updated_after": updated_after,
    }
    rows, cursor = await service.list_activities(session, principal, page, filters, sort)
    return ActivityPage(items=[Activity.model_validate(a) for a in rows], next_cursor=cursor)


@router.get("/activities/{activity_id}", operation_id="activities-get", response_model=Activity)
async def get_activity(
    activity_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Activity:
    activity = await service.get_activity(session, principal, activity_id)
    set_etag(response, activity.version)
    return Activity.model_validate(activity)


@router.patch(
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
    set_etag(response, activity.version)
    return Activity.model_validate(activity)


@router.get(
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
