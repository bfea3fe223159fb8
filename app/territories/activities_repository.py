"""SQL for engagement activities and their performance."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, next_cursor, paginate
from app.core.security import Principal
from app.core.visibility import activity_visible
from app.models import Activity, Contact, Lead, Opportunity

OPEN_STAGE_NUMBERS = (1, 6)  # discovery .. awaiting_signature


async def get_activity(
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Activity | None:
    stmt = select(Activity).where(Activity.id == activity_id, activity_visible(principal))
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def add_activity(session: AsyncSession, activity: Activity) -> Activity:
    session.add(activity)
    await session.flush()
    await session.refresh(activity)
    return activity


ACTIVITY_SORTS: dict[str, Any] = {
    "created_at": Activity.created_at,
    "name": Activity.name,
    "updated_at": Activity.updated_at,
}


async def list_activities(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: Mapping[str, Any],
    sort: str,
) -> tuple[list[Activity], str | None]:
    descending = sort.startswith("-")
    column = ACTIVITY_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Activity.id, descending)]
    stmt = select(Activity).where(activity_visible(principal))
    for name in ("territory_id", "type", "status", "vertical"):
        if filters.get(name):
            stmt = stmt.where(getattr(Activity, name) == filters[name])
    if filters.get("account_id"):
        stmt = stmt.where(Activity.account_ids.any(filters["account_id"]))
    if filters.get("starts_from"):
        stmt = stmt.where(Activity.starts_on >= filters["starts_from"])
    if filters.get("starts_to"):
        stmt = stmt.where(Activity.starts_on <= filters["starts_to"])
    if filters.get("updated_after"):
        stmt = stmt.where(Activity.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "activities", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "activities", cursor_filters, lambda a: [getattr(a, column.key), a.id]
    )
    return rows, cursor


async def performance(session: AsyncSession, activity_id: uuid.UUID) -> dict[str, Any]:
    """Leads, their contacts and the opportunities attributed to the activity: one statement."""
    leads = (
        select(func.count()).select_from(Lead).where(Lead.activity_id == activity_id)
    ).scalar_subquery()
    contacts = (
        select(func.count())
        .select_from(Contact)
        .join(Lead, Lead.id == Contact.lead_id)
        .where(Lead.activity_id == activity_id)
    ).scalar_subquery()
    low, high = OPEN_STAGE_NUMBERS
    zero = literal(Decimal("0"), Numeric(15, 2))
    opportunities = (
        select(
            func.count().label("opportunities"),
            func.count().filter(Opportunity.sales_accepted_at.is_not(None)).label("sales_accepted"),
            func.coalesce(
                func.sum(Opportunity.amount).filter(
                    and_(Opportunity.stage_number >= low, Opportunity.stage_number <= high)
                ),
                zero,
            ).label("open_pipeline_arr"),
            func.coalesce(
                func.sum(Opportunity.amount).filter(Opportunity.stage == "closed_won"), zero
            ).label("won_arr"),
        )
        .where(Opportunity.activity_id == activity_id)
        .subquery()
    )
    row = (
        await session.execute(
            select(
                leads.label("leads"),
                contacts.label("contacts"),
                opportunities.c.opportunities,
                opportunities.c.sales_accepted,
                opportunities.c.open_pipeline_arr,
                opportunities.c.won_arr,
            )
        )
    ).one()
    return dict(row._mapping)
