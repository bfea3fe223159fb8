"""The demo's custom fields: lead_score and tier on leads, tier on accounts, with values on
demo leads (the integration's by batch update, the rest by PATCH) and every account."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.core.security import new_token
from app.models import ApiToken


async def test_demo_custom_fields(session: AsyncSession, client: httpx.AsyncClient) -> None:
    ctx = demo.DemoContext()
    for loader in demo.loaders():
        await loader(session, ctx)
    token, digest, prefix = new_token()
    session.add(ApiToken(user_id=ctx.users["admin"].id, name="t", token_hash=digest, prefix=prefix))
    await session.flush()
    h = {"Authorization": f"Bearer {token}"}

    r = await client.get("/api/v1/custom-fields", params={"sort": "key"}, headers=h)
    defined = {(f["object"], f["key"], f["type"]) for f in r.json()["items"]}
    assert defined == {
        ("lead", "lead_score", "number"),
        ("lead", "tier", "select"),
        ("account", "tier", "select"),
    }
    r = await client.get("/api/v1/leads", params={"limit": "100"}, headers=h)
    leads = r.json()["items"]
    scored = [x for x in leads if x["custom"]["lead_score"] is not None]
    assert {x["source"] for x in scored} == {"manual", "marketo"}
    assert all(0 <= x["custom"]["lead_score"] <= 100 for x in scored)
    for tier in ("standard", "gold", "platinum"):
        r = await client.get("/api/v1/leads", params={"custom.tier": tier}, headers=h)
        assert r.json()["items"], tier
    r = await client.get("/api/v1/accounts", params={"custom.tier": "platinum"}, headers=h)
    assert r.json()["items"]
    accounts = ctx.ids["accounts"]
    assert isinstance(accounts, dict)
    demo_accounts = {str(i) for i in accounts.values()}
    r = await client.get("/api/v1/accounts", params={"limit": "100"}, headers=h)
    tiers = [a["custom"]["tier"] for a in r.json()["items"] if a["id"] in demo_accounts]
    assert len(tiers) == len(demo_accounts) == 12 and None not in tiers
