"""Test database: a fresh PostgreSQL database per run (embedded by default, or the server named by
ENGAGE_TEST_DATABASE_URL), migrated once with Alembic; every test rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]


def _server_url() -> str:
    url = os.environ.get("ENGAGE_TEST_DATABASE_URL")
    if url:
        return url
    from app.core.db import embedded_database_url

    return embedded_database_url(ROOT / ".engage" / "test")


async def create_database(tag: str = "engage_test") -> str:
    """A fresh database on the test server, migrated to head; returns its URL."""
    server = make_url(_server_url())
    name = f"{tag}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(url)
    from app.core.migrate import upgrade_on

    async with engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    await engine.dispose()
    return url


async def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A throwaway database for the run, migrated once, dropped at the end."""
    url = await create_database()
    os.environ["ENGAGE_DATABASE_URL"] = url
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection per test inside an outer transaction that is always rolled back."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            yield conn
        finally:
            await outer.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session for factories; its commits are savepoints of the outer transaction."""
    async with AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session
