"""/activities and /activities/{id}/performance (API.md section 4)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi import Request

from app.activities import service
from app.activities.schemas import ACTIVITY_SORTS
from app.activities.schemas import Activity
from app.activities.schemas import ActivityCreate
from app.activities.schemas import ActivityFilters
from app.activities.schemas import ActivityPage
from app.activities.schemas import ActivityPerformance
from app.activities.schemas import ActivityUpdate
from app.core.config import Settings
from app.core.routes import Resource
from app.core.security import CurrentPrincipal
from app.core.session import Session

# Tagged `territories` first, as since v1: generated SDKs group operations by their first tag.
router = APIRouter(tags=["territories"])
activities = APIRouter(tags=["activities"])
activity = Resource(
    activities, "/activities", Activity, CurrentPrincipal, name="activity", plural="activities"
)


activity.create(
    service.create_activity,
    ActivityCreate,
    description="An engagement activity in a territory the caller can see (integrations: any "
    "territory). `partner` is required for `cloud_partner`, `si_partner`, `reseller` and `oem`; "
    "`account_ids` must be accounts of the same territory (422 `not_found` per index).",
)


activity.list(
    service.list_activities,
    ActivityPage,
    filters=ActivityFilters,
    sorts=ACTIVITY_SORTS,
    description="Activities of the territories the caller can see; an integration sees those "
    "it created. `account_id` lists the activities that target that account. Sort: "
    "`created_at` (default), `name`, `updated_at`; `-` for descending.",
)


activity.read(service.get_activity)


activity.update(
    service.update_activity,
    ActivityUpdate,
    description="JSON Merge Patch: `partner` merges (null clears it where the type allows), "
    "`account_ids` replaces.",
)


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
