"""POST/GET/PATCH /opportunities and /opportunities/{id}/history (API.md section 7)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CommandPlan
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import make_contact
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_unit
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


def error(r: httpx.Response) -> tuple[int, str, str]:
    e = r.json()["errors"][0]
    return r.status_code, e["field"], e["code"]


async def test_create_at_pending_acceptance_with_a_command_plan(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    r = await client.post(
        "/api/v1/opportunities",
        json={
            "name": "Acme CI",
            "contact_id": str(world.contact.id),
            "amount": "125000.5",
            "close_date": "2027-03-31",
        },
        headers=rep.headers,
    )
    assert r.status_code == 201, r.text
    opp = r.json()
    assert (
        r.headers["location"] == f"/api/v1/opportunities/{opp['id']}" and r.headers["etag"] == '"1"'
    )
    assert opp["account_id"] == str(world.account.id) and opp["contact_id"] == str(world.contact.id)
    assert opp["owner_id"] == str(rep.id) and opp["type"] == "new_business"
    assert (opp["stage"], opp["stage_number"], opp["probability"], opp["forecast_category"]) == (
        "pending_acceptance",
        0,
        0,
        "omitted",
    )
    assert (
        opp["amount"] == "125000.50" and opp["net_arr"] == "125000.50" and opp["currency"] == "USD"
    )
    assert opp["sales_accepted_at"] is None and opp["closed_at"] is None and opp["unit_ids"] == []
    assert opp["renewal_arr"] is None and opp["lead_id"] is None and opp["version"] == 1
    plan = await session.scalar(select(CommandPlan).where(CommandPlan.opportunity_id == opp["id"]))
    assert plan is not None
    r = await client.get(f"/api/v1/opportunities/{opp['id']}", headers=rep.headers)
    assert r.status_code == 200 and r.json() == opp and r.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stage", "discovery"),
        ("stage_number", 3),
        ("probability", 50),
        ("net_arr", "1.00"),
        ("account_id", None),
        ("sales_accepted_at", None),
        ("closed_at", None),
        ("id", None),
        ("version", 2),
        ("loss_reason", "fit"),
    ],
)
async def test_server_set_fields_are_read_only(
    client: httpx.AsyncClient, world: World, field: str, value: Any
) -> None:
    rep = world.actors.rep
    body = {"name": "X", "contact_id": str(world.contact.id), field: value}
    r = await client.post("/api/v1/opportunities", json=body, headers=rep.headers)
    assert error(r) == (422, field, "read_only")
    opp = await create_opportunity(client, rep, world.contact)
    r = await client.patch(
        f"/api/v1/opportunities/{opp['id']}", json={field: value}, headers=rep.headers
    )
    assert error(r) == (422, field, "read_only")


async def test_create_rules(client: httpx.AsyncClient, session: AsyncSession, world: World) -> None:
    rep = world.actors.rep
    base = {"name": "Deal", "contact_id": str(world.contact.id)}

    def post(body: dict[str, Any]) -> Any:
        return client.post("/api/v1/opportunities", json=body, headers=rep.headers)

    assert error(await post({**base, "contact_id": str(world.other_contact.id)})) == (
        422,
        "contact_id",
        "not_found",
    )
    assert error(await post({**base, "type": "expansion"})) == (422, "type", "account_not_customer")
    assert error(await post({**base, "type": "renewal"})) == (422, "type", "account_not_customer")
    assert error(await post({**base, "renewal_arr": "100"})) == (422, "renewal_arr", "not_allowed")
    assert error(await post({**base, "renewal_forecast_category": "commit"})) == (
        422,
        "renewal_forecast_category",
        "not_allowed",
    )
    assert error(await post({**base, "amount": 100})) == (422, "amount", "invalid_money")
    assert error(await post({**base, "amount": "1.005"})) == (422, "amount", "invalid_money")
    assert error(await post({**base, "amount": "-1"})) == (422, "amount", "out_of_range")
    assert error(await post({**base, "forecast_category": "closed"})) == (
        422,
        "forecast_category",
        "invalid_choice",
    )
    assert error(await post({**base, "owner_id": str(world.actors.rep2.id)})) == (
        422,
        "owner_id",
        "not_found",
    )
    assert error(
        await post({**base, "unit_ids": [str((await make_unit(session, world.other_account)).id)]})
    ) == (422, "unit_ids.0", "not_found")
    assert error(await post({**base, "next_step_at": "2030-01-01T09:00:00"})) == (
        422,
        "next_step_at",
        "timezone_required",
    )
    assert error(await post({"contact_id": str(world.contact.id)})) == (422, "name", "required")
    r = await client.post(
        "/api/v1/opportunities", json=base, headers=world.actors.integration.headers
    )
    assert r.status_code == 403


async def test_a_manager_creates_for_a_rep_who_alone_overrides_the_category(
    client: httpx.AsyncClient, world: World
) -> None:
    manager, rep = world.actors.manager, world.actors.rep
    body = {
        "name": "Globex seats",
        "contact_id": str(world.customer_contact.id),
        "type": "expansion",
        "owner_id": str(rep.id),
        "forecast_category": "pipeline",
    }
    r = await client.post("/api/v1/opportunities", json=body, headers=manager.headers)
    assert r.status_code == 403
    del body["forecast_category"]
    r = await client.post("/api/v1/opportunities", json=body, headers=manager.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["owner_id"], r.json()["forecast_category"]) == (str(rep.id), "omitted")
    body = {**body, "owner_id": None, "forecast_category": "pipeline"}
    r = await client.post("/api/v1/opportunities", json=body, headers=rep.headers)
    assert r.status_code == 201 and r.json()["forecast_category"] == "pipeline"


async def test_renewal_loss_and_net_arr(client: httpx.AsyncClient, world: World) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(
        client, rep, world.customer_contact, type="renewal", renewal_arr="100000", amount="90000"
    )
    assert (opp["renewal_loss_amount"], opp["net_arr"]) == ("10000.00", "-10000.00")
    url = f"/api/v1/opportunities/{opp['id']}"
    # Follows the default while nobody set it...
    r = await client.patch(url, json={"amount": "120000"}, headers=rep.headers)
    assert (r.json()["renewal_loss_amount"], r.json()["net_arr"]) == ("0.00", "20000.00")
    # ...and stays where the owner put it.
    r = await client.patch(
        url,
        json={"renewal_loss_amount": "5000", "renewal_forecast_category": "commit"},
        headers=rep.headers,
    )
    assert r.status_code == 200 and r.json()["renewal_loss_amount"] == "5000.00"
    r = await client.patch(url, json={"amount": "50000"}, headers=rep.headers)
    assert r.json()["renewal_loss_amount"] == "5000.00"
    r = await client.patch(url, json={"renewal_loss_amount": "100000.01"}, headers=rep.headers)
    assert error(r) == (422, "renewal_loss_amount", "out_of_range")
    r = await client.patch(url, json={"renewal_arr": "4000"}, headers=rep.headers)
    assert error(r) == (422, "renewal_loss_amount", "out_of_range")
    r = await client.patch(url, json={"type": "expansion"}, headers=rep.headers)
    assert error(r) == (422, "renewal_arr", "not_allowed")
    r = await client.patch(
        url,
        json={
            "type": "expansion",
            "renewal_arr": None,
            "renewal_loss_amount": None,
            "renewal_forecast_category": None,
        },
        headers=rep.headers,
    )
    assert r.status_code == 200 and r.json()["net_arr"] == "50000.00"
    rows = [
        (h["field"], h["old"], h["new"])
        for h in (await client.get(f"{url}/history", headers=rep.headers)).json()["items"]
    ]
    assert ("renewal_loss_amount", "10000.00", "0.00") in rows
    assert ("renewal_loss_amount", "0.00", "5000.00") in rows
    assert ("renewal_forecast_category", None, "commit") in rows
    assert rows[-2:] == [
        ("renewal_loss_amount", "5000.00", None),
        ("renewal_forecast_category", "commit", None),
    ]


async def test_patch_rules_and_if_match(client: httpx.AsyncClient, world: World) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    url = f"/api/v1/opportunities/{opp['id']}"
    r = await client.patch(url, json={"name": None}, headers=rep.headers)
    assert error(r) == (422, "name", "required")
    r = await client.patch(
        url, json={"contact_id": str(world.customer_contact.id)}, headers=rep.headers
    )
    assert error(r) == (422, "contact_id", "not_found")
    r = await client.patch(url, json={"amount": "10"}, headers={**rep.headers, "If-Match": '"9"'})
    assert r.status_code == 412
    r = await client.patch(
        url, json={"amount": "10", "next_step": "Demo"}, headers={**rep.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["next_step"] == "Demo"
    # Nothing changed: no new version.
    r = await client.patch(url, json={"amount": "10.00"}, headers=rep.headers)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = await client.patch(
        url, json={"forecast_category": "best_case"}, headers=world.actors.rep2.headers
    )
    assert r.status_code == 403
    r = await client.patch(
        url, json={"forecast_category": "best_case"}, headers=world.actors.peer_rep.headers
    )
    assert r.status_code == 404
    r = await client.patch(url, json={"forecast_category": "best_case"}, headers=rep.headers)
    assert r.status_code == 200 and r.json()["forecast_category"] == "best_case"
    await move(client, rep, opp["id"], "unqualified", reason="No project")
    for change in ({"forecast_category": "pipeline"}, {"type": "expansion"}):
        r = await client.patch(url, json=change, headers=rep.headers)
        assert r.status_code == 409 and r.json()["type"] == "/problems/opportunity-closed"
    # Even an admin correcting a closed deal leaves its category to its stage.
    r = await client.patch(
        url,
        json={"forecast_category": "pipeline", "change_reason": "Booked wrong"},
        headers=world.actors.admin.headers,
    )
    assert error(r) == (422, "forecast_category", "stage_closed")


async def test_owner_changes_need_a_manager_of_both(
    client: httpx.AsyncClient, world: World
) -> None:
    rep, rep2, manager = world.actors.rep, world.actors.rep2, world.actors.manager
    opp = await create_opportunity(client, rep, world.contact, amount="100")
    url = f"/api/v1/opportunities/{opp['id']}"
    r = await client.patch(url, json={"owner_id": str(rep2.id)}, headers=rep.headers)
    assert r.status_code == 403
    r = await client.patch(
        url, json={"owner_id": str(world.actors.peer_rep.id)}, headers=manager.headers
    )
    assert error(r) == (422, "owner_id", "not_found")
    r = await client.patch(
        url, json={"owner_id": str(world.actors.integration.id)}, headers=world.actors.admin.headers
    )
    assert error(r) == (422, "owner_id", "invalid_owner")
    r = await client.patch(url, json={"owner_id": str(rep2.id)}, headers=manager.headers)
    assert r.status_code == 200 and r.json()["owner_id"] == str(rep2.id)
    # The vp manages both rep2 and peer_rep.
    r = await client.patch(
        url, json={"owner_id": str(world.actors.peer_rep.id)}, headers=world.actors.vp.headers
    )
    assert r.status_code == 200
    # manager still sees it (rep's territory) but does not manage peer_rep, the owner now.
    r = await client.patch(url, json={"owner_id": str(rep.id)}, headers=manager.headers)
    assert r.status_code == 403
    history = (await client.get(f"{url}/history", headers=world.actors.vp.headers)).json()["items"]
    owners = [(h["old"], h["new"], h["actor_id"]) for h in history if h["field"] == "owner_id"]
    assert owners == [
        (None, str(rep.id), str(rep.id)),
        (str(rep.id), str(rep2.id), str(manager.id)),
        (str(rep2.id), str(world.actors.peer_rep.id), str(world.actors.vp.id)),
    ]


async def test_history_order_and_rendering(client: httpx.AsyncClient, world: World) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    url = f"/api/v1/opportunities/{opp['id']}"
    for body in (
        {"amount": "1234"},
        {"close_date": "2027-01-31"},
        {"amount": "1500.5", "close_date": None},
    ):
        assert (await client.patch(url, json=body, headers=rep.headers)).status_code == 200
    r = await client.get(f"{url}/history?limit=4", headers=rep.headers)
    first = r.json()
    assert len(first["items"]) == 4 and first["next_cursor"]
    r = await client.get(
        f"{url}/history?limit=10&cursor={first['next_cursor']}", headers=rep.headers
    )
    rows = first["items"] + r.json()["items"]
    assert r.json()["next_cursor"] is None
    assert [(h["field"], h["old"], h["new"]) for h in rows] == [
        ("stage", None, "pending_acceptance"),
        ("forecast_category", None, "omitted"),
        ("owner_id", None, str(rep.id)),
        ("type", None, "new_business"),
        ("amount", None, "1234.00"),
        ("close_date", None, "2027-01-31"),
        ("amount", "1234.00", "1500.50"),
        ("close_date", "2027-01-31", None),
    ]
    assert all(h["actor_id"] == str(rep.id) for h in rows)
    assert set(rows[0]) == {"id", "at", "actor_id", "field", "old", "new", "reason"}
    r = await client.get(f"{url}/history", headers=world.actors.peer_rep.headers)
    assert r.status_code == 404


async def test_list_filters_sort_and_visibility(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep, manager = world.actors.rep, world.actors.manager
    a = await create_opportunity(client, rep, world.contact, amount="300", close_date="2027-02-01")
    b = await create_opportunity(client, rep, world.contact, amount="100", close_date="2027-04-01")
    c = await create_opportunity(client, rep, world.customer_contact, type="expansion")
    hidden = await create_opportunity(
        client, world.actors.peer_rep, world.other_contact, amount="5"
    )
    # Closing books the close date: b closed on a day before a's.
    r = await move(client, rep, b["id"], "unqualified", reason="No", close_date="2026-11-02")
    assert r.status_code == 200, r.text

    async def ids(query: str, actor: Any = rep) -> list[str]:
        r = await client.get(f"/api/v1/opportunities?{query}", headers=actor.headers)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert set(await ids("")) == {a["id"], b["id"], c["id"]}
    assert set(await ids("", world.actors.admin)) >= {a["id"], b["id"], c["id"], hidden["id"]}
    assert set(await ids("", manager)) == {a["id"], b["id"], c["id"]}
    assert await ids("sort=amount") == [c["id"], b["id"], a["id"]]
    assert await ids("sort=-amount") == [a["id"], b["id"], c["id"]]
    assert await ids("sort=close_date") == [b["id"], a["id"], c["id"]]
    assert await ids("stage=unqualified") == [b["id"]]
    assert await ids("type=expansion") == [c["id"]]
    assert set(await ids("forecast_category=omitted")) == {a["id"], b["id"], c["id"]}
    assert await ids("close_date_from=2027-01-01") == [a["id"]]
    assert await ids("close_date_to=2027-01-01") == [b["id"]]
    assert set(await ids(f"account_id={world.account.id}")) == {a["id"], b["id"]}
    assert set(await ids(f"owner_id={rep.id}", manager)) == {a["id"], b["id"], c["id"]}
    r = await client.get(
        f"/api/v1/opportunities?owner_id={world.actors.peer_rep.id}", headers=manager.headers
    )
    assert error(r) == (422, "query.owner_id", "not_found")
    r = await client.get(
        f"/api/v1/opportunities?account_id={world.other_account.id}", headers=rep.headers
    )
    assert error(r) == (422, "query.account_id", "not_found")
    r = await client.get("/api/v1/opportunities?sort=stage", headers=rep.headers)
    assert r.status_code == 422
    # Keyset pages, stable, with a cursor bound to its filters.
    r = await client.get("/api/v1/opportunities?limit=2&sort=-amount", headers=rep.headers)
    page = r.json()
    assert [o["id"] for o in page["items"]] == [a["id"], b["id"]]
    r = await client.get(
        f"/api/v1/opportunities?limit=2&sort=-amount&cursor={page['next_cursor']}",
        headers=rep.headers,
    )
    assert [o["id"] for o in r.json()["items"]] == [c["id"]] and r.json()["next_cursor"] is None
    r = await client.get(
        f"/api/v1/opportunities?limit=2&sort=amount&cursor={page['next_cursor']}",
        headers=rep.headers,
    )
    assert r.status_code == 400
    r = await client.get(f"/api/v1/opportunities/{hidden['id']}", headers=rep.headers)
    assert r.status_code == 404
    r = await client.get("/api/v1/opportunities/not-a-uuid", headers=rep.headers)
    assert r.status_code == 404


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "amount", "-close_date", "name"])
async def test_a_reps_pages_merge_their_own_deals_with_their_territorys(
    client: httpx.AsyncClient, world: World, sort: str
) -> None:
    # rep2 sees what they own (anywhere) and what sits at their territory's accounts, as two
    # index walks merged into one page: every sort, page by page, as the admin orders them.
    admin, rep, rep2 = world.actors.admin, world.actors.rep, world.actors.rep2
    seen = []
    for i, amount in enumerate(["700", "100", "900", "300"]):
        seen.append(
            await create_opportunity(
                client,
                rep,
                world.contact,
                name=f"Territory {i}",
                amount=amount,
                close_date=f"2027-0{i + 1}-15",
            )
        )
    for i, amount in enumerate(["500", "200", "800"]):
        seen.append(  # rep2's own, at an account outside their territory
            await create_opportunity(
                client,
                admin,
                world.other_contact,
                name=f"Own {i}",
                amount=amount,
                owner_id=str(rep2.id),
                close_date=f"2027-0{i + 5}-01",
            )
        )
    seen.append(  # in both parts: counted once
        await create_opportunity(
            client,
            admin,
            world.customer_contact,
            name="Both",
            amount="400",
            owner_id=str(rep2.id),
        )
    )
    await create_opportunity(client, world.actors.peer_rep, world.other_contact, name="Hidden")

    async def walk(actor: Any, limit: int) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            query = f"sort={sort}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            r = await client.get(f"/api/v1/opportunities?{query}", headers=actor.headers)
            assert r.status_code == 200, r.text
            ids += [o["id"] for o in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                return ids

    expected = [i for i in await walk(admin, 100) if i in {o["id"] for o in seen}]
    assert len(expected) == len(seen)
    assert await walk(rep2, 3) == expected
    assert await walk(rep2, 1) == expected


async def test_a_contact_from_a_lead_brings_its_lead_and_activity(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    contact = await make_contact(session, world.account, lead=lead)
    opp = await create_opportunity(client, rep, contact)
    assert opp["lead_id"] == str(lead.id) and opp["activity_id"] is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("rep", 200),  # the owner
        ("rep2", 200),  # on the territory's team: sees its accounts' deals
        ("manager", 200),
        ("vp", 200),
        ("admin", 200),
        ("peer_rep", 404),
        ("other_manager", 404),
        ("integration", 403),
    ],
)
async def test_get_by_id_answers_each_role_as_visibility_says(
    client: httpx.AsyncClient, world: World, who: str, status: int
) -> None:
    # One statement per role serves every caller of that role: a second caller of the same
    # role must get their own answer, not the first one's.
    opp = await create_opportunity(client, world.actors.rep, world.contact)
    other = await create_opportunity(client, world.actors.peer_rep, world.other_contact)
    actor = getattr(world.actors, who)
    r = await client.get(f"/api/v1/opportunities/{opp['id']}", headers=actor.headers)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["id"] == opp["id"] and r.headers["etag"] == '"1"'
    r = await client.get(f"/api/v1/opportunities/{other['id']}", headers=actor.headers)
    expected = {"peer_rep": 200, "admin": 200, "vp": 200, "other_manager": 200}.get(who, 404)
    assert r.status_code == (403 if who == "integration" else expected), r.text


@pytest.mark.parametrize(
    "sort", ["created_at", "-created_at", "updated_at", "name", "-close_date", "amount", "-amount"]
)
async def test_walking_pages_of_one_gives_the_whole_list_in_order(
    client: httpx.AsyncClient, world: World, sort: str
) -> None:
    rep, peer = world.actors.rep, world.actors.peer_rep
    for n, (amount, close) in enumerate([("300", "2027-02-01"), (None, None), ("300", None)]):
        fields = {"name": f"Deal {n % 2}"}
        fields |= {"amount": amount} if amount else {}
        fields |= {"close_date": close} if close else {}
        await create_opportunity(client, rep, world.contact, **fields)
    await create_opportunity(client, rep, world.customer_contact, type="expansion")
    await create_opportunity(client, peer, world.other_contact, amount="5")

    async def walk(actor: Any, query: str) -> list[str]:
        seen: list[str] = []
        url = f"/api/v1/opportunities?limit=1&sort={sort}{query}"
        while True:
            r = await client.get(url, headers=actor.headers)
            assert r.status_code == 200, r.text
            seen += [o["id"] for o in r.json()["items"]]
            if r.json()["next_cursor"] is None:
                return seen
            url = (
                f"/api/v1/opportunities?limit=1&sort={sort}{query}&cursor={r.json()['next_cursor']}"
            )

    for actor, query in [(rep, ""), (peer, ""), (rep, f"&account_id={world.account.id}")]:
        r = await client.get(
            f"/api/v1/opportunities?limit=50&sort={sort}{query}", headers=actor.headers
        )
        whole = [o["id"] for o in r.json()["items"]]
        assert await walk(actor, query) == whole
        assert len(whole) == {"": 4 if actor is rep else 1}.get(query, 3)
