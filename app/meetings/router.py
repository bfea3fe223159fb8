"""/meetings: call plans prepared for a lead or an opportunity."""

from __future__ import annotations

import uuid
from typing import Annotated
from typing import Literal

from fastapi import APIRouter
from fastapi import Query

from app.core.pagination import Page
from app.core.query_lists import AnyOf
from app.core.routes import Resource
from app.core.schemas import Moment
from app.core.security import HumanPrincipal
from app.core.session import Session
from app.meetings import service
from app.meetings.schemas import Meeting
from app.meetings.schemas import MeetingCreate
from app.meetings.schemas import MeetingPage
from app.meetings.schemas import MeetingUpdate

router = APIRouter(tags=["meetings"])
meetings = Resource(router, "/meetings", Meeting, HumanPrincipal, name="meeting")


meetings.create(
    service.create,
    MeetingCreate,
    description="A call plan for exactly one of `lead_id` and `opportunity_id` (422 otherwise); "
    "attendees are contacts of its account. A meeting scheduled within 60 days counts as a "
    "scheduled follow-up for the stage validator.",
)


@router.get(
    "/meetings",
    operation_id="meetings-list",
    response_model=MeetingPage,
    description="Meetings of visible leads and opportunities. `scheduled_from` is inclusive, "
    "`scheduled_to` exclusive. Sort: `scheduled_at` (default), `updated_at`; `-` for descending.",
)
async def list_meetings(
    principal: HumanPrincipal,
    session: Session,
    page: Page,
    lead_id: AnyOf[uuid.UUID] = None,
    opportunity_id: AnyOf[uuid.UUID] = None,
    scheduled_from: Moment | None = None,
    scheduled_to: Moment | None = None,
    updated_after: Moment | None = None,
    sort: Annotated[
        Literal["scheduled_at", "-scheduled_at", "updated_at", "-updated_at"], Query()
    ] = "scheduled_at",
) -> MeetingPage:
    filters = {
        "lead_id": lead_id,
        "opportunity_id": opportunity_id,
        "scheduled_from": scheduled_from,
        "scheduled_to": scheduled_to,
        "updated_after": updated_after,
    }
    rows, cursor = await service.list_page(session, principal, page, filters, sort)
    return MeetingPage(items=[Meeting.model_validate(m) for m in rows], next_cursor=cursor)


meetings.read(service.get)


meetings.update(service.update, MeetingUpdate)
