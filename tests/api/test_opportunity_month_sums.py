"""`opportunity_month_sums`, kept by the triggers of migration 0010 (calling the rules' SQL
functions since 0013): after every kind of write to opportunities (ORM, HTTP, raw multi-row
statements, DELETE, TRUNCATE) it equals a from-scratch GROUP BY with the same functions; the
roll-up follows each change."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.migrate import alembic_config
from app.models import Opportunity
from app.models import User
from tests.conftest import create_database
from tests.conftest import drop_database
from tests.factories import Actors
from tests.factories import make_user
from tests.forecasts_factories import make_opportunity
from tests.opportunities_factories import move

Q1 = "FY2027-Q1"
JAN, FEB, MAR, APR = (date(2027, m, 15) for m in (1, 2, 3, 4))

COLUMNS = (
    "opportunities",
    "closed_won",
    "realised",
    "open_commit",
    "open_best_case",
    "loss_commit",
    "loss_best_case",
)

# The table's definition, from scratch, with the rules' SQL functions (migration 0013).
MEASURE = "engage_measure(o.type, o.amount, o.renewal_arr)"
EXPECTED_LOSS = "engage_expected_loss(o.type, o.amount, o.renewal_arr, o.renewal_loss_amount)"
RECOMPUTED = f"""
SELECT o.owner_id, CAST(date_trunc('month', o.close_date) AS date) AS close_month,
       count(*) AS opportunities,
       COALESCE(SUM({MEASURE}) FILTER (WHERE o.stage = 'closed_won'), 0) AS closed_won,
       COALESCE(SUM(engage_realised_loss(o.type, o.stage, o.amount, o.renewal_arr)), 0)
           AS realised,
       COALESCE(SUM({MEASURE}) FILTER (
           WHERE engage_is_pipeline(o.stage) AND o.forecast_category = 'commit'), 0)
           AS open_commit,
       COALESCE(SUM({MEASURE}) FILTER (
           WHERE engage_is_pipeline(o.stage) AND o.forecast_category = 'best_case'), 0)
           AS open_best_case,
       COALESCE(SUM({EXPECTED_LOSS}) FILTER (
           WHERE engage_is_pipeline(o.stage) AND o.renewal_forecast_category = 'commit'), 0)
           AS loss_commit,
       COALESCE(SUM({EXPECTED_LOSS}) FILTER (
           WHERE engage_is_pipeline(o.stage) AND o.renewal_forecast_category = 'best_case'), 0)
           AS loss_best_case
FROM opportunities o
WHERE o.close_date IS NOT NULL
GROUP BY 1, 2
"""
KEPT = f"SELECT owner_id, close_month, {', '.join(COLUMNS)} FROM opportunity_month_sums"

Sums = dict[tuple[uuid.UUID, date], tuple[Decimal, ...]]


async def _table(conn: AsyncConnection | AsyncSession, sql: str) -> Sums:
    rows = (await conn.execute(text(sql))).mappings()
    return {(r["owner_id"], r["close_month"]): tuple(Decimal(r[c]) for c in COLUMNS) for r in rows}


async def assert_exact(conn: AsyncConnection | AsyncSession) -> Sums:
    kept = await _table(conn, KEPT)
    assert kept == await _table(conn, RECOMPUTED)
    return kept


async def set_(session: AsyncSession, opportunity: Opportunity, **values: Any) -> None:
    """One ORM UPDATE of the opportunity (the path the services take)."""
    for name, value in values.items():
        setattr(opportunity, name, value)
    await session.flush()


async def test_sums_follow_every_kind_of_write(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep, rep2 = actors.rep.user, actors.rep2.user
    mk = make_opportunity
    won = await mk(session, rep, stage="discovery", amount="1000.00", close_date=JAN)
    to_lose = await mk(session, rep, stage="proposal", amount="2000.10", close_date=FEB)
    commit = await mk(session, rep, stage="awaiting_signature", amount="3000.00", close_date=FEB)
    undated = await mk(session, rep, stage="scoping", amount="400.00", close_date=None)
    renewal = await mk(
        session,
        rep,
        stage="negotiating",
        type="renewal",
        renewal_arr="10000.00",
        amount="9000.00",
        renewal_loss_amount="1000.00",
        renewal_forecast_category="commit",
        close_date=MAR,
    )
    other = await mk(session, rep2, stage="closed_won", amount="500.00", close_date=MAR)
    await mk(session, rep2, stage="discovery", amount="70.00", close_date=MAR)
    kept = await assert_exact(session)
    assert kept[(rep.id, date(2027, 2, 1))][0] == 2  # a row per owner and month
    assert all(month.day == 1 for _, month in kept)

    # stage moves: to won, to lost, and back open
    await set_(session, won, stage="closed_won", forecast_category="closed")
    await set_(session, to_lose, stage="lost", forecast_category="omitted")
    await assert_exact(session)
    await set_(session, to_lose, stage="discovery", forecast_category="pipeline")
    await set_(session, other, stage="negotiating", forecast_category="commit")
    await assert_exact(session)

    # amounts, categories, renewal fields, type, close dates (across months, to and from none)
    await set_(session, commit, amount="3500.55", forecast_category="best_case")
    await set_(session, renewal, renewal_arr="12000.00", renewal_forecast_category="best_case")
    await set_(session, renewal, renewal_loss_amount=None, amount="11000.00")
    await set_(session, commit, type="expansion", close_date=APR)
    await set_(session, undated, close_date=JAN)
    await set_(session, won, close_date=None)
    await assert_exact(session)

    # through the API: the owner edits, the manager reassigns, the rep loses a deal
    h = actors.rep.headers
    r = await client.patch(
        f"/api/v1/opportunities/{renewal.id}",
        json={"amount": "13000.00", "close_date": "2027-02-28", "renewal_loss_amount": "50.00"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"/api/v1/opportunities/{commit.id}", json={"forecast_category": "commit"}, headers=h
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"/api/v1/opportunities/{renewal.id}",
        json={"owner_id": str(rep2.id)},
        headers=actors.manager.headers,
    )
    assert r.status_code == 200, r.text
    r = await move(
        client, actors.rep, str(to_lose.id), "lost", loss_reason="competitor", loss_details="x"
    )
    assert r.status_code == 200, r.text
    await assert_exact(session)

    # raw multi-row statements: an update of many rows, owners swapped in one statement,
    # rows copied in one INSERT ... SELECT, rows deleted in one DELETE
    ids = {"r": rep.id, "r2": rep2.id}
    await session.execute(
        text(
            "UPDATE opportunities SET amount = amount + 1, close_date = close_date + 20 "
            "WHERE owner_id IN (:r, :r2)"
        ),
        ids,
    )
    await assert_exact(session)
    await session.execute(
        text(
            "UPDATE opportunities SET owner_id = "
            "CASE WHEN owner_id = :r THEN CAST(:r2 AS uuid) ELSE CAST(:r AS uuid) END "
            "WHERE owner_id IN (:r, :r2)"
        ),
        ids,
    )
    await assert_exact(session)
    copied = await session.execute(
        text(
            """
            INSERT INTO opportunities (name, account_id, owner_id, type, stage, stage_number,
                probability, forecast_category, amount, renewal_arr, renewal_loss_amount,
                renewal_forecast_category, close_date, created_by)
            SELECT name || ' copy', account_id, owner_id, type, stage, stage_number,
                probability, forecast_category, amount, renewal_arr, renewal_loss_amount,
                renewal_forecast_category, close_date - 31, created_by
            FROM opportunities WHERE owner_id IN (:r, :r2)
            RETURNING id
            """
        ),
        ids,
    )
    assert len(copied.all()) == 7
    await assert_exact(session)
    # the copies have no history (which refuses DELETE), so they may go
    await session.execute(text("DELETE FROM opportunities WHERE name LIKE '% copy'"))
    await assert_exact(session)


async def test_an_update_of_unsummed_columns_writes_no_sums(
    actors: Actors, session: AsyncSession
) -> None:
    await make_opportunity(session, actors.rep.user, amount="10.00", close_date=FEB)
    await make_opportunity(session, actors.rep2.user, stage="lost", amount="5.00", close_date=FEB)
    versions = "SELECT owner_id, close_month, ctid FROM opportunity_month_sums ORDER BY 1, 2"
    before = (await session.execute(text(versions))).all()
    await session.execute(text("UPDATE opportunities SET next_step = 'Send the proposal'"))
    # measured columns changed, but to values that count nothing: no row written either
    await session.execute(
        text("UPDATE opportunities SET amount = 6.00 WHERE stage = 'lost' AND type <> 'renewal'")
    )
    assert (await session.execute(text(versions))).all() == before
    await assert_exact(session)


async def _figures(client: httpx.AsyncClient, actor: Any) -> dict[str, str]:
    r = await client.get(f"/api/v1/forecasts/rollup?period={Q1}", headers=actor.headers)
    assert r.status_code == 200, r.text
    figures: dict[str, str] = r.json()["figures"]
    return figures


async def test_rollup_follows_insert_update_and_delete(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    """Each event's trigger: a missing one leaves a figure behind."""
    opp = await make_opportunity(
        session, actors.rep.user, stage="closed_won", amount="700.00", close_date=FEB
    )
    assert (await _figures(client, actors.rep))["closed_won"] == "700.00"
    assert (await _figures(client, actors.rep2))["closed_won"] == "0.00"

    # A won deal changes hands only by an admin's correction.
    r = await client.patch(
        f"/api/v1/opportunities/{opp.id}",
        json={"owner_id": str(actors.rep2.id), "change_reason": "Booked to the wrong rep"},
        headers=actors.admin.headers,
    )
    assert r.status_code == 200, r.text
    assert (await _figures(client, actors.rep))["closed_won"] == "0.00"
    assert (await _figures(client, actors.rep2))["closed_won"] == "700.00"
    assert (await _figures(client, actors.manager))["closed_won"] == "700.00"

    # (the reassigned one has history, which keeps it from being deleted)
    extra = await make_opportunity(
        session, actors.rep2.user, stage="closed_won", amount="300.00", close_date=MAR
    )
    assert (await _figures(client, actors.rep2))["closed_won"] == "1000.00"
    await session.execute(text("DELETE FROM opportunities WHERE id = :id"), {"id": extra.id})
    assert (await _figures(client, actors.rep2))["closed_won"] == "700.00"
    await assert_exact(session)


async def test_truncate_empties_the_sums(actors: Actors, session: AsyncSession) -> None:
    await make_opportunity(session, actors.rep.user, amount="10.00", close_date=FEB)
    assert (await session.execute(text(KEPT))).all() != []
    # Only the history's append-only trigger stands in the way; this transaction is rolled back.
    await session.execute(
        text("ALTER TABLE opportunity_history DISABLE TRIGGER opportunity_history_append_only")
    )
    await session.execute(text("TRUNCATE opportunities CASCADE"))
    assert (await session.execute(text(KEPT))).all() == []


async def test_sums_row_goes_with_its_owner(session: AsyncSession) -> None:
    rep = (await make_user(session, "rep")).user
    await session.execute(
        text(
            "INSERT INTO opportunity_month_sums (owner_id, close_month, opportunities) "
            "VALUES (:id, '2027-02-01', 0)"
        ),
        {"id": rep.id},
    )
    await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": rep.id})
    assert (await session.execute(text(KEPT))).all() == []


# --- committed transactions, on a database of their own ------------------------------------


@pytest.fixture(scope="module")
async def own_database() -> AsyncIterator[str]:
    url = await create_database("engage_sums")
    try:
        yield url
    finally:
        await drop_database(url)


async def _committed_opportunities(url: str, count: int) -> tuple[User, User]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            rep = (await make_user(session, "rep")).user
            rep2 = (await make_user(session, "rep")).user
            for n in range(count):
                await make_opportunity(
                    session,
                    rep if n % 2 else rep2,
                    stage=("closed_won", "lost", "proposal", "awaiting_signature")[n % 4],
                    type="renewal" if n % 3 == 0 else "new_business",
                    amount=f"{100 + n}.25",
                    renewal_arr=f"{90 + 2 * n}.00" if n % 3 == 0 else None,
                    close_date=date(2027, 1 + n % 5, 1 + n % 28) if n % 7 else None,
                    with_command_plan=False,
                )
            await session.commit()
        return rep, rep2
    finally:
        await engine.dispose()


async def test_migration_backfills_existing_opportunities(own_database: str) -> None:
    await _committed_opportunities(own_database, 30)
    engine = create_async_engine(own_database)
    try:
        async with engine.begin() as conn:
            expected = await assert_exact(conn)
            assert sum(v[0] for v in expected.values()) == 30 - 5  # five have no close date
            await conn.run_sync(lambda c: command.downgrade(alembic_config(connection=c), "0009"))
            assert await conn.scalar(text("SELECT to_regclass('opportunity_month_sums')")) is None
            triggers = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'opportunity_month%'"
            assert await conn.scalar(text(triggers)) == 0
            await conn.run_sync(lambda c: command.upgrade(alembic_config(connection=c), "head"))
            assert await assert_exact(conn) == expected
            assert await conn.scalar(text(triggers)) == 4
    finally:
        await engine.dispose()


async def test_concurrent_writers_to_one_owner_and_month(own_database: str) -> None:
    """The second transaction's upsert waits for the first's row lock, then adds to it."""
    rep, _ = await _committed_opportunities(own_database, 4)
    engine = create_async_engine(own_database)
    insert = text(
        """
        INSERT INTO opportunities (name, account_id, owner_id, type, stage, stage_number,
            probability, forecast_category, amount, close_date, created_by)
        SELECT 'Concurrent', account_id, owner_id, 'new_business', 'closed_won', 7, 100,
            'closed', :amount, '2027-02-10', created_by
        FROM opportunities WHERE owner_id = :owner LIMIT 1
        """
    )
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.execute(insert, {"amount": Decimal("1.10"), "owner": rep.id})
            blocked = asyncio.create_task(
                second.execute(insert, {"amount": Decimal("2.20"), "owner": rep.id})
            )
            await asyncio.sleep(0.3)
            assert not blocked.done()
            await first.commit()
            await blocked
            await second.commit()
        async with engine.connect() as conn:
            await assert_exact(conn)
            february = await conn.scalar(
                text(
                    "SELECT closed_won FROM opportunity_month_sums "
                    "WHERE owner_id = :owner AND close_month = '2027-02-01'"
                ),
                {"owner": rep.id},
            )
            stage_sum = await conn.scalar(
                text(
                    "SELECT SUM(amount) FROM opportunities WHERE owner_id = :owner "
                    "AND stage = 'closed_won' AND date_trunc('month', close_date) = '2027-02-01'"
                ),
                {"owner": rep.id},
            )
            assert february == stage_sum and february >= Decimal("3.30")
    finally:
        await engine.dispose()
