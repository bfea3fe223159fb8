"""The GIN index on `custom` holds only records with values (migration 0028), and the list
filters state its condition in SQL text, so that a prepared statement's generic plan (the one
a served request runs after five executions) can still use it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.driver import compiled
from app.custom_fields import service as custom_fields
from app.custom_fields.repository import MODELS
from tests.api.test_custom_values import define_all
from tests.factories import Actors


@pytest.mark.parametrize("object_name", ["lead", "contact", "account", "opportunity"])
async def test_a_custom_filter_uses_the_partial_index_in_a_generic_plan(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, object_name: str
) -> None:
    await define_all(client, actors, object_name)
    model = MODELS[object_name]
    conditions = await custom_fields.filter_conditions(
        session, object_name, {"custom.tier": "gold,silver"}
    )
    query = compiled(select(model.id).where(*conditions), session.bind.dialect)
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = await driver.fetch("EXPLAIN " + query.sql, *query.args({}))
    plan = "\n".join(row[0] for row in rows)
    assert f"ix_{model.__tablename__}_custom" in plan, plan


async def test_records_without_values_are_left_out_of_the_index(session: AsyncSession) -> None:
    definitions = await session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('ix_leads_custom', 'ix_contacts_custom', 'ix_accounts_custom', "
            "'ix_opportunities_custom')"
        )
    )
    found = dict(definitions.all())
    assert len(found) == 4
    for name, definition in found.items():
        assert definition.endswith("WHERE (custom <> '{}'::jsonb)"), (name, definition)
