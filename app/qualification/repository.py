"""SQL for qualifications and what evaluating one looks up (the segment a small box needs)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.repository import add_row
from app.core.security import Principal
from app.core.visibility import lead_visible
from app.models import Account
from app.models import Lead
from app.models import Qualification
from app.models import Territory


async def visible_lead(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID
) -> Lead | None:
    return await session.scalar(select(Lead).where(Lead.id == lead_id, lead_visible(principal)))


async def add(session: AsyncSession, qualification: Qualification) -> Qualification:
    return await add_row(session, qualification)


async def latest_for_lead(session: AsyncSession, lead_id: uuid.UUID) -> Qualification | None:
    return await session.scalar(
        select(Qualification)
        .where(Qualification.lead_id == lead_id)
        .order_by(Qualification.evaluated_at.desc(), Qualification.id.desc())
        .limit(1)
    )


async def latest_for_opportunity(
    session: AsyncSession, opportunity_id: uuid.UUID, lead_id: uuid.UUID | None
) -> Qualification | None:
    """The opportunity's own latest evaluation, else its lead's latest."""
    own = await session.scalar(
        select(Qualification)
        .where(Qualification.opportunity_id == opportunity_id)
        .order_by(Qualification.evaluated_at.desc(), Qualification.id.desc())
        .limit(1)
    )
    if own is not None or lead_id is None:
        return own
    return await latest_for_lead(session, lead_id)


async def account_segment(session: AsyncSession, account_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(Territory.segment)
        .join(Account, Account.territory_id == Territory.id)
        .where(Account.id == account_id)
    )


async def only_territory_segment(session: AsyncSession, owner_id: uuid.UUID) -> str | None:
    """The segment of the owner's territory when they own exactly one, else None."""
    segments = (
        await session.scalars(
            select(Territory.segment).where(Territory.owner_id == owner_id).limit(2)
        )
    ).all()
    return segments[0] if len(segments) == 1 else None
