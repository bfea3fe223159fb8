"""Shared SQL building blocks, on a real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.sql import in_array
from app.models import User
from tests.factories import Actors


async def test_in_array_sends_one_parameter_however_many_values(
    session: AsyncSession, actors: Actors
) -> None:
    wanted = [actors.rep.user.id, actors.manager.user.id]
    stmt = select(User.id).where(in_array(User.id, wanted * 500))
    compiled = stmt.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    assert len(compiled.params) == 1
    assert set(await session.scalars(stmt)) == set(wanted)
    assert list(await session.scalars(select(User.id).where(in_array(User.id, [])))) == []
