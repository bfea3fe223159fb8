"""POST /leads/{id}/convert: account found or created, contact reused, atomic, once only."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Account
from app.models import Contact
from app.models import Event
from app.models import Lead
from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_activity
from tests.leads_factories import make_contact
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory

LEADS = "/api/v1/leads"


def convert_url(lead: Lead) -> str:
    return f"{LEADS}/{lead.id}/convert"


async def count(session: AsyncSession, model: type, *where: object) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_convert_creates_the_account_from_company_and_domain(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    lead = await make_lead(
        session,
        actors.rep.user,
        email="Ann@NewCo.io",
        domain="newco.io",
        first_name="Ann",
        last_name="Lee",
        title="CTO",
        company="NewCo",
        persona="technology_leader",
    )
    r = await client.post(
        convert_url(lead), json={"create_opportunity": False}, headers=actors.rep.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"contact", "account", "opportunity", "lead"}
    account, contact = body["account"], body["contact"]
    assert account["name"] == "NewCo" and account["domain"] == "newco.io"
    assert account["territory_id"] == str(territory.id) and account["account_type"] == "net_new"
    assert contact["account_id"] == account["id"] and contact["lead_id"] == str(lead.id)
    assert contact["email"] == "Ann@NewCo.io" and contact["title"] == "CTO"
    assert contact["persona"] == "technology_leader" and contact["version"] == 1
    assert body["opportunity"] is None
    converted = body["lead"]
    assert converted["status"] == "converted" and converted["converted_at"] is not None
    assert converted["converted_contact_id"] == contact["id"]
    assert converted["converted_opportunity_id"] is None
    assert converted["account_id"] == account["id"] and converted["version"] == 2
    assert (
        await count(session, Event, Event.type == "lead.converted", Event.resource_id == lead.id)
        == 1
    )

    # Converting again: 409, and nothing more is created.
    r = await client.post(
        convert_url(lead), json={"create_opportunity": False}, headers=actors.rep.headers
    )
    assert r.status_code == 409 and r.json()["type"] == "/problems/invalid-transition"
    assert await count(session, Contact, Contact.lead_id == lead.id) == 1


async def test_convert_into_the_routed_account_reuses_the_contact(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory, domain="acme.com")
    known = await make_contact(session, account, email="bo@ACME.com", first_name="Bo")
    r = await client.post(LEADS, json={"email": "Bo@acme.com"}, headers=actors.rep.headers)
    lead_id = r.json()["id"]
    assert r.json()["account_id"] == str(account.id)
    r = await client.post(
        f"{LEADS}/{lead_id}/convert",
        json={"create_opportunity": False},
        headers={**actors.rep.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["account"]["id"] == str(account.id)
    assert r.json()["contact"]["id"] == str(known.id)
    assert r.json()["contact"]["lead_id"] == lead_id and r.json()["contact"]["version"] == 2
    assert await count(session, Contact, Contact.account_id == account.id) == 1
    assert await count(session, Account, Account.territory_id == territory.id) == 1


async def test_convert_with_account_id_or_territory_id(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    first = await make_territory(session, actors.rep.user)
    second = await make_territory(session, actors.rep.user)
    existing = await make_account(session, first)
    hidden = await make_account(session, await make_territory(session, actors.peer_rep.user))
    lead = await make_lead(session, actors.rep.user, email="cy@cy.io", domain="cy.io")
    h = actors.rep.headers

    # Two territories and no territory_id: ambiguous.
    r = await client.post(convert_url(lead), json={"create_opportunity": False}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "territory_id"
    assert r.json()["errors"][0]["code"] == "ambiguous"
    r = await client.post(
        convert_url(lead),
        json={"create_opportunity": False, "account_id": str(hidden.id)},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    r = await client.post(
        convert_url(lead),
        json={"create_opportunity": False, "account_id": str(existing.id)},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["account"]["id"] == str(existing.id)

    other = await make_lead(session, actors.rep.user, email="di@gmail.com", domain="gmail.com")
    r = await client.post(
        convert_url(other),
        json={"create_opportunity": False, "territory_id": str(second.id)},
        headers=h,
    )
    assert r.status_code == 200
    account = r.json()["account"]
    # A free-mail domain names no company: the new account gets no domain.
    assert account["territory_id"] == str(second.id) and account["domain"] is None
    assert account["name"] == "di@gmail.com"

    lonely = await make_lead(session, actors.rep2.user, email="ed@ed.io")
    r = await client.post(
        convert_url(lonely), json={"create_opportunity": False}, headers=actors.manager.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"


async def test_failed_conversion_leaves_nothing_behind(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    lead = await make_lead(session, actors.rep.user, email="fi@fi.io", company="Fi")
    # No qualification passes, so asking for an opportunity fails after the account and the
    # contact were written: the whole conversion rolls back.
    r = await client.post(
        convert_url(lead), json={"create_opportunity": True}, headers=actors.rep.headers
    )
    assert r.status_code == 422, r.text
    assert await count(session, Account, Account.territory_id == territory.id) == 0
    assert await count(session, Contact, Contact.email == "fi@fi.io") == 0
    await session.refresh(lead)
    assert lead.status == "new" and lead.version == 1 and lead.converted_at is None
    assert await count(session, Event, Event.resource_id == lead.id) == 0


async def test_convert_request_rules(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory)
    other = await make_account(session, territory)
    lead = await make_lead(session, actors.rep.user, account_id=account.id)
    h = actors.rep.headers
    r = await client.post(convert_url(lead), json={}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "create_opportunity"
    r = await client.post(
        convert_url(lead),
        json={"create_opportunity": False, "opportunity": {"name": "Deal"}},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "opportunity"
    r = await client.post(
        convert_url(lead),
        json={"create_opportunity": True, "opportunity": {"amount": 100}},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "opportunity.amount"
    r = await client.post(
        convert_url(lead),
        json={"create_opportunity": False, "account_id": str(other.id)},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "conflicts_with_lead"
    r = await client.post(
        convert_url(lead), json={"create_opportunity": False}, headers={**h, "If-Match": '"9"'}
    )
    assert r.status_code == 412
    hidden = await make_lead(session, actors.peer_rep.user)
    r = await client.post(convert_url(hidden), json={"create_opportunity": False}, headers=h)
    assert r.status_code == 404


async def test_activity_performance_counts_its_leads_and_their_contacts(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    activity = await make_activity(session, territory, actors.rep.user)
    h = actors.rep.headers
    ids = []
    for email in ("p1@perf.io", "p2@perf.io"):
        r = await client.post(
            LEADS, json={"email": email, "activity_id": str(activity.id)}, headers=h
        )
        ids.append(r.json()["id"])
    r = await client.post(
        f"{LEADS}/{ids[0]}/convert", json={"create_opportunity": False}, headers=h
    )
    assert r.status_code == 200
    r = await client.get(f"/api/v1/activities/{activity.id}/performance", headers=h)
    assert r.status_code == 200
    assert r.json()["leads"] == 2 and r.json()["contacts"] == 1


async def test_convert_with_an_opportunity_after_qualification(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_territory(session, actors.rep.user)
    lead = await make_lead(session, actors.rep.user, email="gil@gil.io", company="Gil Systems")
    h = actors.rep.headers
    today = datetime.now(UTC).date()
    r = await client.post(
        f"{LEADS}/{lead.id}/qualification",
        json={
            "authority": {"involvement": "decision_maker"},
            "initiative": {"kind": "top_2_priority", "driver": "modernization"},
            "fit": {"current_tools": ["Jenkins"], "entry_use_case": "ci", "potential_seats": 40},
            "timing": {
                "meeting_on": today.isoformat(),
                "next_step_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
            },
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        convert_url(lead),
        json={
            "create_opportunity": True,
            "opportunity": {"name": "Gil CI", "amount": "48000", "close_date": "2027-03-31"},
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    opportunity = body["opportunity"]
    assert opportunity["stage"] == "pending_acceptance" and opportunity["name"] == "Gil CI"
    assert opportunity["amount"] == "48000.00"
    assert opportunity["contact_id"] == body["contact"]["id"]
    assert opportunity["account_id"] == body["account"]["id"]
    assert body["lead"]["converted_opportunity_id"] == opportunity["id"]
    # The full representation (API.md section 7), as a read of the opportunity answers it.
    read = await client.get(f"/api/v1/opportunities/{opportunity['id']}", headers=h)
    assert opportunity == read.json()
    assert {"stage_number", "probability", "forecast_category", "net_arr", "unit_ids"} <= set(
        opportunity
    )
