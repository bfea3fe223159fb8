"""API.md section 10: every id or enum filter of a list takes a comma list (at most 50 values),
`owner_id=none` on GET /leads selects unassigned leads, and an id in a filter the caller cannot
see is a 422 `not_found`, never an empty list."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import openapi_document
from app.models import Note
from tests.factories import Actor
from tests.factories import Actors
from tests.leads_factories import make_lead
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import make_unit
from tests.opportunities_factories import make_world

LEADS = "/api/v1/leads"


async def _ids(client: httpx.AsyncClient, actor: Actor, path: str) -> set[str]:
    r = await client.get(path, headers=actor.headers)
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["items"]}


def _error(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    error: dict[str, Any] = r.json()["errors"][0]
    return error


async def test_enum_filters_take_a_comma_list(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    rep = actors.rep
    new = await make_lead(session, rep.user, status="new")
    working = await make_lead(session, rep.user, status="working")
    nurture = await make_lead(session, rep.user, status="nurture")
    mine = {str(new.id), str(working.id), str(nurture.id)}

    assert await _ids(client, rep, f"{LEADS}?status=new") & mine == {str(new.id)}
    both = {str(new.id), str(working.id)}
    assert await _ids(client, rep, f"{LEADS}?status=new,working") & mine == both
    # The same written as repeated parameters (what form-exploding clients send).
    assert await _ids(client, rep, f"{LEADS}?status=new&status=working") & mine == both
    assert await _ids(client, rep, f"{LEADS}?status=new,%20working,new") & mine == both

    error = _error(await client.get(f"{LEADS}?status=new,bogus", headers=rep.headers))
    assert (error["field"], error["code"]) == ("query.status", "invalid_choice")
    error = _error(await client.get(f"{LEADS}?status=new,", headers=rep.headers))
    assert error["field"].startswith("query.status")
    fifty_one = ",".join(["new"] * 51)
    error = _error(await client.get(f"{LEADS}?status={fifty_one}", headers=rep.headers))
    assert error == {
        "field": "query.status",
        "code": "too_many_values",
        "message": "At most 50 values.",
    }


async def test_id_filters_take_a_comma_list(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    manager = actors.manager
    ours = await make_lead(session, actors.rep.user)
    theirs = await make_lead(session, actors.rep2.user)
    owners = f"{actors.rep.id},{actors.rep2.id}"
    found = await _ids(client, manager, f"{LEADS}?owner_id={owners}")
    assert {str(ours.id), str(theirs.id)} <= found
    assert str(ours.id) not in await _ids(client, manager, f"{LEADS}?owner_id={actors.rep2.id}")


async def test_owner_none_selects_unassigned_leads(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    admin = actors.admin
    unassigned = await make_lead(session, admin.user, owner_id=None)
    assigned = await make_lead(session, admin.user, owner_id=actors.rep.id)

    found = await _ids(client, admin, f"{LEADS}?owner_id=none&limit=200")
    assert str(unassigned.id) in found and str(assigned.id) not in found
    found = await _ids(client, admin, f"{LEADS}?owner_id=none,{actors.rep.id}&limit=200")
    assert {str(unassigned.id), str(assigned.id)} <= found
    # `none` is a lead-list word only.
    r = await client.get("/api/v1/opportunities?owner_id=none", headers=admin.headers)
    assert _error(r)["field"].startswith("query.owner_id")


async def test_opportunity_filters_take_comma_lists(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    world = await make_world(session, actors)
    rep = actors.rep
    new = await create_opportunity(client, rep, world.contact)
    expansion = await create_opportunity(
        client, rep, world.customer_contact, type="expansion", name="Globex seats"
    )
    both = {new["id"], expansion["id"]}
    path = "/api/v1/opportunities"
    assert await _ids(client, rep, f"{path}?type=new_business,expansion") == both
    assert await _ids(client, rep, f"{path}?type=expansion") == {expansion["id"]}
    assert await _ids(client, rep, f"{path}?stage=pending_acceptance,discovery") == both
    assert await _ids(client, rep, f"{path}?stage=discovery,proposal") == set()
    accounts = f"{world.account.id},{world.customer.id}"
    assert await _ids(client, rep, f"{path}?account_id={accounts}") == both
    assert await _ids(client, rep, f"{path}?account_id={world.customer.id}") == {expansion["id"]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/leads?owner_id={x}",
        "/api/v1/leads?account_id={x}",
        "/api/v1/leads?activity_id={x}",
        "/api/v1/contacts?account_id={x}",
        "/api/v1/contacts?lead_id={x}",
        "/api/v1/accounts?territory_id={x}",
        "/api/v1/activities?territory_id={x}",
        "/api/v1/activities?account_id={x}",
        "/api/v1/territories?owner_id={x}",
        "/api/v1/users?manager_id={x}",
        "/api/v1/opportunities?owner_id={x}",
        "/api/v1/opportunities?account_id={x}",
        "/api/v1/meetings?lead_id={x}",
        "/api/v1/meetings?opportunity_id={x}",
        "/api/v1/forecasts?owner_id={x}",
        "/api/v1/follow-up?owner_id={x}",
        "/api/v1/notes?author_id={x}",
        "/api/v1/notes?subject_type=lead,contact&subject_id={x}",
        "/api/v1/tasks?owner_id={x}",
        "/api/v1/tasks?subject_type=account&subject_id={x}",
        "/api/v1/interactions?subject_type=opportunity&subject_id={x}",
        "/api/v1/accounts/{account}/units?parent_id={x}",
    ],
)
async def test_an_invisible_id_in_any_list_filter_is_422(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors, path: str
) -> None:
    """One id nobody can see, alone and beside ids the caller does see."""
    world = await make_world(session, actors)
    rep = actors.rep
    fmt = {"account": world.account.id}
    for value in (str(uuid.uuid4()), f"{rep.id},{world.account.id},{uuid.uuid4()}"):
        r = await client.get(path.format(x=value, **fmt), headers=rep.headers)
        name = path.split("?")[1].split("&")[-1].split("=")[0]
        assert _error(r) == {
            "field": f"query.{name}",
            "code": "not_found",
            "message": f"No such record visible to you for query.{name}.",
        }


async def test_another_teams_records_in_a_filter_are_422_and_own_ones_pass(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    world = await make_world(session, actors)
    rep = actors.rep
    other = world.other_account.id  # peer_rep's territory: invisible to rep
    r = await client.get(
        f"/api/v1/contacts?account_id={world.account.id},{other}", headers=rep.headers
    )
    assert _error(r)["field"] == "query.account_id"
    r = await client.get(f"/api/v1/accounts?territory_id={world.territory.id}", headers=rep.headers)
    assert r.status_code == 200 and {a["id"] for a in r.json()["items"]} == {
        str(world.account.id),
        str(world.customer.id),
    }
    lead = await make_lead(session, actors.peer_rep.user)
    note = Note(
        subject_type="lead", subject_id=lead.id, author_id=actors.peer_rep.id, body="theirs"
    )
    session.add(note)
    await session.flush()
    r = await client.get(
        f"/api/v1/notes?subject_type=lead&subject_id={lead.id}", headers=rep.headers
    )
    assert _error(r)["field"] == "query.subject_id"
    r = await client.get(
        f"/api/v1/notes?subject_type=lead&subject_id={lead.id}",
        headers=actors.peer_rep.headers,
    )
    assert r.status_code == 200 and [n["id"] for n in r.json()["items"]] == [str(note.id)]
    unit = await make_unit(session, world.account)
    r = await client.get(
        f"/api/v1/accounts/{world.account.id}/units?parent_id={unit.id}", headers=rep.headers
    )
    assert r.status_code == 200


def test_openapi_declares_comma_lists() -> None:
    document = json.loads(openapi_document())
    operation = document["paths"]["/api/v1/opportunities"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    stage = parameters["stage"]
    assert (stage["style"], stage["explode"]) == ("form", False)
    array = next(v for v in stage["schema"]["anyOf"] if v.get("type") == "array")
    assert array["items"] == {"$ref": "#/components/schemas/StageSlug"}
    assert array["maxItems"] == 50
    assert "explode" not in parameters["close_date_from"]
