"""Many text values travel as one joined string (`app.core.sql`): PostgreSQL reads back each
value, empty and NULL included, and the batch's look-ups send no array of text."""

from __future__ import annotations

import pytest
from sqlalchemy import column
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.sql import in_texts
from app.core.sql import joined
from app.core.sql import split
from app.leads.batch_repository import LeadBatchRepository
from tests.sql_statements import statements
from tests.sql_statements import work


@pytest.mark.parametrize(
    "values",
    [["a"], [""], [None], ["", None, ""], ["Ünïcode ✓", "a,b", '"{x}"', "\\", " "]],
)
async def test_values_come_back_as_sent(session: AsyncSession, values: list[str | None]) -> None:
    assert await session.scalar(select(split(values))) == values
    raw = await session.scalar(text("SELECT CAST(:v AS text)"), {"v": joined(values)})
    assert raw is not None and raw.count("\x1f") == len(values)


@pytest.mark.parametrize("bad", [["a\x1fb"], ["\x1e"], []])
def test_a_separator_or_no_value_is_refused(bad: list[str | None]) -> None:
    with pytest.raises(ValueError, match=r"U\+001E or U\+001F|needs a value"):
        joined(bad)


async def test_matching_none_of_no_values_sends_nothing(session: AsyncSession) -> None:
    words = select(column("w")).select_from(text("unnest(ARRAY['a', 'b']) AS w"))
    assert list(await session.scalars(words.where(in_texts(column("w"), [])))) == []
    assert list(await session.scalars(words.where(in_texts(column("w"), ["b", "c"])))) == ["b"]


async def test_the_batch_look_ups_send_no_text_array(
    session: AsyncSession, connection: AsyncConnection
) -> None:
    repository = LeadBatchRepository(session)
    with statements(connection) as seen:
        await repository.lock_by_external_ids("api", ["ext-1", "ext-2"])
        await repository.open_ids_by_email(["a@joined.example", "B@joined.example"])
    looked_up = [s for s in work(seen) if s.startswith("SELECT")]
    assert len(looked_up) == 2, seen
    assert not [s for s in looked_up if "[]" in s], looked_up  # no array parameter
