"""Demo leads in every status, with touches, through the lead services: an inbound web lead
awaiting a reply, leads being worked on a cadence, a nurture, a disqualified one, a batch
from an event scanner, and a converted lead (when a territory exists to hold its account)."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import AccountRepository
from app.activities.repository import ActivityRepository
from app.core.enums import TouchChannel
from app.leads import batch
from app.leads import convert
from app.leads import service
from app.leads.schemas import ConvertRequest
from app.leads.schemas import LeadCreate
from app.leads.schemas import TouchCreate
from app.territories.repository import TerritoryRepository

if TYPE_CHECKING:
    from app.demo import DemoContext

CADENCE = [
    TouchChannel(c)
    for c in ("email", "phone", "social", "email", "phone", "video", "email", "phone")
]


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def _ids(value: object) -> list[uuid.UUID]:
    """Ids a loader left in ctx.ids, as a list or a name -> id mapping."""
    if isinstance(value, dict):
        value = list(value.values())
    return [v for v in value if isinstance(v, uuid.UUID)] if isinstance(value, list) else []


async def _account_domains(session: AsyncSession, ctx: DemoContext) -> list[str]:
    domains = []
    for account_id in _ids(ctx.ids.get("accounts"))[:3]:
        account = await AccountRepository(session).get(account_id)
        if account is not None and account.domain:
            domains.append(account.domain)
    return domains


async def load_leads(session: AsyncSession, ctx: DemoContext) -> None:
    rep, marketo = ctx.principal("rep"), ctx.principal("marketo")
    # The integration's leads come from an activity it can see (one it created), if any.
    activities = _ids(ctx.ids.get("activities"))
    visible = await ActivityRepository(session).visible_ids(marketo, activities)
    activity_id = next((a for a in activities if a in visible), None)
    activity = {"activity_id": activity_id} if activity_id is not None else {}
    made: list[uuid.UUID] = []

    async def lead(principal: Any, **values: Any) -> uuid.UUID:
        created = await service.create_lead(session, principal, LeadCreate(**values))
        made.append(created.id)
        return created.id

    async def touches(
        lead_id: uuid.UUID, channels: list[TouchChannel], days_ago: float, **extra: Any
    ) -> None:
        for i, channel in enumerate(channels):
            await service.add_touch(
                session,
                rep,
                lead_id,
                TouchCreate(
                    channel=channel,
                    direction="outbound",
                    occurred_at=_ago(days=days_ago - i),
                    content_ref=f"https://about.gitlab.com/resources/asset-{i}",
                    **extra,
                ),
            )

    # An inbound web-form lead, received yesterday and not answered yet: respond.
    await lead(
        marketo,
        email="jordan.blake@northwind.example",
        first_name="Jordan",
        last_name="Blake",
        title="VP Engineering",
        company="Northwind Traders",
        persona="technology_leader",
        inbound=True,
        received_at=_ago(hours=30),
        **activity,
    )
    # Worked for three weeks on every channel, never answered: time for the breakup email.
    worked = await lead(
        rep,
        email="priya.nair@contoso.example",
        first_name="Priya",
        last_name="Nair",
        title="Director of DevOps",
        company="Contoso",
        persona="technology_leader",
        status="working",
        received_at=_ago(days=25),
    )
    await touches(worked, CADENCE, days_ago=21)
    # Answered, now in a nurture track.
    nurture = await lead(
        rep,
        email="li.wei@fabrikam.example",
        first_name="Li",
        last_name="Wei",
        title="CISO",
        company="Fabrikam",
        persona="security_leader",
        status="nurture",
        received_at=_ago(days=12),
    )
    await touches(nurture, [TouchChannel.EMAIL, TouchChannel.PHONE], days_ago=10)
    await service.add_touch(
        session,
        rep,
        nurture,
        TouchCreate(channel="email", direction="inbound", occurred_at=_ago(days=7)),
    )
    # New this morning; searching "fjord ban" finds her by her company's words.
    await lead(
        rep,
        email="ingrid.fjeld@fjordbank.example",
        first_name="Ingrid",
        last_name="Fjeld",
        title="Head of Platform Engineering",
        company="Fjord Bank ASA",
        persona="technology_leader",
        received_at=_ago(hours=3),
    )
    await lead(
        rep,
        email="sam.ortiz@student.example",
        first_name="Sam",
        last_name="Ortiz",
        status="disqualified",
        disqualify_reason="Student project, no buying group.",
        received_at=_ago(days=40),
    )

    # A trade-show scanner posts its leads in one batch; some match demo accounts by domain.
    account_domains = await _account_domains(session, ctx)
    domains = account_domains or ["adventure-works.example"]
    scanned = [
        {
            "email": f"{name.lower()}@{domains[i % len(domains)]}",
            "first_name": name,
            "company": "Adventure Works",
            "external_id": f"booth-{i}",
            "inbound": True,
            **({"activity_id": str(activity_id)} if activity else {}),
        }
        for i, name in enumerate(["Avery", "Blair", "Casey", "Devon"])
    ]
    result = (await batch.run(session, marketo, scanned, "skip")).result()
    made += [r.id for r in result.results if r.id is not None]

    territory_id = ctx.ids.get("territory_id") or ctx.ids.get("territory")
    if not isinstance(territory_id, uuid.UUID):
        owned = await TerritoryRepository(session).owned_by(rep.id)
        territory_id = owned[0] if len(owned) == 1 else None
    if territory_id is not None:
        # From a demo account when there is one (converted into it), else into a new account.
        domain = account_domains[0] if account_domains else None
        converted = await lead(
            rep,
            email=f"maya.chen@{domain or 'tailspin.example'}",
            first_name="Maya",
            last_name="Chen",
            title="Head of Platform Engineering",
            company=None if domain else "Tailspin Toys",
            persona="technology_leader",
            status="working",
            received_at=_ago(days=20),
        )
        await touches(
            converted, [TouchChannel.EMAIL, TouchChannel.PHONE, TouchChannel.VIDEO], days_ago=15
        )
        done = await convert.convert_lead(
            session,
            rep,
            converted,
            ConvertRequest(territory_id=territory_id, create_opportunity=False),
            None,
        )
        ctx.ids["contacts"] = [done.contact.id]
        ctx.ids["converted_lead_id"] = converted
    ctx.ids["leads"] = made
