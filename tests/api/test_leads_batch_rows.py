"""The batch's set-based statements (`app.leads.batch_repository`): text columns travel as one
joined string each, and every value, empty or NULL, arrives as it was sent; the INSERT is
plain, and only a unique violation (a concurrent writer got there first) runs it again with
ON CONFLICT DO NOTHING, without the rows taken."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from app.leads.batch_repository import LeadBatchRepository
from app.models import Event
from app.models import Lead
from tests.factories import make_user
from tests.sql_statements import statements
from tests.sql_statements import work


def _row(email: str, **values: Any) -> dict[str, Any]:
    return {"email": email, "status": "new", "inbound": False, **values}


async def _insert(session: AsyncSession, creator: Any, rows: Any) -> dict[str, Any]:
    return await LeadBatchRepository(session).insert_many(rows, source="api", created_by=creator)


@pytest.mark.parametrize("count", [1, 2, 3])
async def test_empty_and_null_text_survive_the_joined_columns(
    session: AsyncSession, count: int
) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [
        _row(
            f"joined-{count}-{i}@rows.example",
            first_name="" if i % 2 == 0 else None,
            last_name=None if i % 2 == 0 else "",
            title=f"Title ✓ {i}",
            company='Ünïcode, \\ "quoted" {braces}',
            custom={"note": "a \x1f in JSON is escaped"},
        )
        for i in range(count)
    ]
    ids = await _insert(session, creator, rows)
    assert len(ids) == count
    stored = {
        lead.email: lead
        for lead in await session.scalars(select(Lead).where(Lead.id.in_(ids.values())))
    }
    for i, row in enumerate(rows):
        lead = stored[row["email"]]
        assert (lead.first_name, lead.last_name) == (row["first_name"], row["last_name"])
        assert lead.title == row["title"] and lead.company == row["company"]
        assert lead.custom_values == row["custom"] and lead.phone is None, i


@pytest.mark.parametrize("text", ["a\x1fb", "\x1e"])
async def test_a_value_holding_a_separator_is_refused_before_any_write(
    session: AsyncSession, text: str
) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [_row("sep-ok@rows.example"), _row("sep@rows.example", title=text)]
    with pytest.raises(ValueError, match="U\\+001E or U\\+001F"):
        await _insert(session, creator, rows)


async def test_an_insert_without_a_race_is_one_plain_statement_that_writes_the_events(
    session: AsyncSession, connection: AsyncConnection
) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [_row(f"plain-{i}@rows.example") for i in range(3)]
    with statements(connection) as seen:
        ids = await _insert(session, creator, rows)
    assert len(ids) == 3
    [insert] = [s for s in work(seen) if "INSERT INTO leads" in s]
    assert "ON CONFLICT" not in insert
    # Each new lead's lead.created is written by that statement, not by another.
    assert [s for s in work(seen) if "INSERT INTO events" in s] == [insert]
    assert await _created_events(session, ids.values()) == {
        (lead_id, creator, 1) for lead_id in ids.values()
    }


async def _created_events(session: AsyncSession, lead_ids: Any) -> set[tuple[Any, Any, Any]]:
    rows = await session.execute(
        select(Event.resource_id, Event.actor_id, Event.resource_version).where(
            Event.type == "lead.created",
            Event.resource_type == "lead",
            Event.resource_id.in_(list(lead_ids)),
        )
    )
    return {tuple(row) for row in rows}


@pytest.mark.parametrize("taken", ["email", "external_id"])
async def test_rows_a_concurrent_writer_took_are_left_out_and_the_rest_stored(
    session: AsyncSession, taken: str
) -> None:
    creator = (await make_user(session, "integration")).id
    first = await _insert(session, creator, [_row("Taken@Rows.example", external_id="ext-taken")])
    clash = (
        {"email": "TAKEN@rows.example"}
        if taken == "email"
        else {"email": "other@rows.example", "external_id": "ext-taken"}
    )
    rows = [
        _row("before@rows.example"),
        {**_row(""), **clash},
        _row("after@rows.example"),
    ]
    ids = await _insert(session, creator, rows)
    assert set(ids) == {"before@rows.example", "after@rows.example"}
    count = await session.scalar(
        select(func.count()).select_from(Lead).where(Lead.email.like("%@%ows.example"))
    )
    assert count == 3  # the taken lead once, and the two new ones
    assert await session.get(Lead, first["taken@rows.example"]) is not None
    # The rows left out were never written, and neither were their events.
    events = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.type == "lead.created", Event.actor_id == creator)
    )
    assert events == 3


async def test_an_insert_failing_another_rule_is_not_retried(session: AsyncSession) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [_row("bad-status@rows.example", status="unheard_of")]
    with pytest.raises(IntegrityError, match="ck_leads_status"):
        await _insert(session, creator, rows)
