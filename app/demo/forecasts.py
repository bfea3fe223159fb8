"""Demo data for forecasting and pipeline management: quotas for the quarter and the fiscal year,
a quarter of opportunity history (when earlier loaders left no opportunities), and weekly
forecast calls over several weeks, so that the roll-up, waterfall and hygiene show something.

Territories, accounts, quotas and the weekly calls (each as of its week) go through the
services; the opportunities and their history are backdated, which no service does, so they go
through the demo's own repository method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import AccountCreate
from app.core.config import get_settings
from app.demo.repository import BackdatedOpportunityRepository
from app.forecasts import service
from app.forecasts.fiscal import Period
from app.forecasts.fiscal import fiscal_year_of
from app.forecasts.fiscal import period_for
from app.forecasts.schemas import ForecastCreate
from app.models import Account
from app.models import CommandPlan
from app.models import Opportunity
from app.models import OpportunityHistory
from app.opportunities import service as opportunities
from app.stages.rules import DEFAULT_STAGES
from app.territories import service as territories
from app.territories.schemas import TerritoryCreate

if TYPE_CHECKING:
    from app.demo import DemoContext

STAGES = {s.slug: s for s in DEFAULT_STAGES}

# (owner key, quarter quota, fiscal-year quota); managers roll up from their reports.
QUOTAS = (
    ("rep", "250000.00", "1000000.00"),
    ("rep2", "200000.00", "800000.00"),
    ("rep3", "180000.00", "720000.00"),
)


@dataclass(frozen=True)
class DemoDeal:
    owner: str
    name: str
    type: str
    stage: str
    amount: str | None
    close_on: str  # "in:N": today + N days kept inside the quarter; "out:N": N days after it
    age_days: int
    renewal_arr: str | None = None
    renewal_loss_amount: str | None = None
    renewal_forecast_category: str | None = None
    next_step: str | None = "Weekly sync with the champion"
    next_step_in_days: int | None = 5
    days_in_stage: int = 7
    plan_age_days: int = 3
    # (days ago, field, old, new): history appended for the waterfall
    history: tuple[tuple[int, str, str | None, str | None], ...] = ()


DEALS = (
    DemoDeal(
        "rep",
        "Acme Bank - CI/CD platform",
        "new_business",
        "closed_won",
        "120000.00",
        "in:-20",
        80,
        history=(
            (60, "stage", "proposal", "negotiating"),
            (25, "amount", "100000.00", "120000.00"),
            (20, "stage", "awaiting_signature", "closed_won"),
        ),
    ),
    DemoDeal(
        "rep",
        "Globex - security expansion",
        "expansion",
        "awaiting_signature",
        "60000.00",
        "in:10",
        70,
        history=((30, "stage", "negotiating", "awaiting_signature"),),
    ),
    DemoDeal(
        "rep",
        "Initech - agile planning",
        "new_business",
        "proposal",
        "45000.00",
        "in:25",
        50,
        history=((14, "close_date", "out:60", "in:25"),),
    ),
    DemoDeal(
        "rep",
        "Umbrella Health - SCM",
        "new_business",
        "technical_evaluation",
        "80000.00",
        "in:30",
        130,
        days_in_stage=45,
        plan_age_days=40,
    ),
    DemoDeal(
        "rep",
        "Hooli - renewal",
        "renewal",
        "negotiating",
        "90000.00",
        "in:20",
        60,
        renewal_arr="100000.00",
        renewal_loss_amount="10000.00",
        renewal_forecast_category="commit",
    ),
    DemoDeal(
        "rep",
        "Vandelay - discovery",
        "new_business",
        "pending_acceptance",
        "30000.00",
        "in:40",
        21,
        next_step=None,
        next_step_in_days=None,
        days_in_stage=21,
    ),
    DemoDeal(
        "rep2",
        "Stark Industries - CD",
        "new_business",
        "closed_won",
        "95000.00",
        "in:-10",
        60,
        history=((10, "stage", "awaiting_signature", "closed_won"),),
    ),
    DemoDeal(
        "rep2",
        "Dunder Mifflin - CI",
        "new_business",
        "lost",
        "30000.00",
        "in:5",
        70,
        history=((8, "stage", "proposal", "lost"),),
    ),
    DemoDeal(
        "rep2",
        "Wayne Enterprises - renewal",
        "renewal",
        "lost",
        "0.00",
        "in:-5",
        90,
        renewal_arr="40000.00",
        history=((5, "stage", "negotiating", "lost"),),
    ),
    DemoDeal(
        "rep2",
        "Cyberdyne - platform",
        "new_business",
        "negotiating",
        "70000.00",
        "in:15",
        45,
        next_step_in_days=-4,
        history=((10, "amount", "90000.00", "70000.00"),),
    ),
    DemoDeal("rep2", "Soylent - expansion", "expansion", "scoping", "25000.00", "in:35", 10),
    DemoDeal(
        "rep2",
        "Tyrell - renewal",
        "renewal",
        "proposal",
        "52000.00",
        "in:28",
        40,
        renewal_arr="50000.00",
        renewal_loss_amount="8000.00",
        renewal_forecast_category="best_case",
    ),
    DemoDeal(
        "rep2",
        "Oscorp - pushed deal",
        "new_business",
        "proposal",
        "40000.00",
        "out:30",
        50,
        history=((12, "close_date", "in:20", "out:30"),),
    ),
    DemoDeal(
        "rep3",
        "Massive Dynamic - CI",
        "new_business",
        "awaiting_signature",
        "110000.00",
        "in:7",
        55,
    ),
    DemoDeal(
        "rep3",
        "Aperture - security",
        "new_business",
        "discovery",
        "35000.00",
        "in:-3",
        100,
        next_step=None,
        next_step_in_days=None,
    ),
)

# Weekly calls: (owner key, weeks ago, gross commit, gross best case, loss commit, loss best
# case, net 50/50); week 0 goes through the service.
CALLS = (
    ("rep", 3, "100000", "180000", "10000", "20000", "120000"),
    ("rep", 2, "150000", "220000", "10000", "20000", "170000"),
    ("rep", 1, "170000", "230000", "10000", "18000", "185000"),
    ("rep", 0, "180000", "225000", "10000", "18000", "190000"),
    ("rep2", 2, "80000", "190000", "40000", "48000", "90000"),
    ("rep2", 1, "95000", "180000", "40000", "48000", "100000"),
    ("rep2", 0, "95000", "167000", "40000", "48000", "105000"),
    ("manager", 1, "250000", "400000", "50000", "70000", "280000"),
    ("manager", 0, "270000", "380000", "50000", "66000", "290000"),
)


def _day(spec: str, today: date, period: Period) -> date:
    where, _, days = spec.partition(":")
    if where == "out":
        return period.end + timedelta(days=int(days))
    return min(max(today + timedelta(days=int(days)), period.start), period.end)


async def _account(session: AsyncSession, ctx: DemoContext, owner_key: str) -> Account:
    owner = ctx.users[owner_key]
    territory = await territories.create_territory(
        session,
        ctx.principal("admin"),
        TerritoryCreate(
            name=f"{owner.name} - Forecast territory", owner_id=owner.id, segment="enterprise"
        ),
    )
    return await accounts.create_account(
        session,
        ctx.principal(owner_key),
        AccountCreate.model_validate(
            {
                "territory_id": territory.id,
                "name": f"{owner.name} book",
                "vertical": "technology",
                "account_type": "customer",
            }
        ),
    )


async def _deals(
    session: AsyncSession, ctx: DemoContext, period: Period, now: datetime
) -> list[Opportunity]:
    today = now.date()
    books: dict[str, Account] = {}
    backdated = BackdatedOpportunityRepository(session)
    # The territory loader's accounts (name -> id) belong to the rep's territory: the rep's
    # deals go there, named after them; the others get an account of their own.
    loaded = ctx.ids.get("accounts")
    territory_accounts = list(loaded.items()) if isinstance(loaded, dict) else []
    created: list[Opportunity] = []
    for index, deal in enumerate(DEALS):
        owner = ctx.users[deal.owner]
        name = deal.name
        if deal.owner == "rep" and territory_accounts:
            account_name, account_id = territory_accounts[index % len(territory_accounts)]
            name = f"{account_name} - {deal.name.split(' - ', 1)[-1]}"
        else:
            if deal.owner not in books:
                books[deal.owner] = await _account(session, ctx, deal.owner)
            account_id = books[deal.owner].id
        stage = STAGES[deal.stage]
        created_at = now - timedelta(days=deal.age_days)
        accepted = None if deal.stage == "pending_acceptance" else created_at + timedelta(days=2)
        closed = stage.terminal
        close_date = _day(deal.close_on, today, period)
        opportunity = Opportunity(
            name=name,
            account_id=account_id,
            owner_id=owner.id,
            type=deal.type,
            amount=None if deal.amount is None else Decimal(deal.amount),
            renewal_arr=None if deal.renewal_arr is None else Decimal(deal.renewal_arr),
            renewal_loss_amount=None
            if deal.renewal_loss_amount is None
            else Decimal(deal.renewal_loss_amount),
            renewal_forecast_category=deal.renewal_forecast_category,
            close_date=close_date,
            next_step=deal.next_step,
            next_step_at=None
            if deal.next_step_in_days is None
            else now + timedelta(days=deal.next_step_in_days),
            created_by=owner.id,
            created_at=created_at,
            updated_at=now,
            sales_accepted_at=accepted,
            closed_at=now - timedelta(days=min(deal.age_days, 5)) if closed else None,
            loss_reason="budget" if deal.stage == "lost" else None,
        )
        entered = now - timedelta(days=min(deal.days_in_stage, deal.age_days))
        opportunities.enter_stage(opportunity, stage, None, entered)
        plan_at = now - timedelta(days=min(deal.plan_age_days, deal.age_days))
        plan = CommandPlan(created_at=created_at, updated_at=plan_at, updated_by=owner.id)
        history = [
            OpportunityHistory(
                at=now - timedelta(days=days_ago),
                actor_id=owner.id,
                field=field,
                old=_render(old, field, today, period),
                new=_render(new, field, today, period),
            )
            for days_ago, field, old, new in deal.history
        ]
        await backdated.add_backdated(opportunity, plan, history)
        created.append(opportunity)
    return created


def _render(value: str | None, field: str, today: date, period: Period) -> str | None:
    """History text: close dates given like `in:25` become ISO dates."""
    if value is not None and field == "close_date":
        return _day(value, today, period).isoformat()
    return value


async def _calls(session: AsyncSession, ctx: DemoContext, period: Period, now: datetime) -> None:
    """Each call through the service as of its week (the service derives the week from it)."""
    settings = get_settings()
    for key, weeks_ago, gc, gb, lc, lb, ml in CALLS:
        await service.submit(
            session,
            ctx.principal(key),
            ForecastCreate.model_validate(
                {
                    "period": period.label,
                    "gross_commit": gc,
                    "gross_best_case": gb,
                    "renewal_loss_commit": lc,
                    "renewal_loss_best_case": lb,
                    "net_most_likely": ml,
                    "notes": "This week's call." if weeks_ago == 0 else None,
                }
            ),
            settings.tz,
            settings.currency,
            now - timedelta(weeks=weeks_ago),
        )


async def load_forecasts(session: AsyncSession, ctx: DemoContext) -> None:
    settings = get_settings()
    now = datetime.now(UTC)
    start_month = await service.fiscal_start_month(session)
    quarter = period_for(now.astimezone(settings.tz).date(), start_month)
    year = fiscal_year_of(quarter, start_month)
    admin = ctx.principal("admin")
    for key, quarter_quota, year_quota in QUOTAS:
        user_id = ctx.users[key].id
        for period, amount in ((quarter, quarter_quota), (year, year_quota)):
            await service.put_quota(
                session,
                admin,
                user_id,
                period.label,
                Decimal(amount),
                None,
                settings.tz,
                settings.currency,
            )
    existing = ctx.ids.get("opportunities") or ctx.ids.get("opportunity_ids")
    if not existing:
        ctx.ids["forecast_opportunities"] = [o.id for o in await _deals(session, ctx, quarter, now)]
    await _calls(session, ctx, quarter, now)
    ctx.ids["forecast_period"] = quarter.label
