"""The demo's forecasting data: quotas, a quarter of history and weekly calls show up in the
roll-up, the pipeline summary, hygiene, the waterfall and the submissions list."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.core.security import new_token
from app.models import ApiToken


async def test_demo_forecasting(session: AsyncSession, client: httpx.AsyncClient) -> None:
    ctx = demo.DemoContext()
    for loader in demo.loaders():
        await loader(session, ctx)
    token, digest, prefix = new_token()
    session.add(ApiToken(user_id=ctx.users["vp"].id, name="t", token_hash=digest, prefix=prefix))
    await session.flush()
    h = {"Authorization": f"Bearer {token}"}
    manager_id = str(ctx.users["manager"].id)

    rollup = (await client.get("/api/v1/forecasts/rollup", headers=h)).json()
    assert rollup["period"] == ctx.ids["forecast_period"]
    figures = rollup["figures"]
    assert Decimal(figures["closed_won"]) > 0 and Decimal(figures["realised_renewal_loss"]) > 0
    assert Decimal(figures["gross_best_case"]) > Decimal(figures["gross_commit"]) > 0
    assert figures["quota"] == "630000.00" and figures["attainment"] is not None
    assert {d["name"] for d in rollup["direct_reports"]} == {"Maria Manager", "Noor Najjar"}

    quota = (await client.get(f"/api/v1/quotas/{manager_id}/{rollup['period']}", headers=h)).json()
    assert (quota["amount"], quota["explicit"]) == ("450000.00", False)

    summary = (await client.get("/api/v1/pipeline/summary", headers=h)).json()
    assert sum(s["count"] for s in summary["stages"]) >= 8 and summary["coverage"] is not None

    hygiene = (await client.get("/api/v1/pipeline/hygiene", headers=h)).json()
    flags = {f for item in hygiene["items"] for f in item["flags"]}
    assert flags >= {
        "stale",
        "no_next_step",
        "next_step_overdue",
        "stuck_in_stage",
        "pending_acceptance_too_long",
        "command_plan_stale",
    }

    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    changes = (await client.get(f"/api/v1/pipeline/changes?since={since}", headers=h)).json()
    for category in ("starting", "created", "pushed_out", "increased", "decreased", "won", "lost"):
        assert changes[category]["count"] > 0, category
    arr = {k: Decimal(v["arr"]) for k, v in changes.items() if isinstance(v, dict)}
    assert (
        arr["starting"]
        + arr["created"]
        + arr["pulled_in"]
        - arr["pushed_out"]
        + arr["increased"]
        - arr["decreased"]
        - arr["won"]
        - arr["lost"]
        == arr["ending"]
    )

    calls = (
        await client.get(f"/api/v1/forecasts?owner_id={ctx.users['rep'].id}", headers=h)
    ).json()
    assert len(calls["items"]) == 4
    assert all(c["change"] is not None for c in calls["items"][:3])
    mine = (await client.get(f"/api/v1/forecasts?owner_id={manager_id}", headers=h)).json()
    assert mine["items"][0]["team_sum"]["calls"] == 2


async def test_the_readme_number(session: AsyncSession, client: httpx.AsyncClient) -> None:
    """README "One number to check by hand": Sam Seller's quarter, whatever day it is."""
    ctx = demo.DemoContext()
    for loader in demo.loaders():
        await loader(session, ctx)
    token, digest, prefix = new_token()
    session.add(ApiToken(user_id=ctx.users["rep2"].id, name="t", token_hash=digest, prefix=prefix))
    await session.flush()
    h = {"Authorization": f"Bearer {token}"}

    figures = (await client.get("/api/v1/forecasts/rollup", headers=h)).json()["figures"]
    assert figures["closed_won"] == "95000.00"
    assert figures["realised_renewal_loss"] == "40000.00"
    assert figures["net_closed"] == "55000.00" and figures["attainment"] == 0.275
    assert figures["gross_best_case"] == "167000.00"
    summary = (await client.get("/api/v1/pipeline/summary", headers=h)).json()
    assert summary["pipeline_arr"] == "97000.00"
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    changes = (await client.get(f"/api/v1/pipeline/changes?since={since}", headers=h)).json()
    assert changes["ending"]["arr"] == "97000.00"
    accuracy = (await client.get("/api/v1/forecasts/accuracy", headers=h)).json()
    assert accuracy["actual_net_closed"] == "55000.00"
    assert accuracy["weeks"][-1]["net_most_likely"] == "105000.00"
    assert accuracy["weeks"][-1]["error_most_likely"] == "50000.00"
