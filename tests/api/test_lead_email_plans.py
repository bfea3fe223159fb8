"""Engage looks up emails of open leads only, and the partial unique index of open emails
serves every such look-up, also from a prepared statement's generic plan (the closed statuses
are written into the SQL, so PostgreSQL can prove the index covers the query; with them bound,
it could not, and a second index of every email was kept for it)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.sql import in_array
from app.leads.repository import is_open
from app.models import Lead


async def _generic_plan(connection: AsyncConnection, statement: Select[Any], types: str) -> str:
    sql = str(statement.compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[attr-defined]
    await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    # A test's few leads are read faster in full; asked not to, PostgreSQL shows which index
    # it can use.
    await connection.execute(text("SET LOCAL enable_seqscan = off"))
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.execute(f"PREPARE lookup({types}) AS {sql}")
    try:
        rows = await driver.fetch("EXPLAIN EXECUTE lookup(NULL)")
    finally:
        await driver.execute("DEALLOCATE lookup")
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("many", [False, True])
async def test_an_open_email_look_up_uses_the_partial_index(
    connection: AsyncConnection, many: bool
) -> None:
    email = func.lower(Lead.email, type_=Text)
    if many:  # the batch's look-up of a chunk's emails
        statement = select(email, Lead.id).where(in_array(email, ["a@b.example"]), is_open())
        types = "text[]"
    else:  # one lead's duplicate check
        statement = select(Lead.id).where(email == "a@b.example", is_open())
        types = "varchar"
    plan = await _generic_plan(connection, statement, types)
    assert "uq_leads_open_email" in plan, plan


async def test_no_index_holds_every_email(connection: AsyncConnection) -> None:
    indexes = await connection.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'leads'")
    )
    on_email = {name: definition for name, definition in indexes if "lower" in definition}
    assert list(on_email) == ["uq_leads_open_email"], on_email
    assert "WHERE" in on_email["uq_leads_open_email"]


async def test_leads_of_an_activity_are_found_by_its_index(connection: AsyncConnection) -> None:
    """Only leads that name an activity are in its index; a look-up by activity still uses it."""
    statement = select(func.count()).select_from(Lead).where(Lead.activity_id == uuid.uuid4())
    plan = await _generic_plan(connection, statement, "uuid")
    assert "ix_leads_activity_id" in plan, plan
