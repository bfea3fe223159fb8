"""Timelines (API.md section 11): what happened around a lead, contact, account or
opportunity, newest first, one statement per page."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import SubjectType
from app.core.errors import NotFound
from app.core.pagination import PageParams
from app.core.security import Principal
from app.timeline.repository import TimelinePageRows
from app.timeline.repository import TimelineRepository


async def page(
    session: AsyncSession,
    principal: Principal,
    subject_type: SubjectType,
    subject_id: uuid.UUID,
    params: PageParams,
) -> TimelinePageRows:
    """A page of the subject's timeline; 404 when the subject is missing or invisible (the
    statement itself says so: no look-up of its own)."""
    result = await TimelineRepository(session).page(principal, subject_type, subject_id, params)
    if not result.found:
        raise NotFound(f"No such {subject_type.value}.")
    return result
