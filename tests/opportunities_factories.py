"""Factories and HTTP helpers for the opportunity tests: territories, accounts, contacts, units
and leads straight into the test's transaction, opportunities through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Account
from app.models import Contact
from app.models import Lead
from app.models import Territory
from app.models import TerritoryMember
from app.models import Unit
from app.models import User
from tests.factories import Actor
from tests.factories import Actors


async def make_territory(
    session: AsyncSession, owner: User, segment: str = "mid_market", name: str | None = None
) -> Territory:
    territory = Territory(
        name=name or f"Territory {uuid.uuid4().hex[:6]}", owner_id=owner.id, segment=segment
    )
    session.add(territory)
    await session.flush()
    return territory


async def make_account(
    session: AsyncSession,
    territory: Territory,
    account_type: str = "net_new",
    name: str | None = None,
) -> Account:
    tag = uuid.uuid4().hex[:8]
    account = Account(
        territory_id=territory.id,
        name=name or f"Account {tag}",
        domain=f"{tag}.example.com",
        vertical="technology",
        account_type=account_type,
    )
    session.add(account)
    await session.flush()
    return account


async def make_contact(
    session: AsyncSession, account: Account, lead: Lead | None = None, name: str = "Casey"
) -> Contact:
    contact = Contact(
        account_id=account.id,
        lead_id=lead.id if lead else None,
        first_name=name,
        last_name="Buyer",
        email=f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com",
    )
    session.add(contact)
    await session.flush()
    return contact


async def make_unit(
    session: AsyncSession, account: Account, adoption: str = "red", name: str = "Payments"
) -> Unit:
    unit = Unit(account_id=account.id, kind="department", name=name, adoption=adoption)
    session.add(unit)
    await session.flush()
    await session.refresh(unit)
    return unit


async def make_lead(
    session: AsyncSession,
    created_by: User,
    owner: User | None = None,
    account: Account | None = None,
) -> Lead:
    lead = Lead(
        source="manual",
        email=f"lead-{uuid.uuid4().hex[:8]}@example.com",
        first_name="Lee",
        last_name="Ad",
        owner_id=owner.id if owner else None,
        account_id=account.id if account else None,
        created_by=created_by.id,
    )
    session.add(lead)
    await session.flush()
    await session.refresh(lead)
    return lead


@dataclass
class World:
    """rep's mid-market territory (rep2 on its team) with a net-new and a customer account;
    peer_rep's enterprise territory elsewhere."""

    actors: Actors
    territory: Territory
    account: Account
    contact: Contact
    champion: Contact
    customer: Account
    customer_contact: Contact
    other_account: Account
    other_contact: Contact


async def make_world(session: AsyncSession, actors: Actors) -> World:
    territory = await make_territory(session, actors.rep.user, "mid_market")
    session.add(TerritoryMember(territory_id=territory.id, user_id=actors.rep2.id, role="isr"))
    account = await make_account(session, territory, "net_new", "Acme Robotics")
    customer = await make_account(session, territory, "customer", "Globex")
    other_territory = await make_territory(session, actors.peer_rep.user, "enterprise")
    other_account = await make_account(session, other_territory)
    return World(
        actors=actors,
        territory=territory,
        account=account,
        contact=await make_contact(session, account),
        champion=await make_contact(session, account, name="Charlie"),
        customer=customer,
        customer_contact=await make_contact(session, customer),
        other_account=other_account,
        other_contact=await make_contact(session, other_account),
    )


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def qualification_body(**overrides: Any) -> dict[str, Any]:
    """A qualification that passes all four criteria; override a criterion to fail it."""
    today = datetime.now(UTC).date()
    body: dict[str, Any] = {
        "authority": {"involvement": "decision_maker"},
        "initiative": {
            "kind": "top_2_priority",
            "driver": "modernization",
            "description": "Replatform CI",
        },
        "fit": {
            "current_tools": ["Jenkins", "Bitbucket"],
            "entry_use_case": "ci",
            "potential_seats": 250,
        },
        "timing": {"meeting_on": today.isoformat(), "next_step_at": in_days(14)},
    }
    body.update(overrides)
    return body


async def create_opportunity(
    client: httpx.AsyncClient, actor: Actor, contact: Contact, **fields: Any
) -> dict[str, Any]:
    body = {"name": "Acme CI platform", "contact_id": str(contact.id), **fields}
    r = await client.post("/api/v1/opportunities", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def move(
    client: httpx.AsyncClient, actor: Actor, opportunity_id: str, to: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/opportunities/{opportunity_id}/stage",
        json={"to": to, **fields},
        headers=actor.headers,
    )


async def patch_plan(
    client: httpx.AsyncClient, actor: Actor, opportunity_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    r = await client.patch(
        f"/api/v1/opportunities/{opportunity_id}/command-plan", json=body, headers=actor.headers
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


FULL_PLAN: dict[str, Any] = {
    "overview": {
        "why_do_anything": "Releases take three weeks",
        "why_now": "Board mandate to ship monthly",
        "why_us": "One platform",
        "primary_value_driver": "Faster delivery",
        "required_capabilities": "CI, security scanning",
    },
    "meddppicc": {
        "metrics": "Lead time from 21 days to 2",
        "economic_buyer": {"notes": "CTO Dana"},
        "decision_criteria": "SaaS, SSO, scale to 500 devs",
        "decision_process": "POV then architecture board",
        "paper_process": "Legal review 2 weeks",
        "partners": "None",
        "identify_pain": "Jenkins upkeep",
        "champion": {"notes": "Platform lead"},
        "competition": "GitHub",
    },
    "close_plan": [
        {
            "description": "Security review",
            "due_on": (date.today() + timedelta(days=10)).isoformat(),
        }
    ],
}


async def at_stage(
    client: httpx.AsyncClient, world: World, stage: str, **fields: Any
) -> dict[str, Any]:
    """An opportunity walked up to `stage` with everything in order."""
    rep = world.actors.rep
    defaults: dict[str, Any] = {
        "amount": "50000",
        "next_step_at": in_days(10),
        "entry_use_case": "scm",
        "close_date": in_days(40)[:10],
        "proposal_sent_on": in_days(0)[:10],
        "signature_requested_on": in_days(0)[:10],
    }
    opp = await create_opportunity(client, rep, world.contact, **{**defaults, **fields})
    r = await client.post(
        f"/api/v1/opportunities/{opp['id']}/qualification",
        json=qualification_body(),
        headers=rep.headers,
    )
    assert r.status_code == 201
    await patch_plan(client, rep, opp["id"], FULL_PLAN)
    if stage != "pending_acceptance":
        r = await move(client, rep, opp["id"], stage)
        assert r.status_code == 200, r.text
        opp = r.json()
    return opp
