"""SQL for meetings: visible through their lead or their opportunity."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.repository import Repository
from app.core.repository import check_filter_ids
from app.core.repository import columns
from app.core.security import Principal
from app.core.visibility import Viewer
from app.core.visibility import lead_visible
from app.core.visibility import opportunity_visible
from app.meetings.schemas import MeetingFilters
from app.models import Lead
from app.models import Meeting
from app.models import Opportunity


def meeting_visible(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role == "admin":
        return true()
    return or_(
        Meeting.lead_id.in_(select(Lead.id).where(lead_visible(viewer))),
        Meeting.opportunity_id.in_(select(Opportunity.id).where(opportunity_visible(viewer))),
    )


async def visible_lead(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID
) -> Lead | None:
    return await session.scalar(select(Lead).where(Lead.id == lead_id, lead_visible(principal)))


async def visible_opportunity(
    session: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> Opportunity | None:
    return await session.scalar(
        select(Opportunity).where(Opportunity.id == opportunity_id, opportunity_visible(principal))
    )


class MeetingRepository(Repository[Meeting]):
    model = Meeting
    endpoint = "meetings"
    sort_columns = columns(Meeting, "scheduled_at", "updated_at")
    filter_columns = columns(Meeting, "lead_id", "opportunity_id")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return meeting_visible(viewer)

    def conditions(self, filters: MeetingFilters) -> Iterable[ColumnElement[bool]]:
        if filters.scheduled_from is not None:
            yield Meeting.scheduled_at >= filters.scheduled_from
        if filters.scheduled_to is not None:
            yield Meeting.scheduled_at < filters.scheduled_to

    async def check_filters(self, viewer: Viewer, filters: MeetingFilters) -> None:
        """The leads and opportunities a list filter names must be visible (422 otherwise)."""
        if filters.lead_id:
            rule = lead_visible(viewer)
            await check_filter_ids(self.session, Lead.id, rule, filters.lead_id, "query.lead_id")
        if filters.opportunity_id:
            ids = filters.opportunity_id
            rule = opportunity_visible(viewer)
            await check_filter_ids(self.session, Opportunity.id, rule, ids, "query.opportunity_id")
