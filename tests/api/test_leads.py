"""Leads (API.md section 5): creation, routing, duplicates, validation, lists, updates, owner
changes and what integrations may do."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event
from app.models import Lead
from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_activity
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory

LEADS = "/api/v1/leads"


async def test_routing_by_domain_to_the_account_and_its_territory_owner(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep2.user)
    acme = await make_account(session, territory, domain="acme.com")

    r = await client.post(
        LEADS, json={"email": "Ann@ACME.com", "first_name": "Ann"}, headers=actors.rep.headers
    )
    assert r.status_code == 201, r.text
    lead = r.json()
    assert r.headers["location"] == f"{LEADS}/{lead['id']}"
    assert r.headers["etag"] == '"1"'
    assert lead["domain"] == "acme.com"
    assert lead["account_id"] == str(acme.id)
    assert lead["owner_id"] == str(actors.rep2.id)
    assert lead["source"] == "manual" and lead["status"] == "new" and lead["version"] == 1
    assert lead["touch_count"] == 0 and lead["inbound"] is False

    # No matching account: the creating person owns it.
    r = await client.post(LEADS, json={"email": "bo@elsewhere.io"}, headers=actors.rep.headers)
    assert r.json()["account_id"] is None and r.json()["owner_id"] == str(actors.rep.id)

    # An explicit domain (normalised) routes even from a free-mail address.
    r = await client.post(
        LEADS,
        json={"email": "cy@gmail.com", "domain": "https://www.Acme.com/about"},
        headers=actors.rep.headers,
    )
    assert r.json()["domain"] == "acme.com" and r.json()["account_id"] == str(acme.id)

    # Integrations: routed leads go to the territory owner, the others stay unassigned.
    r = await client.post(LEADS, json={"email": "di@acme.com"}, headers=actors.integration.headers)
    assert r.json()["owner_id"] == str(actors.rep2.id)
    assert r.json()["source"] == actors.integration.user.source
    r = await client.post(
        LEADS, json={"email": "ed@nowhere.io"}, headers=actors.integration.headers
    )
    assert r.json()["owner_id"] is None and r.json()["account_id"] is None

    # lead.created is written in the same transaction.
    created = await session.scalar(
        select(func.count()).where(Event.type == "lead.created", Event.resource_id == lead["id"])
    )
    assert created == 1


async def test_explicit_account_routes_owner_and_must_be_visible(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    mine = await make_account(session, await make_territory(session, actors.rep.user))
    theirs = await make_account(session, await make_territory(session, actors.peer_rep.user))
    r = await client.post(
        LEADS,
        json={"email": "fay@fay.io", "account_id": str(mine.id)},
        headers=actors.manager.headers,
    )
    assert r.status_code == 201
    assert r.json()["account_id"] == str(mine.id) and r.json()["owner_id"] == str(actors.rep.id)
    r = await client.post(
        LEADS,
        json={"email": "gus@gus.io", "account_id": str(theirs.id)},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "account_id",
        "code": "not_found",
        "message": "No such record visible to you for account_id.",
    }


async def test_activity_must_be_visible_and_is_stored(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    mine = await make_activity(
        session, await make_territory(session, actors.rep.user), actors.rep.user
    )
    other = await make_activity(
        session, await make_territory(session, actors.peer_rep.user), actors.peer_rep.user
    )
    r = await client.post(
        LEADS, json={"email": "a@b.io", "activity_id": str(mine.id)}, headers=actors.rep.headers
    )
    assert r.status_code == 201 and r.json()["activity_id"] == str(mine.id)
    r = await client.post(
        LEADS, json={"email": "b@b.io", "activity_id": str(other.id)}, headers=actors.rep.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "activity_id"
    assert r.json()["errors"][0]["code"] == "not_found"


async def test_single_create_duplicate_is_409_with_existing_id(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    first = (
        await client.post(LEADS, json={"email": "Hal@Hal.io"}, headers=actors.rep.headers)
    ).json()
    r = await client.post(LEADS, json={"email": "hal@HAL.IO"}, headers=actors.rep2.headers)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/duplicate"
    assert r.json()["existing_id"] == first["id"]

    # Once the first is closed (disqualified), the email is free again.
    r = await client.patch(
        f"{LEADS}/{first['id']}",
        json={"status": "disqualified", "disqualify_reason": "student"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200
    r = await client.post(LEADS, json={"email": "HAL@hal.io"}, headers=actors.rep.headers)
    assert r.status_code == 201
    # ... and reopening the disqualified one would make two open leads: 409.
    r = await client.patch(
        f"{LEADS}/{first['id']}", json={"status": "new"}, headers=actors.rep.headers
    )
    assert r.status_code == 409 and r.json()["existing_id"] != first["id"]


async def test_idempotent_create_replays_and_refuses_another_body(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    headers = {**actors.integration.headers, "Idempotency-Key": "lead-ivy-1"}
    body = {"email": "ivy@ivy.io", "first_name": "Ivy"}
    first = await client.post(LEADS, json=body, headers=headers)
    assert first.status_code == 201
    again = await client.post(LEADS, json=body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    count = await session.scalar(select(func.count()).where(func.lower(Lead.email) == "ivy@ivy.io"))
    assert count == 1
    other = await client.post(LEADS, json={**body, "first_name": "Iva"}, headers=headers)
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-mismatch"


async def test_create_validation(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.rep.headers
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = await client.post(LEADS, json={"email": "a@a.io", "received_at": future}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "received_at"
    assert r.json()["errors"][0]["code"] == "in_future"
    past = "2026-01-05T10:00:00Z"
    r = await client.post(LEADS, json={"email": "a@a.io", "received_at": past}, headers=h)
    assert r.status_code == 201 and r.json()["received_at"] == past
    r = await client.post(LEADS, json={"email": "b@a.io", "status": "converted"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    r = await client.post(LEADS, json={"email": "b@a.io", "status": "disqualified"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "disqualify_reason"
    r = await client.post(LEADS, json={"email": "b@a.io", "touch_count": 3}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.post(LEADS, json={"email": "b@a.io", "source": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.post(LEADS, json={"email": "b@a.io", "colour": "red"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_field"
    r = await client.post(LEADS, json={"first_name": "No Email"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "email",
        "code": "required",
        "message": "Field required",
    }
    r = await client.post(
        LEADS, json={"email": "b@a.io", "received_at": "2026-01-05T10:00:00"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "timezone_required"
    r = await client.post(LEADS, json={"email": "b@a.io", "domain": "not a domain"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_domain"
    r = await client.post(LEADS, json={"email": "b@a.io", "first_name": "x\x00"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "control_characters"
    # Times PostgreSQL cannot hold, and NUL in a search, are 422s, never 500s.
    r = await client.post(
        LEADS, json={"email": "b@a.io", "received_at": "0001-01-01T00:00:00+01:00"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "out_of_range"
    r = await client.get(f"{LEADS}?q=%00%00", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.q"
    r = await client.get(f"{LEADS}?updated_after=2026-01-01T00:00:00", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "timezone_required"


async def test_list_filters_search_and_pages(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory, domain="zeta.io")
    activity = await make_activity(session, territory, actors.rep.user)
    h = actors.rep.headers
    await make_lead(
        session,
        actors.rep.user,
        email="ann@zeta.io",
        first_name="Ann",
        last_name="Lee",
        account_id=account.id,
        activity_id=activity.id,
        persona="security_leader",
    )
    await make_lead(
        session,
        actors.rep.user,
        email="bob@other.io",
        company="Zeta Holdings",
        inbound=True,
        status="working",
    )
    await make_lead(session, actors.rep.user, email="cid@else.io", first_name="Cid")
    await make_lead(session, actors.peer_rep.user, email="zed@zeta-peer.io")

    async def emails(query: str) -> set[str]:
        r = await client.get(f"{LEADS}?{query}", headers=h)
        assert r.status_code == 200, r.text
        return {lead["email"] for lead in r.json()["items"]}

    assert await emails("limit=200") == {"ann@zeta.io", "bob@other.io", "cid@else.io"}
    assert await emails("q=zeta") == {"ann@zeta.io", "bob@other.io"}
    assert await emails("q=ann%20lee") == {"ann@zeta.io"}
    assert await emails("q=%25_") == set()
    assert await emails("status=working") == {"bob@other.io"}
    assert await emails("inbound=true") == {"bob@other.io"}
    assert await emails("persona=security_leader") == {"ann@zeta.io"}
    assert await emails(f"account_id={account.id}") == {"ann@zeta.io"}
    assert await emails(f"activity_id={activity.id}") == {"ann@zeta.io"}
    assert await emails(f"owner_id={actors.rep.id}") == {
        "ann@zeta.io",
        "bob@other.io",
        "cid@else.io",
    }
    assert await emails("created_after=2000-01-01T00:00:00Z") == {
        "ann@zeta.io",
        "bob@other.io",
        "cid@else.io",
    }
    assert await emails("updated_after=2999-01-01T00:00:00Z") == set()

    r = await client.get(f"{LEADS}?q=z", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.q"
    r = await client.get(f"{LEADS}?owner_id={actors.peer_rep.id}", headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "query.owner_id",
        "code": "not_found",
        "message": "No such record visible to you for query.owner_id.",
    }

    seen: list[str] = []
    url = f"{LEADS}?limit=2&sort=-received_at"
    while url:
        page = (await client.get(url, headers=h)).json()
        seen += [lead["id"] for lead in page["items"]]
        cursor = page["next_cursor"]
        url = f"{LEADS}?limit=2&sort=-received_at&cursor={cursor}" if cursor else ""
    assert len(seen) == len(set(seen)) == 3


async def test_visibility_of_leads(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory)
    own = await make_lead(session, actors.rep.user)
    in_my_account = await make_lead(session, actors.peer_rep.user, account_id=account.id)
    peers = await make_lead(session, actors.peer_rep.user)
    unassigned = await make_lead(session, actors.integration.user, owner_id=None)
    for lead in (own, in_my_account):
        assert (
            await client.get(f"{LEADS}/{lead.id}", headers=actors.rep.headers)
        ).status_code == 200
    for lead in (peers, unassigned):
        assert (
            await client.get(f"{LEADS}/{lead.id}", headers=actors.rep.headers)
        ).status_code == 404
    r = await client.get(f"{LEADS}/{unassigned.id}", headers=actors.manager.headers)
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    assert (
        await client.get(f"{LEADS}/{peers.id}", headers=actors.manager.headers)
    ).status_code == 404
    assert (await client.get(f"{LEADS}/{peers.id}", headers=actors.vp.headers)).status_code == 200
    assert (await client.get(f"{LEADS}/not-a-uuid", headers=actors.rep.headers)).status_code == 404


async def test_patch_rules(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    lead = await make_lead(session, actors.rep.user, email="kim@old.io", domain="old.io")
    url = f"{LEADS}/{lead.id}"
    h = actors.rep.headers
    r = await client.patch(url, json={"status": "converted"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    r = await client.patch(url, json={"status": "disqualified"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "disqualify_reason"
    r = await client.patch(url, json={"email": None}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.patch(url, json={"email": "kim@new.io", "title": "CTO"}, headers=h)
    assert r.status_code == 200
    assert r.json()["domain"] == "new.io" and r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    r = await client.patch(url, json={"title": None}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412
    r = await client.patch(url, json={"title": None}, headers={**h, "If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["title"] is None
    converted = await make_lead(session, actors.rep.user, status="converted")
    r = await client.patch(f"{LEADS}/{converted.id}", json={"title": "X"}, headers=h)
    assert r.status_code == 409 and r.json()["type"] == "/problems/invalid-transition"


async def test_owner_change_rules(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    # A lead of the manager's rep, and one in a manager-visible account owned by a peer rep.
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory)
    lead = await make_lead(session, actors.rep.user)
    peers = await make_lead(session, actors.peer_rep.user, account_id=account.id)
    unassigned = await make_lead(session, actors.integration.user, owner_id=None)

    async def move(lead_id: object, owner: str | None, who: dict[str, str]) -> httpx.Response:
        return await client.patch(f"{LEADS}/{lead_id}", json={"owner_id": owner}, headers=who)

    r = await move(lead.id, str(actors.rep2.id), actors.rep.headers)
    assert r.status_code == 403
    r = await move(lead.id, str(actors.rep2.id), actors.manager.headers)
    assert r.status_code == 200 and r.json()["owner_id"] == str(actors.rep2.id)
    # A new owner outside the caller's subtree is invisible: 422.
    r = await move(lead.id, str(actors.peer_rep.id), actors.manager.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    # The current owner outside the caller's subtree: 403.
    r = await move(peers.id, str(actors.rep.id), actors.manager.headers)
    assert r.status_code == 403
    # The vp manages both.
    r = await move(peers.id, str(actors.rep.id), actors.vp.headers)
    assert r.status_code == 200
    # An unassigned lead needs only a manager of the new owner.
    r = await move(unassigned.id, str(actors.rep.id), actors.manager.headers)
    assert r.status_code == 200 and r.json()["owner_id"] == str(actors.rep.id)
    # Admins may do anything, including leaving it unassigned; integrations nothing.
    r = await move(unassigned.id, None, actors.admin.headers)
    assert r.status_code == 200 and r.json()["owner_id"] is None
    r = await move(unassigned.id, str(actors.integration.id), actors.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_owner"
    # On create: a rep may only name themselves.
    r = await client.post(
        LEADS, json={"email": "o@o.io", "owner_id": str(actors.rep2.id)}, headers=actors.rep.headers
    )
    assert r.status_code == 403
    r = await client.post(
        LEADS,
        json={"email": "o@o.io", "owner_id": str(actors.rep2.id)},
        headers=actors.manager.headers,
    )
    assert r.status_code == 201 and r.json()["owner_id"] == str(actors.rep2.id)


async def test_integration_permissions(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    h = actors.integration.headers
    r = await client.post(LEADS, json={"email": "ina@ina.io"}, headers=h)
    assert r.status_code == 201
    own = r.json()["id"]
    others = await make_lead(session, actors.rep.user)
    assert (await client.get(f"{LEADS}/{own}", headers=h)).status_code == 200
    assert (await client.get(f"{LEADS}/{others.id}", headers=h)).status_code == 404
    listed = (await client.get(LEADS, headers=h)).json()["items"]
    assert [lead["id"] for lead in listed] == [own]
    assert (await client.patch(f"{LEADS}/{own}", json={"title": "x"}, headers=h)).status_code == 403
    touch = {"channel": "email", "direction": "outbound"}
    assert (await client.post(f"{LEADS}/{own}/touches", json=touch, headers=h)).status_code == 403
    assert (await client.get(f"{LEADS}/{own}/touches", headers=h)).status_code == 403
    convert = {"create_opportunity": False}
    assert (await client.post(f"{LEADS}/{own}/convert", json=convert, headers=h)).status_code == 403
    assert (await client.get("/api/v1/contacts", headers=h)).status_code == 403
    assert (await client.get("/api/v1/follow-up", headers=h)).status_code == 403
    assert (await client.get("/api/v1/settings/cadence", headers=h)).status_code == 403
    r = await client.post(
        LEADS, json={"email": "o@o.io", "owner_id": str(actors.rep.id)}, headers=h
    )
    assert r.status_code == 403
    r = await client.put(f"{LEADS}/external/crm-1", json={"email": "ext@ina.io"}, headers=h)
    assert r.status_code == 201
    r = await client.post(f"{LEADS}/batch", json={"items": [{"email": "b@ina.io"}]}, headers=h)
    assert r.status_code == 200 and r.json()["counts"]["created"] == 1
