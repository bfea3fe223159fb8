"""Opportunities written as JSON by PostgreSQL (GET by id, the list) are the documents pydantic
writes for the same rows (POST, PATCH, stage moves): one shape, whichever path serves it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from pydantic import TypeAdapter
from sqlalchemy import ARRAY
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import Text
from sqlalchemy import Uuid
from sqlalchemy import cast
from sqlalchemy import literal
from sqlalchemy import null
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.json_sql import json_object
from app.core.json_sql import timestamp_json
from app.core.schemas import MoneyOut
from app.models import Opportunity
from app.opportunities.service import present
from tests.api.conftest import test_settings as engage_settings
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move

CURRENCY = engage_settings().currency


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


async def varied_opportunities(client: httpx.AsyncClient, world: World) -> list[dict[str, Any]]:
    rep = world.actors.rep
    bare = await create_opportunity(client, rep, world.contact)
    full = await create_opportunity(
        client,
        rep,
        world.contact,
        amount="125000.5",
        close_date="2027-03-31",
        next_step="Send the proposal",
        next_step_at="2027-01-05T09:30:00Z",
        potential_seats=250,
    )
    renewal = await create_opportunity(
        client,
        rep,
        world.customer_contact,
        type="renewal",
        renewal_arr="100000",
        amount="90000",
        renewal_loss_amount="2500.25",
        renewal_forecast_category="commit",
    )
    lost = await create_opportunity(client, rep, world.contact, amount="0.5")
    r = await move(client, rep, lost["id"], "lost", loss_reason="other", loss_details="Budget")
    assert r.status_code == 200, r.text
    return [bare, full, renewal, r.json()]


async def test_get_and_list_write_what_pydantic_writes(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    created = await varied_opportunities(client, world)
    ids = [uuid.UUID(o["id"]) for o in created]
    # Timestamps with and without microseconds, and one of them tiny.
    await session.execute(
        text("UPDATE opportunities SET updated_at = :at WHERE id = :id"),
        [
            {"id": ids[0], "at": datetime(2026, 11, 27, 2, 15, 46, tzinfo=UTC)},
            {"id": ids[1], "at": datetime(2026, 11, 27, 2, 15, 46, 120, tzinfo=UTC)},
        ],
    )
    rows = (
        await session.scalars(
            select(Opportunity)
            .where(Opportunity.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    ).all()
    expected = {str(o.id): present(o, CURRENCY).model_dump(mode="json") for o in rows}
    assert expected[str(ids[0])]["updated_at"] == "2026-11-27T02:15:46Z"
    assert expected[str(ids[1])]["updated_at"] == "2026-11-27T02:15:46.000120Z"

    headers = world.actors.rep.headers
    for opportunity_id, document in expected.items():
        r = await client.get(f"/api/v1/opportunities/{opportunity_id}", headers=headers)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert r.json() == document
        assert list(r.json()) == list(document)  # the model's field order too

    listed: dict[str, Any] = {}
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/v1/opportunities", params=params, headers=headers)
        assert r.status_code == 200, r.text
        listed |= {item["id"]: item for item in r.json()["items"]}
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert {k: listed[k] for k in expected} == expected


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 400000, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
        datetime(1900, 1, 1, tzinfo=UTC),
        datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
async def test_timestamps_as_pydantic_writes_them(session: AsyncSession, moment: datetime) -> None:
    written = await session.scalar(select(timestamp_json(literal(moment, DateTime(True)))))
    assert f'"{written}"'.encode() == TypeAdapter(datetime).dump_json(moment)


def test_every_field_needs_one_source() -> None:
    class Thing(BaseModel):
        id: uuid.UUID
        name: str

    with pytest.raises(ValueError, match="missing \\['name'\\]"):
        json_object(Thing, {"id": Opportunity.id})
    with pytest.raises(ValueError, match="unknown \\['other'\\]"):
        json_object(Thing, {"id": Opportunity.id, "name": Opportunity.name, "other": 1})


def test_a_field_without_a_json_mapping_is_refused() -> None:
    class Nested(BaseModel):
        inner: dict[str, int]

    with pytest.raises(TypeError, match=r"Nested\.inner"):
        json_object(Nested, {"inner": Opportunity.id})


class EveryKind(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    note: str | None
    seats: int
    won: bool
    lost: bool
    reviewed: bool | None
    close_date: date
    unit_ids: list[uuid.UUID]
    amount: MoneyOut
    loss: MoneyOut | None
    at: datetime


async def test_every_kind_of_value_is_written_byte_for_byte_as_pydantic_writes_it(
    session: AsyncSession,
) -> None:
    """The document is concatenated text, each value written as its type needs: quotes,
    backslashes, control characters and non-ASCII text escaped as pydantic escapes them, a NULL
    as `null`, the fields in the model's order."""
    document = EveryKind(
        id=uuid.uuid4(),
        parent_id=None,
        name='Ünïcødé "quoted" \\ back\\slash\ttab\nline \x01 😀 </script>',
        note=None,
        seats=1250,
        won=True,
        lost=False,
        reviewed=None,
        close_date=date(2027, 3, 31),
        unit_ids=[uuid.uuid4(), uuid.uuid4()],
        amount=Decimal("125000.5"),
        loss=None,
        at=datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC),
    )
    sources = {
        "id": literal(document.id, Uuid()),
        "parent_id": cast(null(), Uuid()),
        "name": literal(document.name, Text()),
        "note": cast(null(), Text()),
        "seats": literal(document.seats, Integer()),
        "won": literal(True, Boolean()),
        "lost": literal(False, Boolean()),
        "reviewed": cast(null(), Boolean()),
        "close_date": literal(document.close_date, Date()),
        "unit_ids": literal(document.unit_ids, ARRAY(Uuid())),
        "amount": literal(document.amount, Numeric()),
        "loss": cast(null(), Numeric()),
        "at": literal(document.at, DateTime(True)),
    }
    written = await session.scalar(select(json_object(EveryKind, sources)))
    assert written == document.model_dump_json()


def test_a_document_is_concatenated_as_a_balanced_tree() -> None:
    """PostgreSQL copies the text made so far at every `||`: the parts are joined two groups at a
    time (a quoted value is `'"' || value || '"'`), never as one left-to-right chain."""
    sql = str(select(json_object(EveryKind, {n: Opportunity.id for n in EveryKind.model_fields})))
    groups, widest = [0], 0
    for token in re.findall(r"\(|\)|\|\|", sql):
        if token == "(":
            groups.append(0)
        elif token == ")":
            widest = max(widest, groups.pop())
        else:
            groups[-1] += 1
    assert sql.count("||") >= 2 * len(EveryKind.model_fields)  # a key and a value each
    assert max(widest, *groups) <= 2
