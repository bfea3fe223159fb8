"""Per-token rate limits (API.md section 1): headers, 429 with Retry-After, heavy endpoints,
window reset, and one budget shared by several app instances on one database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.core import rate_limit
from app.main import create_app
from app.models import RateLimitWindow
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import Actors


def limited_app(connection: AsyncConnection, per_minute: int) -> FastAPI:
    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return create_app(settings_for_tests(rate_limit_per_minute=per_minute), session_factory=factory)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engage.test")


async def test_headers_then_429_with_retry_after(
    connection: AsyncConnection, actors: Actors
) -> None:
    async with client_for(limited_app(connection, 3)) as client:
        remaining = []
        for _ in range(3):
            r = await client.get("/api/v1/me", headers=actors.rep.headers)
            assert r.status_code == 200
            assert r.headers["ratelimit-limit"] == "3"
            remaining.append(int(r.headers["ratelimit-remaining"]))
            assert 0 < int(r.headers["ratelimit-reset"]) <= 60
        assert remaining == [2, 1, 0]
        r = await client.get("/api/v1/me", headers=actors.rep.headers)
        assert r.status_code == 429
        assert r.json()["type"] == "/problems/rate-limited"
        assert 0 < int(r.headers["retry-after"]) <= 60
        # Another token has its own budget.
        assert (await client.get("/api/v1/me", headers=actors.rep2.headers)).status_code == 200


async def test_several_instances_share_one_budget(
    connection: AsyncConnection, actors: Actors
) -> None:
    first, second = limited_app(connection, 4), limited_app(connection, 4)
    async with client_for(first) as a, client_for(second) as b:
        statuses = [
            (await (a if i % 2 else b).get("/api/v1/me", headers=actors.rep.headers)).status_code
            for i in range(6)
        ]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_batch_endpoints_cost_ten(session: AsyncSession, actors: Actors) -> None:
    assert rate_limit.cost_of("POST", "/api/v1/leads/batch") == 10
    assert rate_limit.cost_of("POST", "/api/v1/leads/import") == 10
    assert rate_limit.cost_of("GET", "/api/v1/leads") == 1
    budget = await rate_limit.spend(session, actors.rep.user.id, 10, 15)
    assert budget.remaining == 5


async def test_budget_resets_in_the_next_window(session: AsyncSession, actors: Actors) -> None:
    token = actors.rep2.user.id
    now = datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)
    assert (await rate_limit.spend(session, token, 5, 5, now)).remaining == 0
    assert (await rate_limit.spend(session, token, 1, 5, now)).exceeded
    later = now + timedelta(minutes=1)
    fresh = await rate_limit.spend(session, token, 1, 5, later)
    assert fresh.remaining == 4 and not fresh.exceeded
    windows = (
        await session.scalars(
            select(RateLimitWindow.window_start).where(RateLimitWindow.token_id == token)
        )
    ).all()
    assert windows == [later.replace(second=0)]


async def test_zero_disables(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/me", headers=actors.rep.headers)
    assert "ratelimit-limit" not in r.headers
