"""Rate limits (API.md sections 1 and 10): headers, 429 with Retry-After and no-store, heavy
endpoints, window reset, one budget per user whatever the token, per client address without a
valid token, one budget shared by several app instances on one database, and no stall when more
requests run at once than the pool has connections."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine

from app.core import rate_limit
from app.core.security import new_token
from app.main import create_app
from app.models import ApiToken
from app.models import RateLimitWindow
from app.models import User
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import Actor
from tests.factories import Actors
from tests.factories import make_user


def limited_app(connection: AsyncConnection, per_minute: int) -> FastAPI:
    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return create_app(settings_for_tests(rate_limit_per_minute=per_minute), session_factory=factory)


async def clear_of_the_window_end() -> None:
    """Budgets reset on the minute: a sequence of requests must not straddle that edge."""
    left = rate_limit.WINDOW_SECONDS - time.time() % rate_limit.WINDOW_SECONDS
    if left < 10:
        await asyncio.sleep(left + 0.1)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engage.test")


async def test_headers_then_429_with_retry_after(
    connection: AsyncConnection, actors: Actors
) -> None:
    await clear_of_the_window_end()
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
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["ratelimit-remaining"] == "0"
        # Another user has a budget of their own.
        assert (await client.get("/api/v1/me", headers=actors.rep2.headers)).status_code == 200


async def test_several_instances_share_one_budget(
    connection: AsyncConnection, actors: Actors
) -> None:
    await clear_of_the_window_end()
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
            select(RateLimitWindow.window_start).where(RateLimitWindow.subject_id == token)
        )
    ).all()
    assert windows == [later.replace(second=0)]


async def test_zero_disables(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/me", headers=actors.rep.headers)
    assert "ratelimit-limit" not in r.headers


async def more_tokens(session: AsyncSession, actor: Actor, count: int) -> list[str]:
    tokens = []
    for _ in range(count):
        token, digest, prefix = new_token()
        session.add(ApiToken(user_id=actor.id, name="another", token_hash=digest, prefix=prefix))
        tokens.append(token)
    await session.flush()
    return tokens


async def test_a_users_tokens_share_one_budget(
    connection: AsyncConnection, session: AsyncSession, actors: Actors
) -> None:
    await clear_of_the_window_end()
    tokens = [actors.rep.token, *await more_tokens(session, actors.rep, 2)]
    async with client_for(limited_app(connection, 4)) as client:
        statuses = [
            (
                await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[i % 3]}"})
            ).status_code
            for i in range(6)
        ]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_guessing_tokens_from_one_address_is_limited(
    connection: AsyncConnection, actors: Actors
) -> None:
    await clear_of_the_window_end()
    async with client_for(limited_app(connection, 3)) as client:
        guesses = [
            await client.get("/api/v1/me", headers={"Authorization": f"Bearer eng_guess{i}"})
            for i in range(3)
        ]
        assert [r.status_code for r in guesses] == [401, 401, 401]
        # The address's budget is spent, with or without a token to guess.
        for headers in ({"Authorization": "Bearer eng_guess9"}, {}):
            r = await client.get("/api/v1/me", headers=headers)
            assert r.status_code == 429
            assert r.json()["type"] == "/problems/rate-limited"
            assert r.headers["cache-control"] == "no-store" and "retry-after" in r.headers
        # A valid token is counted against its user, not the address.
        assert (await client.get("/api/v1/me", headers=actors.rep.headers)).status_code == 200


@pytest.fixture
async def committed_rep(engine: AsyncEngine) -> AsyncIterator[tuple[Actor, list[str]]]:
    """A rep with three tokens, committed for real (requests run on a pool of their own)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        actor = await make_user(session, "rep")
        tokens = [actor.token, *await more_tokens(session, actor, 2)]
        await session.commit()
    try:
        yield actor, tokens
    finally:
        async with AsyncSession(engine) as session:
            await session.execute(
                delete(RateLimitWindow).where(RateLimitWindow.subject_id == actor.id)
            )
            await session.execute(delete(ApiToken).where(ApiToken.user_id == actor.id))
            await session.execute(delete(User).where(User.id == actor.id))
            await session.commit()


async def test_more_concurrent_requests_than_connections_all_succeed(
    database_url: str, committed_rep: tuple[Actor, list[str]]
) -> None:
    """48 requests at once on a pool of 4 connections, rate limiting on: every one is served
    (the budget is counted without asking the request's pool for a second connection)."""
    settings = settings_for_tests(
        database_url=database_url, pool_size=4, rate_limit_per_minute=1000, gc_young_threshold=0
    )
    app = create_app(settings)
    _, tokens = committed_rep
    async with app.router.lifespan_context(app), client_for(app) as client:
        await clear_of_the_window_end()
        requests = [
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[i % 3]}"})
            for i in range(48)
        ]
        responses = await asyncio.wait_for(asyncio.gather(*requests), timeout=20)
        assert [r.status_code for r in responses] == [200] * 48
        remaining = sorted(int(r.headers["ratelimit-remaining"]) for r in responses)
        assert remaining == list(range(1000 - 48, 1000))
        # Under half of a large budget the spend is counted here and written shortly after.
        await asyncio.sleep(rate_limit.FLUSH_SECONDS * 3)
        assert await _counted(database_url, committed_rep[0]) == 48


async def _counted(database_url: str, actor: Actor) -> int:
    engine = create_async_engine(database_url)
    async with engine.connect() as conn:
        used = await conn.scalar(
            select(func.sum(RateLimitWindow.count)).where(RateLimitWindow.subject_id == actor.id)
        )
    await engine.dispose()
    return int(used or 0)


async def test_large_budgets_are_counted_exactly_past_half() -> None:
    """Counted locally up to half the budget, then in PostgreSQL on every request: another
    process's spending (here written straight into the counter) is seen before the limit."""
    written: dict[uuid.UUID, int] = {}
    calls: list[int] = []

    async def count(
        subjects: list[uuid.UUID], start: datetime, costs: list[int]
    ) -> dict[uuid.UUID, int]:
        calls.append(len(subjects))
        for subject, cost in zip(subjects, costs, strict=True):
            written[subject] = written.get(subject, 0) + cost
        return {s: written[s] for s in subjects}

    await clear_of_the_window_end()
    limiter = rate_limit.RateLimiter(100, count, flush_seconds=3600)
    user = uuid.uuid4()
    budgets = [await limiter.spend(user, 1) for _ in range(50)]
    assert calls == [] and budgets[-1].remaining == 50  # all local so far
    written[user] = 40  # another process spent 40 meanwhile
    budget = await limiter.spend(user, 1)  # the 51st: past half, counted at once
    assert calls == [1] and written[user] == 91 and budget.remaining == 9
    statuses = [(await limiter.spend(user, 1)).exceeded for _ in range(10)]
    assert statuses == [False] * 9 + [True]
    calls.clear()
    assert (await limiter.spend(user, 1)).exceeded and calls == []  # refused without a trip
    other = uuid.uuid4()
    await limiter.spend(other, 1)
    await limiter.flush()
    assert written[other] == 1
