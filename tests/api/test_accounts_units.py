"""Accounts (normalised unique domains), units as a tree inside one account, adoption history."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.repository import AccountRepository
from app.models import AdoptionChange
from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.api.territory_helpers import unit
from tests.factories import Actors


async def test_account_shape_and_domain_normalisation(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    body = {
        "territory_id": t["id"],
        "name": "Northwind Bank",
        "domain": "HTTPS://www.Northwind-Bank.COM/about/us?x=1",
        "vertical": "financial_services",
        "account_type": "net_new",
        "routes_to_market": ["programs", "direct", "programs"],
        "cloud_providers": ["aws", "azure", "aws"],
        "partners": [{"kind": "si", "name": "Accenture"}, {"kind": "cloud", "name": "AWS"}],
        "it_support": "outsourced",
    }
    r = await client.post("/api/v1/accounts", json=body, headers=actors.rep.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/api/v1/accounts/{created['id']}"
    assert set(created) - {"custom"} == {
        "id",
        "territory_id",
        "name",
        "domain",
        "vertical",
        "account_type",
        "routes_to_market",
        "cloud_providers",
        "partners",
        "it_support",
        "created_at",
        "updated_at",
        "version",
    }
    assert created["domain"] == "northwind-bank.com"
    assert created["routes_to_market"] == ["direct", "programs"]
    assert created["cloud_providers"] == ["aws", "azure"]
    assert created["partners"] == body["partners"]
    r = await client.get(
        "/api/v1/accounts?domain=https://northwind-bank.com/", headers=actors.rep.headers
    )
    assert [a["id"] for a in r.json()["items"]] == [created["id"]]
    minimal = await account(client, actors.rep, t["id"], domain=None)
    assert minimal["domain"] is None and minimal["partners"] == [] and minimal["it_support"] is None


async def test_duplicate_domain_is_409_case_insensitive(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    mine = await territory(client, actors.admin, actors.rep)
    theirs = await territory(client, actors.admin, actors.peer_rep)
    first = await account(client, actors.peer_rep, theirs["id"], domain="contoso.com")
    for spelling in ("CONTOSO.com", "http://www.Contoso.com/careers", "contoso.com."):
        r = await client.post(
            "/api/v1/accounts",
            json={
                "territory_id": mine["id"],
                "name": "Contoso",
                "domain": spelling,
                "vertical": "retail",
                "account_type": "customer",
            },
            headers=actors.rep.headers,
        )
        assert r.status_code == 409, spelling
        problem = r.json()
        assert problem["type"] == "/problems/duplicate"
        assert problem["existing_id"] == first["id"]
    other = await account(client, actors.rep, mine["id"], domain="fabrikam.com")
    r = await client.patch(
        f"/api/v1/accounts/{other['id']}",
        json={"domain": "Contoso.COM"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 409 and r.json()["existing_id"] == first["id"]
    r = await client.patch(
        f"/api/v1/accounts/{other['id']}",
        json={"domain": "FABRIKAM.com"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200 and r.json()["version"] == 1  # same domain: nothing changed
    for bad in ("localhost", "not a domain", "-bad-.com", "a..b.com", "1.2.3.4"):
        r = await client.post(
            "/api/v1/accounts",
            json={
                "territory_id": mine["id"],
                "name": "X",
                "domain": bad,
                "vertical": "retail",
                "account_type": "customer",
            },
            headers=actors.rep.headers,
        )
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["code"] == "invalid_domain"


async def test_concurrent_duplicate_in_the_database_is_409(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    """The unique index is the last word: an insert racing past the check still gets 409."""
    from app.core.errors import Duplicate
    from app.models import Account

    t = await territory(client, actors.admin, actors.rep)
    first = await account(client, actors.rep, t["id"], domain="race.example")
    twin = Account(
        territory_id=t["id"],
        name="Twin",
        domain="race.example",
        vertical="retail",
        account_type="customer",
    )
    try:
        await AccountRepository(session).add(twin)
    except Duplicate as exc:
        assert exc.extra["existing_id"] == first["id"]
    else:
        raise AssertionError("no 409")


async def test_account_visibility_and_roles(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    url = f"/api/v1/accounts/{a['id']}"
    assert (await client.get(url, headers=actors.manager.headers)).status_code == 200
    for actor in (actors.rep2, actors.peer_rep, actors.integration):
        assert (await client.get(url, headers=actor.headers)).status_code == 404
        assert (await client.get(f"{url}/units", headers=actor.headers)).status_code == 404
    r = await client.post(
        "/api/v1/accounts",
        json={
            "territory_id": t["id"],
            "name": "X",
            "vertical": "retail",
            "account_type": "customer",
        },
        headers=actors.peer_rep.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "territory_id",
        "code": "not_found",
        "message": "No such record visible to you for territory_id.",
    }
    r = await client.post(
        "/api/v1/accounts",
        json={
            "territory_id": t["id"],
            "name": "X",
            "vertical": "retail",
            "account_type": "customer",
        },
        headers=actors.integration.headers,
    )
    assert r.status_code == 403
    listed = (await client.get("/api/v1/accounts", headers=actors.peer_rep.headers)).json()
    assert a["id"] not in {i["id"] for i in listed["items"]}


async def test_account_patch_filters_and_if_match(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    other = await territory(client, actors.admin, actors.rep2)
    a = await account(client, actors.rep, t["id"], vertical="retail", account_type="net_new")
    await account(client, actors.rep, t["id"], vertical="healthcare")
    url = f"/api/v1/accounts/{a['id']}"
    h = {**actors.rep.headers, "If-Match": '"1"'}
    r = await client.patch(
        url,
        json={
            "routes_to_market": ["channel"],
            "it_support": "in_house",
            "partners": [{"kind": "reseller", "name": "CDW"}],
        },
        headers=h,
    )
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    assert r.json()["routes_to_market"] == ["channel"] and r.json()["it_support"] == "in_house"
    r = await client.patch(url, json={"name": "Stale"}, headers=h)
    assert r.status_code == 412
    assert (await client.get(url, headers=actors.rep.headers)).json()["name"] == a["name"]
    r = await client.patch(
        url, json={"partners": [{"kind": "distributor", "name": "X"}]}, headers=actors.rep.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "partners.0.kind"
    r = await client.patch(url, json={"vertical": None}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.patch(url, json={"territory_id": other["id"]}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "territory_id"
    r = await client.patch(url, json={"territory_id": other["id"]}, headers=actors.manager.headers)
    assert r.status_code == 200 and r.json()["territory_id"] == other["id"]
    assert (await client.get(url, headers=actors.rep.headers)).status_code == 404
    h = actors.manager.headers
    r = await client.get(f"/api/v1/accounts?territory_id={t['id']}", headers=h)
    assert len(r.json()["items"]) == 1
    r = await client.get("/api/v1/accounts?vertical=retail&account_type=net_new", headers=h)
    assert [i["id"] for i in r.json()["items"]] == [a["id"]]
    r = await client.get("/api/v1/accounts?vertical=space", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.vertical"


async def test_units_tree_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    b = await account(client, actors.rep, t["id"])
    h = actors.rep.headers
    root = await unit(client, actors.rep, a["id"], kind="division", name="Retail banking")
    child = await unit(client, actors.rep, a["id"], "red", parent_id=root["id"])
    grandchild = await unit(
        client,
        actors.rep,
        a["id"],
        "yellow",
        parent_id=child["id"],
        kind="branch",
        devops_headcount=12,
        current_tools=["jenkins", "jira"],
    )
    assert set(grandchild) == {
        "id",
        "account_id",
        "parent_id",
        "kind",
        "name",
        "adoption",
        "devops_headcount",
        "current_tools",
        "created_at",
        "updated_at",
        "version",
    }
    assert grandchild["parent_id"] == child["id"] and grandchild["account_id"] == a["id"]

    # Foreign parent: a unit of another account.
    foreign = await unit(client, actors.rep, b["id"])
    r = await client.post(
        f"/api/v1/accounts/{a['id']}/units",
        json={"kind": "department", "name": "X", "parent_id": foreign["id"]},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "parent_id"
    assert r.json()["errors"][0]["code"] == "other_account"
    r = await client.patch(
        f"/api/v1/units/{child['id']}", json={"parent_id": foreign["id"]}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "other_account"
    r = await client.post(
        f"/api/v1/accounts/{a['id']}/units",
        json={
            "kind": "department",
            "name": "X",
            "parent_id": "7d9f1a3e-0000-4000-8000-000000000000",
        },
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"

    # Cycles: a unit under itself or under its own descendant.
    for parent in (root["id"], child["id"], grandchild["id"]):
        r = await client.patch(f"/api/v1/units/{root['id']}", json={"parent_id": parent}, headers=h)
        assert r.status_code == 422, parent
        assert r.json()["errors"][0] == {
            "field": "parent_id",
            "code": "cycle",
            "message": "That unit is this unit or below it: a cycle.",
        }
    # Moving a subtree elsewhere in the same account is fine; so is making it a root.
    sibling = await unit(client, actors.rep, a["id"])
    r = await client.patch(
        f"/api/v1/units/{child['id']}", json={"parent_id": sibling["id"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["parent_id"] == sibling["id"]
    r = await client.patch(f"/api/v1/units/{child['id']}", json={"parent_id": None}, headers=h)
    assert r.status_code == 200 and r.json()["parent_id"] is None

    # Bad enums.
    for field, value in (("kind", "team"), ("adoption", "blue")):
        r = await client.post(
            f"/api/v1/accounts/{a['id']}/units",
            json={"kind": "department", "name": "X", field: value},
            headers=h,
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == field
        assert r.json()["errors"][0]["code"] == "invalid_choice"
        r = await client.patch(f"/api/v1/units/{child['id']}", json={field: value}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_choice"
    r = await client.post(
        f"/api/v1/accounts/{a['id']}/units",
        json={"kind": "department", "name": "X", "devops_headcount": -1},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "out_of_range"
    r = await client.patch(f"/api/v1/units/{child['id']}", json={"account_id": b["id"]}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.patch(f"/api/v1/units/{child['id']}", json={"adoption": None}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"


async def test_units_list_get_visibility(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    root = await unit(client, actors.rep, a["id"], name="B root")
    await unit(client, actors.rep, a["id"], "green", parent_id=root["id"], name="A leaf")
    h = actors.rep.headers
    r = await client.get(f"/api/v1/accounts/{a['id']}/units?sort=name", headers=h)
    assert [u["name"] for u in r.json()["items"]] == ["A leaf", "B root"]
    r = await client.get(f"/api/v1/accounts/{a['id']}/units?adoption=green", headers=h)
    assert [u["name"] for u in r.json()["items"]] == ["A leaf"]
    r = await client.get(f"/api/v1/accounts/{a['id']}/units?parent_id={root['id']}", headers=h)
    assert [u["name"] for u in r.json()["items"]] == ["A leaf"]
    r = await client.get(f"/api/v1/units/{root['id']}", headers=actors.manager.headers)
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    for actor in (actors.rep2, actors.integration):
        assert (
            await client.get(f"/api/v1/units/{root['id']}", headers=actor.headers)
        ).status_code == 404
        assert (
            await client.get(f"/api/v1/units/{root['id']}/adoption-history", headers=actor.headers)
        ).status_code == 404
        assert (
            await client.patch(
                f"/api/v1/units/{root['id']}", json={"name": "X"}, headers=actor.headers
            )
        ).status_code in (403, 404)
    r = await client.post(
        f"/api/v1/accounts/{a['id']}/units",
        json={"kind": "department", "name": "X"},
        headers=actors.rep2.headers,
    )
    assert r.status_code == 404


async def test_adoption_history_records_every_change(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    u = await unit(client, actors.rep, a["id"], "red")
    url = f"/api/v1/units/{u['id']}"
    r = await client.patch(url, json={"adoption": "yellow"}, headers=actors.rep.headers)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = await client.patch(url, json={"name": "Renamed"}, headers=actors.rep.headers)
    assert r.json()["version"] == 3
    r = await client.patch(
        url, json={"adoption": "green"}, headers={**actors.manager.headers, "If-Match": '"3"'}
    )
    assert r.status_code == 200
    r = await client.patch(
        url, json={"adoption": "red"}, headers={**actors.rep.headers, "If-Match": '"3"'}
    )
    assert r.status_code == 412
    r = await client.patch(url, json={"adoption": "green"}, headers=actors.rep.headers)
    assert r.json()["version"] == 4  # unchanged: no new version, no new history row
    r = await client.get(f"{url}/adoption-history", headers=actors.rep.headers)
    assert r.status_code == 200
    history = r.json()["items"]
    assert [(c["old"], c["new"]) for c in history] == [
        (None, "red"),
        ("red", "yellow"),
        ("yellow", "green"),
    ]
    assert [c["actor_id"] for c in history] == [
        str(actors.rep.id),
        str(actors.rep.id),
        str(actors.manager.id),
    ]
    assert all(c["unit_id"] == u["id"] and c["opportunity_id"] is None for c in history)
    assert history[0]["at"] <= history[1]["at"] <= history[2]["at"]
    assert set(history[0]) == {"id", "unit_id", "at", "actor_id", "old", "new", "opportunity_id"}
    page = (await client.get(f"{url}/adoption-history?limit=2", headers=actors.rep.headers)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]


async def test_change_adoption_for_an_opportunity(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    """The bulk change the opportunity flow uses: only units in the from-states move, each
    recorded with the opportunity."""
    import uuid

    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    red = await unit(client, actors.rep, a["id"], "red")
    yellow = await unit(client, actors.rep, a["id"], "yellow")
    none = await unit(client, actors.rep, a["id"], "none")
    ids = [uuid.UUID(x["id"]) for x in (red, yellow, none)]
    opportunity_id = uuid.uuid4()
    changed = await accounts_service.move_with_opportunity(
        session, opportunity_id, ids, ("red", "yellow"), "green", actors.rep.id
    )
    assert set(changed) == set(ids[:2])
    rows = (
        await session.execute(
            select(
                AdoptionChange.unit_id,
                AdoptionChange.old,
                AdoptionChange.new,
                AdoptionChange.opportunity_id,
            ).where(AdoptionChange.opportunity_id == opportunity_id)
        )
    ).all()
    assert sorted((r.old, r.new) for r in rows) == [("red", "green"), ("yellow", "green")]
    r = await client.get(f"/api/v1/units/{red['id']}", headers=actors.rep.headers)
    assert r.json()["adoption"] == "green" and r.json()["version"] == 2


async def test_adoption_changes_emit_events(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    from app.models import Event

    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    u = await unit(client, actors.rep, a["id"], "red")
    url = f"/api/v1/units/{u['id']}"
    await client.patch(url, json={"name": "Renamed only"}, headers=actors.rep.headers)
    events = select(Event.type).where(Event.resource_id == u["id"])
    assert (await session.scalars(events)).all() == []
    await client.patch(url, json={"adoption": "yellow"}, headers=actors.rep.headers)
    assert (await session.scalars(events)).all() == ["unit.adoption_changed"]
