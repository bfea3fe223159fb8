"""GET /events: the change feed (API.md section 9)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.core.pagination import Page
from app.core.query_lists import built
from app.core.security import CurrentPrincipal
from app.core.session import Session
from app.events import service
from app.events.schemas import EventFilters
from app.events.schemas import EventItem
from app.events.schemas import EventPage

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    operation_id="events-list",
    response_model=EventPage,
    description="Events oldest first, only about resources the caller can see now. An event is "
    "served only once every older transaction has finished, so following `next_cursor` never "
    "misses one that committed late.",
)
async def list_events(
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    filters: Annotated[EventFilters, built(EventFilters)],
) -> EventPage:
    rows, cursor = await service.feed(session, principal, page, filters)
    return EventPage(items=[EventItem.model_validate(e) for e in rows], next_cursor=cursor)
