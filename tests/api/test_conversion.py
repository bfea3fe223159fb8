"""The lead-conversion hook `open_from_lead`, called as POST /leads/{id}/convert calls it."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden
from app.core.errors import ValidationFailed
from app.core.security import Principal
from app.leads.opportunity import ConvertOpportunitySpec
from app.leads.opportunity import open_from_lead
from app.models import Activity
from app.models import CommandPlan
from app.models import Opportunity
from app.models import OpportunityHistory
from app.models import Qualification
from tests.factories import Actor
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import make_contact
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move
from tests.opportunities_factories import qualification_body


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


def principal(actor: Actor) -> Principal:
    u = actor.user
    return Principal(u.id, u.email, u.name, u.role, u.manager_id, u.source, u.id)


async def _count(session: AsyncSession, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return int(await session.scalar(stmt) or 0)


async def test_without_a_qualification_nothing_is_created(
    session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    contact = await make_contact(session, world.account, lead=lead)
    with pytest.raises(ValidationFailed) as raised:
        await open_from_lead(
            session, principal(rep), lead=lead, contact=contact, account=world.account, spec=None
        )
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("qualification.authority", "not_evaluated"),
        ("qualification.initiative", "not_evaluated"),
        ("qualification.fit", "not_evaluated"),
    ]
    assert raised.value.status == 422
    assert await _count(session, Opportunity, lead_id=lead.id) == 0


async def test_failed_criteria_are_listed_and_timing_does_not_block(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    contact = await make_contact(session, world.account, lead=lead)
    body = qualification_body(
        initiative={"kind": "none"},
        fit={"entry_use_case": "ci", "potential_seats": 0},
        timing={"meeting_on": "2026-01-01", "next_step_at": "2026-06-01T09:00:00+00:00"},
    )
    r = await client.post(f"/api/v1/leads/{lead.id}/qualification", json=body, headers=rep.headers)
    assert r.json()["criteria"]["timing"]["passed"] is False
    with pytest.raises(ValidationFailed) as raised:
        await open_from_lead(
            session, principal(rep), lead=lead, contact=contact, account=world.account, spec=None
        )
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("qualification.initiative", "criterion_failed"),
        ("qualification.fit", "criterion_failed"),
    ]
    assert "no_initiative" in raised.value.errors[0].message
    # The latest counts: a passing one (timing still failing) is enough.
    body = qualification_body(
        timing={"meeting_on": "2026-01-01", "next_step_at": "2026-06-01T09:00:00+00:00"}
    )
    await client.post(f"/api/v1/leads/{lead.id}/qualification", json=body, headers=rep.headers)
    opportunity = await open_from_lead(
        session, principal(rep), lead=lead, contact=contact, account=world.account, spec=None
    )
    assert opportunity.stage == "pending_acceptance"


async def test_conversion_opens_an_opportunity_from_the_qualification(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep, manager = world.actors.rep, world.actors.manager
    activity = Activity(
        territory_id=world.territory.id, type="meetup", name="DevOps meetup", created_by=rep.id
    )
    session.add(activity)
    await session.flush()
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    lead.activity_id = activity.id
    lead.bpm_stage = "solution_exploration"
    contact = await make_contact(session, world.account, lead=lead)
    q = await client.post(
        f"/api/v1/leads/{lead.id}/qualification", json=qualification_body(), headers=rep.headers
    )
    assert q.json()["qualified"] is True

    spec = ConvertOpportunitySpec.model_validate({"amount": "75000", "close_date": "2027-06-30"})
    opportunity = await open_from_lead(
        session, principal(manager), lead=lead, contact=contact, account=world.account, spec=spec
    )
    assert opportunity.owner_id == rep.id  # the lead's owner, not the caller
    assert (
        opportunity.stage,
        opportunity.stage_number,
        opportunity.probability,
        opportunity.forecast_category,
    ) == ("pending_acceptance", 0, 0, "omitted")
    assert opportunity.name == "Acme Robotics - New Business" and opportunity.type == "new_business"
    assert (opportunity.entry_use_case, opportunity.potential_seats) == ("ci", 250)
    assert opportunity.next_step_at is not None
    assert opportunity.next_step_at.isoformat() == q.json()["inputs"]["timing"][
        "next_step_at"
    ].replace("Z", "+00:00")
    assert (opportunity.lead_id, opportunity.activity_id, opportunity.bpm_stage) == (
        lead.id,
        activity.id,
        "solution_exploration",
    )
    assert (opportunity.amount, opportunity.contact_id, opportunity.created_by) == (
        Decimal("75000"),
        contact.id,
        manager.id,
    )
    assert await _count(session, CommandPlan, opportunity_id=opportunity.id) == 1
    # Creation rows: stage, amount, close_date, forecast_category, owner_id and type.
    assert await _count(session, OpportunityHistory, opportunity_id=opportunity.id) == 6

    assert (opportunity.name, opportunity.account_id, opportunity.owner_id) == (
        "Acme Robotics - New Business",
        world.account.id,
        rep.id,
    )
    assert (opportunity.type, opportunity.stage, opportunity.version) == (
        "new_business",
        "pending_acceptance",
        1,
    )
    assert opportunity.close_date is not None
    assert opportunity.close_date.isoformat() == "2027-06-30"

    # The qualification is inherited: a copy on the opportunity, unchanged by the lead's later ones.
    copy = await session.scalar(
        select(Qualification).where(Qualification.opportunity_id == opportunity.id)
    )
    assert copy is not None and copy.qualified and copy.inputs == q.json()["inputs"]
    await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(authority={"involvement": "none"}),
        headers=rep.headers,
    )
    r = await client.get(
        f"/api/v1/opportunities/{opportunity.id}/qualification", headers=rep.headers
    )
    assert (
        r.status_code == 200
        and r.json()["qualified"] is True
        and r.json()["opportunity_id"] == str(opportunity.id)
    )

    # It moves to discovery on that qualification (follow-up and amount from the conversion).
    r = await move(client, rep, str(opportunity.id), "discovery")
    assert r.status_code == 200, r.text


async def test_conversion_type_needs_a_customer_account(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, account=world.account)
    contact = await make_contact(session, world.account, lead=lead)
    await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(),
        headers=world.actors.manager.headers,
    )
    spec = ConvertOpportunitySpec(type="renewal", name="Acme renewal")
    with pytest.raises(ValidationFailed) as raised:
        await open_from_lead(
            session, principal(rep), lead=lead, contact=contact, account=world.account, spec=spec
        )
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("opportunity.type", "account_not_customer")
    ]
    # An unowned lead: the caller owns the opportunity.
    customer_lead = await make_lead(session, rep.user, account=world.customer)
    customer_contact = await make_contact(session, world.customer, lead=customer_lead)
    await client.post(
        f"/api/v1/leads/{customer_lead.id}/qualification",
        json=qualification_body(),
        headers=world.actors.manager.headers,
    )
    opportunity = await open_from_lead(
        session,
        principal(rep),
        lead=customer_lead,
        contact=customer_contact,
        account=world.customer,
        spec=spec,
    )
    assert (opportunity.type, opportunity.name, opportunity.owner_id) == (
        "renewal",
        "Acme renewal",
        rep.id,
    )
    assert opportunity.renewal_arr is None and opportunity.renewal_loss_amount is None


async def test_an_integration_cannot_own_the_opportunity_of_an_unassigned_lead(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    lead = await make_lead(session, world.actors.integration.user, account=world.account)
    contact = await make_contact(session, world.account, lead=lead)
    await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(),
        headers=world.actors.manager.headers,
    )
    with pytest.raises(Forbidden):
        await open_from_lead(
            session,
            principal(world.actors.integration),
            lead=lead,
            contact=contact,
            account=world.account,
            spec=None,
        )
