"""Tasks (API.md section 11): personal or about a subject; visible to the owner, the creator,
the owner's managers and whoever sees the subject; `completed_at` kept by the server."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event
from tests.factories import Actor
from tests.factories import Actors
from tests.factories import make_user
from tests.opportunities_factories import make_world

TASKS = "/api/v1/tasks"


def at(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def task(client: httpx.AsyncClient, by: Actor, **fields: Any) -> dict[str, Any]:
    r = await client.post(TASKS, json={"title": "Call back", **fields}, headers=by.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def titles(client: httpx.AsyncClient, by: Actor, query: str = "") -> list[str]:
    r = await client.get(f"{TASKS}?limit=200&{query}", headers=by.headers)
    assert r.status_code == 200, r.text
    return [t["title"] for t in r.json()["items"]]


async def test_a_personal_task_with_defaults(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.post(TASKS, json={"title": "Expense report"}, headers=actors.rep.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"{TASKS}/{created['id']}" and r.headers["etag"] == '"1"'
    assert created["subject_type"] is None and created["subject_id"] is None
    assert created["priority"] == "normal" and created["status"] == "open"
    assert created["owner_id"] == str(actors.rep.id) == created["created_by"]
    assert created["completed_at"] is None and created["due_at"] is None
    # Personal: the rep's manager sees it, a peer does not.
    url = f"{TASKS}/{created['id']}"
    assert (await client.get(url, headers=actors.manager.headers)).status_code == 200
    assert (await client.get(url, headers=actors.vp.headers)).status_code == 200
    assert (await client.get(url, headers=actors.rep2.headers)).status_code == 404
    assert (await client.get(url, headers=actors.other_manager.headers)).status_code == 404
    r = await client.patch(url, json={"title": "Mine"}, headers=actors.rep2.headers)
    assert r.status_code == 404


async def test_validation(client: httpx.AsyncClient, actors: Actors, session: AsyncSession) -> None:
    world = await make_world(session, actors)
    h = actors.rep.headers
    inactive = await make_user(session, "rep", actors.manager.user)
    inactive.user.active = False
    await session.flush()
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"title": ""}, "title", "too_short"),
        ({"title": "x" * 201}, "title", ""),
        ({"title": "x", "priority": "urgent"}, "priority", "invalid_choice"),
        ({"title": "x", "status": "waiting"}, "status", "invalid_choice"),
        ({"title": "x", "subject_type": "account"}, "subject_id", "required"),
        ({"title": "x", "subject_id": str(world.account.id)}, "subject_type", "required"),
        (
            {"title": "x", "subject_type": "account", "subject_id": str(world.other_account.id)},
            "subject_id",
            "not_found",
        ),
        ({"title": "x", "owner_id": str(uuid.uuid4())}, "owner_id", "not_found"),
        ({"title": "x", "owner_id": str(actors.integration.id)}, "owner_id", "not_found"),
        ({"title": "x", "owner_id": str(inactive.id)}, "owner_id", "not_found"),
        ({"title": "x", "completed_at": at(0)}, "completed_at", "read_only"),
        ({"title": "x", "due_at": "2026-12-01T10:00:00"}, "due_at", ""),
    ]
    for body, field, code in bad:
        r = await client.post(TASKS, json=body, headers=h)
        assert r.status_code == 422, body
        errors = {(e["field"], e["code"]) for e in r.json()["errors"]}
        assert any(f == field and (not code or c == code) for f, c in errors), (body, errors)
    # An admin sees integrations and inactive users, who still cannot own tasks.
    for owner in (actors.integration, inactive):
        r = await client.post(
            TASKS, json={"title": "x", "owner_id": str(owner.id)}, headers=actors.admin.headers
        )
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_owner"


async def test_any_active_human_may_own_a_task_and_see_it(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    created = await task(client, actors.rep, owner_id=str(actors.peer_rep.id), title="For peer")
    url = f"{TASKS}/{created['id']}"
    assert created["owner_id"] == str(actors.peer_rep.id)
    assert created["created_by"] == str(actors.rep.id)
    for viewer in (actors.rep, actors.peer_rep, actors.other_manager, actors.vp, actors.admin):
        assert (await client.get(url, headers=viewer.headers)).status_code == 200
    # The rep's own manager does not manage the peer: no view.
    assert (await client.get(url, headers=actors.manager.headers)).status_code == 404
    assert await titles(client, actors.peer_rep) == ["For peer"]


async def test_whoever_sees_the_subject_sees_and_changes_the_task(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    created = await task(
        client, actors.rep, subject_type="account", subject_id=str(world.account.id)
    )
    url = f"{TASKS}/{created['id']}"
    # rep2 (team member of the territory) sees and changes it; peer_rep does not see it.
    r = await client.patch(url, json={"priority": "high"}, headers=actors.rep2.headers)
    assert r.status_code == 200 and r.json()["priority"] == "high"
    assert (await client.get(url, headers=actors.peer_rep.headers)).status_code == 404
    assert (await client.delete(url, headers=actors.peer_rep.headers)).status_code == 404
    r = await client.get(
        f"{TASKS}?owner_id={actors.rep.id}&subject_type=account&subject_id={world.account.id}",
        headers=actors.rep2.headers,
    )
    assert [t["id"] for t in r.json()["items"]] == [created["id"]]
    r = await client.delete(url, headers={**actors.rep2.headers, "If-Match": '"1"'})
    assert r.status_code == 412
    assert (await client.delete(url, headers=actors.rep2.headers)).status_code == 204
    assert (await client.get(url, headers=actors.rep.headers)).status_code == 404


async def test_completed_at_follows_status(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    created = await task(client, actors.rep)
    url = f"{TASKS}/{created['id']}"
    r = await client.patch(url, json={"status": "done"}, headers=actors.rep.headers)
    assert r.status_code == 200
    done = r.json()
    assert done["status"] == "done" and done["completed_at"] is not None
    # Saying done again keeps the first completion time.
    r = await client.patch(url, json={"status": "done", "notes": "x"}, headers=actors.rep.headers)
    assert r.json()["completed_at"] == done["completed_at"]
    r = await client.patch(url, json={"status": "open"}, headers=actors.rep.headers)
    assert r.json()["status"] == "open" and r.json()["completed_at"] is None
    r = await client.patch(url, json={"status": "cancelled"}, headers=actors.rep.headers)
    assert r.json()["completed_at"] is None
    r = await client.patch(url, json={"completed_at": at(0)}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.patch(url, json={"status": None}, headers=actors.rep.headers)
    assert r.status_code == 422
    born_done = await task(client, actors.rep, status="done")
    assert born_done["completed_at"] is not None

    kinds = (
        await session.scalars(
            select(Event.type)
            .where(Event.actor_id == actors.rep.id, Event.resource_type == "task")
            .order_by(Event.xid, Event.id)
        )
    ).all()
    assert list(kinds) == ["task.created", "task.completed", "task.created", "task.completed"]


async def test_list_defaults_to_my_tasks_sorted_by_due_date_nulls_last(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    await task(client, actors.rep, title="later", due_at=at(3))
    await task(client, actors.rep, title="undated")
    await task(client, actors.rep, title="soon", due_at=at(1))
    await task(client, actors.rep, title="overdue", due_at=at(-1), priority="high")
    late_done = await task(client, actors.rep, title="late but done", due_at=at(-2))
    await client.patch(
        f"{TASKS}/{late_done['id']}", json={"status": "done"}, headers=actors.rep.headers
    )
    await task(client, actors.rep2, title="rep2's")

    assert await titles(client, actors.rep) == [
        "late but done",
        "overdue",
        "soon",
        "later",
        "undated",
    ]
    assert await titles(client, actors.rep, "sort=-due_at") == [
        "later",
        "soon",
        "overdue",
        "late but done",
        "undated",
    ]
    assert (await titles(client, actors.rep, "sort=-created_at"))[0] == "late but done"
    assert await titles(client, actors.rep, "overdue=true") == ["overdue"]
    assert await titles(client, actors.rep, "overdue=false") == [
        "late but done",
        "soon",
        "later",
        "undated",
    ]
    assert await titles(client, actors.rep, "status=done") == ["late but done"]
    assert await titles(client, actors.rep, "priority=high") == ["overdue"]
    assert await titles(client, actors.rep, f"due_before={at(0)}".replace("+", "%2B")) == [
        "late but done",
        "overdue",
    ]
    assert await titles(client, actors.rep, f"due_after={at(2)}".replace("+", "%2B")) == ["later"]
    assert await titles(client, actors.manager, f"owner_id={actors.rep2.id}") == ["rep2's"]
    assert await titles(client, actors.rep, "updated_after=2999-01-01T00:00:00Z") == []
    assert len(await titles(client, actors.rep, "updated_after=2000-01-01T00:00:00Z")) == 5
    assert await titles(client, actors.rep, f"owner_id={actors.rep2.id}") == []

    # Pages walk the same order, undated last.
    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = await client.get(f"{TASKS}?{query}", headers=actors.rep.headers)
        seen += [t["title"] for t in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ["late but done", "overdue", "soon", "later", "undated"]
    r = await client.get(f"{TASKS}?owner_id={actors.integration.id}", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.owner_id"
    r = await client.get(f"{TASKS}?overdue=maybe", headers=actors.rep.headers)
    assert r.status_code == 422


async def test_integrations_get_403_on_tasks(client: httpx.AsyncClient, actors: Actors) -> None:
    created = await task(client, actors.rep)
    h = actors.integration.headers
    for r in (
        await client.post(TASKS, json={"title": "x"}, headers=h),
        await client.get(TASKS, headers=h),
        await client.get(f"{TASKS}/{created['id']}", headers=h),
        await client.patch(f"{TASKS}/{created['id']}", json={"title": "y"}, headers=h),
    ):
        assert r.status_code == 403
