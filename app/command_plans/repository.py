"""SQL for command plans, their revisions and reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, fetch_children
from app.models import CommandPlan, CommandPlanReview, CommandPlanRevision
from app.stages.repository import filled_element_columns


async def get(session: AsyncSession, opportunity_id: uuid.UUID) -> CommandPlan | None:
    return await session.get(CommandPlan, opportunity_id)


async def get_for_update(session: AsyncSession, opportunity_id: uuid.UUID) -> CommandPlan | None:
    return await session.scalar(
        select(CommandPlan)
        .where(CommandPlan.opportunity_id == opportunity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def filled_elements(session: AsyncSession, opportunity_id: uuid.UUID) -> frozenset[str]:
    """The elements PostgreSQL finds filled: the same test the stage validator uses."""
    columns = filled_element_columns()
    row = (
        await session.execute(
            select(*[expr.label(name) for name, expr in columns.items()]).where(
                CommandPlan.opportunity_id == opportunity_id
            )
        )
    ).one()
    return frozenset(name for name in columns if getattr(row, name))


async def add_revision(
    session: AsyncSession,
    opportunity_id: uuid.UUID,
    actor_id: uuid.UUID,
    at: datetime,
    fields: Sequence[str],
) -> None:
    session.add(
        CommandPlanRevision(
            opportunity_id=opportunity_id, actor_id=actor_id, at=at, fields=list(fields)
        )
    )
    await session.flush()


async def revisions_page(
    session: AsyncSession, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[CommandPlanRevision], str | None]:
    keys = [SortKey(CommandPlanRevision.at), SortKey(CommandPlanRevision.id)]
    return await fetch_children(
        session,
        CommandPlanRevision.opportunity_id,
        opportunity_id,
        keys,
        page,
        "command-plan-revisions",
    )


async def add_review(session: AsyncSession, review: CommandPlanReview) -> CommandPlanReview:
    session.add(review)
    await session.flush()
    await session.refresh(review)
    return review


async def reviews_page(
    session: AsyncSession, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[CommandPlanReview], str | None]:
    keys = [SortKey(CommandPlanReview.at), SortKey(CommandPlanReview.id)]
    return await fetch_children(
        session,
        CommandPlanReview.opportunity_id,
        opportunity_id,
        keys,
        page,
        "command-plan-reviews",
    )
