"""The pipeline summary: stages 1-6 in the period, coverage against the period's quota."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors
from tests.forecasts_factories import make_opportunity
from tests.forecasts_factories import make_quota

Q1 = "FY2027-Q1"
IN_Q1 = date(2027, 2, 15)
URL = "/api/v1/pipeline/summary"


async def build(session: AsyncSession, actors: Actors) -> None:
    rep = actors.rep.user
    mk = make_opportunity
    await mk(session, rep, stage="discovery", amount="100.00", close_date=IN_Q1)
    await mk(session, rep, stage="scoping", amount="200.00", close_date=IN_Q1)
    await mk(session, rep, stage="scoping", amount="50.00", close_date=date(2027, 3, 31))
    await mk(
        session,
        rep,
        stage="proposal",
        type="renewal",
        renewal_arr="1000.00",
        amount="1300.00",
        close_date=IN_Q1,
    )
    await mk(
        session,
        rep,
        stage="awaiting_signature",
        amount="400.00",
        close_date=IN_Q1,
        forecast_category="omitted",
    )
    await mk(session, rep, stage="pending_acceptance", amount="999.00", close_date=IN_Q1)
    await mk(session, rep, stage="closed_won", amount="300.00", close_date=IN_Q1)
    await mk(
        session,
        rep,
        stage="lost",
        type="renewal",
        renewal_arr="100.00",
        amount="0.00",
        close_date=IN_Q1,
    )
    await mk(session, rep, stage="negotiating", amount="5000.00", close_date=date(2027, 4, 1))
    await mk(session, actors.rep2.user, stage="negotiating", amount="10.00", close_date=IN_Q1)


async def test_summary_by_stage_with_coverage(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await build(session, actors)
    await make_quota(session, actors.rep.user, Q1, "1000.00")
    r = await client.get(URL, params={"period": Q1}, headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "period": Q1,
        "owner_id": str(actors.rep.id),
        "currency": "USD",
        "stages": [
            {"stage": "discovery", "count": 1, "arr": "100.00"},
            {"stage": "scoping", "count": 2, "arr": "250.00"},
            {"stage": "technical_evaluation", "count": 0, "arr": "0.00"},
            {"stage": "proposal", "count": 1, "arr": "300.00"},
            {"stage": "negotiating", "count": 0, "arr": "0.00"},
            {"stage": "awaiting_signature", "count": 1, "arr": "400.00"},
        ],
        "pipeline_arr": "1050.00",
        "closed_won": "300.00",
        "net_closed": "200.00",
        "quota": "1000.00",
        "coverage": 1.3125,  # 1050 / (1000 - 200)
        "coverage_of_quota": 1.05,
        "quota_attained": False,
        "coverage_target": {"low": 2.5, "high": 3.0},
    }


async def test_quota_attained_and_no_quota(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await build(session, actors)
    r = await client.get(URL, params={"period": Q1}, headers=actors.rep.headers)
    body = r.json()
    assert (body["quota"], body["coverage"], body["coverage_of_quota"], body["quota_attained"]) == (
        None,
        None,
        None,
        None,
    )
    await make_quota(session, actors.rep.user, Q1, "200.00")  # net_closed 200 meets it
    body = (await client.get(URL, params={"period": Q1}, headers=actors.rep.headers)).json()
    assert (body["coverage"], body["quota_attained"], body["coverage_of_quota"]) == (
        None,
        True,
        5.25,
    )


async def test_manager_summary_covers_subtree_and_rolled_up_quota(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await build(session, actors)
    await make_quota(session, actors.rep.user, Q1, "1000.00")
    await make_quota(session, actors.rep2.user, Q1, "600.00")
    await make_opportunity(
        session, actors.peer_rep.user, stage="negotiating", amount="77.00", close_date=IN_Q1
    )
    r = await client.get(URL, params={"period": Q1}, headers=actors.manager.headers)
    body = r.json()
    assert body["pipeline_arr"] == "1060.00" and body["quota"] == "1600.00"
    assert body["stages"][4] == {"stage": "negotiating", "count": 1, "arr": "10.00"}
    assert body["coverage"] == round(1060 / 1400, 4)
    r = await client.get(
        URL, params={"period": Q1, "owner_id": str(actors.rep2.id)}, headers=actors.manager.headers
    )
    assert r.json()["pipeline_arr"] == "10.00"
    r = await client.get(
        URL, params={"owner_id": str(actors.peer_rep.id)}, headers=actors.manager.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.owner_id"
    r = await client.get(URL, params={"period": "FY2027-Q5"}, headers=actors.manager.headers)
    assert r.status_code == 422
    r = await client.get(URL, headers=actors.integration.headers)
    assert r.status_code == 403
