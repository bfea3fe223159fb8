"""PUT /leads/external/{external_id}: upsert by (caller's source, external_id)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory

EXTERNAL = "/api/v1/leads/external"


async def test_upsert_creates_then_updates_only_the_fields_sent(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep2.user)
    account = await make_account(session, territory, domain="acme.com")
    h = actors.integration.headers
    body = {"email": "ann@acme.com", "first_name": "Ann", "title": "VP Eng", "status": "working"}
    r = await client.put(f"{EXTERNAL}/mk-1", json=body, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/api/v1/leads/{created['id']}"
    assert r.headers["etag"] == '"1"'
    assert created["external_id"] == "mk-1" and created["source"] == actors.integration.user.source
    assert created["status"] == "working" and created["account_id"] == str(account.id)
    assert created["owner_id"] == str(actors.rep2.id)

    # An update writes only what is sent, never status, owner or account.
    r = await client.put(
        f"{EXTERNAL}/mk-1",
        json={
            "last_name": "Lee",
            "title": None,
            "status": "nurture",
            "owner_id": str(actors.rep.id),
            "account_id": None,
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["id"] == created["id"] and updated["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert updated["first_name"] == "Ann" and updated["last_name"] == "Lee"
    assert updated["title"] is None
    assert updated["status"] == "working"
    assert updated["owner_id"] == str(actors.rep2.id)
    assert updated["account_id"] == str(account.id)

    # Sending the same again changes nothing (no new version).
    r = await client.put(f"{EXTERNAL}/mk-1", json={"last_name": "Lee"}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2

    r = await client.get(f"{EXTERNAL}/mk-1", headers=h)
    assert r.status_code == 200 and r.json()["id"] == created["id"]
    # The external id lives in the caller's source: people use `manual`.
    assert (await client.get(f"{EXTERNAL}/mk-1", headers=actors.admin.headers)).status_code == 404
    r = await client.put(f"{EXTERNAL}/mk-1", json={"email": "x@y.io"}, headers=actors.rep.headers)
    assert r.status_code == 201 and r.json()["source"] == "manual"


async def test_upsert_preconditions_and_conflicts(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    h = actors.integration.headers
    create_only = {**h, "If-None-Match": "*"}
    r = await client.put(f"{EXTERNAL}/ev-9", json={"email": "bo@bo.io"}, headers=create_only)
    assert r.status_code == 201
    lead_id = r.json()["id"]
    r = await client.put(f"{EXTERNAL}/ev-9", json={"email": "bo@bo.io"}, headers=create_only)
    assert r.status_code == 412 and r.json()["type"] == "/problems/precondition-failed"
    r = await client.put(f"{EXTERNAL}/ev-9", json={"title": "X"}, headers={**h, "If-Match": '"7"'})
    assert r.status_code == 412
    r = await client.put(f"{EXTERNAL}/ev-9", json={"title": "X"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["id"] == lead_id
    r = await client.put(f"{EXTERNAL}/new-1", json={"title": "X"}, headers={**h, "If-Match": "*"})
    assert r.status_code == 412

    # Creating needs an email; a second open lead with it is a duplicate.
    r = await client.put(f"{EXTERNAL}/ev-10", json={"first_name": "No"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    r = await client.put(f"{EXTERNAL}/ev-10", json={"email": "BO@bo.io"}, headers=h)
    assert r.status_code == 409 and r.json()["existing_id"] == lead_id
    # So is an update moving onto another open lead's email.
    other = await make_lead(session, actors.rep.user, email="cy@cy.io")
    r = await client.put(f"{EXTERNAL}/ev-9", json={"email": "cy@CY.io"}, headers=h)
    assert r.status_code == 409 and r.json()["existing_id"] == str(other.id)
    # A new email re-derives a derived domain.
    r = await client.put(f"{EXTERNAL}/ev-9", json={"email": "bo@newco.io"}, headers=h)
    assert r.status_code == 200 and r.json()["domain"] == "newco.io"

    # Converted or disqualified leads are no longer upserted.
    closed = await make_lead(
        session,
        actors.integration.user,
        email="dq@dq.io",
        source=actors.integration.user.source,
        external_id="ev-11",
        status="disqualified",
        disqualify_reason="competitor employee",
    )
    r = await client.put(f"{EXTERNAL}/ev-11", json={"title": "CTO"}, headers=h)
    assert r.status_code == 409 and r.json()["type"] == "/problems/invalid-transition"
    assert (await client.get(f"{EXTERNAL}/ev-11", headers=h)).json()["id"] == str(closed.id)

    r = await client.put(f"{EXTERNAL}/ev-12", json={"email": "e@e.io", "id": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.put(
        f"{EXTERNAL}/ev-12", json={"email": "e@e.io", "external_id": "y"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"


async def test_manual_external_id_of_an_invisible_lead_is_a_conflict(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_lead(session, actors.peer_rep.user, external_id="shared-1", email="p@p.io")
    r = await client.put(f"{EXTERNAL}/shared-1", json={"title": "X"}, headers=actors.rep.headers)
    assert r.status_code == 409
    r = await client.get(f"{EXTERNAL}/shared-1", headers=actors.rep.headers)
    assert r.status_code == 404
