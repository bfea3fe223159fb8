"""Weekly forecast submissions: derived nets, each validation rule alone, one per week (a
resubmission replaces), week-over-week change, a manager's team sum, visibility."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.forecasts.fiscal import fiscal_year_of
from app.forecasts.fiscal import parse_period
from app.forecasts.fiscal import period_for
from app.forecasts.rules import iso_week
from app.models import Event
from app.models import ForecastSubmission
from tests.factories import Actors
from tests.forecasts_factories import make_opportunity
from tests.forecasts_factories import make_quota
from tests.forecasts_factories import make_submission

# Submissions are for the current quarter or year, or the next quarter (API.md section 14).
CURRENT = period_for(datetime.now(UTC).date(), 1)
P = CURRENT.label
NEXT = period_for(CURRENT.end + timedelta(days=1), 1).label
VALID = {
    "period": P,
    "gross_commit": "100000.00",
    "gross_best_case": "150000.50",
    "renewal_loss_commit": "10000.00",
    "renewal_loss_best_case": "30000.25",
    "net_most_likely": "100000",
    "notes": "Two deals slipping to next quarter.",
}


def this_week(days_ago: int = 0) -> str:
    return iso_week(datetime.now(UTC) - timedelta(days=days_ago), UTC)


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ForecastSubmission)) or 0)


async def test_submit_derives_nets_and_week(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["net_commit"] == "90000.00"
    assert body["net_best_case"] == "120000.25"
    assert body["net_most_likely"] == "100000.00"
    assert body["gross_best_case"] == "150000.50"
    assert body["week"] == this_week()
    assert body["owner_id"] == str(actors.rep.id) and body["period"] == P
    assert body["change"] is None and body["team_sum"] is None
    assert body["currency"] == "USD" and body["version"] == 1
    assert r.headers["location"] == f"/api/v1/forecasts/{body['id']}"
    assert r.headers["etag"] == '"1"'
    r = await client.get(f"/api/v1/forecasts/{body['id']}", headers=actors.rep.headers)
    assert r.status_code == 200 and r.json() == body
    assert (
        await client.get(f"/api/v1/forecasts/{body['id']}", headers=actors.rep2.headers)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/forecasts/{body['id']}", headers=actors.manager.headers)
    ).status_code == 200


def _figures(gc: str, gb: str, lc: str, lb: str, ml: str) -> dict[str, Any]:
    return {
        "period": P,
        "gross_commit": gc,
        "gross_best_case": gb,
        "renewal_loss_commit": lc,
        "renewal_loss_best_case": lb,
        "net_most_likely": ml,
    }


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (_figures("-1", "0", "0", "0", "0"), "gross_commit", "negative"),
        (_figures("100", "50", "0", "0", "75"), "gross_best_case", "below_commit"),
        (_figures("100", "100", "-1", "0", "100"), "renewal_loss_commit", "negative"),
        (_figures("100", "100", "20", "10", "85"), "renewal_loss_best_case", "below_commit"),
        (_figures("100", "150", "10", "30", "120.01"), "net_most_likely", "outside_range"),
        (_figures("100", "150", "10", "30", "89.99"), "net_most_likely", "outside_range"),
        ({**VALID, "gross_commit": 100000}, "gross_commit", "invalid_money"),
        ({**VALID, "gross_commit": "1.001"}, "gross_commit", "invalid_money"),
        ({**VALID, "net_commit": "1"}, "net_commit", "read_only"),
        ({**VALID, "week": "2026-W01"}, "week", "read_only"),
        ({**VALID, "owner_id": "00000000-0000-0000-0000-000000000000"}, "owner_id", "read_only"),
        ({**VALID, "confidence": "high"}, "confidence", "unknown_field"),
        ({**VALID, "period": "FY2027-Q9"}, "period", "invalid_format"),
        ({**VALID, "period": "FY0042"}, "period", "invalid_period"),
        ({k: v for k, v in VALID.items() if k != "net_most_likely"}, "net_most_likely", "required"),
        ({**VALID, "notes": "bad\x00"}, "notes", "control_characters"),
    ],
)
async def test_each_validation_failure_alone(
    client: httpx.AsyncClient,
    actors: Actors,
    session: AsyncSession,
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    r = await client.post("/api/v1/forecasts", json=body, headers=actors.rep.headers)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    assert await count(session) == 0


async def test_fifty_fifty_between_nets_whichever_way_round(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    # renewal losses put net commit (100) above net best case (80)
    body = _figures("100", "110", "0", "30", "90")
    r = await client.post("/api/v1/forecasts", json=body, headers=actors.rep.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["net_commit"], r.json()["net_best_case"]) == ("100.00", "80.00")
    for edge in ("100", "80"):
        r = await client.post(
            "/api/v1/forecasts", json={**body, "net_most_likely": edge}, headers=actors.rep.headers
        )
        assert r.status_code == 201


async def test_resubmission_in_the_same_week_replaces(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    first = await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)
    second_body = {**VALID, "gross_commit": "110000.00", "net_most_likely": "105000", "notes": None}
    second = await client.post("/api/v1/forecasts", json=second_body, headers=actors.rep.headers)
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["version"] == 2 and second.headers["etag"] == '"2"'
    assert second.json()["gross_commit"] == "110000.00" and second.json()["notes"] is None
    assert second.json()["change"] is None  # still the first week
    assert await count(session) == 1
    # another period is another submission
    r = await client.post(
        "/api/v1/forecasts", json={**VALID, "period": NEXT}, headers=actors.rep.headers
    )
    assert r.json()["id"] != first.json()["id"]
    assert await count(session) == 2


async def test_week_over_week_change_and_history(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep = actors.rep.user
    await make_submission(
        session,
        rep,
        P,
        this_week(14),
        gross_commit="50000",
        gross_best_case="60000",
        net_most_likely="55000",
        submitted_at=datetime.now(UTC) - timedelta(days=14),
    )
    await make_submission(
        session,
        rep,
        P,
        this_week(7),
        gross_commit="90000",
        gross_best_case="140000",
        renewal_loss_commit="5000",
        renewal_loss_best_case="20000",
        net_most_likely="100000",
        submitted_at=datetime.now(UTC) - timedelta(days=7),
    )
    r = await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)
    assert r.json()["change"] == {
        "gross_commit": "10000.00",
        "gross_best_case": "10000.50",
        "renewal_loss_commit": "5000.00",
        "renewal_loss_best_case": "10000.25",
        "net_commit": "5000.00",
        "net_best_case": "0.25",
        "net_most_likely": "0.00",
    }
    r = await client.get(f"/api/v1/forecasts?period={P}", headers=actors.rep.headers)
    items = r.json()["items"]
    assert [i["week"] for i in items] == [this_week(), this_week(7), this_week(14)]
    assert items[1]["change"]["gross_commit"] == "40000.00"
    assert items[1]["change"]["net_commit"] == "35000.00"
    assert items[2]["change"] is None
    # paging keeps the order and the changes
    page1 = (
        await client.get(f"/api/v1/forecasts?period={P}&limit=2", headers=actors.rep.headers)
    ).json()
    page2 = (
        await client.get(
            f"/api/v1/forecasts?period={P}&limit=2&cursor={page1['next_cursor']}",
            headers=actors.rep.headers,
        )
    ).json()
    assert page1["items"] + page2["items"] == items and page2["next_cursor"] is None
    # a skipped week compares with the latest earlier one
    other = NEXT
    await make_submission(
        session,
        rep,
        other,
        this_week(21),
        gross_commit="1",
        gross_best_case="1",
        net_most_likely="1",
    )
    r = await client.post(
        "/api/v1/forecasts", json={**VALID, "period": other}, headers=actors.rep.headers
    )
    assert r.json()["change"]["gross_commit"] == "99999.00"


async def test_manager_call_carries_team_sum(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_submission(
        session,
        actors.rep.user,
        P,
        this_week(),
        gross_commit="100",
        gross_best_case="200",
        net_most_likely="150",
    )
    # rep2 called last week only: their latest call counts this week
    await make_submission(
        session,
        actors.rep2.user,
        P,
        this_week(7),
        gross_commit="10",
        gross_best_case="20",
        renewal_loss_commit="1",
        renewal_loss_best_case="2",
        net_most_likely="15",
    )
    # a call for another period and a peer's call do not count
    await make_submission(
        session,
        actors.rep2.user,
        NEXT,
        this_week(),
        gross_commit="5000",
        gross_best_case="5000",
        net_most_likely="5000",
    )
    await make_submission(
        session,
        actors.peer_rep.user,
        P,
        this_week(),
        gross_commit="7000",
        gross_best_case="7000",
        net_most_likely="7000",
    )
    r = await client.post(
        "/api/v1/forecasts",
        json=_figures("120", "230", "1", "2", "170"),
        headers=actors.manager.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["team_sum"] == {
        "gross_commit": "110.00",
        "gross_best_case": "220.00",
        "renewal_loss_commit": "1.00",
        "renewal_loss_best_case": "2.00",
        "net_commit": "109.00",
        "net_best_case": "218.00",
        "net_most_likely": "165.00",
        "calls": 2,
    }
    # the VP's call sums the manager's team call (the manager is the VP's direct report)
    r = await client.post(
        "/api/v1/forecasts", json=_figures("0", "0", "0", "0", "0"), headers=actors.vp.headers
    )
    assert r.json()["team_sum"]["gross_commit"] == "120.00" and r.json()["team_sum"]["calls"] == 1
    # managers list their subtree's calls, reps their own, admins everyone's
    ids = lambda resp: {i["owner_id"] for i in resp.json()["items"]}  # noqa: E731
    r = await client.get(f"/api/v1/forecasts?period={P}", headers=actors.manager.headers)
    assert ids(r) == {str(actors.manager.id), str(actors.rep.id), str(actors.rep2.id)}
    rep_items = [i for i in r.json()["items"] if i["owner_id"] == str(actors.rep.id)]
    assert rep_items[0]["team_sum"] is None
    r = await client.get("/api/v1/forecasts", headers=actors.rep.headers)
    assert ids(r) == {str(actors.rep.id)}
    r = await client.get(
        f"/api/v1/forecasts?owner_id={actors.rep2.id}", headers=actors.manager.headers
    )
    assert ids(r) == {str(actors.rep2.id)} and len(r.json()["items"]) == 2
    r = await client.get("/api/v1/forecasts", headers=actors.admin.headers)
    assert str(actors.peer_rep.id) in ids(r)
    # invisible owner -> 422, bad period -> 422, integrations may not
    r = await client.get(
        f"/api/v1/forecasts?owner_id={actors.peer_rep.id}", headers=actors.manager.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "query.owner_id",
        "code": "not_found",
        "message": "No such record visible to you for query.owner_id.",
    }
    r = await client.get("/api/v1/forecasts?period=FY27", headers=actors.manager.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.period"
    r = await client.get("/api/v1/forecasts", headers=actors.integration.headers)
    assert r.status_code == 403
    r = await client.post("/api/v1/forecasts", json=VALID, headers=actors.integration.headers)
    assert r.status_code == 403


async def test_submission_is_idempotent_with_a_key(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    h = {**actors.rep.headers, "Idempotency-Key": "call-1"}
    first = await client.post("/api/v1/forecasts", json=VALID, headers=h)
    again = await client.post("/api/v1/forecasts", json=VALID, headers=h)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.json()["version"] == 1


async def test_submission_emits_forecast_submitted(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    first = (await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)).json()
    await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)
    # The feed serves events once older transactions finished (this test's never does), so
    # read the outbox with the feed's visibility rule directly.
    from app.events.repository import event_visible

    def principal(actor: Any) -> Principal:
        u = actor.user
        return Principal(u.id, u.email, u.name, u.role, u.manager_id, None, uuid.uuid4())

    async def seen(actor: Any) -> list[tuple[str, str, int | None, uuid.UUID | None]]:
        rows = await session.execute(
            select(Event.type, Event.resource_type, Event.resource_version, Event.actor_id)
            .where(Event.resource_id == uuid.UUID(first["id"]), event_visible(principal(actor)))
            .order_by(Event.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows.all()]

    expected = [
        ("forecast.submitted", "forecast", 1, actors.rep.id),
        ("forecast.submitted", "forecast", 2, actors.rep.id),
    ]
    assert await seen(actors.rep) == expected
    assert await seen(actors.manager) == expected
    assert await seen(actors.rep2) == []


async def test_updated_after_keeps_the_change(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_submission(
        session,
        actors.rep.user,
        P,
        this_week(7),
        gross_commit="1",
        gross_best_case="1",
        net_most_likely="1",
        submitted_at=datetime.now(UTC) - timedelta(days=7),
    )
    await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)
    for after in ((datetime.now(UTC) - timedelta(days=1)).isoformat(), "2000-01-01T00:00:00Z"):
        r = await client.get(
            "/api/v1/forecasts", params={"updated_after": after}, headers=actors.rep.headers
        )
        assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 2
    r = await client.get(
        "/api/v1/forecasts",
        params={"updated_after": (datetime.now(UTC) - timedelta(days=1)).isoformat()},
        headers=actors.rep.headers,
    )
    [item] = r.json()["items"]
    assert item["change"]["gross_commit"] == "99999.00"


# --- API.md section 14: which periods, and what the system said ------------------------


async def test_only_this_quarter_or_year_or_the_next_quarter(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    year = fiscal_year_of(CURRENT, 1).label
    for label in (P, year, NEXT):
        r = await client.post(
            "/api/v1/forecasts", json={**VALID, "period": label}, headers=actors.rep.headers
        )
        assert r.status_code == 201, (label, r.text)
    previous = period_for(CURRENT.start - timedelta(days=1), 1)
    after_next = period_for(parse_period(NEXT, 1).end + timedelta(days=1), 1)
    next_year = f"FY{CURRENT.fiscal_year + 1}"
    for label in (previous.label, after_next.label, next_year, "FY2020-Q1", "FY2020"):
        r = await client.post(
            "/api/v1/forecasts", json={**VALID, "period": label}, headers=actors.rep.headers
        )
        assert r.status_code == 422, label
        error = r.json()["errors"][0]
        assert (error["field"], error["code"]) == ("period", "not_open"), label
        assert P in error["message"] and NEXT in error["message"]
    assert await count(session) == 3


async def test_open_periods_follow_the_fiscal_calendar(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    r = await client.put(
        "/api/v1/settings/fiscal",
        json={"fiscal_year_start_month": 2},
        headers=actors.admin.headers,
    )
    assert r.status_code == 200, r.text
    quarter = period_for(datetime.now(UTC).date(), 2)
    r = await client.post(
        "/api/v1/forecasts", json={**VALID, "period": quarter.label}, headers=actors.rep.headers
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/forecasts",
        json={**VALID, "period": fiscal_year_of(quarter, 2).label},
        headers=actors.rep.headers,
    )
    assert r.status_code == 201, r.text


async def _rollup_figures(client: httpx.AsyncClient, actor: Any) -> dict[str, Any]:
    r = await client.get(f"/api/v1/forecasts/rollup?period={P}", headers=actor.headers)
    assert r.status_code == 200, r.text
    figures: dict[str, Any] = r.json()["figures"]
    return figures


async def test_a_submission_keeps_what_the_system_said(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep, rep2 = actors.rep.user, actors.rep2.user
    in_period = CURRENT.start + timedelta(days=10)
    await make_opportunity(session, rep, stage="closed_won", amount="1000.00", close_date=in_period)
    await make_opportunity(
        session, rep, stage="awaiting_signature", amount="500.00", close_date=in_period
    )
    await make_opportunity(session, rep2, stage="closed_won", amount="70.00", close_date=in_period)
    await make_quota(session, rep, P, "10000.00")
    said = await _rollup_figures(client, actors.rep)
    assert (said["closed_won"], said["gross_commit"]) == ("1000.00", "1500.00")
    first = (await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)).json()
    assert first["system"] == said
    assert first["system"]["attainment"] == 0.1

    # later wins change the roll-up, not the stored call
    await make_opportunity(session, rep, stage="closed_won", amount="250.00", close_date=in_period)
    r = await client.get(f"/api/v1/forecasts/{first['id']}", headers=actors.rep.headers)
    assert r.json()["system"] == said
    listed = (await client.get(f"/api/v1/forecasts?period={P}", headers=actors.rep.headers)).json()
    assert listed["items"][0]["system"] == said
    # a resubmission in the same week takes the figures anew
    again = (await client.post("/api/v1/forecasts", json=VALID, headers=actors.rep.headers)).json()
    assert again["id"] == first["id"] and again["system"]["closed_won"] == "1250.00"
    # a manager's call keeps their subtree's figures; a call for the year the year's
    call = _figures("0", "0", "0", "0", "0")
    r = await client.post("/api/v1/forecasts", json=call, headers=actors.manager.headers)
    assert r.json()["system"] == await _rollup_figures(client, actors.manager)
    assert r.json()["system"]["closed_won"] == "1320.00"
    year = fiscal_year_of(CURRENT, 1).label
    r = await client.post(
        "/api/v1/forecasts", json={**call, "period": year}, headers=actors.rep2.headers
    )
    assert r.json()["system"]["closed_won"] == "70.00" and r.json()["system"]["quota"] is None


async def test_calls_from_before_system_figures_show_none(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_submission(
        session,
        actors.rep.user,
        P,
        this_week(7),
        gross_commit="1",
        gross_best_case="1",
        net_most_likely="1",
    )
    r = await client.get(f"/api/v1/forecasts?period={P}", headers=actors.rep.headers)
    assert r.json()["items"][0]["system"] is None
