"""API.md section 10: secrets shown once (even to a retry), batch merges only into visible
leads, `source: "manual"` reserved for people."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import IdempotencyRecord
from tests.factories import Actors
from tests.leads_factories import make_lead


async def test_idempotent_replay_of_token_creation_shows_no_token(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    url = f"/api/v1/users/{actors.rep.id}/tokens"
    h = {**actors.admin.headers, "Idempotency-Key": "token-once"}
    first = await client.post(url, json={"name": "ci"}, headers=h)
    assert first.status_code == 201 and first.json()["token"]
    again = await client.post(url, json={"name": "ci"}, headers=h)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["token"] is None
    assert {k: v for k, v in again.json().items() if k != "token"} == {
        k: v for k, v in first.json().items() if k != "token"
    }
    stored = await session.scalars(select(IdempotencyRecord.response_body))
    assert not any(first.json()["token"].encode() in body for body in stored)


async def test_idempotent_replay_of_webhook_creation_shows_no_secret(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    h = {**actors.admin.headers, "Idempotency-Key": "hook-once"}
    body = {"url": "https://hooks.example.com/engage", "event_types": ["lead.created"]}
    first = await client.post("/api/v1/webhooks", json=body, headers=h)
    assert first.status_code == 201 and first.json()["secret"].startswith("whsec_")
    again = await client.post("/api/v1/webhooks", json=body, headers=h)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["secret"] is None and again.json()["id"] == first.json()["id"]
    stored = await session.scalars(select(IdempotencyRecord.response_body))
    assert not any(first.json()["secret"].encode() in body for body in stored)


async def test_batch_merge_never_writes_into_an_invisible_lead(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    theirs = await make_lead(session, actors.peer_rep.user, email="eve@other.io", phone="")
    mine = await make_lead(session, actors.integration.user, email="own@mine.io", phone="")
    items = [
        {"email": "Eve@Other.io", "title": "CFO", "phone": "+1 555 0199"},
        {"email": "own@mine.io", "title": "CTO"},
    ]
    r = await client.post(
        "/api/v1/leads/batch",
        json={"items": items, "on_duplicate": "merge"},
        headers=actors.integration.headers,
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["duplicate", "merged"]
    assert r.json()["counts"]["merged"] == 1 and r.json()["counts"]["duplicate"] == 1
    await session.refresh(theirs)
    await session.refresh(mine)
    assert theirs.title is None and theirs.phone == "" and theirs.version == 1
    assert mine.title == "CTO" and mine.version == 2


async def test_source_manual_is_reserved_for_people(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"email": "crm@example.com", "name": "CRM", "role": "integration", "source": "manual"}
    r = await client.post("/api/v1/users", json=body, headers=actors.admin.headers)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("source", "reserved")]
    r = await client.post(
        "/api/v1/users", json={**body, "source": "manual-crm"}, headers=actors.admin.headers
    )
    assert r.status_code == 201, r.text


async def test_csv_cells_are_stored_as_sent_formulas_included(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    body = 'email,company,title\nf@formula.io,"=HYPERLINK(""http://x"")",+1 CTO\n'
    r = await client.post(
        "/api/v1/leads/import",
        content=body.encode(),
        headers={**actors.rep.headers, "Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    lead = await client.get(f"/api/v1/leads/{result['id']}", headers=actors.rep.headers)
    assert lead.json()["company"] == '=HYPERLINK("http://x")'
    assert lead.json()["title"] == "+1 CTO"
