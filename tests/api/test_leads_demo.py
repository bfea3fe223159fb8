"""The demo's lead loader: every status, touches, with or without the territories loader."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import DemoContext
from app.demo import load_users
from app.demo.leads import load_leads
from app.models import Lead
from app.models import Touch
from tests.leads_factories import make_account
from tests.leads_factories import make_territory


async def _statuses(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Lead.status, func.count()).where(Lead.email.like("%.example")).group_by(Lead.status)
    )
    return {status: n for status, n in rows}


async def test_demo_leads_in_every_status_with_touches(session: AsyncSession) -> None:
    ctx = DemoContext()
    await load_users(session, ctx)
    territory = await make_territory(session, ctx.users["rep"])
    account = await make_account(session, territory, domain="adventure-works.example")
    ctx.ids["territory_id"] = territory.id
    ctx.ids["accounts"] = [account.id]
    await load_leads(session, ctx)
    statuses = await _statuses(session)
    assert set(statuses) == {"new", "working", "nurture", "disqualified", "converted"}
    assert await session.scalar(select(func.count()).select_from(Touch)) >= 10
    routed = await session.scalar(
        select(func.count()).where(Lead.account_id == account.id, Lead.status == "new")
    )
    assert routed == 4
    assert ctx.ids["contacts"] and len(ctx.ids["leads"]) == 10  # type: ignore[arg-type]


async def test_demo_leads_without_territories(session: AsyncSession) -> None:
    ctx = DemoContext()
    await load_users(session, ctx)
    await load_leads(session, ctx)
    assert set(await _statuses(session)) == {"new", "working", "nurture", "disqualified"}
    assert "contacts" not in ctx.ids
