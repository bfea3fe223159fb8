"""Custom field values on contacts, accounts and opportunities (API.md section 13): the same
rules as on leads — each type's valid and invalid values, unknown and archived keys, required,
merge patch key by key with `custom.<key>` in `*.updated`, and list filters (the opportunity
list is JSON built in SQL: filters and cursors work there too)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event
from tests.api.test_custom_values import FILTER_ROWS
from tests.api.test_custom_values import INVALID
from tests.api.test_custom_values import VALID
from tests.api.test_custom_values import check_filters
from tests.api.test_custom_values import define_all
from tests.factories import Actors
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory
from tests.opportunities_factories import World
from tests.opportunities_factories import make_world

FIELDS = "/api/v1/custom-fields"
RESOURCES = ["contact", "account", "opportunity"]
URLS = {
    "contact": "/api/v1/contacts",
    "account": "/api/v1/accounts",
    "opportunity": "/api/v1/opportunities",
}
_names = itertools.count()

Create = Callable[..., Awaitable[httpx.Response]]


def creator(client: httpx.AsyncClient, world: World, resource: str) -> Create:
    """POST a new record of `resource` (the rep's, in the rep's territory) with `custom`."""

    def body() -> dict[str, Any]:
        n = next(_names)
        if resource == "contact":
            return {"account_id": str(world.account.id), "first_name": f"C{n}"}
        if resource == "account":
            return {
                "territory_id": str(world.territory.id),
                "name": f"Account {n}",
                "vertical": "technology",
                "account_type": "net_new",
            }
        return {"name": f"Deal {n}", "contact_id": str(world.contact.id)}

    async def create(custom: dict[str, Any] | None = None) -> httpx.Response:
        payload = body() if custom is None else {**body(), "custom": custom}
        return await client.post(URLS[resource], json=payload, headers=world.actors.rep.headers)

    return create


@pytest.fixture(params=RESOURCES)
def resource(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


@pytest.fixture
async def fields(client: httpx.AsyncClient, actors: Actors, resource: str) -> dict[str, str]:
    return await define_all(client, actors, resource)


async def test_each_type_valid_and_invalid(
    client: httpx.AsyncClient, world: World, resource: str, fields: dict[str, str]
) -> None:
    h = world.actors.rep.headers
    create = creator(client, world, resource)
    r = await create(VALID)
    assert r.status_code == 201, r.text
    shown = {**VALID, "budget": "1250.50"}
    assert r.json()["custom"] == shown
    url = f"{URLS[resource]}/{r.json()['id']}"
    r = await client.get(url, headers=h)
    assert r.status_code == 200 and r.json()["custom"] == shown
    for key, value, code in INVALID:
        r = await create({key: value})
        assert r.status_code == 422, (key, value, r.text)
        assert r.json()["type"] == "/problems/validation"
        error = r.json()["errors"][0]
        assert (error["field"], error["code"]) == (f"custom.{key}", code), (key, value)
        r = await client.patch(url, json={"custom": {key: value}}, headers=h)
        assert r.status_code == 422, (key, value, r.text)
        error = r.json()["errors"][0]
        assert (error["field"], error["code"]) == (f"custom.{key}", code), (key, value)
    r = await client.get(url, headers=h)
    assert r.json()["version"] == 1 and r.json()["custom"] == shown


async def test_merge_patch_key_by_key_and_the_updated_event(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    resource: str,
    fields: dict[str, str],
) -> None:
    h = world.actors.rep.headers
    r = await creator(client, world, resource)()
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["custom"] == {k: None for k in VALID}
    url = f"{URLS[resource]}/{record['id']}"
    r = await client.patch(url, json={"custom": {"tier": "gold", "lead_score": 3}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert (r.json()["custom"]["tier"], r.json()["custom"]["lead_score"]) == ("gold", 3)
    mark = await session.scalar(select(func.max(Event.id)))
    r = await client.patch(
        url, json={"custom": {"tier": None, "vip": False, "lead_score": 3}}, headers=h
    )
    custom = r.json()["custom"]
    assert (custom["tier"], custom["lead_score"], custom["vip"]) == (None, 3, False)
    assert r.json()["version"] == 3
    data = await session.scalar(
        select(Event.data).where(Event.id > mark, Event.type == f"{resource}.updated")
    )
    assert data == {"changed": ["custom.tier", "custom.vip"]}
    # Sending the stored values again changes nothing.
    r = await client.patch(url, json={"custom": {"lead_score": 3}}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 3
    r = await client.get(url, headers=h)
    assert r.json()["custom"]["vip"] is False and r.json()["version"] == 3


async def test_required_on_create_and_against_null(
    client: httpx.AsyncClient, world: World, resource: str, fields: dict[str, str]
) -> None:
    h = world.actors.rep.headers
    create = creator(client, world, resource)
    r = await create()
    assert r.status_code == 201
    early = f"{URLS[resource]}/{r.json()['id']}"
    r = await client.patch(
        f"{FIELDS}/{fields['tier']}", json={"required": True}, headers=world.actors.admin.headers
    )
    assert r.status_code == 200
    r = await create()
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0] == {
        "field": "custom.tier",
        "code": "required",
        "message": "tier is required.",
    }
    r = await create({"tier": "silver"})
    assert r.status_code == 201, r.text
    url = f"{URLS[resource]}/{r.json()['id']}"
    r = await client.patch(url, json={"custom": {"tier": None}}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    # A record from before the field was required changes its other values freely.
    r = await client.patch(early, json={"custom": {"vip": True}}, headers=h)
    assert r.status_code == 200 and r.json()["custom"]["vip"] is True


async def test_list_filters(
    client: httpx.AsyncClient, world: World, resource: str, fields: dict[str, str]
) -> None:
    create = creator(client, world, resource)
    names = {}
    for name, custom in FILTER_ROWS:
        r = await create(custom)
        assert r.status_code == 201, r.text
        names[r.json()["id"]] = name
    await check_filters(client, URLS[resource], world.actors.rep.headers, names)


async def test_conversion_is_not_held_up_by_required_account_fields(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    """A conversion request cannot give custom values, so the account it creates skips
    `required` (as accounts from before the field was required do); a direct create does not."""
    territory = await make_territory(session, actors.rep.user)
    body = {"object": "account", "key": "tier", "label": "Tier", "type": "text", "required": True}
    r = await client.post(FIELDS, json=body, headers=actors.admin.headers)
    assert r.status_code == 201
    lead = await make_lead(session, actors.rep.user, email="ann@newco.io", domain="newco.io")
    r = await client.post(
        f"/api/v1/leads/{lead.id}/convert",
        json={"create_opportunity": False},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["account"]["custom"] == {"tier": None}
    account = {
        "territory_id": str(territory.id),
        "name": "Direct",
        "vertical": "technology",
        "account_type": "net_new",
    }
    r = await client.post(URLS["account"], json=account, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "custom.tier"
