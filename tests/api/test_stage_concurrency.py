"""Two stage changes of one opportunity at once, in real committed transactions: the row lock
makes them run one after the other; neither is lost, and the history stays a chain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.main import create_app
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import make_actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import in_days
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move
from tests.opportunities_factories import qualification_body

TRIGGER = "opportunity_history_append_only"
OWNED = "territory_id IN (SELECT id FROM territories WHERE owner_id = ANY(:u))"


@pytest.fixture
async def committed_world(engine: AsyncEngine) -> AsyncIterator[World]:
    """Users, territories, accounts and contacts committed for real; everything they gathered
    (opportunities with their history, plans, qualifications and events) removed afterwards."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        actors = await make_actors(session)
        world = await make_world(session, actors)
        await session.commit()
    try:
        yield world
    finally:
        users = [
            a.id
            for a in (
                actors.admin,
                actors.vp,
                actors.manager,
                actors.rep,
                actors.rep2,
                actors.other_manager,
                actors.peer_rep,
                actors.integration,
            )
        ]
        async with AsyncSession(engine) as session:
            opportunities = list(
                (
                    await session.scalars(
                        text("SELECT id FROM opportunities WHERE created_by = ANY(:u)"),
                        {"u": users},
                    )
                ).all()
            )
            params: dict[str, Any] = {"u": users, "o": opportunities}
            await session.execute(
                text(
                    "DELETE FROM webhook_deliveries WHERE event_id IN "
                    "(SELECT id FROM events WHERE resource_id = ANY(:o))"
                ),
                params,
            )
            await session.execute(text("DELETE FROM events WHERE resource_id = ANY(:o)"), params)
            # The history refuses DELETE; only this cleanup, in its own transaction, lifts that.
            await session.execute(
                text(f"ALTER TABLE opportunity_history DISABLE TRIGGER {TRIGGER}")
            )
            await session.execute(
                text("DELETE FROM opportunity_history WHERE opportunity_id = ANY(:o)"), params
            )
            await session.execute(text(f"ALTER TABLE opportunity_history ENABLE TRIGGER {TRIGGER}"))
            for statement in (
                "DELETE FROM qualifications WHERE opportunity_id = ANY(:o)",
                "DELETE FROM opportunities WHERE id = ANY(:o)",
                f"DELETE FROM contacts WHERE account_id IN (SELECT id FROM accounts WHERE {OWNED})",
                f"DELETE FROM accounts WHERE {OWNED}",
                "DELETE FROM territories WHERE owner_id = ANY(:u)",
                "DELETE FROM idempotency_records WHERE principal_id = ANY(:u)",
                "DELETE FROM api_tokens WHERE user_id = ANY(:u)",
                "DELETE FROM users WHERE id = ANY(:u)",
            ):
                await session.execute(text(statement), params)
            await session.commit()


async def _waiting_on_locks(engine: AsyncEngine, count: int) -> None:
    """Until `count` backends wait to lock an opportunity row (the requests are blocked)."""
    async with engine.connect() as conn:
        for _ in range(1000):
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'SELECT %opportunities.id%'"
                )
            )
            # pg_stat_activity is a snapshot per transaction: end it to see fresh values.
            await conn.rollback()
            if waiting == count:
                return
            await asyncio.sleep(0.01)
    raise AssertionError(f"expected {count} requests waiting for the opportunity's lock")


async def _both_at_once(
    engine: AsyncEngine, opportunity_id: str, *requests: Any
) -> list[httpx.Response]:
    """Holds the opportunity's row lock until every request waits for it, then lets go."""
    async with AsyncSession(engine) as holder:
        await holder.execute(
            text("SELECT id FROM opportunities WHERE id = :id FOR UPDATE"), {"id": opportunity_id}
        )
        tasks = [asyncio.ensure_future(r) for r in requests]
        try:
            await _waiting_on_locks(engine, len(requests))
        finally:
            await holder.rollback()
            results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, httpx.Response)]


async def _history(
    client: httpx.AsyncClient, world: World, opportunity_id: str
) -> list[dict[str, Any]]:
    r = await client.get(
        f"/api/v1/opportunities/{opportunity_id}/history?limit=200",
        headers=world.actors.admin.headers,
    )
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_concurrent_stage_changes_serialize(
    engine: AsyncEngine, committed_world: World
) -> None:
    world = committed_world
    rep = world.actors.rep
    app = create_app(
        settings_for_tests(), session_factory=async_sessionmaker(engine, expire_on_commit=False)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engage.test") as client:
        opp = await create_opportunity(
            client, rep, world.contact, amount="5000", next_step_at=in_days(9)
        )
        oid = opp["id"]
        r = await client.post(
            f"/api/v1/opportunities/{oid}/qualification",
            json=qualification_body(),
            headers=rep.headers,
        )
        assert r.status_code == 201

        # Without If-Match: the second runs after the first and sees its result.
        accept, lose = await _both_at_once(
            engine,
            oid,
            move(client, rep, oid, "discovery"),
            move(client, rep, oid, "lost", loss_reason="budget"),
        )
        assert lose.status_code == 200, lose.text
        # Discovery first, then lost from discovery; or lost first, and a rep may not reopen.
        assert accept.status_code in (200, 403), accept.text
        final = (await client.get(f"/api/v1/opportunities/{oid}", headers=rep.headers)).json()
        assert final["stage"] == "lost" and final["loss_reason"] == "budget"
        stages = [h for h in await _history(client, world, oid) if h["field"] == "stage"]
        chain = [(h["old"], h["new"]) for h in stages]
        expected = [(None, "pending_acceptance")]
        expected += (
            [("pending_acceptance", "discovery"), ("discovery", "lost")]
            if accept.status_code == 200
            else [("pending_acceptance", "lost")]
        )
        assert chain == expected
        assert final["version"] == 1 + (2 if accept.status_code == 200 else 1)

        # With If-Match on the same version: exactly one wins, the other gets 412.
        other = await create_opportunity(client, rep, world.contact)
        oid = other["id"]
        versioned = {**rep.headers, "If-Match": '"1"'}
        first, second = await _both_at_once(
            engine,
            oid,
            client.post(
                f"/api/v1/opportunities/{oid}/stage",
                json={"to": "unqualified", "reason": "No project"},
                headers=versioned,
            ),
            client.post(
                f"/api/v1/opportunities/{oid}/stage",
                json={"to": "lost", "loss_reason": "fit"},
                headers=versioned,
            ),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 412]
        winner = first if first.status_code == 200 else second
        final = (await client.get(f"/api/v1/opportunities/{oid}", headers=rep.headers)).json()
        assert final["stage"] == winner.json()["stage"] and final["version"] == 2
        chain = [
            (h["old"], h["new"])
            for h in await _history(client, world, oid)
            if h["field"] == "stage"
        ]
        assert chain == [(None, "pending_acceptance"), ("pending_acceptance", final["stage"])]
