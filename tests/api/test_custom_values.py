"""Custom field values on leads (API.md section 13): each type's valid and invalid values,
unknown and archived keys, required, merge patch, list filters, upsert, batch and CSV."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event
from app.models import Lead
from tests.factories import Actors

FIELDS = "/api/v1/custom-fields"
LEADS = "/api/v1/leads"


async def define_all(client: httpx.AsyncClient, actors: Actors, object_name: str) -> dict[str, str]:
    """One field of each type on `object_name` plus an archived one; their ids by key."""
    ids = {}
    for key, type_, options in [
        ("note", "text", None),
        ("lead_score", "number", None),
        ("budget", "money", None),
        ("renewal_on", "date", None),
        ("vip", "boolean", None),
        ("tier", "select", ["gold", "silver"]),
        ("tags", "multi_select", ["a", "b", "c"]),
        ("old", "text", None),
    ]:
        body: dict[str, Any] = {"object": object_name, "key": key, "label": key, "type": type_}
        if options:
            body["options"] = options
        r = await client.post(FIELDS, json=body, headers=actors.admin.headers)
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    r = await client.patch(
        f"{FIELDS}/{ids['old']}", json={"archived": True}, headers=actors.admin.headers
    )
    assert r.status_code == 200
    return ids


@pytest.fixture
async def fields(client: httpx.AsyncClient, actors: Actors) -> dict[str, str]:
    return await define_all(client, actors, "lead")


VALID = {
    "note": "x" * 2000,
    "lead_score": 87.5,
    "budget": "1250.5",
    "renewal_on": "2027-02-28",
    "vip": True,
    "tier": "gold",
    "tags": ["a", "c"],
}
INVALID = [
    ("note", "x" * 2001, "too_long"),
    ("note", 5, "invalid_type"),
    ("lead_score", True, "invalid_type"),
    ("lead_score", "5", "invalid_type"),
    ("budget", 12.5, "money_format"),
    ("budget", "1.234", "money_format"),
    ("renewal_on", "2027-02-30", "invalid_date"),
    ("renewal_on", "28/02/2027", "invalid_date"),
    ("vip", "yes", "invalid_type"),
    ("tier", "bronze", "invalid_choice"),
    ("tags", ["a", "a"], "not_distinct"),
    ("tags", ["z"], "invalid_choice"),
    ("tags", "a", "invalid_type"),
    ("nope", 1, "unknown_field"),
    ("old", "x", "archived"),
]


async def test_each_type_valid_and_invalid(
    client: httpx.AsyncClient, actors: Actors, fields: dict[str, str]
) -> None:
    h = actors.rep.headers
    r = await client.post(LEADS, json={"email": "v@example.com", "custom": VALID}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["custom"] == {**VALID, "budget": "1250.50"}
    r = await client.get(f"{LEADS}/{r.json()['id']}", headers=h)
    assert r.json()["custom"] == {**VALID, "budget": "1250.50"}
    for n, (key, value, code) in enumerate(INVALID):
        body = {"email": f"bad{n}@example.com", "custom": {key: value}}
        r = await client.post(LEADS, json=body, headers=h)
        assert r.status_code == 422, (key, value, r.text)
        assert r.json()["type"] == "/problems/validation"
        error = r.json()["errors"][0]
        assert (error["field"], error["code"]) == (f"custom.{key}", code), (key, value)


async def test_unset_keys_read_null_and_merge_patch(
    client: httpx.AsyncClient, actors: Actors, fields: dict[str, str]
) -> None:
    h = actors.rep.headers
    r = await client.post(LEADS, json={"email": "m@example.com"}, headers=h)
    lead = r.json()
    assert lead["custom"] == {k: None for k in VALID}
    url = f"{LEADS}/{lead['id']}"
    r = await client.patch(url, json={"custom": {"tier": "gold", "lead_score": 3}}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert r.json()["custom"]["tier"] == "gold" and r.json()["custom"]["lead_score"] == 3
    r = await client.patch(url, json={"custom": {"tier": None, "vip": False}}, headers=h)
    custom = r.json()["custom"]
    assert (custom["tier"], custom["lead_score"], custom["vip"]) == (None, 3, False)
    r = await client.patch(url, json={"custom": {"tier": "x"}}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "custom.tier"
    r = await client.get(url, headers=h)
    assert r.json()["version"] == 3 and r.json()["custom"]["vip"] is False


async def test_required_on_create_and_against_null(
    client: httpx.AsyncClient, actors: Actors, fields: dict[str, str]
) -> None:
    h = actors.rep.headers
    r = await client.post(LEADS, json={"email": "early@example.com"}, headers=h)
    assert r.status_code == 201
    early = r.json()["id"]
    r = await client.patch(
        f"{FIELDS}/{fields['tier']}", json={"required": True}, headers=actors.admin.headers
    )
    assert r.status_code == 200
    r = await client.post(LEADS, json={"email": "r@example.com"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "custom.tier"
    assert r.json()["errors"][0]["code"] == "required"
    r = await client.post(
        LEADS, json={"email": "r@example.com", "custom": {"tier": "silver"}}, headers=h
    )
    assert r.status_code == 201
    r = await client.patch(f"{LEADS}/{r.json()['id']}", json={"custom": {"tier": None}}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    # A lead from before the field was required changes other fields freely.
    r = await client.patch(f"{LEADS}/{early}", json={"title": "CTO"}, headers=h)
    assert r.status_code == 200


# Records named g, s and n with these values, then what each filter finds and rejects.
FILTER_ROWS = [
    ("g", {"tier": "gold", "tags": ["a", "b"], "lead_score": 10}),
    ("s", {"tier": "silver", "tags": ["b"], "vip": True}),
    ("n", {}),
]
FILTER_FINDS = [
    ({}, ["g", "n", "s"]),
    ({"custom.tier": "gold"}, ["g"]),
    ({"custom.tier": "gold,silver"}, ["g", "s"]),
    ({"custom.tags": "b"}, ["g", "s"]),
    ({"custom.tags": "a", "custom.tier": "gold"}, ["g"]),
    ({"custom.lead_score": "10"}, ["g"]),
    ({"custom.vip": "true"}, ["s"]),
]
FILTER_ERRORS = [
    ({"custom.nope": "1"}, "unknown_field"),
    ({"custom.old": "x"}, "unknown_field"),
    ({"custom.tier": "bronze"}, "invalid_choice"),
    ({"custom.lead_score": "ten"}, "invalid_number"),
    ({"custom.vip": "maybe"}, "invalid_type"),
]


async def check_filters(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], names: dict[str, str]
) -> None:
    """The list at `url` filters the FILTER_ROWS records (`names`: their ids' names) as
    FILTER_FINDS says, rejects FILTER_ERRORS at `query.custom.<key>`, pages through a filter
    and binds its cursor to it."""
    for params, expected in FILTER_FINDS:
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        found = sorted(names[i["id"]] for i in r.json()["items"] if i["id"] in names)
        assert found == expected, params
    for params, code in FILTER_ERRORS:
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 422, params
        assert r.json()["type"] == "/problems/validation"
        error = r.json()["errors"][0]
        assert (error["field"], error["code"]) == (f"query.{next(iter(params))}", code)
    r = await client.get(url, params={"custom.tags": "b", "limit": "1"}, headers=headers)
    first, cursor = r.json()["items"], r.json()["next_cursor"]
    assert len(first) == 1 and cursor is not None
    params = {"custom.tags": "b", "limit": "1", "cursor": cursor}
    r = await client.get(url, params=params, headers=headers)
    assert r.status_code == 200
    assert {names[first[0]["id"]], names[r.json()["items"][0]["id"]]} == {"g", "s"}
    # A cursor from other filters is refused, as on every list.
    r = await client.get(url, params={"custom.tags": "a", "cursor": cursor}, headers=headers)
    assert r.status_code == 400


async def test_list_filters(
    client: httpx.AsyncClient, actors: Actors, fields: dict[str, str]
) -> None:
    h = actors.rep.headers
    names = {}
    for name, custom in FILTER_ROWS:
        body = {"email": f"{name}@example.com", "custom": custom}
        r = await client.post(LEADS, json=body, headers=h)
        assert r.status_code == 201
        names[r.json()["id"]] = name
    await check_filters(client, LEADS, h, names)


async def test_upsert_merges_custom(
    client: httpx.AsyncClient, actors: Actors, fields: dict[str, str]
) -> None:
    h = actors.integration.headers
    url = f"{LEADS}/external/crm-1"
    body = {"email": "u@example.com", "custom": {"tier": "gold", "lead_score": 1}}
    r = await client.put(url, json=body, headers=h)
    assert r.status_code == 201, r.text
    r = await client.put(url, json={"custom": {"lead_score": 2, "tier": None}}, headers=h)
    assert r.status_code == 200
    assert (r.json()["custom"]["tier"], r.json()["custom"]["lead_score"]) == (None, 2)
    r = await client.put(url, json={"custom": {"lead_score": "x"}}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "custom.lead_score"


async def test_batch_only_the_bad_item_is_invalid(
    client: httpx.AsyncClient, actors: Actors, fields: dict[str, str]
) -> None:
    h = actors.integration.headers
    items = [
        {"email": "b0@example.com", "external_id": "b0", "custom": {"tier": "gold"}},
        {"email": "b1@example.com", "custom": {"tier": "bronze"}},
        {"email": "b2@example.com", "custom": {"lead_score": 5, "tags": ["a"]}},
    ]
    r = await client.post(f"{LEADS}/batch", json={"items": items}, headers=h)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "invalid", "created"]
    assert results[1]["errors"][0]["field"] == "custom.tier"
    assert results[1]["errors"][0]["code"] == "invalid_choice"
    r = await client.get(f"{LEADS}/{results[2]['id']}", headers=h)
    assert r.json()["custom"]["lead_score"] == 5 and r.json()["custom"]["tags"] == ["a"]
    # By external id: an update merges key by key.
    update = [{"email": "b0@example.com", "external_id": "b0", "custom": {"vip": True}}]
    r = await client.post(f"{LEADS}/batch", json={"items": update}, headers=h)
    assert r.json()["results"][0]["status"] == "updated"
    r = await client.get(f"{LEADS}/{results[0]['id']}", headers=h)
    assert r.json()["custom"]["tier"] == "gold" and r.json()["custom"]["vip"] is True
    # on_duplicate merge fills the keys the existing lead lacks, never overwrites.
    merge = [{"email": "b0@example.com", "custom": {"tier": "silver", "lead_score": 9}}]
    r = await client.post(
        f"{LEADS}/batch", json={"items": merge, "on_duplicate": "merge"}, headers=h
    )
    assert r.json()["results"][0]["status"] == "merged"
    r = await client.get(f"{LEADS}/{results[0]['id']}", headers=h)
    assert r.json()["custom"]["tier"] == "gold" and r.json()["custom"]["lead_score"] == 9


async def test_csv_custom_columns(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors, fields: dict[str, str]
) -> None:
    h = {**actors.integration.headers, "Content-Type": "text/csv"}
    body = (
        "email,custom.lead_score,custom.vip,custom.tags,custom.budget\n"
        "c0@example.com,42,true,a;b,100\n"
        "c1@example.com,many,false,,\n"
        "c2@example.com,,no,c,\n"
    )
    r = await client.post(f"{LEADS}/import", content=body.encode(), headers=h)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "invalid", "created"]
    assert results[1]["errors"][0]["field"] == "custom.lead_score"
    r = await client.get(f"{LEADS}/{results[0]['id']}", headers=actors.integration.headers)
    custom = r.json()["custom"]
    assert (custom["lead_score"], custom["vip"], custom["tags"], custom["budget"]) == (
        42,
        True,
        ["a", "b"],
        "100.00",
    )
    # A column no active lead field stores refuses the whole file, before any row is stored.
    for header, code in [
        ("custom.Bad-Key", "unknown_column"),
        ("custom.nope", "unknown_column"),
        ("custom.old", "archived"),
    ]:
        body = f"email,custom.tier,{header}\nx@example.com,gold,1\ny@example.com,,2\n"
        r = await client.post(f"{LEADS}/import", content=body.encode(), headers=h)
        assert r.status_code == 422, (header, r.text)
        assert r.json()["type"] == "/problems/validation"
        assert r.json()["errors"] == [
            {"field": "columns.2", "code": code, "message": r.json()["errors"][0]["message"]}
        ]
    stored = await session.scalar(select(func.count()).where(Lead.email == "x@example.com"))
    assert stored == 0


async def test_batch_update_lists_only_changed_keys_not_archived_ones(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors, fields: dict[str, str]
) -> None:
    """A value still stored under a since-archived key is neither shown nor reported as a
    change when a batch update touches the lead's other keys."""
    h = actors.integration.headers
    item = {"email": "arch@example.com", "external_id": "arch", "custom": {"tier": "gold"}}
    r = await client.post(f"{LEADS}/batch", json={"items": [item]}, headers=h)
    lead_id = r.json()["results"][0]["id"]
    await session.execute(
        update(Lead).where(Lead.id == lead_id).values(custom_values={"tier": "gold", "old": "kept"})
    )
    mark = await session.scalar(select(func.max(Event.id)))
    item = {**item, "custom": {"vip": True, "tier": "gold"}}
    r = await client.post(f"{LEADS}/batch", json={"items": [item]}, headers=h)
    assert r.json()["results"][0]["status"] == "updated"
    events = (await session.execute(select(Event.type, Event.data).where(Event.id > mark))).all()
    assert [tuple(e) for e in events] == [("lead.updated", {"changed": ["custom.vip"]})]
    stored = await session.scalar(select(Lead.custom_values).where(Lead.id == lead_id))
    assert stored == {"tier": "gold", "old": "kept", "vip": True}
    # So does PATCH.
    mark = await session.scalar(select(func.max(Event.id)))
    r = await client.patch(
        f"{LEADS}/{lead_id}", json={"custom": {"vip": False}}, headers=actors.admin.headers
    )
    assert r.status_code == 200 and "old" not in r.json()["custom"]
    data = await session.scalar(select(Event.data).where(Event.id > mark))
    assert data == {"changed": ["custom.vip"]}
