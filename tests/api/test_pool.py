"""The engine and process Engage serves with: a pooled connection is pinged only after sitting
idle, GET/HEAD sessions run without an explicit transaction, and the garbage collector is tuned."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import create_engine
from app.core.db import create_read_session_factory
from app.core.db import create_session_factory
from app.main import create_app
from tests.api.conftest import test_settings as engage_settings


async def engage_engine(database_url: str, ping_after: float) -> AsyncEngine:
    settings = engage_settings(
        pool_size=1, pool_max_overflow=0, pool_ping_after_idle_seconds=ping_after
    )
    return create_engine(database_url, settings)


async def backend_pid(engine: AsyncEngine) -> int:
    async with create_session_factory(engine)() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        await session.commit()
    assert isinstance(pid, int)
    return pid


async def terminate(other: AsyncEngine, pid: int) -> None:
    """End a pooled connection's server process, as a restart or a proxy timeout would."""
    async with other.connect() as conn:
        # The timeout makes the call wait until the process has exited.
        ended = await conn.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        assert ended


async def test_an_idle_connection_is_pinged_and_replaced_when_dead(
    database_url: str, engine: AsyncEngine
) -> None:
    served = await engage_engine(database_url, ping_after=0)
    try:
        pid = await backend_pid(served)
        await terminate(engine, pid)
        # The pool's only connection is dead; the ping on checkout replaces it.
        assert await backend_pid(served) != pid
    finally:
        await served.dispose()


async def test_a_recently_used_connection_is_not_pinged(
    database_url: str, engine: AsyncEngine
) -> None:
    served = await engage_engine(database_url, ping_after=3600)
    try:
        pid = await backend_pid(served)
        await terminate(engine, pid)
        # No ping within the idle window: the dead connection is used and fails once; the
        # pool then discards it and the next request gets a fresh one.
        with pytest.raises(DBAPIError):
            await backend_pid(served)
        assert await backend_pid(served) != pid
    finally:
        await served.dispose()


async def test_read_sessions_send_no_transaction(database_url: str) -> None:
    engine = await engage_engine(database_url, ping_after=30)
    try:
        assigned = "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"
        async with create_read_session_factory(engine)() as session:
            await session.execute(text("SELECT pg_current_xact_id()"))
            # Each statement is its own transaction: the id taken above is gone.
            assert await session.scalar(text(assigned)) is False
        async with create_session_factory(engine)() as session:
            await session.execute(text("SELECT pg_current_xact_id()"))
            assert await session.scalar(text(assigned)) is True
            await session.rollback()
    finally:
        await engine.dispose()


@pytest.fixture
def python_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("python_gc")
async def test_a_serving_app_collects_garbage_less_often(database_url: str) -> None:
    default_young = gc.get_threshold()[0]
    app = create_app(engage_settings(database_url=database_url, gc_young_threshold=12_345))
    async with app.router.lifespan_context(app):
        assert gc.get_threshold()[0] == 12_345
        assert gc.get_freeze_count() > 0  # startup's objects are out of the collector's sight
    gc.unfreeze()
    gc.set_threshold(default_young)
    app = create_app(engage_settings(database_url=database_url, gc_young_threshold=0))
    async with app.router.lifespan_context(app):
        assert gc.get_threshold()[0] == default_young and gc.get_freeze_count() == 0
