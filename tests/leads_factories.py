"""Factories for leads tests: territories, accounts, activities, leads and touches, flushed into
the test's rolled-back transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Account
from app.models import Activity
from app.models import Contact
from app.models import Lead
from app.models import Territory
from app.models import Touch
from app.models import User


async def make_territory(
    session: AsyncSession, owner: User, segment: str = "enterprise", name: str | None = None
) -> Territory:
    territory = Territory(
        name=name or f"T-{uuid.uuid4().hex[:6]}", owner_id=owner.id, segment=segment
    )
    session.add(territory)
    await session.flush()
    await session.refresh(territory)
    return territory


async def make_account(
    session: AsyncSession, territory: Territory, domain: str | None = None, name: str | None = None
) -> Account:
    account = Account(
        territory_id=territory.id,
        name=name or f"Account {uuid.uuid4().hex[:6]}",
        domain=domain,
        vertical="technology",
        account_type="net_new",
    )
    session.add(account)
    await session.flush()
    await session.refresh(account)
    return account


async def make_activity(session: AsyncSession, territory: Territory, creator: User) -> Activity:
    activity = Activity(
        territory_id=territory.id, type="workshop", name="DevOps workshop", created_by=creator.id
    )
    session.add(activity)
    await session.flush()
    await session.refresh(activity)
    return activity


async def make_lead(session: AsyncSession, creator: User, **values: Any) -> Lead:
    values.setdefault("email", f"lead-{uuid.uuid4().hex[:8]}@example.com")
    values.setdefault("source", "manual")
    values.setdefault("owner_id", creator.id)
    lead = Lead(created_by=creator.id, **values)
    session.add(lead)
    await session.flush()
    await session.refresh(lead)
    return lead


async def make_touch(
    session: AsyncSession,
    lead: Lead,
    creator: User,
    occurred_at: datetime,
    channel: str = "email",
    direction: str = "outbound",
    **values: Any,
) -> Touch:
    touch = Touch(
        subject_type="lead",
        subject_id=lead.id,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        created_by=creator.id,
        **values,
    )
    session.add(touch)
    await session.flush()
    return touch


async def make_contact(session: AsyncSession, account: Account, **values: Any) -> Contact:
    contact = Contact(account_id=account.id, **values)
    session.add(contact)
    await session.flush()
    await session.refresh(contact)
    return contact
