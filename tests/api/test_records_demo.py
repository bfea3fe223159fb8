"""The demo's notes, tasks and interactions: Riley's task list, the account's timeline, and
the email sync's reply counted once."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.core.security import new_token
from app.models import ApiToken


async def test_demo_records(session: AsyncSession, client: httpx.AsyncClient) -> None:
    ctx = demo.DemoContext()
    for loader in demo.loaders():
        await loader(session, ctx)
    token, digest, prefix = new_token()
    session.add(ApiToken(user_id=ctx.users["rep"].id, name="t", token_hash=digest, prefix=prefix))
    await session.flush()
    h = {"Authorization": f"Bearer {token}"}

    r = await client.get("/api/v1/tasks", headers=h)
    titles = [t["title"] for t in r.json()["items"]]
    assert titles[0] == "Update the territory plan"  # done, the oldest due date
    assert len(titles) == 5
    r = await client.get("/api/v1/tasks", params={"overdue": "true"}, headers=h)
    assert [t["title"] for t in r.json()["items"]] == [
        "Send the pilot plan before the architecture board"
    ]

    accounts = ctx.ids["accounts"]
    account = next(iter(accounts.values())) if isinstance(accounts, dict) else accounts[0]
    r = await client.get(f"/api/v1/accounts/{account}/timeline", headers=h)
    assert r.status_code == 200
    kinds = {i["kind"] for i in r.json()["items"]}
    assert {"note", "task", "interaction"} <= kinds
    r = await client.get(
        "/api/v1/notes", params={"subject_type": "account", "subject_id": str(account)}, headers=h
    )
    assert r.json()["items"][0]["pinned"] is True

    # The reply landed on the unassigned web-form lead: Maria (a manager) sees it.
    token, digest, prefix = new_token()
    session.add(
        ApiToken(user_id=ctx.users["manager"].id, name="t", token_hash=digest, prefix=prefix)
    )
    await session.flush()
    h = {"Authorization": f"Bearer {token}"}
    r = await client.get("/api/v1/interactions", params={"channel": "email"}, headers=h)
    synced = [i for i in r.json()["items"] if i["source"] == "marketo"]
    assert [i["external_id"] for i in synced] == ["marketo-msg-0001"]
