"""POST /leads/batch: per-item results, duplicates (skip, merge, inside the batch), updates by
external id, and set-based SQL (a 1000-item batch is a handful of statements)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.leads import batch
from app.models import Event
from app.models import Lead
from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory

BATCH = "/api/v1/leads/batch"


@contextmanager
def counted_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_batch_of_1000_mixed_items_in_a_handful_of_statements(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession, engine: AsyncEngine
) -> None:
    source = actors.integration.user.source
    territory = await make_territory(session, actors.rep2.user)
    account = await make_account(session, territory, domain="acme.com")
    existing = await make_lead(session, actors.rep.user, email="dup@x.io")
    by_external = await make_lead(
        session, actors.integration.user, email="b@b.io", source=source, external_id="ext-1"
    )
    await make_lead(
        session,
        actors.integration.user,
        email="c@c.io",
        source=source,
        external_id="ext-closed",
        status="converted",
    )
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    items: list[Any] = [
        {"email": "DUP@x.io", "first_name": "Dee"},
        {"email": "bad"},
        {"email": "ok@y.io", "touch_count": 1},
        {"email": "first@z.io"},
        {"email": "FIRST@z.io", "title": "Again"},
        {"email": "e5@x.io", "external_id": "ext-1", "title": "New title"},
        {"email": "c2@c.io", "external_id": "ext-closed"},
        {"email": "r@acme.com", "inbound": True},
        42,
        {"email": "fut@x.io", "received_at": future},
    ]
    items += [{"email": f"new{i}@bulk.io", "first_name": f"N{i}"} for i in range(len(items), 1000)]

    with counted_statements(engine) as statements:
        r = await client.post(BATCH, json={"items": items}, headers=actors.integration.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"] == {
        "created": 992,
        "updated": 1,
        "duplicate": 2,
        "merged": 0,
        "invalid": 5,
    }
    results = body["results"]
    assert [x["index"] for x in results] == list(range(1000))
    assert results[0] == {"index": 0, "status": "duplicate", "id": str(existing.id), "errors": []}
    assert results[1]["status"] == "invalid" and results[1]["id"] is None
    assert results[1]["errors"][0]["field"] == "email"
    assert results[1]["errors"][0]["code"] == "invalid_format"
    assert results[2]["errors"] == [
        {
            "field": "touch_count",
            "code": "read_only",
            "message": "touch_count is set by the server and cannot be written.",
        }
    ]
    assert results[3]["status"] == "created"
    assert results[4] == {"index": 4, "status": "duplicate", "id": results[3]["id"], "errors": []}
    assert results[5]["status"] == "updated" and results[5]["id"] == str(by_external.id)
    assert results[6]["status"] == "invalid"
    assert results[6]["errors"][0]["code"] == "lead_closed"
    assert results[7]["status"] == "created"
    assert results[8]["errors"][0]["field"] == "item"
    assert results[8]["errors"][0]["code"] == "invalid_type"
    assert results[9]["errors"][0] == {
        "field": "received_at",
        "code": "in_future",
        "message": "received_at cannot be in the future.",
    }
    assert all(x["status"] == "created" for x in results[10:])

    # Set-based: a few statements for 1000 items, not one round trip each; besides the test's
    # own savepoint, one each around the UPDATE and the INSERT.
    work = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(work) <= 10 and len(statements) <= 16, statements

    routed = await session.get(Lead, results[7]["id"])
    assert routed is not None
    assert routed.account_id == account.id and routed.owner_id == actors.rep2.id
    assert routed.inbound is True and routed.source == source
    bulk = await session.get(Lead, results[500]["id"])
    assert bulk is not None and bulk.owner_id is None and bulk.first_name == "N500"
    assert (
        bulk.domain == "bulk.io"
        and bulk.status == "new"
        and bulk.created_by == actors.integration.id
    )
    await session.refresh(by_external)
    assert by_external.title == "New title" and by_external.email == "e5@x.io"
    assert by_external.domain == "x.io" and by_external.version == 2
    events = await session.scalar(
        select(func.count()).where(
            Event.type == "lead.created", Event.actor_id == actors.integration.id
        )
    )
    assert events == 992


async def test_more_than_1000_items_is_413_and_none_is_422(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    items = [{"email": f"a{i}@a.io"} for i in range(1001)]
    r = await client.post(BATCH, json={"items": items}, headers=actors.rep.headers)
    assert r.status_code == 413 and r.json()["type"] == "/problems/payload-too-large"
    r = await client.post(BATCH, json={"items": []}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items"
    r = await client.post(
        BATCH,
        json={"items": [{"email": "a@a.io"}], "on_duplicate": "x"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "on_duplicate"


async def test_skip_leaves_the_existing_lead_and_merge_fills_only_empty_fields(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    lead = await make_lead(
        session, actors.rep.user, email="ann@acme.io", first_name="Ann", phone="", company=None
    )
    item = {
        "email": "Ann@Acme.io",
        "first_name": "Annie",
        "title": "CTO",
        "phone": "+1 555 0100",
        "company": "Acme",
        "status": "nurture",
    }
    r = await client.post(BATCH, json={"items": [item]}, headers=actors.rep.headers)
    assert r.json()["results"][0] == {
        "index": 0,
        "status": "duplicate",
        "id": str(lead.id),
        "errors": [],
    }
    await session.refresh(lead)
    assert lead.title is None and lead.version == 1

    r = await client.post(
        BATCH, json={"items": [item], "on_duplicate": "merge"}, headers=actors.rep.headers
    )
    assert r.status_code == 200
    assert r.json()["results"][0] == {
        "index": 0,
        "status": "merged",
        "id": str(lead.id),
        "errors": [],
    }
    assert r.json()["counts"]["merged"] == 1
    await session.refresh(lead)
    assert lead.first_name == "Ann"  # filled fields are kept
    assert lead.title == "CTO" and lead.phone == "+1 555 0100" and lead.company == "Acme"
    assert lead.status == "new"  # merge never writes status, owner or account
    assert lead.version == 2

    # An email repeated inside the batch is a duplicate of its first occurrence, merge or not.
    r = await client.post(
        BATCH,
        json={
            "items": [{"email": "z@z.io"}, {"email": "Z@z.io", "title": "x"}],
            "on_duplicate": "merge",
        },
        headers=actors.rep.headers,
    )
    first, second = r.json()["results"]
    assert first["status"] == "created"
    assert second == {"index": 1, "status": "duplicate", "id": first["id"], "errors": []}


async def test_batch_references_and_owner_rules_are_per_item(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    hidden = await make_account(session, await make_territory(session, actors.peer_rep.user))
    items = [
        {"email": "a@a.io", "owner_id": str(actors.rep.id)},
        {"email": "b@b.io", "account_id": str(hidden.id)},
        {"email": "c@c.io"},
    ]
    r = await client.post(BATCH, json={"items": items}, headers=actors.integration.headers)
    results = r.json()["results"]
    assert results[0]["status"] == "invalid" and results[0]["errors"][0]["field"] == "owner_id"
    assert results[0]["errors"][0]["code"] == "forbidden"
    assert results[1]["errors"][0] == {
        "field": "account_id",
        "code": "not_found",
        "message": "No such record visible to you for account_id.",
    }
    assert results[2]["status"] == "created"
    r = await client.post(
        BATCH,
        json={"items": [{"email": "d@d.io", "owner_id": str(actors.rep2.id)}]},
        headers=actors.manager.headers,
    )
    created = r.json()["results"][0]
    assert created["status"] == "created"
    lead = await session.get(Lead, created["id"])
    assert lead is not None and lead.owner_id == actors.rep2.id


async def test_duplicates_across_chunks_point_at_the_first_occurrence(
    actors: Actors, session: AsyncSession
) -> None:
    user = actors.rep.user
    principal = Principal(user.id, user.email, user.name, user.role, user.manager_id, None, user.id)
    items = [
        {"email": "a@chunk.io"},
        {"email": "b@chunk.io", "external_id": "x-1"},
        {"email": "c@chunk.io"},
        {"email": "A@chunk.io", "title": "dup"},
        {"email": "d@chunk.io", "external_id": "x-1"},
    ]
    result = (await batch.run(session, principal, items, "merge", chunk_size=2)).result()
    statuses = [(r.status, r.id) for r in result.results]
    assert [s for s, _ in statuses] == ["created", "created", "created", "duplicate", "duplicate"]
    assert statuses[3][1] == statuses[0][1] and statuses[4][1] == statuses[1][1]


async def test_del_and_c1_in_a_batch_are_refused_once_for_the_body(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    """The body is walked for DEL and C1 once (its items are not walked again); a character
    anywhere in it refuses the request, naming the item's field, and stores nothing."""
    before = await session.scalar(select(func.count()).select_from(Lead))
    for bad in ("x\x7fy", "x\x85y"):
        items = [{"email": "ok-1@y.io"}, {"email": "ok-2@y.io", "first_name": bad}]
        r = await client.post(BATCH, json={"items": items}, headers=actors.integration.headers)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "control_characters"
        assert r.json()["errors"][0]["field"] == "items.1.first_name"
    assert await session.scalar(select(func.count()).select_from(Lead)) == before


async def test_items_given_without_a_walked_body_are_checked_one_by_one(
    session: AsyncSession, actors: Actors
) -> None:
    """`batch.run` from code (not a request body): each item's own validation refuses DEL."""
    user = actors.rep.user
    principal = Principal(user.id, user.email, user.name, user.role, user.manager_id, None, user.id)
    items = [{"email": "ok-3@y.io"}, {"email": "ok-4@y.io", "last_name": "a\x7fb"}]
    result = (await batch.run(session, principal, items, "skip")).result()
    assert [r.status for r in result.results] == ["created", "invalid"]
    assert result.results[1].errors[0].code == "control_characters"


async def test_the_response_text_is_the_result_models_json_byte_for_byte(
    session: AsyncSession, actors: Actors
) -> None:
    """`document()` writes the response without the model; it must say exactly what the model
    would: every status, null and real ids, problems with quotes and non-ASCII text."""
    user = actors.rep.user
    principal = Principal(user.id, user.email, user.name, user.role, user.manager_id, None, user.id)
    await batch.run(session, principal, [{"email": "taken@doc.io"}], "skip")
    items = [
        {"email": "new@doc.io", "first_name": "Zoë"},
        {"email": "NEW@doc.io"},
        {"email": "taken@doc.io"},
        {"email": "not-an-email"},
        {"email": "ctl@doc.io", "last_name": 'a\x7f"b'},
        {"email": "ü@doc.io", "custom": {'nö "key"': 1}},
        {"email": "x@doc.io", "status": "converted", "unknown": True},
    ]
    done = await batch.run(session, principal, items, "skip", first_index=3)
    model = done.result()
    assert done.document() == model.model_dump_json()
    statuses = [r.status for r in model.results]
    assert statuses == [
        "created",
        "duplicate",
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert [r.index for r in model.results] == [3, 4, 5, 6, 7, 8, 9]
