"""SQL for meetings: visible through their lead or their opportunity."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, next_cursor, paginate
from app.core.repository import any_of, check_filter_ids
from app.core.security import Principal
from app.core.visibility import lead_visible, opportunity_visible
from app.models import Lead, Meeting, Opportunity


def meeting_visible(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    return or_(
        Meeting.lead_id.in_(select(Lead.id).where(lead_visible(principal))),
        Meeting.opportunity_id.in_(select(Opportunity.id).where(opportunity_visible(principal))),
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


async def check_filters(
    session: AsyncSession, principal: Principal, filters: dict[str, Any]
) -> None:
    """The leads and opportunities a list filter names must be visible (422 otherwise)."""
    if filters.get("lead_id"):
        rule = lead_visible(principal)
        await check_filter_ids(session, Lead.id, rule, filters["lead_id"], "query.lead_id")
    if filters.get("opportunity_id"):
        ids = filters["opportunity_id"]
        rule = opportunity_visible(principal)
        await check_filter_ids(session, Opportunity.id, rule, ids, "query.opportunity_id")


async def get_visible(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID
) -> Meeting | None:
    return await session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, meeting_visible(principal))
    )


async def get_visible_for_update(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID
) -> Meeting | None:
    return await session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id, meeting_visible(principal))
        .with_for_update(of=Meeting)
        .execution_options(populate_existing=True)
    )


async def add(session: AsyncSession, meeting: Meeting) -> Meeting:
    session.add(meeting)
    await session.flush()
    await session.refresh(meeting)
    return meeting


MEETING_SORTS = {"scheduled_at": Meeting.scheduled_at, "updated_at": Meeting.updated_at}


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Meeting], str | None]:
    descending = sort.startswith("-")
    column = MEETING_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Meeting.id, descending)]
    stmt: Select[Any] = select(Meeting).where(meeting_visible(principal))
    stmt = stmt.where(*any_of(Meeting.lead_id, filters.get("lead_id")))
    stmt = stmt.where(*any_of(Meeting.opportunity_id, filters.get("opportunity_id")))
    if filters.get("scheduled_from") is not None:
        stmt = stmt.where(Meeting.scheduled_at >= filters["scheduled_from"])
    if filters.get("scheduled_to") is not None:
        stmt = stmt.where(Meeting.scheduled_at < filters["scheduled_to"])
    if filters.get("updated_after") is not None:
        stmt = stmt.where(Meeting.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "meetings", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "meetings", cursor_filters, lambda m: [getattr(m, column.key), m.id]
    )
    return rows, cursor
