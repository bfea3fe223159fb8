"""SQL for command plans, their revisions and reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import fetch_children
from app.core.repository import add_row
from app.models import CommandPlan
from app.models import CommandPlanReview
from app.models import CommandPlanRevision
from app.stages.repository import filled_element_columns

Entry = TypeVar("Entry", CommandPlanRevision, CommandPlanReview)


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


async def _oldest_first(
    session: AsyncSession,
    model: type[Entry],
    opportunity_id: uuid.UUID,
    page: PageParams,
    endpoint: str,
) -> tuple[list[Entry], str | None]:
    """One page of a plan's revisions or reviews, oldest first."""
    keys = [SortKey(model.at), SortKey(model.id)]
    return await fetch_children(session, model.opportunity_id, opportunity_id, keys, page, endpoint)


async def revisions_page(
    session: AsyncSession, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[CommandPlanRevision], str | None]:
    return await _oldest_first(
        session, CommandPlanRevision, opportunity_id, page, "command-plan-revisions"
    )


async def add_review(session: AsyncSession, review: CommandPlanReview) -> CommandPlanReview:
    return await add_row(session, review)


async def reviews_page(
    session: AsyncSession, opportunity_id: uuid.UUID, page: PageParams
) -> tuple[list[CommandPlanReview], str | None]:
    return await _oldest_first(
        session, CommandPlanReview, opportunity_id, page, "command-plan-reviews"
    )
