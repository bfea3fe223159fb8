"""Factories for forecasting and pipeline tests: territories, accounts, opportunities with their
history and command plans, quotas and submissions, inserted through the models (flush only)."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Account
from app.models import CommandPlan
from app.models import ForecastSubmission
from app.models import Opportunity
from app.models import OpportunityHistory
from app.models import Quota
from app.models import Territory
from app.models import User
from app.stages.rules import DEFAULT_STAGES

STAGES = {s.slug: s for s in DEFAULT_STAGES}

_accounts: dict[uuid.UUID, uuid.UUID] = {}


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


async def make_account(
    session: AsyncSession, owner: User, account_type: str = "customer"
) -> Account:
    territory = Territory(
        name=f"Territory {uuid.uuid4().hex[:6]}", owner_id=owner.id, segment="enterprise"
    )
    session.add(territory)
    await session.flush()
    account = Account(
        territory_id=territory.id,
        name=f"Account {uuid.uuid4().hex[:6]}",
        vertical="technology",
        account_type=account_type,
    )
    session.add(account)
    await session.flush()
    return account


async def make_opportunity(
    session: AsyncSession,
    owner: User,
    *,
    stage: str = "discovery",
    type: str = "new_business",
    amount: str | Decimal | None = None,
    close_date: date | None = None,
    forecast_category: str | None = None,
    renewal_arr: str | Decimal | None = None,
    renewal_loss_amount: str | Decimal | None = None,
    renewal_forecast_category: str | None = None,
    next_step: str | None = "Call the champion",
    next_step_at: datetime | None = None,
    created_at: datetime | None = None,
    sales_accepted_at: datetime | None = None,
    stage_entered_at: datetime | None = None,
    closed_at: datetime | None = None,
    command_plan_updated_at: datetime | None = None,
    with_command_plan: bool = True,
    account: Account | None = None,
    name: str | None = None,
) -> Opportunity:
    """An opportunity owned by `owner` (one account per owner unless given)."""
    if account is None:
        account_id = _accounts.get(owner.id)
        if account_id is None or await session.get(Account, account_id) is None:
            account_id = (await make_account(session, owner)).id
            _accounts[owner.id] = account_id
    else:
        account_id = account.id
    definition = STAGES[stage]
    now = datetime.now(UTC)
    opportunity = Opportunity(
        name=name or f"Deal {uuid.uuid4().hex[:6]}",
        account_id=account_id,
        owner_id=owner.id,
        type=type,
        stage=stage,
        stage_number=definition.number,
        probability=definition.probability,
        forecast_category=forecast_category or definition.forecast_category,
        amount=None if amount is None else D(amount),
        renewal_arr=None if renewal_arr is None else D(renewal_arr),
        renewal_loss_amount=None if renewal_loss_amount is None else D(renewal_loss_amount),
        renewal_forecast_category=renewal_forecast_category,
        close_date=close_date,
        next_step=next_step,
        next_step_at=next_step_at,
        created_by=owner.id,
        created_at=created_at or now,
        updated_at=created_at or now,
        sales_accepted_at=sales_accepted_at,
        stage_entered_at=stage_entered_at or created_at or now,
        closed_at=closed_at,
    )
    session.add(opportunity)
    await session.flush()
    if with_command_plan:
        at = command_plan_updated_at or created_at or now
        session.add(CommandPlan(opportunity_id=opportunity.id, created_at=at, updated_at=at))
        await session.flush()
    return opportunity


async def add_history(
    session: AsyncSession,
    opportunity: Opportunity,
    field: str,
    old: str | None,
    new: str | None,
    at: datetime,
) -> OpportunityHistory:
    """Append one history row (the table is append-only: only INSERT)."""
    row = OpportunityHistory(opportunity_id=opportunity.id, field=field, old=old, new=new, at=at)
    session.add(row)
    await session.flush()
    return row


async def make_quota(session: AsyncSession, user: User, period: str, amount: str) -> Quota:
    quota = Quota(user_id=user.id, period=period, amount=D(amount))
    session.add(quota)
    await session.flush()
    return quota


async def make_submission(
    session: AsyncSession,
    owner: User,
    period: str,
    week: str,
    *,
    gross_commit: str = "0",
    gross_best_case: str = "0",
    renewal_loss_commit: str = "0",
    renewal_loss_best_case: str = "0",
    net_most_likely: str = "0",
    submitted_at: datetime | None = None,
    notes: str | None = None,
    system: dict[str, Any] | None = None,
) -> ForecastSubmission:
    at = submitted_at or datetime.now(UTC)
    submission = ForecastSubmission(
        user_id=owner.id,
        period=period,
        week=week,
        gross_commit=D(gross_commit),
        gross_best_case=D(gross_best_case),
        renewal_loss_commit=D(renewal_loss_commit),
        renewal_loss_best_case=D(renewal_loss_best_case),
        net_most_likely=D(net_most_likely),
        notes=notes,
        system=system,
        submitted_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(submission)
    await session.flush()
    return submission
