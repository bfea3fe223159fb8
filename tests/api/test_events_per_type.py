"""Every documented event type is written by the change it describes, and a refused change
writes none (the outbox shares the change's transaction)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.forecasts.fiscal import period_for
from app.models import Event
from tests.factories import Actors


async def test_an_event_for_each_type_and_none_for_refused_changes(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    rep, h, today = actors.rep, actors.rep.headers, date.today()

    async def ok(r: httpx.Response, status: int = 200) -> dict:  # type: ignore[type-arg]
        assert r.status_code == status, r.text
        return r.json()  # type: ignore[no-any-return]

    territory = await ok(
        await client.post(
            "/api/v1/territories",
            json={"name": "Events", "owner_id": str(rep.id), "segment": "smb"},
            headers=actors.admin.headers,
        ),
        201,
    )
    account = await ok(
        await client.post(
            "/api/v1/accounts",
            json={
                "territory_id": territory["id"],
                "name": "Evt",
                "domain": "evt.example",
                "vertical": "retail",
                "account_type": "customer",
            },
            headers=h,
        ),
        201,
    )
    unit = await ok(
        await client.post(
            f"/api/v1/accounts/{account['id']}/units",
            json={"kind": "branch", "name": "Stores", "adoption": "red"},
            headers=h,
        ),
        201,
    )
    await ok(
        await client.patch(f"/api/v1/units/{unit['id']}", json={"adoption": "yellow"}, headers=h)
    )
    lead = await ok(
        await client.post("/api/v1/leads", json={"email": "ann@evt.example"}, headers=h), 201
    )
    before = await session.scalar(select(func.count()).select_from(Event))
    await ok(await client.post("/api/v1/leads", json={"email": "ANN@evt.example"}, headers=h), 409)
    assert await session.scalar(select(func.count()).select_from(Event)) == before
    await ok(
        await client.post(
            f"/api/v1/leads/{lead['id']}/qualification",
            json={
                "authority": {"involvement": "evaluator"},
                "initiative": {"kind": "small_box", "description": "One team"},
                "fit": {"current_tools": [], "entry_use_case": "scm", "potential_seats": 5},
                "timing": {
                    "meeting_on": today.isoformat(),
                    "next_step_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                },
            },
            headers=h,
        ),
        201,
    )
    converted = await ok(
        await client.post(
            f"/api/v1/leads/{lead['id']}/convert",
            json={
                "create_opportunity": True,
                "opportunity": {"name": "Evt", "amount": "5000", "close_date": today.isoformat()},
            },
            headers=h,
        )
    )
    won = converted["opportunity"]["id"]
    await ok(
        await client.patch(
            f"/api/v1/opportunities/{won}/command-plan",
            json={
                "close_plan": [{"description": "Sign", "due_on": today.isoformat()}],
                "overview": {"why_do_anything": "a", "why_now": "b"},
                "meddppicc": {
                    "identify_pain": "c",
                    "metrics": "d",
                    "champion": {"notes": "e"},
                    "economic_buyer": {"notes": "f"},
                    "decision_criteria": "g",
                    "partners": "h",
                    "decision_process": "i",
                    "paper_process": "j",
                    "competition": "k",
                },
            },
            headers=h,
        )
    )
    await ok(
        await client.patch(
            f"/api/v1/opportunities/{won}",
            json={
                "entry_use_case": "scm",
                "proposal_sent_on": today.isoformat(),
                "signature_requested_on": today.isoformat(),
            },
            headers=h,
        )
    )
    await ok(
        await client.post(
            f"/api/v1/opportunities/{won}/stage", json={"to": "closed_won"}, headers=h
        )
    )
    lost = await ok(
        await client.post(
            "/api/v1/opportunities",
            json={"name": "Evt 2", "contact_id": converted["contact"]["id"]},
            headers=h,
        ),
        201,
    )
    await ok(
        await client.post(
            f"/api/v1/opportunities/{lost['id']}/stage",
            json={"to": "lost", "loss_reason": "budget"},
            headers=h,
        )
    )
    await ok(
        await client.post(
            "/api/v1/forecasts",
            json={
                "period": period_for(today, 1).label,
                "gross_commit": "1",
                "gross_best_case": "2",
                "renewal_loss_commit": "0",
                "renewal_loss_best_case": "0",
                "net_most_likely": "1",
            },
            headers=h,
        ),
        201,
    )
    types = set((await session.scalars(select(Event.type))).all())
    assert {
        "lead.created",
        "lead.converted",
        "opportunity.created",
        "opportunity.stage_changed",
        "opportunity.closed_won",
        "opportunity.lost",
        "unit.adoption_changed",
        "forecast.submitted",
        "account.created",
        "contact.created",
        "opportunity.updated",
    } <= types
    stage_changes = (
        await session.scalars(
            select(func.count()).where(
                Event.type == "opportunity.stage_changed", Event.resource_id == won
            )
        )
    ).one()
    assert stage_changes >= 1
