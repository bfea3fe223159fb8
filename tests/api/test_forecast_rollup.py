"""The forecast roll-up (API.md section 8): exact figures on a hand-built quarter for a rep and
for a manager with two reps, visibility, periods, and the SQL against the pure reference."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.forecasts.fiscal import parse_period
from app.forecasts.repository import RollupRepository
from app.models import User
from tests.factories import Actors
from tests.factories import make_user
from tests.forecasts_factories import STAGES
from tests.forecasts_factories import make_opportunity
from tests.forecasts_factories import make_quota
from tests.oracles.rollup import DealFacts
from tests.oracles.rollup import rollup

Q1 = "FY2027-Q1"  # 2027-01-01 .. 2027-03-31 with the default calendar
IN_Q1 = date(2027, 2, 15)


async def build_rep_quarter(session: AsyncSession, rep: User) -> None:
    """Won, commit, best case, pipeline, out-of-period, renewals won/lost/open in both
    loss categories, and closed deals that count nothing."""
    mk = make_opportunity
    await mk(session, rep, stage="closed_won", amount="100000.15", close_date=IN_Q1)
    await mk(
        session,
        rep,
        stage="awaiting_signature",
        type="expansion",
        amount="50000.30",
        close_date=IN_Q1,
    )
    await mk(session, rep, stage="proposal", amount="30000.45", close_date=IN_Q1)
    await mk(session, rep, stage="discovery", amount="20000.00", close_date=IN_Q1)
    # a pipeline deal overridden to commit counts in commit
    await mk(
        session,
        rep,
        stage="scoping",
        amount="1.00",
        close_date=date(2027, 1, 1),
        forecast_category="omitted",
    )
    # out of the period on both sides, and without a close date
    await mk(session, rep, stage="closed_won", amount="999.00", close_date=date(2027, 4, 1))
    await mk(
        session, rep, stage="awaiting_signature", amount="888.00", close_date=date(2026, 12, 31)
    )
    await mk(session, rep, stage="awaiting_signature", amount="777.00", close_date=None)
    # renewals: won with uplift, won short, lost, open in commit, open in best case
    await mk(
        session,
        rep,
        stage="closed_won",
        type="renewal",
        renewal_arr="80000.00",
        amount="90000.00",
        close_date=IN_Q1,
    )
    await mk(
        session,
        rep,
        stage="closed_won",
        type="renewal",
        renewal_arr="50000.00",
        amount="45000.00",
        close_date=IN_Q1,
    )
    await mk(
        session,
        rep,
        stage="lost",
        type="renewal",
        renewal_arr="12000.00",
        amount="12000.00",
        close_date=IN_Q1,
    )
    await mk(
        session,
        rep,
        stage="awaiting_signature",
        type="renewal",
        renewal_arr="40000.00",
        amount="35000.00",
        renewal_loss_amount="5000.00",
        renewal_forecast_category="commit",
        close_date=IN_Q1,
    )
    await mk(
        session,
        rep,
        stage="negotiating",
        type="renewal",
        renewal_arr="60000.00",
        amount="66000.00",
        renewal_loss_amount="8000.00",
        renewal_forecast_category="best_case",
        close_date=date(2027, 3, 31),
    )
    # closed deals that count nothing: unqualified, duplicate, a lost new business deal
    await mk(session, rep, stage="unqualified", amount="7000.00", close_date=IN_Q1)
    await mk(session, rep, stage="duplicate", amount="3000.00", close_date=IN_Q1)
    await mk(session, rep, stage="lost", amount="25000.00", close_date=IN_Q1)
    # stage 0 is not pipeline (API.md section 14): in commit and best case, it counts nothing
    await mk(
        session,
        rep,
        stage="pending_acceptance",
        amount="60000.00",
        forecast_category="commit",
        close_date=IN_Q1,
    )
    await mk(
        session,
        rep,
        stage="pending_acceptance",
        type="renewal",
        renewal_arr="30000.00",
        amount="35000.00",
        renewal_loss_amount="9000.00",
        renewal_forecast_category="commit",
        forecast_category="best_case",
        close_date=IN_Q1,
    )


async def build_rep2_quarter(session: AsyncSession, rep2: User) -> None:
    await make_opportunity(session, rep2, stage="closed_won", amount="40000.00", close_date=IN_Q1)
    await make_opportunity(
        session, rep2, stage="awaiting_signature", amount="10000.00", close_date=IN_Q1
    )
    await make_opportunity(
        session,
        rep2,
        stage="lost",
        type="renewal",
        renewal_arr="3000.50",
        amount="2000.00",
        close_date=IN_Q1,
    )


REP_FIGURES = {
    "closed_won": "110000.15",
    "realised_renewal_loss": "17000.00",
    "net_closed": "93000.15",
    "gross_commit": "160000.45",
    "gross_best_case": "196000.90",
    "renewal_loss_commit": "22000.00",
    "renewal_loss_best_case": "30000.00",
    "net_commit": "138000.45",
    "net_best_case": "166000.90",
    "quota": "200000.00",
    "gap_to_quota_commit": "61999.55",
    "gap_to_quota_best_case": "33999.10",
    "attainment": 0.465,
}
REP2_FIGURES = {
    "closed_won": "40000.00",
    "realised_renewal_loss": "3000.50",
    "net_closed": "36999.50",
    "gross_commit": "50000.00",
    "gross_best_case": "50000.00",
    "renewal_loss_commit": "3000.50",
    "renewal_loss_best_case": "3000.50",
    "net_commit": "46999.50",
    "net_best_case": "46999.50",
    "quota": "100000.00",
    "gap_to_quota_commit": "53000.50",
    "gap_to_quota_best_case": "53000.50",
    "attainment": 0.37,
}
MANAGER_FIGURES = {
    "closed_won": "150000.15",
    "realised_renewal_loss": "20000.50",
    "net_closed": "129999.65",
    "gross_commit": "210000.45",
    "gross_best_case": "251000.90",
    "renewal_loss_commit": "25000.50",
    "renewal_loss_best_case": "33000.50",
    "net_commit": "184999.95",
    "net_best_case": "218000.40",
    "quota": "300000.00",
    "gap_to_quota_commit": "115000.05",
    "gap_to_quota_best_case": "81999.60",
    "attainment": 0.4333,
}


async def test_rep_rollup_exact_figures(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await build_rep_quarter(session, actors.rep.user)
    await make_quota(session, actors.rep.user, Q1, "200000.00")
    r = await client.get(f"/api/v1/forecasts/rollup?period={Q1}", headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["period"] == Q1
        and body["owner_id"] == str(actors.rep.id)
        and body["currency"] == "USD"
    )
    assert body["figures"] == REP_FIGURES
    assert body["direct_reports"] == []


async def test_manager_rollup_with_two_reps(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await build_rep_quarter(session, actors.rep.user)
    await build_rep2_quarter(session, actors.rep2.user)
    await make_opportunity(
        session, actors.manager.user, stage="negotiating", amount="5000.00", close_date=IN_Q1
    )
    # the peer's deals are outside the manager's subtree
    await make_opportunity(
        session, actors.peer_rep.user, stage="closed_won", amount="1234.00", close_date=IN_Q1
    )
    await make_quota(session, actors.rep.user, Q1, "200000.00")
    await make_quota(session, actors.rep2.user, Q1, "100000.00")
    r = await client.get(f"/api/v1/forecasts/rollup?period={Q1}", headers=actors.manager.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["owner_id"] == str(actors.manager.id)
    assert body["figures"] == MANAGER_FIGURES
    reports = {d["user_id"]: d for d in body["direct_reports"]}
    assert set(reports) == {str(actors.rep.id), str(actors.rep2.id)}
    assert reports[str(actors.rep.id)]["figures"] == REP_FIGURES
    assert reports[str(actors.rep2.id)]["figures"] == REP2_FIGURES
    assert reports[str(actors.rep.id)]["name"] == actors.rep.user.name
    names = [d["name"] for d in body["direct_reports"]]
    assert names == sorted(names)

    # the VP sees the manager's subtree as one direct report, the peer's team as another
    r = await client.get(f"/api/v1/forecasts/rollup?period={Q1}", headers=actors.vp.headers)
    vp = r.json()
    by_id = {d["user_id"]: d["figures"] for d in vp["direct_reports"]}
    assert by_id[str(actors.manager.id)] == MANAGER_FIGURES
    assert by_id[str(actors.other_manager.id)]["closed_won"] == "1234.00"
    assert by_id[str(actors.other_manager.id)]["quota"] is None
    assert by_id[str(actors.other_manager.id)]["attainment"] is None
    assert vp["figures"]["closed_won"] == "151234.15"
    assert vp["figures"]["quota"] == "300000.00"

    # a manager may look at one rep: that rep's figures alone
    r = await client.get(
        f"/api/v1/forecasts/rollup?period={Q1}&owner_id={actors.rep2.id}",
        headers=actors.manager.headers,
    )
    assert r.json()["figures"] == REP2_FIGURES


async def test_rollup_without_quota_has_null_gaps(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="10.00", close_date=IN_Q1
    )
    r = await client.get(f"/api/v1/forecasts/rollup?period={Q1}", headers=actors.rep.headers)
    figures = r.json()["figures"]
    assert figures["quota"] is None and figures["attainment"] is None
    assert figures["gap_to_quota_commit"] is None and figures["gap_to_quota_best_case"] is None
    await make_quota(session, actors.rep.user, Q1, "0")
    figures = (
        await client.get(f"/api/v1/forecasts/rollup?period={Q1}", headers=actors.rep.headers)
    ).json()["figures"]
    assert figures["quota"] == "0.00" and figures["attainment"] is None
    assert figures["gap_to_quota_commit"] == "-10.00"


async def test_rollup_fiscal_year_and_calendar_setting(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="1.00", close_date=date(2026, 2, 1)
    )
    await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="2.00", close_date=date(2027, 1, 31)
    )
    await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="4.00", close_date=date(2027, 2, 1)
    )
    h = actors.rep.headers
    won = lambda r: r.json()["figures"]["closed_won"]  # noqa: E731
    assert won(await client.get("/api/v1/forecasts/rollup?period=FY2027", headers=h)) == "6.00"
    r = await client.put(
        "/api/v1/settings/fiscal", json={"fiscal_year_start_month": 2}, headers=actors.admin.headers
    )
    assert r.status_code == 200
    # FY2027 now runs 2026-02-01 .. 2027-01-31
    assert won(await client.get("/api/v1/forecasts/rollup?period=FY2027", headers=h)) == "3.00"
    assert won(await client.get("/api/v1/forecasts/rollup?period=FY2027-Q4", headers=h)) == "2.00"


async def test_rollup_visibility_and_validation(client: httpx.AsyncClient, actors: Actors) -> None:
    url = "/api/v1/forecasts/rollup"
    r = await client.get(f"{url}?owner_id={actors.peer_rep.id}", headers=actors.manager.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.owner_id"
    assert r.json()["errors"][0]["code"] == "not_found"
    r = await client.get(f"{url}?owner_id={actors.rep2.id}", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    r = await client.get(f"{url}?owner_id={actors.manager.id}", headers=actors.rep.headers)
    assert r.status_code == 422
    r = await client.get(f"{url}?owner_id={actors.peer_rep.id}", headers=actors.admin.headers)
    assert r.status_code == 200
    r = await client.get(url, headers=actors.integration.headers)
    assert r.status_code == 403
    for bad in ("FY27", "FY2027-Q5", "fy2027", "FY2027-Q1x", "FY0000", "FY9999"):
        r = await client.get(f"{url}?period={bad}", headers=actors.rep.headers)
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"] == "query.period"
    r = await client.get(url, headers=actors.rep.headers)
    assert r.status_code == 200
    assert r.json()["period"].startswith("FY") and "-Q" in r.json()["period"]


# --- the SQL against the pure reference --------------------------------------------------

money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
deal_strategy = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["new_business", "expansion", "renewal"]),
        "stage": st.sampled_from(
            [
                "pending_acceptance",
                "discovery",
                "scoping",
                "proposal",
                "negotiating",
                "awaiting_signature",
                "closed_won",
                "lost",
                "unqualified",
                "duplicate",
            ]
        ),
        "category": st.sampled_from([None, "pipeline", "best_case", "commit", "omitted"]),
        "amount": st.none() | money,
        "renewal_arr": st.none() | money,
        "renewal_loss_amount": st.none() | money,
        "renewal_category": st.sampled_from([None, "best_case", "commit"]),
        "in_period": st.booleans(),
        "owner": st.integers(0, 2),
    }
)


def _facts(deal: dict[str, Any], category: str) -> DealFacts:
    renewal = deal["type"] == "renewal"
    return DealFacts(
        type=deal["type"],
        stage=deal["stage"],
        forecast_category=category,
        amount=deal["amount"],
        renewal_arr=deal["renewal_arr"] if renewal else None,
        renewal_loss_amount=deal["renewal_loss_amount"] if renewal else None,
        renewal_forecast_category=deal["renewal_category"] if renewal else None,
    )


def _as_api(figures: Any) -> dict[str, Any]:
    return dict(vars(figures))


def _columns(deal: dict[str, Any], owners: list[User]) -> dict[str, Any]:
    renewal = deal["type"] == "renewal"
    return {
        "owner_id": owners[deal["owner"]].id,
        "stage": deal["stage"],
        "stage_number": STAGES[deal["stage"]].number,
        "type": deal["type"],
        "amount": deal["amount"],
        "forecast_category": deal["category"] or STAGES[deal["stage"]].forecast_category,
        "renewal_arr": deal["renewal_arr"] if renewal else None,
        "renewal_loss_amount": deal["renewal_loss_amount"] if renewal else None,
        "renewal_forecast_category": deal["renewal_category"] if renewal else None,
        "close_date": IN_Q1 if deal["in_period"] else date(2027, 4, 1),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    deals=st.lists(st.tuples(deal_strategy, st.none() | deal_strategy), max_size=12),
    quota=st.none() | money,
)
async def test_sql_rollup_matches_reference(
    session: AsyncSession,
    deals: list[tuple[dict[str, Any], dict[str, Any] | None]],
    quota: Decimal | None,
) -> None:
    """Deals created, some then rewritten whole by one UPDATE (owner, stage, figures, period)."""
    manager = (await make_user(session, "manager")).user
    reps = [(await make_user(session, "rep", manager)).user for _ in range(2)]
    owners = [manager, *reps]
    period = parse_period(Q1, 1)
    if quota is not None:
        await make_quota(session, reps[0], Q1, str(quota))
    facts: dict[int, list[DealFacts]] = {0: [], 1: [], 2: []}
    for deal, rewrite in deals:
        renewal = deal["type"] == "renewal"
        opp = await make_opportunity(
            session,
            owners[deal["owner"]],
            stage=deal["stage"],
            type=deal["type"],
            amount=deal["amount"],
            forecast_category=deal["category"],
            renewal_arr=deal["renewal_arr"] if renewal else None,
            renewal_loss_amount=deal["renewal_loss_amount"] if renewal else None,
            renewal_forecast_category=deal["renewal_category"] if renewal else None,
            close_date=IN_Q1 if deal["in_period"] else date(2027, 4, 1),
            with_command_plan=False,
        )
        if rewrite is not None:
            for name, value in _columns(rewrite, owners).items():
                setattr(opp, name, value)
            await session.flush()
            deal = rewrite
        if deal["in_period"]:
            facts[deal["owner"]].append(_facts(deal, opp.forecast_category))
    rows = await RollupRepository(session).rollup(manager.id, period)
    by_user = {row["user_id"]: row for row in rows}
    expected = {
        manager.id: rollup([f for fs in facts.values() for f in fs], quota),
        reps[0].id: rollup(facts[1], quota),
        reps[1].id: rollup(facts[2], None),
    }
    assert rows[0]["user_id"] == manager.id
    for user_id, reference in expected.items():
        row = by_user[user_id]
        for name, value in _as_api(reference).items():
            got = row[name]
            if name == "attainment":
                got = None if got is None else float(got)
            assert got == value, (name, got, value)
    await session.rollback()
