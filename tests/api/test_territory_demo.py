"""The demo territory: a dozen accounts in three verticals with every analysis status."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.core.security import new_token
from app.models import ApiToken

STATUSES = {
    "needs_point_of_entry",
    "entry_in_progress",
    "land_and_expand",
    "fully_green",
    "no_devops_mapped",
}


async def test_demo_territory(session: AsyncSession, client: httpx.AsyncClient) -> None:
    ctx = demo.DemoContext()
    for loader in demo.loaders():
        await loader(session, ctx)
    token, digest, prefix = new_token()
    session.add(ApiToken(user_id=ctx.users["rep"].id, name="t", token_hash=digest, prefix=prefix))
    await session.flush()
    h = {"Authorization": f"Bearer {token}"}
    territory_id = ctx.ids["territory"]

    r = await client.get(f"/api/v1/territories/{territory_id}/analysis", headers=h)
    assert r.status_code == 200
    analysis = r.json()
    assert len(analysis["accounts"]) == 12
    assert {a["vertical"] for a in analysis["accounts"]} == {
        "financial_services",
        "healthcare",
        "manufacturing",
    }
    assert {a["status"] for a in analysis["accounts"]} == STATUSES
    assert analysis["conversions"]["last_30_days"] == 3
    assert [v["vertical"] for v in analysis["top_verticals"]] == [
        "financial_services",
        "healthcare",
        "manufacturing",
    ]

    team = (await client.get(f"/api/v1/territories/{territory_id}/team", headers=h)).json()
    assert len({m["role"] for m in team["members"]}) == 8  # every extended-team role
    plans = (await client.get(f"/api/v1/territories/{territory_id}/plans", headers=h)).json()
    assert len(plans["items"]) == 2
    activities = (
        await client.get(f"/api/v1/activities?territory_id={territory_id}", headers=h)
    ).json()
    assert len(activities["items"]) == 6
    r = await client.get(f"/api/v1/territories/{territory_id}/diagram", headers=h)
    root = ET.fromstring(r.content)
    assert (
        sum(
            1
            for g in root.iter("{http://www.w3.org/2000/svg}g")
            if "account" in g.get("class", "").split()
        )
        == 12
    )
