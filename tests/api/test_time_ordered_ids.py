"""Ids PostgreSQL generates are UUID version 7: time-ordered, so new rows append to the
primary-key index instead of landing on a random page of it."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors


def millis(value: uuid.UUID) -> int:
    return value.int >> 80


async def test_generated_ids_are_version_7_and_grow_with_time(session: AsyncSession) -> None:
    before = int(time.time() * 1000)
    first = await session.scalar(text("SELECT engage_uuid7()"))
    await session.execute(text("SELECT pg_sleep(0.005)"))
    second = await session.scalar(text("SELECT engage_uuid7()"))
    after = int(time.time() * 1000)
    assert isinstance(first, uuid.UUID) and isinstance(second, uuid.UUID)
    for value in (first, second):
        assert value.version == 7 and value.variant == uuid.RFC_4122
        assert before - 1000 <= millis(value) <= after + 1000
    assert first < second and millis(first) < millis(second)
    many = list(await session.scalars(text("SELECT engage_uuid7() FROM generate_series(1, 1000)")))
    assert len(set(many)) == 1000  # the low 74 bits stay random


async def test_every_generated_id_column_uses_them(session: AsyncSession, actors: Actors) -> None:
    defaults = set(
        await session.scalars(
            text(
                "SELECT column_default FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type = 'uuid' "
                "AND column_default IS NOT NULL"
            )
        )
    )
    assert defaults == {"engage_uuid7()"}
    assert actors.rep.user.id.version == 7
