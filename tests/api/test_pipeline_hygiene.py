"""Pipeline hygiene: each flag triggered alone, thresholds from the settings, the average sales
cycle, reasons in words, visibility and paging."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CommandPlanRevision
from app.models import User
from tests.factories import Actors
from tests.forecasts_factories import make_opportunity

URL = "/api/v1/pipeline/hygiene"


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def clean(**overrides: Any) -> dict[str, Any]:
    """An opportunity with nothing to flag, then the overrides."""
    fields: dict[str, Any] = {
        "stage": "discovery",
        "amount": "1000.00",
        "close_date": datetime.now(UTC).date() + timedelta(days=30),
        "next_step": "Demo to the platform team",
        "next_step_at": datetime.now(UTC) + timedelta(days=3),
        "created_at": ago(5),
        "sales_accepted_at": ago(5),
        "stage_entered_at": ago(5),
        "command_plan_updated_at": ago(1),
    }
    fields.update(overrides)
    return fields


async def flagged(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_a_clean_opportunity_has_no_flags(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_opportunity(session, actors.rep.user, **clean())
    await make_opportunity(
        session, actors.rep.user, **clean(stage="pending_acceptance", sales_accepted_at=None)
    )
    # closed ones are never flagged
    await make_opportunity(
        session, actors.rep.user, **clean(stage="lost", next_step=None, next_step_at=None)
    )
    body = (await client.get(URL, headers=actors.rep.headers)).json()
    assert body == {
        "average_sales_cycle_days": 90.0,
        "won_deals_averaged": 0,
        "items": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("flag", "overrides"),
    [
        ("stale", {"created_at": ago(120), "sales_accepted_at": ago(100)}),
        ("no_next_step", {"next_step": None, "next_step_at": None}),
        ("no_next_step", {"next_step": "   ", "next_step_at": None}),
        ("next_step_overdue", {"next_step_at": ago(2)}),
        ("close_date_past", {"close_date": datetime.now(UTC).date() - timedelta(days=2)}),
        (
            "stuck_in_stage",
            {"stage_entered_at": ago(31), "created_at": ago(40), "sales_accepted_at": ago(40)},
        ),
        (
            "pending_acceptance_too_long",
            {
                "stage": "pending_acceptance",
                "stage_entered_at": ago(15),
                "created_at": ago(15),
                "sales_accepted_at": None,
            },
        ),
        (
            "command_plan_stale",
            {
                "created_at": ago(20),
                "sales_accepted_at": ago(20),
                "command_plan_updated_at": ago(15),
            },
        ),
        (
            "command_plan_stale",
            {"created_at": ago(20), "sales_accepted_at": ago(20), "with_command_plan": False},
        ),
    ],
)
async def test_each_flag_alone(
    client: httpx.AsyncClient,
    actors: Actors,
    session: AsyncSession,
    flag: str,
    overrides: dict[str, Any],
) -> None:
    opp = await make_opportunity(session, actors.rep.user, **clean(**overrides))
    items = await flagged(client, actors.rep.headers)
    assert len(items) == 1
    item = items[0]
    assert item["opportunity_id"] == str(opp.id) and item["owner_id"] == str(actors.rep.id)
    assert item["flags"] == [flag]
    assert len(item["reasons"]) == 1 and item["reasons"][0]
    assert item["stage"] == opp.stage and item["name"] == opp.name


async def test_reasons_in_words(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_opportunity(
        session,
        actors.rep.user,
        **clean(
            stage="technical_evaluation",
            created_at=ago(100.5),
            sales_accepted_at=ago(100.5),
            stage_entered_at=ago(45.5),
            command_plan_updated_at=ago(20.5),
            next_step=None,
            next_step_at=None,
            close_date=date(2020, 1, 31),
        ),
    )
    [item] = await flagged(client, actors.rep.headers)
    assert item["flags"] == [
        "stale",
        "no_next_step",
        "close_date_past",
        "stuck_in_stage",
        "command_plan_stale",
    ]
    assert item["reasons"] == [
        "Open for 100 days, longer than the average sales cycle of 90 days.",
        "No next step: neither next_step nor next_step_at is set.",
        "The close date 2020-01-31 has passed; close the deal or move the date.",
        "In Technical Evaluation for 45 days, more than 30 days.",
        "The command plan has not changed for 20 days, more than 14 days.",
    ]


async def test_recent_command_plan_revision_counts_as_a_change(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    opp = await make_opportunity(
        session,
        actors.rep.user,
        **clean(created_at=ago(20), sales_accepted_at=ago(20), command_plan_updated_at=ago(15)),
    )
    assert [i["flags"] for i in await flagged(client, actors.rep.headers)] == [
        ["command_plan_stale"]
    ]
    session.add(
        CommandPlanRevision(
            opportunity_id=opp.id, at=ago(1), actor_id=actors.rep.id, fields=["metrics"]
        )
    )
    await session.flush()
    assert await flagged(client, actors.rep.headers) == []


async def test_thresholds_come_from_the_settings(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_opportunity(
        session,
        actors.rep.user,
        **clean(stage_entered_at=ago(31), created_at=ago(40), sales_accepted_at=ago(40)),
    )
    await make_opportunity(
        session,
        actors.rep.user,
        **clean(
            stage="pending_acceptance",
            stage_entered_at=ago(10),
            created_at=ago(10),
            sales_accepted_at=None,
        ),
    )
    await make_opportunity(
        session,
        actors.rep.user,
        **clean(created_at=ago(9), sales_accepted_at=ago(9), command_plan_updated_at=ago(8)),
    )
    assert [i["flags"] for i in await flagged(client, actors.rep.headers)] == [["stuck_in_stage"]]
    r = await client.get("/api/v1/settings/hygiene", headers=actors.rep.headers)
    assert r.json() == {
        "stuck_in_stage_days": 30,
        "pending_acceptance_days": 14,
        "command_plan_stale_days": 14,
        "version": 1,
    }
    new = {"stuck_in_stage_days": 60, "pending_acceptance_days": 7, "command_plan_stale_days": 7}
    r = await client.put("/api/v1/settings/hygiene", json=new, headers=actors.manager.headers)
    assert r.status_code == 403
    r = await client.put(
        "/api/v1/settings/hygiene", json=new, headers={**actors.admin.headers, "If-Match": '"2"'}
    )
    assert r.status_code == 412
    r = await client.put(
        "/api/v1/settings/hygiene", json=new, headers={**actors.admin.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json() == {**new, "version": 2} and r.headers["etag"] == '"2"'
    flags = sorted(f for i in await flagged(client, actors.rep.headers) for f in i["flags"])
    assert flags == ["command_plan_stale", "pending_acceptance_too_long"]
    for bad in (
        {**new, "stuck_in_stage_days": 0},
        {**new, "version": 2},
        {"stuck_in_stage_days": 5},
        {**new, "x": 1},
    ):
        r = await client.put("/api/v1/settings/hygiene", json=bad, headers=actors.admin.headers)
        assert r.status_code == 422, bad


async def _won(
    session: AsyncSession, owner: User, cycle_days: int, closed_days_ago: float = 10
) -> None:
    closed = ago(closed_days_ago)
    await make_opportunity(
        session,
        owner,
        stage="closed_won",
        amount="1.00",
        close_date=closed.date(),
        created_at=closed - timedelta(days=cycle_days + 50),
        sales_accepted_at=closed - timedelta(days=cycle_days),
        closed_at=closed,
    )


async def test_average_sales_cycle_from_won_deals(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep = actors.rep.user
    for days in (10, 20, 30, 40):
        await _won(session, rep, days)
    await _won(session, rep, 5, closed_days_ago=400)  # older than a year: not counted
    # open 35 days: not stale against the default 90
    await make_opportunity(
        session,
        rep,
        **clean(created_at=ago(35), sales_accepted_at=ago(35), stage_entered_at=ago(2)),
    )
    body = (await client.get(URL, headers=actors.rep.headers)).json()
    assert (body["average_sales_cycle_days"], body["won_deals_averaged"], body["items"]) == (
        90.0,
        0,
        [],
    )
    await _won(session, rep, 51)  # five won deals: mean of 10, 20, 30, 40, 51 = 30.2
    body = (await client.get(URL, headers=actors.rep.headers)).json()
    assert (body["average_sales_cycle_days"], body["won_deals_averaged"]) == (30.2, 5)
    assert [i["flags"] for i in body["items"]] == [["stale"]]
    assert body["items"][0]["reasons"] == [
        "Open for 35 days, longer than the average sales cycle of 30.2 days."
    ]
    # the manager's average is over the subtree: rep2's slow deal moves it
    await _won(session, actors.rep2.user, 119)
    body = (await client.get(URL, headers=actors.manager.headers)).json()
    assert (body["average_sales_cycle_days"], body["won_deals_averaged"]) == (45.0, 6)


async def test_visibility_paging_and_flag_filter(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    mine = [
        await make_opportunity(
            session, actors.rep.user, **clean(next_step=None, next_step_at=None)
        ),
        await make_opportunity(
            session,
            actors.rep.user,
            **clean(next_step=None, next_step_at=None, close_date=date(2020, 1, 1)),
        ),
        await make_opportunity(session, actors.rep.user, **clean(close_date=date(2020, 1, 1))),
    ]
    theirs = await make_opportunity(
        session, actors.rep2.user, **clean(next_step=None, next_step_at=None)
    )
    await make_opportunity(
        session, actors.peer_rep.user, **clean(next_step=None, next_step_at=None)
    )
    ids = lambda items: {i["opportunity_id"] for i in items}  # noqa: E731
    assert ids(await flagged(client, actors.rep.headers)) == {str(o.id) for o in mine}
    manager_view = await flagged(client, actors.manager.headers)
    assert ids(manager_view) == {str(o.id) for o in [*mine, theirs]}
    assert manager_view[0]["opportunity_id"] == str(mine[1].id)  # most flags first
    assert ids(await flagged(client, actors.manager.headers, owner_id=str(actors.rep2.id))) == {
        str(theirs.id)
    }
    assert ids(await flagged(client, actors.rep.headers, flag="close_date_past")) == {
        str(mine[1].id),
        str(mine[2].id),
    }
    r = await client.get(
        URL, params={"owner_id": str(actors.peer_rep.id)}, headers=actors.manager.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    r = await client.get(URL, params={"owner_id": str(actors.rep2.id)}, headers=actors.rep.headers)
    assert r.status_code == 422
    r = await client.get(URL, params={"flag": "lazy"}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.flag"
    assert (await client.get(URL, headers=actors.integration.headers)).status_code == 403
    # paging: 4 items, 3 per page
    first = (await client.get(URL, params={"limit": 3}, headers=actors.manager.headers)).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = (
        await client.get(
            URL, params={"limit": 3, "cursor": first["next_cursor"]}, headers=actors.manager.headers
        )
    ).json()
    assert first["items"] + second["items"] == manager_view and second["next_cursor"] is None
    r = await client.get(
        URL,
        params={"limit": 3, "cursor": first["next_cursor"], "flag": "stale"},
        headers=actors.manager.headers,
    )
    assert r.status_code == 400
    r = await client.get(URL, params={"cursor": "garbage"}, headers=actors.manager.headers)
    assert r.status_code == 400


async def test_stage_zero_is_flagged_only_for_waiting_too_long(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    """Stage 0 is not pipeline (API.md section 14): none of the pipeline flags apply to it,
    however neglected it looks; only the wait for acceptance does."""
    neglected = {
        "stage": "pending_acceptance",
        "sales_accepted_at": None,
        "next_step": None,
        "next_step_at": None,
        "close_date": datetime.now(UTC).date() - timedelta(days=10),
        "created_at": ago(200),
        "command_plan_updated_at": ago(100),
    }
    fresh = await make_opportunity(
        session, actors.rep.user, **clean(**neglected, stage_entered_at=ago(5))
    )
    waiting = await make_opportunity(
        session, actors.rep.user, **clean(**neglected, stage_entered_at=ago(20))
    )
    items = await flagged(client, actors.rep.headers)
    assert [(i["opportunity_id"], i["flags"]) for i in items] == [
        (str(waiting.id), ["pending_acceptance_too_long"])
    ]
    assert str(fresh.id) not in {i["opportunity_id"] for i in items}
    for flag in ("stale", "no_next_step", "close_date_past", "command_plan_stale"):
        assert await flagged(client, actors.rep.headers, flag=flag) == []
