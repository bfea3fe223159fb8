"""A list's page size is written into its SQL, never bound: with LIMIT as a parameter the generic
plan of a prepared statement cannot know the page is small, and on a large table PostgreSQL
planned a manager's opportunity page again at every request (more CPU than running it). On a
test's few rows either plan is cheap, so the SQL itself is checked."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.driver import compiled
from app.opportunities.repository import ListShape
from app.opportunities.repository import _list_statement
from tests.factories import Actors
from tests.sql_statements import statements
from tests.sql_statements import work

API = "/api/v1"


@pytest.mark.parametrize("who", ["vp", "rep"])
async def test_an_opportunity_page_states_its_size_in_the_sql(
    client: httpx.AsyncClient, actors: Actors, connection: AsyncConnection, who: str
) -> None:
    with statements(connection) as seen:
        r = await client.get(
            f"{API}/opportunities", params={"limit": 7}, headers=getattr(actors, who).headers
        )
    assert r.status_code == 200, r.text
    [page] = [s for s in work(seen) if s.startswith("SELECT opportunities.id")]
    assert re.findall(r"LIMIT ([^\s)]+)", page) == ["8"] * page.count("LIMIT")  # 7 and one more


@pytest.mark.parametrize(
    ("path", "params", "rows"),
    [
        ("/leads", {}, "8"),
        ("/accounts", {}, "8"),
        ("/search", {"q": "acme"}, "8"),
        ("/events", {}, "7"),  # the feed reads a page, and answers a resume position
    ],
)
async def test_every_list_states_its_page_size_in_the_sql(
    client: httpx.AsyncClient,
    actors: Actors,
    connection: AsyncConnection,
    path: str,
    params: dict[str, str],
    rows: str,
) -> None:
    headers = actors.admin.headers
    with statements(connection) as seen:
        r = await client.get(f"{API}{path}", params={**params, "limit": 7}, headers=headers)
    assert r.status_code == 200, r.text
    limits = [limit for s in work(seen) for limit in re.findall(r"LIMIT ([^\s)]+)", s)]
    assert rows in limits, limits
    assert all(limit.isdigit() for limit in limits), limits  # none bound as a parameter


async def test_a_reps_page_reads_their_accounts_first(
    client: httpx.AsyncClient, actors: Actors, connection: AsyncConnection
) -> None:
    """The part of a rep's page at their territories' accounts matches the accounts as one
    array, which the (account_id, created_at, id) index serves; as `IN (subquery)` PostgreSQL
    walked every opportunity in sort order testing each (a rep's page on 50,000 opportunities:
    27-74 ms instead of 5-8)."""
    with statements(connection) as seen:
        r = await client.get(f"{API}/opportunities", headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    [page] = [s for s in work(seen) if s.startswith("SELECT opportunities.id")]
    assert "opportunities.account_id = ANY (array((SELECT accounts.id" in page
    assert "opportunities.account_id IN" not in page


async def test_a_reps_page_reads_sort_keys_from_index_entries(connection: AsyncConnection) -> None:
    """Both parts of a rep's page, their own opportunities and those at their territories'
    accounts, come in keyset order from index entries alone: the sort keys of the rows a page
    skips are never read from the table (migrations 0024 and 0029; with the account part read
    from the table, PostgreSQL spent 2.2 ms on a rep's page of 50,000 opportunities instead of
    1.9)."""
    query = compiled(
        _list_statement(ListShape("rep", "created_at", (), False, (), 51)), connection.dialect
    )
    # A test's few rows are read faster from the table; asked not to, PostgreSQL shows which
    # index each part can be answered from.
    await connection.execute(text("SET LOCAL enable_seqscan = off"))
    await connection.execute(text("SET LOCAL enable_bitmapscan = off"))
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    rows = await driver.fetch(
        f"EXPLAIN {query.sql}", *query.args({"viewer_id": uuid.uuid4(), "currency": "USD"})
    )
    plan = "\n".join(row[0] for row in rows)
    assert "Index Only Scan using ix_opportunities_owner_id_created_at_id" in plan, plan
    assert "Index Only Scan using ix_opportunities_account_id_created_at_id" in plan, plan
