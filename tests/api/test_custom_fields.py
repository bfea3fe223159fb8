"""Custom field definitions (API.md section 13): admins write, every role reads; keys are
unique and immutable; options only for select types; removing an option still held is 409;
DELETE removes the values too; reads of the four resources show every active key."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CustomField
from app.models import Lead
from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_contact
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory

FIELDS = "/api/v1/custom-fields"


async def define(
    client: httpx.AsyncClient, actors: Actors, key: str, type_: str, **extra: object
) -> dict[str, object]:
    body = {"object": "lead", "key": key, "label": key.title(), "type": type_, **extra}
    r = await client.post(FIELDS, json=body, headers=actors.admin.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_define_read_and_list(client: httpx.AsyncClient, actors: Actors) -> None:
    tier = await define(client, actors, "tier", "select", options=["gold", "silver"])
    assert tier["options"] == ["gold", "silver"] and tier["required"] is False
    assert tier["archived"] is False and tier["version"] == 1
    await define(client, actors, "lead_score", "number")
    for actor in (actors.rep, actors.integration):
        r = await client.get(f"{FIELDS}/{tier['id']}", headers=actor.headers)
        assert r.status_code == 200 and r.headers["etag"] == '"1"'
        r = await client.get(
            FIELDS, params={"object": "lead", "sort": "key"}, headers=actor.headers
        )
        assert [f["key"] for f in r.json()["items"]] == ["lead_score", "tier"]
    r = await client.get(FIELDS, params={"object": "account"}, headers=actors.rep.headers)
    assert r.json()["items"] == []


async def test_only_admins_write(client: httpx.AsyncClient, actors: Actors) -> None:
    body = {"object": "lead", "key": "tier", "label": "Tier", "type": "text"}
    for actor in (actors.manager, actors.rep, actors.integration):
        r = await client.post(FIELDS, json=body, headers=actor.headers)
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    field = await define(client, actors, "tier", "text")
    r = await client.patch(
        f"{FIELDS}/{field['id']}", json={"label": "X"}, headers=actors.rep.headers
    )
    assert r.status_code == 403
    r = await client.delete(f"{FIELDS}/{field['id']}", headers=actors.manager.headers)
    assert r.status_code == 403


async def test_definition_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.admin.headers
    cases = [
        ({"key": "Tier"}, "key", "invalid_format"),
        ({"key": "t"}, "key", "invalid_format"),
        ({"key": "x" * 41}, "key", "too_long"),
        ({"type": "colour"}, "type", "invalid_choice"),
        ({"object": "territory"}, "object", "invalid_choice"),
        ({"type": "select"}, "options", "required"),
        ({"type": "text", "options": ["a"]}, "options", "not_allowed"),
        ({"type": "select", "options": ["a", "a"]}, "options", "not_distinct"),
        ({"type": "select", "options": [str(i) for i in range(101)]}, "options", "too_many_items"),
        ({"label": ""}, "label", "too_short"),
    ]
    for change, field, code in cases:
        body = {"object": "lead", "key": "tier", "label": "Tier", "type": "text", **change}
        r = await client.post(FIELDS, json=body, headers=h)
        assert r.status_code == 422, (change, r.text)
        error = r.json()["errors"][0]
        assert (error["field"], error["code"]) == (field, code), (change, error)
    first = await define(client, actors, "tier", "text")
    r = await client.post(
        FIELDS, json={"object": "lead", "key": "tier", "label": "T", "type": "text"}, headers=h
    )
    assert r.status_code == 409 and r.json()["type"] == "/problems/duplicate"
    assert r.json()["existing_id"] == first["id"]
    # The same key on another object is another field.
    r = await client.post(
        FIELDS, json={"object": "account", "key": "tier", "label": "T", "type": "text"}, headers=h
    )
    assert r.status_code == 201
    url = f"{FIELDS}/{first['id']}"
    for body in ({"key": "level"}, {"type": "number"}, {"object": "contact"}):
        r = await client.patch(url, json=body, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only", body
    r = await client.patch(url, json={"label": None}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.patch(url, json={"label": "Level"}, headers={**h, "If-Match": '"7"'})
    assert r.status_code == 412


async def test_at_most_100_fields_per_object(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    session.add_all(
        CustomField(object="contact", key=f"f_{i}", label="F", type="text") for i in range(100)
    )
    await session.flush()
    body = {"object": "contact", "key": "one_more", "label": "X", "type": "text"}
    r = await client.post(FIELDS, json=body, headers=actors.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "object",
        "code": "limit",
        "message": "An object has at most 100 custom fields.",
    }
    r = await client.post(FIELDS, json={**body, "object": "lead"}, headers=actors.admin.headers)
    assert r.status_code == 201


async def test_options_add_freely_remove_only_when_unused(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    h = actors.admin.headers
    tier = await define(client, actors, "tier", "select", options=["gold", "silver"])
    tags = await define(client, actors, "tags", "multi_select", options=["a", "b", "c"])
    await make_lead(session, actors.rep.user, custom_values={"tier": "gold", "tags": ["a", "b"]})
    r = await client.patch(
        f"{FIELDS}/{tier['id']}", json={"options": ["gold", "silver", "bronze"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["options"] == ["gold", "silver", "bronze"]
    r = await client.patch(f"{FIELDS}/{tier['id']}", json={"options": ["silver"]}, headers=h)
    assert r.status_code == 409 and r.json()["type"] == "/problems/conflict"
    assert "gold" in r.json()["detail"]
    r = await client.patch(f"{FIELDS}/{tier['id']}", json={"options": ["gold"]}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 3
    r = await client.patch(f"{FIELDS}/{tags['id']}", json={"options": ["a", "b"]}, headers=h)
    assert r.status_code == 200
    r = await client.patch(f"{FIELDS}/{tags['id']}", json={"options": ["a"]}, headers=h)
    assert r.status_code == 409
    r = await client.patch(f"{FIELDS}/{tags['id']}", json={"options": []}, headers=h)
    assert r.status_code == 422


async def test_reads_show_active_keys_and_delete_removes_values(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    h = actors.admin.headers
    score = await define(client, actors, "lead_score", "number")
    tier = await define(client, actors, "tier", "text")
    lead = await make_lead(session, actors.rep.user, custom_values={"lead_score": 42})
    other = await make_lead(session, actors.rep.user, custom_values={"lead_score": 7, "tier": "x"})
    url = f"/api/v1/leads/{lead.id}"
    r = await client.get(url, headers=actors.rep.headers)
    assert r.json()["custom"] == {"lead_score": 42, "tier": None}
    r = await client.patch(f"{FIELDS}/{tier['id']}", json={"archived": True}, headers=h)
    assert r.status_code == 200 and r.json()["archived"] is True
    r = await client.get(url, headers=actors.rep.headers)
    assert r.json()["custom"] == {"lead_score": 42}
    r = await client.delete(f"{FIELDS}/{score['id']}", headers=h)
    assert r.status_code == 204
    r = await client.get(f"{FIELDS}/{score['id']}", headers=h)
    assert r.status_code == 404
    stored = await session.scalars(
        select(Lead.custom_values).where(Lead.id.in_([lead.id, other.id])).order_by(Lead.email)
    )
    assert sorted(map(str, stored)) == sorted(["{}", "{'tier': 'x'}"])
    r = await client.get(url, headers=actors.rep.headers)
    assert r.json()["custom"] == {}
    # The other resources carry `custom` too.
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory)
    contact = await make_contact(session, account)
    r = await client.post(
        FIELDS,
        json={"object": "contact", "key": "nps", "label": "NPS", "type": "number"},
        headers=h,
    )
    r = await client.get(f"/api/v1/contacts/{contact.id}", headers=actors.rep.headers)
    assert r.json()["custom"] == {"nps": None}
    r = await client.get(f"/api/v1/accounts/{account.id}", headers=actors.rep.headers)
    assert r.json()["custom"] == {}
