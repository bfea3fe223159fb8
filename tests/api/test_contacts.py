"""Contacts: visible when their account is; people only."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_contact
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory

CONTACTS = "/api/v1/contacts"


async def test_contact_create_read_update(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    account = await make_account(session, await make_territory(session, actors.rep.user))
    moved_to = await make_account(session, await make_territory(session, actors.rep2.user))
    lead = await make_lead(session, actors.rep.user)
    h = actors.rep.headers
    body = {
        "account_id": str(account.id),
        "lead_id": str(lead.id),
        "first_name": "Gia",
        "last_name": "Ruiz",
        "email": "gia@acme.io",
        "title": "Head of Platform",
        "persona": "technology_leader",
    }
    r = await client.post(CONTACTS, json=body, headers=h)
    assert r.status_code == 201, r.text
    contact = r.json()
    assert r.headers["location"] == f"{CONTACTS}/{contact['id']}" and r.headers["etag"] == '"1"'
    assert {k: contact[k] for k in body} == body
    url = f"{CONTACTS}/{contact['id']}"
    r = await client.get(url, headers=h)
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    r = await client.patch(url, json={"title": "VP Platform", "persona": None}, headers=h)
    assert r.status_code == 200
    assert r.json()["title"] == "VP Platform" and r.json()["persona"] is None
    assert r.json()["version"] == 2
    r = await client.patch(url, json={"title": "X"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412
    r = await client.patch(url, json={"account_id": None}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.patch(url, json={"account_id": str(moved_to.id)}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    r = await client.patch(url, json={"version": 5}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"


async def test_contact_visibility_and_lists(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    mine = await make_account(session, await make_territory(session, actors.rep.user))
    theirs = await make_account(session, await make_territory(session, actors.peer_rep.user))
    a = await make_contact(session, mine, email="ann@mine.io", first_name="Ann", last_name="Lee")
    await make_contact(session, mine, email="bob@mine.io", first_name="Bob")
    hidden = await make_contact(session, theirs, email="cy@theirs.io")
    h = actors.rep.headers
    assert (await client.get(f"{CONTACTS}/{hidden.id}", headers=h)).status_code == 404
    assert (
        await client.get(f"{CONTACTS}/{hidden.id}", headers=actors.vp.headers)
    ).status_code == 200
    r = await client.get(CONTACTS, headers=h)
    assert {c["email"] for c in r.json()["items"]} == {"ann@mine.io", "bob@mine.io"}
    r = await client.get(f"{CONTACTS}?q=ann%20lee", headers=h)
    assert [c["id"] for c in r.json()["items"]] == [str(a.id)]
    r = await client.get(f"{CONTACTS}?email=ANN@MINE.IO", headers=h)
    assert [c["id"] for c in r.json()["items"]] == [str(a.id)]
    r = await client.get(f"{CONTACTS}?account_id={theirs.id}", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.account_id"
    r = await client.post(
        CONTACTS, json={"account_id": str(theirs.id), "email": "x@x.io"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "account_id"
    r = await client.post(CONTACTS, json={"email": "x@x.io"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.post(
        CONTACTS, json={"account_id": str(mine.id)}, headers=actors.integration.headers
    )
    assert r.status_code == 403
    assert (
        await client.get(f"{CONTACTS}/{a.id}", headers=actors.integration.headers)
    ).status_code == 403
