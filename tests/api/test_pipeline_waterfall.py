"""The pipeline waterfall (`GET /pipeline/changes`): a hand-built quarter, reconciliation as a
property over random histories, the SQL against the pure reference, and input checks."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.forecasts.fiscal import parse_period
from app.models import OpportunityHistory
from app.pipeline.repository import PipelineRepository
from tests.factories import Actors
from tests.factories import make_user
from tests.forecasts_factories import add_history
from tests.forecasts_factories import make_opportunity
from tests.oracles.waterfall import HistoryEntry
from tests.oracles.waterfall import OpportunityState
from tests.oracles.waterfall import WaterfallFacts
from tests.oracles.waterfall import as_of
from tests.oracles.waterfall import parse_amount
from tests.oracles.waterfall import parse_date
from tests.oracles.waterfall import unquote
from tests.oracles.waterfall import waterfall

Q1 = "FY2027-Q1"
Q1_START, Q1_END = date(2027, 1, 1), date(2027, 3, 31)
IN_Q1 = date(2027, 2, 15)


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def flows(body: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {k: (v["count"], v["arr"]) for k, v in body.items() if isinstance(v, dict)}


def reconciles(body: dict[str, Any]) -> bool:
    a = {k: Decimal(v["arr"]) for k, v in body.items() if isinstance(v, dict)}
    return (
        a["starting"]
        + a["created"]
        + a["pulled_in"]
        - a["pushed_out"]
        + a["increased"]
        - a["decreased"]
        - a["won"]
        - a["lost"]
        == a["ending"]
    )


async def test_hand_built_waterfall(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep = actors.rep.user
    mk = make_opportunity
    old = ago(30)
    # unchanged: starting and ending
    await mk(session, rep, stage="proposal", amount="100.00", close_date=IN_Q1, created_at=old)
    # increased 50 -> 85 in two steps
    o = await mk(session, rep, stage="proposal", amount="85.00", close_date=IN_Q1, created_at=old)
    await add_history(session, o, "amount", "50.00", "80.00", ago(5))
    await add_history(session, o, "amount", "80.00", "85.00", ago(2))
    # decreased 40 -> 25, with an earlier change before since (40 is the value at since)
    o = await mk(session, rep, stage="scoping", amount="25.00", close_date=IN_Q1, created_at=old)
    await add_history(session, o, "amount", "10.00", "40.00", ago(20))
    await add_history(session, o, "amount", "40.00", "25.00", ago(2))
    # created since
    await mk(session, rep, stage="discovery", amount="7.00", close_date=IN_Q1, created_at=ago(3))
    # pulled in from next quarter
    o = await mk(
        session, rep, stage="negotiating", amount="300.00", close_date=IN_Q1, created_at=old
    )
    await add_history(session, o, "close_date", "2027-05-01", "2027-02-15", ago(4))
    # pushed out to next quarter
    o = await mk(
        session,
        rep,
        stage="negotiating",
        amount="200.00",
        close_date=date(2027, 6, 1),
        created_at=old,
    )
    await add_history(session, o, "close_date", "2027-02-01", "2027-06-01", ago(4))
    # won since, its amount raised 60 -> 70 on the way
    o = await mk(session, rep, stage="closed_won", amount="70.00", close_date=IN_Q1, created_at=old)
    await add_history(session, o, "amount", "60.00", "70.00", ago(3))
    await add_history(session, o, "stage", "awaiting_signature", "closed_won", ago(3))
    # lost since
    o = await mk(session, rep, stage="lost", amount="45.00", close_date=IN_Q1, created_at=old)
    await add_history(session, o, "stage", "proposal", "lost", ago(1))
    # lost before since: not part of it
    o = await mk(session, rep, stage="lost", amount="999.00", close_date=IN_Q1, created_at=old)
    await add_history(session, o, "stage", "proposal", "lost", ago(20))
    # created and unqualified since: created and lost
    o = await mk(
        session, rep, stage="unqualified", amount="11.00", close_date=IN_Q1, created_at=ago(2)
    )
    await add_history(session, o, "stage", "pending_acceptance", "unqualified", ago(1))
    # a renewal counts its uplift: 1000 -> 1100 against renewal_arr 1000 (0 -> 100)
    o = await mk(
        session,
        rep,
        stage="proposal",
        type="renewal",
        renewal_arr="1000.00",
        amount="1100.00",
        close_date=IN_Q1,
        created_at=old,
    )
    await add_history(session, o, "amount", "1000.00", "1100.00", ago(1))
    # stage 0 is not pipeline: waiting for acceptance throughout is not part of it; accepted
    # since is created
    await mk(
        session, rep, stage="pending_acceptance", amount="500.00", close_date=IN_Q1, created_at=old
    )
    o = await mk(session, rep, stage="discovery", amount="20.00", close_date=IN_Q1, created_at=old)
    await add_history(session, o, "stage", "pending_acceptance", "discovery", ago(6))
    # out of the period throughout, and a peer's deal: not part of it
    await mk(
        session, rep, stage="proposal", amount="5.00", close_date=date(2027, 4, 2), created_at=old
    )
    await mk(
        session,
        actors.peer_rep.user,
        stage="proposal",
        amount="5.00",
        close_date=IN_Q1,
        created_at=old,
    )

    since = ago(10).isoformat()
    r = await client.get(
        "/api/v1/pipeline/changes",
        params={"period": Q1, "since": since},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert flows(body) == {
        "starting": (7, "495.00"),  # 100 + 50 + 40 + 200 + 60 + 45 + 0 (the renewal's uplift)
        "created": (3, "38.00"),  # 7 + 11 + 20
        "pulled_in": (1, "300.00"),
        "pushed_out": (1, "200.00"),
        "increased": (3, "145.00"),
        "decreased": (1, "15.00"),
        "won": (1, "70.00"),
        "lost": (2, "56.00"),
        "ending": (7, "637.00"),  # 100 + 85 + 25 + 7 + 300 + 100 + 20
    }
    assert reconciles(body)
    assert (
        body["period"] == Q1
        and body["owner_id"] == str(actors.rep.id)
        and body["currency"] == "USD"
    )


async def test_since_and_scope_validation(client: httpx.AsyncClient, actors: Actors) -> None:
    url = "/api/v1/pipeline/changes"
    h = actors.rep.headers
    for since, code in (
        ("yesterday", "invalid_datetime"),
        ("2026-13-01", "invalid_datetime"),
        ("2026-02-30", "invalid_datetime"),
        ("2026-01-01T00:00:00", "timezone_required"),
        ((datetime.now(UTC) + timedelta(days=2)).isoformat(), "in_future"),
    ):
        r = await client.get(url, params={"period": Q1, "since": since}, headers=h)
        assert r.status_code == 422, since
        assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (
            "query.since",
            code,
        )
    r = await client.get(url, params={"period": Q1}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.since"
    r = await client.get(url, params={"period": "FY2027-Q7", "since": "2026-01-01"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.period"
    r = await client.get(
        url,
        params={"since": "2026-01-01", "owner_id": str(actors.peer_rep.id)},
        headers=actors.manager.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    r = await client.get(url, params={"since": "2026-01-01"}, headers=actors.integration.headers)
    assert r.status_code == 403
    r = await client.get(url, params={"since": "2026-01-01"}, headers=h)
    assert r.status_code == 200
    assert r.json()["since"] == "2026-01-01T00:00:00Z"
    r = await client.get(url, params={"since": "2026-01-01T05:30:00+05:30"}, headers=h)
    assert r.json()["since"] == "2026-01-01T00:00:00Z"


# --- reconciliation and the SQL against the reference, over random histories ------------

SINCE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STAGES = [
    "pending_acceptance",
    "discovery",
    "proposal",
    "awaiting_signature",
    "closed_won",
    "lost",
    "unqualified",
    "duplicate",
]
CLOSE_DATES = [None, date(2026, 12, 31), Q1_START, IN_Q1, IN_Q1, Q1_END, date(2027, 4, 1)]
money = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


def rendered(field: str) -> st.SearchStrategy[str | None]:
    garbage = st.sampled_from(["", "n/a", "2027-02-30", "0000-01-01", "1e5", '"x"'])
    if field == "stage":
        good: st.SearchStrategy[str | None] = st.sampled_from(STAGES)
    elif field == "amount":
        good = money.map(lambda d: f"{d:.2f}")
    else:
        good = st.sampled_from([d.isoformat() for d in CLOSE_DATES if d is not None])
    quoted = good.map(lambda v: f'"{v}"')
    return st.one_of(good, good, good, good, good, quoted, garbage, st.none())


@st.composite
def history_rows(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(
        st.sampled_from(
            ["stage", "stage", "amount", "amount", "close_date", "close_date", "owner_id"]
        )
    )
    source = "stage" if field == "owner_id" else field
    return {
        "field": field,
        "offset": draw(st.sampled_from([-40, -3, -0.5, 0, 0.5, 2, 5, 9])),
        "old": draw(rendered(source)),
        "new": draw(rendered(source)),
    }


opportunity_strategy = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["new_business", "expansion", "renewal"]),
        "stage": st.sampled_from(STAGES),
        "amount": st.none() | money,
        "renewal_arr": st.none() | money,
        "close_date": st.sampled_from(CLOSE_DATES),
        "created_offset": st.sampled_from([-60, -30, -1, 0, 1, 30]),
        "history": st.lists(history_rows(), max_size=7),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(opportunities=st.lists(opportunity_strategy, max_size=8))
async def test_waterfall_reconciles_and_matches_reference(
    session: AsyncSession, opportunities: list[dict[str, Any]]
) -> None:
    rep = (await make_user(session, "rep")).user
    facts: list[WaterfallFacts] = []
    for spec in opportunities:
        renewal = spec["type"] == "renewal"
        opp = await make_opportunity(
            session,
            rep,
            stage=spec["stage"],
            type=spec["type"],
            amount=spec["amount"],
            renewal_arr=spec["renewal_arr"] if renewal else None,
            close_date=spec["close_date"],
            created_at=SINCE + timedelta(days=spec["created_offset"]),
            with_command_plan=False,
        )
        for h in spec["history"]:
            await add_history(
                session, opp, h["field"], h["old"], h["new"], SINCE + timedelta(days=h["offset"])
            )
        stored = (
            await session.execute(
                select(OpportunityHistory).where(OpportunityHistory.opportunity_id == opp.id)
            )
        ).scalars()
        history = [HistoryEntry(h.at, h.seq, h.field, h.old, h.new) for h in stored]
        found_stage, stage = as_of(history, "stage", SINCE)
        found_amount, amount = as_of(history, "amount", SINCE)
        found_close, close = as_of(history, "close_date", SINCE)
        facts.append(
            WaterfallFacts(
                type=opp.type,
                renewal_arr=opp.renewal_arr,
                existed_then=opp.created_at <= SINCE,
                then=OpportunityState(
                    stage=unquote(stage) if found_stage else opp.stage,
                    amount=parse_amount(amount) if found_amount else opp.amount,
                    close_date=parse_date(close) if found_close else opp.close_date,
                ),
                now=OpportunityState(opp.stage, opp.amount, opp.close_date),
            )
        )
    totals = await PipelineRepository(session).waterfall(rep.id, SINCE, Q1_START, Q1_END)
    assert totals == waterfall(facts, Q1_START, Q1_END)
    arr = {name: value for name, (_, value) in totals.items()}
    count = {name: n for name, (n, _) in totals.items()}
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
    assert (
        count["starting"]
        + count["created"]
        + count["pulled_in"]
        - count["pushed_out"]
        - count["won"]
        - count["lost"]
        == count["ending"]
    )
    await session.rollback()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    opportunities=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2), opportunity_strategy), max_size=10
    )
)
async def test_waterfall_ending_is_the_summary_pipeline(
    session: AsyncSession, opportunities: list[tuple[int, dict[str, Any]]]
) -> None:
    """API.md section 14: for one period and owner, the waterfall's ending (arr and count) is
    the pipeline summary's `pipeline_arr` (and its stage counts), whatever the history: stage 0
    counts in neither. Checked for a manager's subtree and for each rep in it."""
    manager = (await make_user(session, "manager")).user
    reps = [(await make_user(session, "rep", manager)).user for _ in range(2)]
    owners = [manager, *reps]
    for owner, spec in opportunities:
        renewal = spec["type"] == "renewal"
        opp = await make_opportunity(
            session,
            owners[owner],
            stage=spec["stage"],
            type=spec["type"],
            amount=spec["amount"],
            renewal_arr=spec["renewal_arr"] if renewal else None,
            close_date=spec["close_date"],
            created_at=SINCE + timedelta(days=spec["created_offset"]),
            with_command_plan=False,
        )
        for h in spec["history"]:
            at = SINCE + timedelta(days=h["offset"])
            await add_history(session, opp, h["field"], h["old"], h["new"], at)
    pipeline = PipelineRepository(session)
    for owner in owners:
        totals = await pipeline.waterfall(owner.id, SINCE, Q1_START, Q1_END)
        stages = await pipeline.summary(owner.id, parse_period(Q1, 1))
        assert totals["ending"][1] == stages[0]["pipeline_arr"]
        assert totals["ending"][0] == sum(row["count"] for row in stages)
    await session.rollback()
