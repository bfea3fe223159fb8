"""/meetings: call plans prepared for a lead or an opportunity."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.routes import Resource
from app.core.security import HumanPrincipal
from app.meetings import service
from app.meetings.schemas import MEETING_SORTS
from app.meetings.schemas import Meeting
from app.meetings.schemas import MeetingCreate
from app.meetings.schemas import MeetingFilters
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


meetings.list(
    service.list_page,
    MeetingPage,
    filters=MeetingFilters,
    sorts=MEETING_SORTS,
    description="Meetings of visible leads and opportunities. `scheduled_from` is inclusive, "
    "`scheduled_to` exclusive. Sort: `scheduled_at` (default), `updated_at`; `-` for descending.",
)


meetings.read(service.get)


meetings.update(service.update, MeetingUpdate)
