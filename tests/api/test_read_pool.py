"""A served app's hot reads (GET /me, an opportunity, a page of opportunities) run on its read
pool, without the request session's connection, and survive killed connections."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import ReadPool
from app.main import create_app
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import make_user


@asynccontextmanager
async def served(database_url: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `engage serve` runs it: its own engine and pools, from its lifespan."""
    app = create_app(settings_for_tests(database_url=database_url, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://engage") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def read_pool(client: httpx.AsyncClient) -> ReadPool:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    reads = app.state.read_pool
    assert isinstance(reads, ReadPool)
    return reads


@asynccontextmanager
async def committed_rep(engine: AsyncEngine) -> AsyncIterator[str]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        actor = await make_user(session, "rep")
        await session.commit()
    try:
        yield actor.token
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM api_tokens WHERE user_id = :u"), {"u": actor.id})
            await conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": actor.id})


async def test_hot_reads_use_the_read_pool_and_no_session_connection(
    database_url: str, engine: AsyncEngine
) -> None:
    async with committed_rep(engine) as token, served(database_url) as client:
        headers = {"Authorization": f"Bearer {token}"}
        reads = read_pool(client)
        assert reads.pool.get_size() == 0  # opened on first use
        for path in ("/api/v1/me", "/api/v1/opportunities", f"/api/v1/opportunities/{_NONE}"):
            r = await client.get(path, headers=headers)
            assert r.status_code in (200, 404), r.text
        assert reads.pool.get_size() >= 1
        assert reads.pool.get_idle_size() == reads.pool.get_size()  # every connection returned


async def test_a_read_survives_its_pooled_connections_being_killed(
    database_url: str, engine: AsyncEngine
) -> None:
    async with committed_rep(engine) as token, served(database_url) as client:
        headers = {"Authorization": f"Bearer {token}"}
        first = await client.get("/api/v1/me", headers=headers)
        assert first.status_code == 200
        async with engine.connect() as conn:
            killed = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = 'engage' "
                    "AND pid <> pg_backend_pid()"
                )
            )
        assert killed >= 1
        again = await client.get("/api/v1/me", headers=headers)
        assert again.status_code == 200
        assert again.json() == first.json()
        page = await client.get("/api/v1/opportunities", headers=headers)
        assert page.status_code == 200 and page.json()["items"] == []


_NONE = "00000000-0000-7000-8000-000000000000"


async def test_reads_take_turns_first_come_first_served_and_time_out_as_a_503(
    database_url: str, engine: AsyncEngine
) -> None:
    # The pool hands out connections only through its turns: with every turn taken, a read
    # waits (even though connections are idle) and, past the pool timeout, answers 503.
    async with (
        committed_rep(engine) as token,
        served(database_url, read_pool_size=2, pool_timeout_seconds=0.3) as client,
    ):
        headers = {"Authorization": f"Bearer {token}"}
        reads = read_pool(client)
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
        assert reads.pool.get_idle_size() >= 1
        await reads.turns.acquire()
        await reads.turns.acquire()
        try:
            started = time.monotonic()
            r = await client.get("/api/v1/me", headers=headers)
            assert r.status_code == 503, r.text
            assert 0.3 <= time.monotonic() - started < 2  # waited once, not once more
        finally:
            reads.turns.release()
            reads.turns.release()
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
