"""A list page's statement is planned once per connection and its plan reused: the page size is
written into the SQL, so the generic plan knows the page is small and PostgreSQL does not plan
the statement again at every page (for a manager's page that planning cost more than the run,
on a million opportunities; on a test's few rows either plan is cheap, so the SQL is checked
too)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import Actors
from tests.sql_statements import statements
from tests.sql_statements import work

API = "/api/v1"
LIST_STATEMENT = "SELECT opportunities.id, opportunities.created_at AS sort_key%"


@pytest.mark.parametrize("who", ["vp", "admin", "rep"])
async def test_an_opportunity_page_reuses_its_plan(
    client: httpx.AsyncClient, actors: Actors, connection: AsyncConnection, who: str
) -> None:
    headers = getattr(actors, who).headers
    before = await _plans(connection)
    for _ in range(8):  # PostgreSQL weighs a generic plan after five runs
        r = await client.get(f"{API}/opportunities", params={"limit": 7}, headers=headers)
        assert r.status_code == 200, r.text
    after = await _plans(connection)
    runs = {
        name: (generic - before.get(name, (0, 0))[0], custom - before.get(name, (0, 0))[1])
        for name, (generic, custom) in after.items()
        if (generic, custom) != before.get(name)
    }
    assert len(runs) == 1, runs  # one statement served the eight pages
    [(generic, custom)] = runs.values()
    assert generic + custom == 8
    assert custom <= 5, f"planned again at {custom} of 8 pages"


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


async def _plans(connection: AsyncConnection) -> dict[str, tuple[int, int]]:
    """The connection's prepared list statements: name -> (generic plan runs, planned runs)."""
    rows = await connection.execute(
        text(
            "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE :shape"
        ),
        {"shape": LIST_STATEMENT},
    )
    return {name: (generic, custom) for name, generic, custom in rows}


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
