"""`GET /forecasts/accuracy` (API.md section 14): a rep's and a manager's weekly calls against the
net closed now, errors and their mean to the cent, `final` for an ended period, and the failure
cases (invisible owner, bad period, integrations)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.forecasts.fiscal import period_for
from app.forecasts.rules import iso_week
from tests.factories import Actors
from tests.forecasts_factories import make_opportunity
from tests.forecasts_factories import make_submission

URL = "/api/v1/forecasts/accuracy"
CURRENT = period_for(datetime.now(UTC).date(), 1)
PREVIOUS = period_for(CURRENT.start - timedelta(days=1), 1)


def week_of(period_start: Any, weeks_in: int) -> tuple[str, datetime]:
    at = datetime.combine(period_start, datetime.min.time(), UTC) + timedelta(weeks=weeks_in)
    return iso_week(at, UTC), at


async def accuracy(client: httpx.AsyncClient, actor: Any, **params: Any) -> dict[str, Any]:
    r = await client.get(URL, params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_reps_calls_against_what_closed(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep = actors.rep.user
    day = CURRENT.start + timedelta(days=3)
    # net closed 1,000.00 won - 200.00 lost renewal = 800.00; open and stage-0 deals add nothing
    await make_opportunity(session, rep, stage="closed_won", amount="1000.00", close_date=day)
    await make_opportunity(
        session,
        rep,
        stage="lost",
        type="renewal",
        renewal_arr="200.00",
        amount="150.00",
        close_date=day,
    )
    await make_opportunity(session, rep, stage="negotiating", amount="5000.00", close_date=day)
    await make_opportunity(
        session, actors.rep2.user, stage="closed_won", amount="7.00", close_date=day
    )
    first, first_at = week_of(CURRENT.start, 0)
    second, second_at = week_of(CURRENT.start, 1)
    await make_submission(
        session,
        rep,
        CURRENT.label,
        second,
        gross_commit="900.00",
        gross_best_case="1200.00",
        renewal_loss_commit="100.00",
        renewal_loss_best_case="150.00",
        net_most_likely="800.01",
        submitted_at=second_at,
        system={"net_commit": "750.00"},
    )
    await make_submission(
        session,
        rep,
        CURRENT.label,
        first,
        gross_commit="1500.00",
        gross_best_case="2000.00",
        net_most_likely="1801.00",
        submitted_at=first_at,
    )
    # another period's call is not part of it
    await make_submission(session, rep, PREVIOUS.label, first, net_most_likely="5.00")

    body = await accuracy(client, actors.rep, period=CURRENT.label)
    assert body == {
        "period": CURRENT.label,
        "owner_id": str(rep.id),
        "currency": "USD",
        "actual_net_closed": "800.00",
        "final": False,
        "weeks": [
            {
                "week": first,
                "submitted_at": first_at.isoformat().replace("+00:00", "Z"),
                "net_commit": "1500.00",
                "net_most_likely": "1801.00",
                "net_best_case": "2000.00",
                "system_net_commit": None,
                "error_most_likely": "1001.00",
            },
            {
                "week": second,
                "submitted_at": second_at.isoformat().replace("+00:00", "Z"),
                "net_commit": "800.00",
                "net_most_likely": "800.01",
                "net_best_case": "1050.00",
                "system_net_commit": "750.00",
                "error_most_likely": "0.01",
            },
        ],
        "mean_absolute_error": "500.51",  # (1001.00 + 0.01) / 2 = 500.505, half away from zero
    }
    # the default period is the current quarter
    assert await accuracy(client, actors.rep) == body


async def test_a_call_made_through_the_api_carries_the_system_figure(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    day = CURRENT.start + timedelta(days=1)
    await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="300.00", close_date=day
    )
    await make_opportunity(
        session, actors.rep.user, stage="awaiting_signature", amount="50.00", close_date=day
    )
    call = {
        "period": CURRENT.label,
        "gross_commit": "350.00",
        "gross_best_case": "400.00",
        "renewal_loss_commit": "0",
        "renewal_loss_best_case": "0",
        "net_most_likely": "360.00",
    }
    r = await client.post("/api/v1/forecasts", json=call, headers=actors.rep.headers)
    assert r.status_code == 201, r.text
    body = await accuracy(client, actors.rep)
    [week] = body["weeks"]
    assert week["system_net_commit"] == "350.00" and week["error_most_likely"] == "60.00"
    assert body["mean_absolute_error"] == "60.00"


async def test_a_manager_is_held_to_their_subtree(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    day = PREVIOUS.start + timedelta(days=20)
    await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="400.00", close_date=day
    )
    await make_opportunity(
        session, actors.rep2.user, stage="closed_won", amount="600.00", close_date=day
    )
    await make_opportunity(
        session, actors.peer_rep.user, stage="closed_won", amount="99.00", close_date=day
    )
    week, at = week_of(PREVIOUS.start, 2)
    await make_submission(
        session,
        actors.manager.user,
        PREVIOUS.label,
        week,
        gross_commit="900.00",
        gross_best_case="900.00",
        net_most_likely="900.00",
        submitted_at=at,
    )
    # the rep's own call is theirs, not the manager's
    await make_submission(session, actors.rep.user, PREVIOUS.label, week, net_most_likely="1.00")
    body = await accuracy(client, actors.manager, period=PREVIOUS.label)
    assert body["actual_net_closed"] == "1000.00" and body["final"] is True
    assert [(w["week"], w["error_most_likely"]) for w in body["weeks"]] == [(week, "-100.00")]
    assert body["mean_absolute_error"] == "100.00"
    # a manager may look at a report's record; the VP sees the whole tree
    rep = await accuracy(client, actors.manager, period=PREVIOUS.label, owner_id=actors.rep.id)
    assert (
        rep["actual_net_closed"] == "400.00" and rep["weeks"][0]["error_most_likely"] == "-399.00"
    )
    vp = await accuracy(client, actors.vp, period=PREVIOUS.label)
    assert vp["actual_net_closed"] == "1099.00" and vp["weeks"] == []


async def test_without_calls_there_is_no_error(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    body = await accuracy(client, actors.rep, period=f"FY{CURRENT.fiscal_year}")
    assert body["weeks"] == [] and body["mean_absolute_error"] is None
    assert body["actual_net_closed"] == "0.00" and body["final"] is False


async def test_refusals(client: httpx.AsyncClient, actors: Actors, session: AsyncSession) -> None:
    # someone the caller cannot see: 422 not_found on the owner
    for actor, owner in ((actors.rep, actors.rep2), (actors.manager, actors.peer_rep)):
        r = await client.get(URL, params={"owner_id": str(owner.id)}, headers=actor.headers)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("query.owner_id", "not_found")
        ]
    # a malformed or impossible period: 422 on the period
    for period in ("FY27", "FY2027-Q5", "FY0001"):
        r = await client.get(URL, params={"period": period}, headers=actors.rep.headers)
        assert r.status_code == 422, period
        assert r.json()["errors"][0]["field"] == "query.period"
    r = await client.get(URL, headers=actors.integration.headers)
    assert r.status_code == 403
    r = await client.get(URL)
    assert r.status_code == 401
