"""Notes (API.md section 11): on a subject the caller can see, changed only by their author or
an admin, refused to integrations."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.repository import event_visible
from app.models import Event
from tests.factories import Actor
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_world

NOTES = "/api/v1/notes"


async def note(
    client: httpx.AsyncClient, by: Actor, subject_type: str, subject_id: Any, **fields: Any
) -> dict[str, Any]:
    body = {"subject_type": subject_type, "subject_id": str(subject_id), "body": "Hi", **fields}
    r = await client.post(NOTES, json=body, headers=by.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_a_note_on_each_kind_of_subject_is_stored_as_sent(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    lead = await make_lead(session, actors.rep.user, owner=actors.rep.user)
    opportunity = await client.post(
        "/api/v1/opportunities",
        json={"name": "CI", "contact_id": str(world.contact.id)},
        headers=actors.rep.headers,
    )
    body = "  # Call notes\n\n- **CI** is the pain\t(Jenkins)\r\n- champion: Ana  \n"
    for subject_type, subject_id in (
        ("account", world.account.id),
        ("contact", world.contact.id),
        ("lead", lead.id),
        ("opportunity", opportunity.json()["id"]),
    ):
        r = await client.post(
            NOTES,
            json={"subject_type": subject_type, "subject_id": str(subject_id), "body": body},
            headers=actors.rep.headers,
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert r.headers["location"] == f"{NOTES}/{created['id']}"
        assert r.headers["etag"] == '"1"'
        assert created["body"] == body
        assert created["pinned"] is False and created["author_id"] == str(actors.rep.id)
        assert set(created) == {
            "id",
            "subject_type",
            "subject_id",
            "body",
            "pinned",
            "author_id",
            "created_at",
            "updated_at",
            "version",
        }
        got = await client.get(f"{NOTES}/{created['id']}", headers=actors.rep.headers)
        assert got.status_code == 200 and got.json() == created
    events = await session.scalar(
        select(func.count()).where(Event.type == "note.created", Event.actor_id == actors.rep.id)
    )
    assert events == 4


async def test_invisible_or_unknown_subject_is_422_not_found(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    hidden_lead = await make_lead(session, actors.peer_rep.user, owner=actors.peer_rep.user)
    for subject_type, subject_id in (
        ("account", world.other_account.id),
        ("contact", world.other_contact.id),
        ("lead", hidden_lead.id),
        ("opportunity", uuid.uuid4()),
        ("account", world.contact.id),  # a contact's id is no account
    ):
        r = await client.post(
            NOTES,
            json={"subject_type": subject_type, "subject_id": str(subject_id), "body": "x"},
            headers=actors.rep.headers,
        )
        assert r.status_code == 422, (subject_type, r.text)
        assert r.json()["errors"] == [
            {
                "field": "subject_id",
                "code": "not_found",
                "message": "No such record visible to you for subject_id.",
            }
        ]
    r = await client.post(
        NOTES,
        json={"subject_type": "unit", "subject_id": str(world.account.id), "body": "x"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "subject_type"


async def test_body_limits(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    base = {"subject_type": "account", "subject_id": str(world.account.id)}
    h = actors.rep.headers
    for bad in ("", "   \n", "x" * 20001, "bell\x07"):
        r = await client.post(NOTES, json={**base, "body": bad}, headers=h)
        assert r.status_code == 422, repr(bad[:10])
        assert r.json()["errors"][0]["field"] == "body"
    r = await client.post(NOTES, json={**base, "body": "x" * 20000}, headers=h)
    assert r.status_code == 201
    r = await client.post(
        NOTES, json={**base, "body": "x", "author_id": str(actors.rep2.id)}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_field"
    r = await client.post(NOTES, json={**base, "body": "x", "version": 3}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"


async def test_only_the_author_or_an_admin_changes_a_note(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    created = await note(client, actors.rep, "account", world.account.id, body="First")
    url = f"{NOTES}/{created['id']}"
    # rep2 is on the territory's team: sees the note, may not change it.
    assert (await client.get(url, headers=actors.rep2.headers)).status_code == 200
    for r in (
        await client.patch(url, json={"body": "Mine now"}, headers=actors.rep2.headers),
        await client.delete(url, headers=actors.rep2.headers),
        await client.patch(url, json={"pinned": True}, headers=actors.manager.headers),
    ):
        assert r.status_code == 403, r.text
        assert r.json()["type"] == "/problems/forbidden"
    # Someone who cannot see it gets 404, not 403.
    assert (await client.get(url, headers=actors.peer_rep.headers)).status_code == 404
    r = await client.patch(url, json={"body": "x"}, headers=actors.peer_rep.headers)
    assert r.status_code == 404

    r = await client.patch(
        url, json={"pinned": True}, headers={**actors.rep.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["pinned"] is True and r.json()["version"] == 2
    assert r.json()["body"] == "First"
    r = await client.patch(
        url, json={"body": "x"}, headers={**actors.rep.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 412
    r = await client.patch(url, json={"body": None}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.patch(
        url, json={"subject_id": str(world.customer.id)}, headers=actors.rep.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.patch(url, json={"body": "Edited by admin"}, headers=actors.admin.headers)
    assert r.status_code == 200 and r.json()["author_id"] == str(actors.rep.id)

    assert (await client.delete(url, headers=actors.rep.headers)).status_code == 204
    assert (await client.get(url, headers=actors.rep.headers)).status_code == 404


async def test_integrations_get_403_on_notes(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    created = await note(client, actors.rep, "account", world.account.id)
    h = actors.integration.headers
    body = {"subject_type": "account", "subject_id": str(world.account.id), "body": "x"}
    for r in (
        await client.post(NOTES, json=body, headers=h),
        await client.get(NOTES, headers=h),
        await client.get(f"{NOTES}/{created['id']}", headers=h),
        await client.patch(f"{NOTES}/{created['id']}", json={"body": "y"}, headers=h),
        await client.delete(f"{NOTES}/{created['id']}", headers=h),
    ):
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"


async def _listed(client: httpx.AsyncClient, by: Actor, query: str) -> list[str]:
    r = await client.get(f"{NOTES}?{query}", headers=by.headers)
    assert r.status_code == 200, r.text
    return [n["body"] for n in r.json()["items"]]


async def test_list_filters_sorts_and_pages(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world: World = await make_world(session, actors)
    account = ("account", world.account.id)
    for i in range(3):
        await note(client, actors.rep, *account, body=f"rep {i}")
    await note(client, actors.rep2, *account, body="rep2")
    await note(client, actors.rep, "contact", world.contact.id, body="on contact")
    await note(client, actors.peer_rep, "account", world.other_account.id, body="elsewhere")

    on_account = f"subject_type=account&subject_id={world.account.id}"
    assert await _listed(client, actors.rep, on_account) == ["rep2", "rep 2", "rep 1", "rep 0"]
    assert await _listed(client, actors.rep, f"{on_account}&sort=created_at") == [
        "rep 0",
        "rep 1",
        "rep 2",
        "rep2",
    ]
    assert await _listed(client, actors.rep, f"author_id={actors.rep2.id}") == ["rep2"]
    assert await _listed(client, actors.rep, "subject_type=contact") == ["on contact"]
    assert await _listed(client, actors.rep, "updated_after=2999-01-01T00:00:00Z") == []
    everything = await _listed(client, actors.rep, "limit=200")
    assert "elsewhere" not in everything and len(everything) == 5

    r = await client.get(f"{NOTES}?{on_account}&limit=3", headers=actors.rep.headers)
    first = r.json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    r = await client.get(
        f"{NOTES}?{on_account}&limit=3&cursor={first['next_cursor']}", headers=actors.rep.headers
    )
    assert [n["body"] for n in r.json()["items"]] == ["rep 0"] and r.json()["next_cursor"] is None

    r = await client.get(f"{NOTES}?subject_id={world.account.id}", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.subject_type"
    r = await client.get(
        f"{NOTES}?subject_type=account&subject_id={world.other_account.id}",
        headers=actors.rep.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "query.subject_id",
        "code": "not_found",
        "message": "No such record visible to you for query.subject_id.",
    }
    r = await client.get(f"{NOTES}?author_id={actors.integration.id}", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.author_id"
    r = await client.get(f"{NOTES}?sort=-pinned", headers=actors.rep.headers)
    assert r.status_code == 422


async def test_note_task_and_interaction_events_follow_their_visibility(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    """The event feed shows these events to whoever can see the record now."""
    world = await make_world(session, actors)
    subject = {"subject_type": "account", "subject_id": str(world.account.id)}
    created = await note(client, actors.rep, "account", world.account.id)
    r = await client.post(
        "/api/v1/tasks", json={**subject, "title": "t"}, headers=actors.rep.headers
    )
    task_id = r.json()["id"]
    lead = await make_lead(session, actors.rep.user, owner=actors.rep.user, account=world.account)
    lead.email = "sync@fjord.example"
    await session.flush()
    r = await client.post(
        "/api/v1/interactions",
        json={"email": lead.email, "channel": "email", "direction": "inbound"},
        headers=actors.integration.headers,
    )
    logged_id = r.json()["id"]
    ours = {created["id"], task_id, logged_id}

    async def seen_by(actor: Actor) -> set[str]:
        rows = await session.scalars(
            select(Event.resource_id).where(
                event_visible(actor.user), Event.resource_type.in_(["note", "task", "interaction"])
            )
        )
        return {str(i) for i in rows} & ours

    assert await seen_by(actors.rep) == ours
    assert await seen_by(actors.rep2) == ours  # on the territory's team
    assert await seen_by(actors.peer_rep) == set()
    assert await seen_by(actors.integration) == {logged_id}
