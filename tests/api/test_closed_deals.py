"""Closed deals stay closed (API.md section 14): closing books the close date, and the fields
the forecast counts are final afterwards except for an admin's correction with a reason."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.forecasts.fiscal import period_for
from tests.factories import Actor
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import at_stage
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


@pytest.fixture
def today(app: FastAPI) -> date:
    return datetime.now(app.state.settings.tz).date()


async def history(client: httpx.AsyncClient, actor: Actor, oid: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/opportunities/{oid}/history?limit=200", headers=actor.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def patch(
    client: httpx.AsyncClient, actor: Actor, oid: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/api/v1/opportunities/{oid}", json=body, headers=actor.headers)


def problem(r: httpx.Response) -> tuple[int, str, str | None]:
    body = r.json()
    field = body["errors"][0]["field"] if body.get("errors") else None
    return r.status_code, body["type"], field


async def test_winning_sets_the_close_date_to_today_in_the_history(
    client: httpx.AsyncClient, world: World, today: date
) -> None:
    opp = await at_stage(client, world, "awaiting_signature")
    planned = opp["close_date"]
    assert planned > today.isoformat()
    r = await move(client, world.actors.rep, opp["id"], "closed_won")
    assert r.status_code == 200, r.text
    assert r.json()["close_date"] == today.isoformat()
    rows = await history(client, world.actors.rep, opp["id"])
    won = next(i for i, h in enumerate(rows) if h["field"] == "stage" and h["new"] == "closed_won")
    booked = [(h["old"], h["new"]) for h in rows[won:] if h["field"] == "close_date"]
    assert booked == [(planned, today.isoformat())]


@pytest.mark.parametrize("to", ["lost", "unqualified", "duplicate"])
async def test_every_closing_stage_sets_the_close_date(
    client: httpx.AsyncClient, world: World, today: date, to: str
) -> None:
    other = await at_stage(client, world, "pending_acceptance")
    opp = await at_stage(client, world, "pending_acceptance")
    fields = {
        "lost": {"loss_reason": "budget"},
        "unqualified": {"reason": "No project"},
        "duplicate": {"duplicate_of_id": other["id"]},
    }[to]
    r = await move(client, world.actors.rep, opp["id"], to, **fields)
    assert r.status_code == 200, r.text
    assert r.json()["close_date"] == today.isoformat()


async def test_a_closing_move_may_name_an_earlier_day_but_not_a_later_one(
    client: httpx.AsyncClient, world: World, today: date
) -> None:
    rep = world.actors.rep
    opp = await at_stage(client, world, "negotiating")
    tomorrow = (today + timedelta(days=1)).isoformat()
    r = await move(client, rep, opp["id"], "closed_won", close_date=tomorrow)
    assert problem(r) == (422, "/problems/validation", "close_date")
    assert r.json()["errors"][0]["code"] == "after_today"
    r = await move(client, rep, opp["id"], "awaiting_signature", close_date=today.isoformat())
    assert problem(r) == (422, "/problems/validation", "close_date")
    assert r.json()["errors"][0]["code"] == "not_allowed"
    assert (await client.get(f"/api/v1/opportunities/{opp['id']}", headers=rep.headers)).json()[
        "stage"
    ] == "negotiating"

    last_week = (today - timedelta(days=7)).isoformat()
    r = await move(client, rep, opp["id"], "lost", loss_reason="timing", close_date=last_week)
    assert r.status_code == 200 and r.json()["close_date"] == last_week


async def test_a_won_deal_is_final_for_rep_and_manager(
    client: httpx.AsyncClient, world: World, today: date
) -> None:
    rep, manager = world.actors.rep, world.actors.manager
    opp = await at_stage(client, world, "closed_won")
    oid = opp["id"]
    for actor, body in [
        (rep, {"amount": "99000"}),
        (rep, {"close_date": (today - timedelta(days=3)).isoformat()}),
        (manager, {"amount": "99000"}),
        (manager, {"owner_id": str(world.actors.rep2.id)}),
        (rep, {"unit_ids": [], "amount": "1", "change_reason": "reps cannot"}),
        (manager, {"type": "expansion", "change_reason": "managers cannot either"}),
    ]:
        r = await patch(client, actor, oid, body)
        assert problem(r) == (409, "/problems/opportunity-closed", None), body
    # A value equal to the stored one is no change, and other fields stay editable.
    r = await patch(client, rep, oid, {"amount": "50000.00", "close_date": today.isoformat()})
    assert r.status_code == 200 and r.json()["version"] == opp["version"]
    r = await patch(client, rep, oid, {"next_step": "Kick-off call"})
    assert r.status_code == 200 and r.json()["next_step"] == "Kick-off call"
    assert r.json()["amount"] == "50000.00"


async def test_an_admin_corrects_a_closed_deal_with_a_reason_the_history_keeps(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = world.actors.admin
    opp = await at_stage(client, world, "closed_won")
    oid = opp["id"]
    r = await patch(client, admin, oid, {"amount": "52000"})
    assert problem(r) == (422, "/problems/validation", "change_reason")
    r = await patch(client, admin, oid, {"amount": "52000", "change_reason": "   "})
    assert problem(r) == (422, "/problems/validation", "change_reason")
    r = await patch(client, admin, oid, {"amount": "52000", "change_reason": "x" * 501})
    assert problem(r) == (422, "/problems/validation", "change_reason")

    reason = "Signed order form says 52k"
    r = await patch(client, admin, oid, {"amount": "52000", "change_reason": reason})
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == "52000.00" and r.json()["version"] == opp["version"] + 1
    last = (await history(client, admin, oid))[-1]
    assert (last["field"], last["old"], last["new"], last["reason"]) == (
        "amount",
        "50000.00",
        "52000.00",
        reason,
    )
    assert last["actor_id"] == str(admin.id)


async def test_reopening_is_the_way_back(client: httpx.AsyncClient, world: World) -> None:
    rep, manager = world.actors.rep, world.actors.manager
    opp = await at_stage(client, world, "negotiating")
    r = await move(client, rep, opp["id"], "lost", loss_reason="budget")
    assert r.status_code == 200
    r = await patch(client, rep, opp["id"], {"amount": "70000"})
    assert r.status_code == 409
    r = await move(client, manager, opp["id"], "discovery", reason="Budget found")
    assert r.status_code == 200, r.text
    r = await patch(client, rep, opp["id"], {"amount": "70000"})
    assert r.status_code == 200 and r.json()["amount"] == "70000.00"


async def test_editing_won_deals_no_longer_moves_the_quarter_closed_won(
    client: httpx.AsyncClient, world: World, today: date
) -> None:
    """The 145k -> 244k report: a won deal's amount raised, another's close date moved into
    this quarter; neither may change the quarter's closed-won any more."""
    rep, admin = world.actors.rep, world.actors.admin
    quarter = period_for(today, 1)
    won = await at_stage(client, world, "negotiating", amount="145000")
    assert (await move(client, rep, won["id"], "closed_won")).status_code == 200
    earlier = await at_stage(client, world, "negotiating", amount="99000")
    booked_before = (quarter.start - timedelta(days=1)).isoformat()
    r = await move(client, rep, earlier["id"], "closed_won", close_date=booked_before)
    assert r.status_code == 200 and r.json()["close_date"] == booked_before

    async def closed_won() -> str:
        r = await client.get(
            f"/api/v1/forecasts/rollup?period={quarter.label}", headers=rep.headers
        )
        assert r.status_code == 200, r.text
        value: str = r.json()["figures"]["closed_won"]
        return value

    assert await closed_won() == "145000.00"
    assert (await patch(client, rep, won["id"], {"amount": "244000"})).status_code == 409
    r = await patch(client, rep, earlier["id"], {"close_date": today.isoformat()})
    assert r.status_code == 409
    assert await closed_won() == "145000.00"
    # An admin's correction, with its reason, is the one way the booked figure moves.
    r = await patch(
        client,
        admin,
        earlier["id"],
        {"close_date": today.isoformat(), "change_reason": "Countersigned this quarter"},
    )
    assert r.status_code == 200, r.text
    assert await closed_won() == "244000.00"
