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
from app.models import Lead
from tests.factories import make_user
from tests.sql_statements import statements
from tests.sql_statements import work


def _row(creator: Any, email: str, **values: Any) -> dict[str, Any]:
    return {
        "source": "api",
        "email": email,
        "status": "new",
        "inbound": False,
        "created_by": creator,
        **values,
    }


@pytest.mark.parametrize("count", [1, 2, 3])
async def test_empty_and_null_text_survive_the_joined_columns(
    session: AsyncSession, count: int
) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [
        _row(
            creator,
            f"joined-{count}-{i}@rows.example",
            first_name="" if i % 2 == 0 else None,
            last_name=None if i % 2 == 0 else "",
            title=f"Title ✓ {i}",
            company='Ünïcode, \\ "quoted" {braces}',
            custom={"note": "a \x1f in JSON is escaped"},
        )
        for i in range(count)
    ]
    ids = await LeadBatchRepository(session).insert_many(rows)
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
    rows = [_row(creator, "sep-ok@rows.example"), _row(creator, "sep@rows.example", title=text)]
    with pytest.raises(ValueError, match="U\\+001E or U\\+001F"):
        await LeadBatchRepository(session).insert_many(rows)


async def test_an_insert_without_a_race_is_one_plain_statement(
    session: AsyncSession, connection: AsyncConnection
) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [_row(creator, f"plain-{i}@rows.example") for i in range(3)]
    with statements(connection) as seen:
        ids = await LeadBatchRepository(session).insert_many(rows)
    assert len(ids) == 3
    [insert] = [s for s in work(seen) if s.lstrip().startswith("INSERT INTO leads")]
    assert "ON CONFLICT" not in insert


@pytest.mark.parametrize("taken", ["email", "external_id"])
async def test_rows_a_concurrent_writer_took_are_left_out_and_the_rest_stored(
    session: AsyncSession, taken: str
) -> None:
    creator = (await make_user(session, "integration")).id
    repository = LeadBatchRepository(session)
    first = await repository.insert_many(
        [_row(creator, "Taken@Rows.example", external_id="ext-taken")]
    )
    clash = (
        {"email": "TAKEN@rows.example"}
        if taken == "email"
        else {"email": "other@rows.example", "external_id": "ext-taken"}
    )
    rows = [
        _row(creator, "before@rows.example"),
        {**_row(creator, ""), **clash},
        _row(creator, "after@rows.example"),
    ]
    ids = await repository.insert_many(rows)
    assert set(ids) == {"before@rows.example", "after@rows.example"}
    count = await session.scalar(
        select(func.count()).select_from(Lead).where(Lead.email.like("%@%ows.example"))
    )
    assert count == 3  # the taken lead once, and the two new ones
    assert await session.get(Lead, first["taken@rows.example"]) is not None


async def test_an_insert_failing_another_rule_is_not_retried(session: AsyncSession) -> None:
    creator = (await make_user(session, "integration")).id
    rows = [_row(creator, "bad-status@rows.example", status="unheard_of")]
    with pytest.raises(IntegrityError, match="ck_leads_status"):
        await LeadBatchRepository(session).insert_many(rows)
