"""The batch's set-based statements carry text columns as one joined string each
(`app.leads.batch_repository`): every value, empty or NULL, arrives as it was sent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.leads.batch_repository import LeadBatchRepository
from app.models import Lead
from tests.factories import make_user


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
