"""The event feed as the caller may read it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams
from app.core.security import Principal
from app.events import repository
from app.events.schemas import EventFilters
from app.models import Event


async def feed(
    session: AsyncSession, principal: Principal, page: PageParams, filters: EventFilters
) -> tuple[list[Event], str | None]:
    return await repository.feed(session, principal, page, filters)
