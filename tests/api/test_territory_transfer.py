"""POST /territories/{id}/transfer (API.md section 14): the territory, its old owner's open
opportunities and open leads move to the new owner atomically, with history and events."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event
from app.models import Lead
from app.models import Opportunity
from app.models import OpportunityHistory
from app.models import Territory
from tests.factories import Actors
from tests.forecasts_factories import make_opportunity
from tests.opportunities_factories import make_account
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_territory


def path(territory: Territory) -> str:
    return f"/api/v1/territories/{territory.id}/transfer"


async def event_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def world(session: AsyncSession, actors: Actors) -> dict[str, Any]:
    """rep's territory with two accounts: rep's open and closed deals and leads, rep2's deal
    and lead in it, and rep's deal in another territory."""
    rep, rep2 = actors.rep.user, actors.rep2.user
    territory = await make_territory(session, rep)
    accounts = [await make_account(session, territory) for _ in range(2)]
    elsewhere = await make_account(session, await make_territory(session, rep))
    converted = await make_lead(session, rep, rep, accounts[0])
    converted.status = "converted"
    await session.flush()
    return {
        "territory": territory,
        "open": [
            await make_opportunity(session, rep, stage="discovery", account=accounts[0]),
            await make_opportunity(session, rep, stage="pending_acceptance", account=accounts[1]),
        ],
        "closed": await make_opportunity(session, rep, stage="closed_won", account=accounts[0]),
        "rep2s": await make_opportunity(session, rep2, stage="scoping", account=accounts[0]),
        "elsewhere": await make_opportunity(session, rep, stage="discovery", account=elsewhere),
        "leads": [await make_lead(session, rep, rep, accounts[i]) for i in range(2)],
        "converted": converted,
        "rep2_lead": await make_lead(session, rep2, rep2, accounts[1]),
    }


async def test_transfer_moves_open_records_of_the_old_owner_with_history_and_events(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    w = await world(session, actors)
    territory: Territory = w["territory"]
    mark = int(await session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)
    r = await client.post(
        path(territory),
        json={"owner_id": str(actors.rep2.id), "reason": "Rep moved to enterprise"},
        headers=actors.manager.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["moved"] == {"opportunities": 2, "leads": 2}
    assert body["territory"]["owner_id"] == str(actors.rep2.id)
    assert body["territory"]["version"] == 2 and r.headers["etag"] == '"2"'

    def owner(model: Any, row: Any) -> Any:
        return select(model.owner_id).where(model.id == row.id)

    for moved in w["open"]:
        assert await session.scalar(owner(Opportunity, moved)) == actors.rep2.id
    for kept in (w["closed"], w["elsewhere"]):
        assert await session.scalar(owner(Opportunity, kept)) == actors.rep.id
    for lead in w["leads"]:
        assert await session.scalar(owner(Lead, lead)) == actors.rep2.id
    assert await session.scalar(owner(Lead, w["converted"])) == actors.rep.id

    history = (
        await session.execute(
            select(OpportunityHistory).where(
                OpportunityHistory.opportunity_id.in_([o.id for o in w["open"]]),
                OpportunityHistory.field == "owner_id",
            )
        )
    ).scalars()
    rows = list(history)
    assert len(rows) == 2
    assert {(h.old, h.new, h.reason, h.actor_id) for h in rows} == {
        (str(actors.rep.id), str(actors.rep2.id), "Rep moved to enterprise", actors.manager.id)
    }

    events = (
        await session.execute(
            select(Event.type, Event.resource_id, Event.data, Event.resource_version)
            .where(Event.id > mark)
            .order_by(Event.id)
        )
    ).all()
    assert events[0][:3] == ("territory.transferred", territory.id, {})
    moved_events = {(t, rid, str(d)) for t, rid, d, _ in events[1:]}
    assert moved_events == {
        *(("opportunity.updated", o.id, str({"changed": ["owner_id"]})) for o in w["open"]),
        *(("lead.updated", lead.id, str({"changed": ["owner_id"]})) for lead in w["leads"]),
    }
    # Versions in the events are the records' new versions.
    for _, rid, _, version in events[1:]:
        model = Opportunity if rid in {o.id for o in w["open"]} else Lead
        assert version == await session.scalar(select(model.version).where(model.id == rid))


async def test_transfer_can_leave_opportunities_or_leads(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    w = await world(session, actors)
    r = await client.post(
        path(w["territory"]),
        json={
            "owner_id": str(actors.rep2.id),
            "reason": "Split",
            "open_opportunities": False,
        },
        headers=actors.admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == {"opportunities": 0, "leads": 2}
    r = await client.post(
        path(w["territory"]),
        json={"owner_id": str(actors.rep.id), "reason": "Back", "open_leads": False},
        headers=actors.admin.headers,
    )
    # rep no longer holds the deals' leads; rep2's deal and the two opportunities do not move
    # back: only what the old owner (now rep2) held moves.
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == {"opportunities": 1, "leads": 0}


async def test_transfer_refusals_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    w = await world(session, actors)
    territory: Territory = w["territory"]
    body = {"owner_id": str(actors.rep2.id), "reason": "Reorg"}
    before = await event_count(session)

    r = await client.post(path(territory), json=body, headers=actors.rep.headers)
    assert r.status_code == 403 and r.json()["type"].endswith("/problems/forbidden")
    r = await client.post(path(territory), json=body, headers=actors.integration.headers)
    assert r.status_code == 403
    # A manager of the new owner only (not of the current owner).
    r = await client.post(
        path(territory),
        json={"owner_id": str(actors.peer_rep.id), "reason": "x"},
        headers=actors.other_manager.headers,
    )
    assert r.status_code == 404  # the territory is not theirs to see
    # The current owner's manager naming someone outside their subtree.
    r = await client.post(
        path(territory),
        json={"owner_id": str(actors.peer_rep.id), "reason": "x"},
        headers=actors.manager.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "owner_id"
    assert r.json()["errors"][0]["code"] == "not_found"
    r = await client.post(
        path(territory),
        json={"owner_id": str(actors.rep.id), "reason": "x"},
        headers=actors.manager.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "same_owner"
    r = await client.post(
        path(territory),
        json={"owner_id": str(actors.rep2.id), "reason": ""},
        headers=actors.manager.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = await client.post(
        path(territory), json={"owner_id": str(actors.rep2.id)}, headers=actors.admin.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.post(
        path(territory), json=body, headers={**actors.manager.headers, "If-Match": '"99"'}
    )
    assert r.status_code == 412
    r = await client.post(
        f"/api/v1/territories/{uuid.uuid4()}/transfer", json=body, headers=actors.admin.headers
    )
    assert r.status_code == 404

    assert await event_count(session) == before
    assert (
        await session.scalar(select(Territory.owner_id).where(Territory.id == territory.id))
        == actors.rep.id
    )
    for deal in w["open"]:
        assert (
            await session.scalar(select(Opportunity.owner_id).where(Opportunity.id == deal.id))
            == actors.rep.id
        )


async def test_a_manager_above_both_owners_may_transfer_across_teams(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    w = await world(session, actors)
    r = await client.post(
        path(w["territory"]),
        json={"owner_id": str(actors.peer_rep.id), "reason": "Coverage"},
        headers=actors.vp.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == {"opportunities": 2, "leads": 2}
