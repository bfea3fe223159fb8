"""HTTP tests: the real app over ASGI, sharing the test's rolled-back connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.core.config import Settings
from app.main import create_app
from tests.factories import Actors
from tests.factories import make_actors


def test_settings(**overrides: object) -> Settings:
    base: dict[str, object] = {"environment": "test", "rate_limit_per_minute": 0}
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
def app(connection: AsyncConnection) -> FastAPI:
    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return create_app(test_settings(), session_factory=factory)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engage.test") as client:
        yield client


@pytest.fixture
async def actors(session: AsyncSession) -> Actors:
    """admin; vp (manager) > manager > rep, rep2; peer_rep under another manager; integration."""
    return await make_actors(session)
