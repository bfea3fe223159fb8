"""Timelines (API.md section 11): every kind, newest first, keyset pages across kinds, an
account's covering its contacts, opportunities and converted leads; one statement a page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actor
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import in_days
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_unit
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move
from tests.opportunities_factories import qualification_body
from tests.sql_statements import statements
from tests.sql_statements import work

API = "/api/v1"


async def ok(r: httpx.Response, status: int = 201) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def timeline(
    client: httpx.AsyncClient, by: Actor, path: str, limit: int = 200
) -> list[dict[str, Any]]:
    """Every item, walked page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = await ok(await client.get(f"{API}/{path}/timeline?{query}", headers=by.headers), 200)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


class Story:
    """An account's history: a lead worked and converted into it, an opportunity moved, a
    unit turning yellow, notes, tasks, interactions and a meeting."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.ids: dict[str, str] = {}


async def tell(client: httpx.AsyncClient, session: AsyncSession, world: World) -> Story:
    story = Story(world)
    rep = world.actors.rep
    h = rep.headers
    account = str(world.account.id)
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    story.ids["lead"] = str(lead.id)

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await ok(await client.post(f"{API}/{path}", json=body, headers=h))
        return result

    on_lead = {"subject_type": "lead", "subject_id": str(lead.id)}
    story.ids["lead_note"] = (await post("notes", {**on_lead, "body": "Met at the CI meetup"}))[
        "id"
    ]
    story.ids["lead_call"] = (
        await post(
            "interactions",
            {**on_lead, "channel": "phone", "direction": "outbound", "title": "First call"},
        )
    )["id"]
    failing = qualification_body(authority={"involvement": "none"})
    story.ids["qualification"] = (await post(f"leads/{lead.id}/qualification", failing))["id"]
    converted = await ok(
        await client.post(
            f"{API}/leads/{lead.id}/convert", json={"create_opportunity": False}, headers=h
        ),
        200,
    )
    contact = converted["contact"]
    story.ids["contact"] = contact["id"]
    story.ids["contact_task"] = (
        await post(
            "tasks",
            {"subject_type": "contact", "subject_id": contact["id"], "title": "Send case study"},
        )
    )["id"]
    opportunity = await create_opportunity(client, rep, world.contact)
    story.ids["opportunity"] = opportunity["id"]
    await ok(
        await client.patch(
            f"{API}/opportunities/{opportunity['id']}", json={"amount": "5000"}, headers=h
        ),
        200,
    )
    story.ids["meeting"] = (
        await post("meetings", {"opportunity_id": opportunity["id"], "scheduled_at": in_days(-1)})
    )["id"]
    await ok(
        await move(client, rep, opportunity["id"], "unqualified", reason="No budget this year"),
        200,
    )
    unit = await make_unit(session, world.account, adoption="red", name="Payments")
    await ok(
        await client.patch(f"{API}/units/{unit.id}", json={"adoption": "yellow"}, headers=h), 200
    )
    story.ids["account_note"] = (
        await post("notes", {"subject_type": "account", "subject_id": account, "body": "Big"})
    )["id"]
    story.ids["account_email"] = (
        await post(
            "interactions",
            {
                "subject_type": "account",
                "subject_id": account,
                "channel": "email",
                "direction": "inbound",
                "title": "Re: pilot",
            },
        )
    )["id"]
    # Elsewhere: nothing of this shows on the account.
    await post(
        "notes",
        {"subject_type": "account", "subject_id": str(world.customer.id), "body": "Other"},
    )
    return story


def newest_first(items: list[dict[str, Any]]) -> bool:
    keys = [(datetime.fromisoformat(i["at"]), uuid.UUID(i["id"])) for i in items]
    return keys == sorted(keys, reverse=True)


async def test_an_accounts_timeline_has_every_kind_newest_first(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    story = await tell(client, session, world)
    items = await timeline(client, actors.rep, f"accounts/{world.account.id}")
    assert newest_first(items)
    assert {i["kind"] for i in items} == {
        "note",
        "task",
        "interaction",
        "meeting",
        "qualification",
        "conversion",
        "stage_change",
        "field_change",
        "adoption_change",
    }
    assert set(items[0]) == {"at", "kind", "id", "actor_id", "summary", "data"}
    by_id = {i["id"]: i for i in items}
    assert len(by_id) == len(items)
    for key in ("lead_note", "lead_call", "qualification", "contact_task", "meeting"):
        assert story.ids[key] in by_id, key
    assert "Other" not in {i["data"].get("body") for i in items}

    summaries = {i["summary"] for i in items}
    assert "Moved from pending_acceptance to unqualified: No budget this year" in summaries
    assert "Changed amount from nothing to 5000.00" in summaries
    assert "Unit Payments went from red to yellow" in summaries
    assert "Note: Met at the CI meetup" in summaries
    assert "Outbound phone: First call" in summaries
    assert "Inbound email: Re: pilot" in summaries
    assert "Task: Send case study (open)" in summaries
    assert "Qualification failed: authority" in summaries
    assert "Converted into a contact" in summaries

    note = by_id[story.ids["account_note"]]
    assert note["kind"] == "note" and note["actor_id"] == str(actors.rep.id)
    assert note["data"] == {
        "subject_type": "account",
        "subject_id": str(world.account.id),
        "body": "Big",
        "pinned": False,
    }
    conversion = next(i for i in items if i["kind"] == "conversion")
    assert conversion["id"] == story.ids["lead"]
    assert conversion["data"]["contact_id"] == story.ids["contact"]
    meeting = by_id[story.ids["meeting"]]
    assert meeting["data"]["opportunity_id"] == story.ids["opportunity"]
    assert meeting["data"]["scheduled_at"].endswith("Z")

    # Pages of three walk the same items in the same order, across kinds.
    assert await timeline(client, actors.rep, f"accounts/{world.account.id}", limit=3) == items
    # The team member sees the same; the manager too.
    assert await timeline(client, actors.rep2, f"accounts/{world.account.id}") == items
    assert await timeline(client, actors.manager, f"accounts/{world.account.id}") == items


async def test_lead_contact_and_opportunity_timelines(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    story = await tell(client, session, world)
    rep = actors.rep
    # (Times written by PostgreSQL's now() share the test's one transaction: compare kinds as
    # sets and the order by the items' own times.)
    lead = await timeline(client, rep, f"leads/{story.ids['lead']}")
    assert sorted(i["kind"] for i in lead) == [
        "conversion",
        "interaction",
        "note",
        "qualification",
    ]
    assert newest_first(lead)
    contact = await timeline(client, rep, f"contacts/{story.ids['contact']}")
    assert sorted(i["kind"] for i in contact) == [
        "conversion",
        "interaction",
        "note",
        "qualification",
        "task",
    ]
    assert newest_first(contact)
    opportunity = await timeline(client, rep, f"opportunities/{story.ids['opportunity']}")
    kinds = [i["kind"] for i in opportunity]
    assert "meeting" in kinds and "field_change" in kinds and kinds.count("stage_change") >= 1
    assert "note" not in kinds and newest_first(opportunity)


async def test_who_may_read_a_timeline(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    path = f"{API}/accounts/{world.account.id}/timeline"
    r = await client.get(path, headers=actors.peer_rep.headers)
    assert r.status_code == 404 and r.json()["type"] == "/problems/not-found"
    for kind in ("leads", "contacts", "accounts", "opportunities"):
        r = await client.get(f"{API}/{kind}/{uuid.uuid4()}/timeline", headers=actors.admin.headers)
        assert r.status_code == 404, kind
    r = await client.get(path, headers=actors.integration.headers)
    assert r.status_code == 403
    # An account with nothing yet: an empty page.
    assert await ok(await client.get(path, headers=actors.rep.headers), 200) == {
        "items": [],
        "next_cursor": None,
    }


async def test_cursors_are_bound_to_their_timeline(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    await tell(client, session, world)
    path = f"{API}/accounts/{world.account.id}/timeline"
    page = await ok(await client.get(f"{path}?limit=2", headers=actors.rep.headers), 200)
    cursor = page["next_cursor"]
    assert cursor
    other = f"{API}/accounts/{world.customer.id}/timeline?cursor={cursor}"
    r = await client.get(other, headers=actors.rep.headers)
    assert r.status_code == 400 and r.json()["type"] == "/problems/malformed"
    r = await client.get(f"{path}?cursor=garbage", headers=actors.rep.headers)
    assert r.status_code == 400
    r = await client.get(f"{path}?limit=0", headers=actors.rep.headers)
    assert r.status_code == 422


def after_authentication(seen: list[str]) -> list[str]:
    """The statements a request ran once its caller was known: not the token look-up or the
    rate-limit bookkeeping (authentication's), nor the test harness's savepoints."""
    return [s for s in work(seen) if "api_tokens" not in s and "rate_limit" not in s]


async def test_a_timeline_page_is_one_statement_whatever_its_size(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession, connection: AsyncConnection
) -> None:
    world = await make_world(session, actors)
    await tell(client, session, world)
    for path in (
        f"accounts/{world.account.id}",
        f"contacts/{world.contact.id}",
        f"opportunities/{uuid.uuid4()}",
    ):
        for limit in (1, 5, 200):
            with statements(connection) as seen:
                r = await client.get(
                    f"{API}/{path}/timeline?limit={limit}", headers=actors.rep.headers
                )
            assert r.status_code in (200, 404)
            ran = after_authentication(seen)
            assert len(ran) == 1, ran
