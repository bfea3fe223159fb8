"""GET /territories/{id}/analysis: statuses over leaf units, totals, verticals, routes, mix,
conversion windows, and proof that it is a few SQL statements, not a load-everything loop
(and fewer still once the analysis is stored)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AdoptionChange
from app.territories.analysis import repository as analysis_repository
from app.territories.analysis.service import conversion_windows
from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.api.territory_helpers import unit
from tests.factories import Actor
from tests.factories import Actors
from tests.sql_statements import statements


async def _account_with(
    client: httpx.AsyncClient,
    rep: Actor,
    territory_id: str,
    name: str,
    adoptions: tuple[str, ...],
    **fields: Any,
) -> dict[str, Any]:
    a = await account(client, rep, territory_id, name=name, **fields)
    for adoption in adoptions:
        await unit(client, rep, a["id"], adoption, devops_headcount=10)
    return a


async def _analysis(client: httpx.AsyncClient, actor: Actor, territory_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/territories/{territory_id}/analysis", headers=actor.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_each_status_counting_leaf_units_only(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    rep = actors.rep
    t = await territory(client, actors.admin, rep)
    tid = t["id"]
    await _account_with(client, rep, tid, "A needs entry", ("red", "red", "none"))
    await _account_with(client, rep, tid, "B trying", ("yellow", "red", "none"))
    await _account_with(client, rep, tid, "C expanding", ("green", "yellow", "red", "none"))
    await _account_with(client, rep, tid, "D green and yellow", ("green", "yellow"))
    await _account_with(client, rep, tid, "E all green", ("green", "green", "none"))
    await _account_with(client, rep, tid, "F no devops", ("none", "none"))
    await _account_with(client, rep, tid, "G no units", ())
    # Leaf counting: a green parent whose children are red does not count, so H needs a
    # point of entry; I has a grey parent over a yellow branch and a green grandchild.
    h = await account(client, rep, tid, name="H green parent over red")
    parent = await unit(client, rep, h["id"], "green", devops_headcount=500)
    await unit(client, rep, h["id"], "red", parent_id=parent["id"], devops_headcount=3)
    await unit(client, rep, h["id"], "red", parent_id=parent["id"], devops_headcount=4)
    i = await account(client, rep, tid, name="I deep tree")
    top = await unit(client, rep, i["id"], "none")
    middle = await unit(client, rep, i["id"], "red", parent_id=top["id"])
    await unit(client, rep, i["id"], "yellow", parent_id=top["id"])
    await unit(client, rep, i["id"], "green", parent_id=middle["id"])

    result = await _analysis(client, rep, tid)
    assert result["territory_id"] == tid
    by_name = {a["name"]: a for a in result["accounts"]}
    assert [a["name"] for a in result["accounts"]] == sorted(by_name)
    expected = {
        "A needs entry": ("needs_point_of_entry", (0, 0, 2, 1), 0.0),
        "B trying": ("entry_in_progress", (0, 1, 1, 1), 0.0),
        "C expanding": ("land_and_expand", (1, 1, 1, 1), 0.3333),
        "D green and yellow": ("land_and_expand", (1, 1, 0, 0), 0.5),
        "E all green": ("fully_green", (2, 0, 0, 1), 1.0),
        "F no devops": ("no_devops_mapped", (0, 0, 0, 2), None),
        "G no units": ("no_devops_mapped", (0, 0, 0, 0), None),
        "H green parent over red": ("needs_point_of_entry", (0, 0, 2, 0), 0.0),
        "I deep tree": ("land_and_expand", (1, 1, 0, 0), 0.5),
    }
    for name, (status, counts, ratio) in expected.items():
        row = by_name[name]
        assert row["status"] == status, name
        assert tuple(row["units"][k] for k in ("green", "yellow", "red", "none")) == counts, name
        assert row["green_ratio"] == ratio, name
        assert set(row) == {
            "id",
            "name",
            "vertical",
            "account_type",
            "units",
            "green_ratio",
            "status",
        }
    assert result["totals"] == {"green": 5, "yellow": 4, "red": 6, "none": 6, "green_ratio": 0.3333}
    assert set(result) == {
        "territory_id",
        "accounts",
        "totals",
        "top_verticals",
        "routes_to_market",
        "mix",
        "conversions",
    }


async def test_empty_territory(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    result = await _analysis(client, actors.manager, t["id"])
    assert result == {
        "territory_id": t["id"],
        "accounts": [],
        "totals": {"green": 0, "yellow": 0, "red": 0, "none": 0, "green_ratio": None},
        "top_verticals": [],
        "routes_to_market": [],
        "mix": {"net_new": 0, "customer": 0},
        "conversions": {"last_30_days": 0, "last_90_days": 0, "last_365_days": 0},
    }


async def test_verticals_routes_and_mix(client: httpx.AsyncClient, actors: Actors) -> None:
    rep = actors.rep
    t = await territory(client, actors.admin, rep)
    tid = t["id"]
    plan = [
        # vertical, type, routes, leaf headcounts
        ("retail", "customer", ["direct"], (5,)),
        ("retail", "net_new", ["direct", "channel"], (5,)),
        ("healthcare", "net_new", ["programs"], (50, 50)),
        ("healthcare", "customer", ["channel", "programs"], ()),
        ("energy", "net_new", [], (1,)),
        ("energy", "net_new", ["direct"], (1,)),
        ("media", "customer", ["channel"], (7,)),
    ]
    for n, (vertical, kind, routes, heads) in enumerate(plan):
        a = await account(
            client,
            rep,
            tid,
            vertical=vertical,
            account_type=kind,
            routes_to_market=routes,
            name=f"Acc {n}",
        )
        for head in heads:
            await unit(client, rep, a["id"], "red", devops_headcount=head)
    # A parent's headcount is not counted: only leaves carry it.
    media = await account(
        client, rep, tid, vertical="media", account_type="net_new", name="Media parent"
    )
    p = await unit(client, rep, media["id"], "none", devops_headcount=1000)
    await unit(client, rep, media["id"], "red", parent_id=p["id"], devops_headcount=2)
    await unit(client, rep, media["id"], "red", parent_id=p["id"])  # null headcount counts 0

    result = await _analysis(client, rep, tid)
    # Two accounts each in healthcare, retail, energy, media; healthcare has the most
    # headcount, then retail (10), media (9), energy (2) is the fourth and left out.
    assert result["top_verticals"] == [
        {"vertical": "healthcare", "accounts": 2, "devops_headcount": 100},
        {"vertical": "retail", "accounts": 2, "devops_headcount": 10},
        {"vertical": "media", "accounts": 2, "devops_headcount": 9},
    ]
    assert result["routes_to_market"] == [
        {"vertical": "energy", "direct": 1, "channel": 0, "programs": 0},
        {"vertical": "healthcare", "direct": 0, "channel": 1, "programs": 2},
        {"vertical": "media", "direct": 0, "channel": 1, "programs": 0},
        {"vertical": "retail", "direct": 2, "channel": 1, "programs": 0},
    ]
    assert result["mix"] == {"net_new": 5, "customer": 3}


async def test_top_verticals_tie_on_headcount_breaks_by_name(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    for vertical in ("technology", "education", "other", "retail"):
        a = await account(client, actors.rep, t["id"], vertical=vertical)
        await unit(client, actors.rep, a["id"], "red", devops_headcount=3)
    extra = await account(client, actors.rep, t["id"], vertical="retail")
    await unit(client, actors.rep, extra["id"], "none")
    result = await _analysis(client, actors.rep, t["id"])
    assert [v["vertical"] for v in result["top_verticals"]] == ["retail", "education", "other"]


async def test_conversion_windows(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    rep = actors.rep
    t = await territory(client, actors.admin, rep)
    a = await account(client, rep, t["id"])
    other = await territory(client, actors.admin, actors.rep2)
    elsewhere = await account(client, actors.rep2, other["id"])
    now = datetime.now(UTC)

    async def converted(
        account_id: str,
        days_ago: int,
        old: str | None = "red",
        new: str = "green",
        parent_id: str | None = None,
    ) -> dict[str, Any]:
        u = await unit(
            client,
            rep if account_id == a["id"] else actors.rep2,
            account_id,
            new,
            parent_id=parent_id,
        )
        session.add(
            AdoptionChange(
                unit_id=uuid.UUID(u["id"]),
                old=old,
                new=new,
                actor_id=rep.id,
                at=now - timedelta(days=days_ago),
            )
        )
        return u

    await converted(a["id"], 10)
    await converted(a["id"], 60)
    await converted(a["id"], 200)
    await converted(a["id"], 400)  # older than a year
    twice = await converted(a["id"], 5, old="yellow")
    session.add(
        AdoptionChange(
            unit_id=uuid.UUID(twice["id"]),
            old="red",
            new="green",
            actor_id=rep.id,
            at=now - timedelta(days=50),
        )
    )
    await converted(a["id"], 3, new="yellow")  # not to green
    await converted(a["id"], 3, old=None)  # first mapped as green: not a conversion
    parent = await converted(a["id"], 3)
    await unit(client, rep, a["id"], "red", parent_id=parent["id"])  # parent: not a leaf
    await converted(elsewhere["id"], 3)  # another territory
    await session.flush()

    result = await _analysis(client, rep, t["id"])
    assert result["conversions"] == {"last_30_days": 2, "last_90_days": 3, "last_365_days": 4}

    # Converting through the API counts at once.
    u = await unit(client, rep, a["id"], "yellow")
    r = await client.patch(
        f"/api/v1/units/{u['id']}", json={"adoption": "green"}, headers=rep.headers
    )
    assert r.status_code == 200
    result = await _analysis(client, rep, t["id"])
    assert result["conversions"]["last_30_days"] == 3


def test_conversion_windows_start_at_local_midnight() -> None:
    tz = ZoneInfo("America/New_York")
    windows = conversion_windows(date(2026, 3, 31), tz)
    assert windows.since_30 == datetime(2026, 3, 1, tzinfo=tz)
    assert windows.since_90 == datetime(2025, 12, 31, tzinfo=tz)
    assert windows.since_365 == datetime(2025, 3, 31, tzinfo=tz)
    assert windows.since_30.utcoffset() == timedelta(hours=-5)


async def test_visibility_of_the_analysis(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}/analysis"
    assert (await client.get(url, headers=actors.rep2.headers)).status_code == 404
    assert (await client.get(url, headers=actors.manager.headers)).status_code == 200
    assert (await client.get(url, headers=actors.vp.headers)).status_code == 200
    assert (await client.get(url, headers=actors.other_manager.headers)).status_code == 404


BIG_ACCOUNTS = 2000
UNITS_PER_ACCOUNT = 20

# Unit 1 of every account is the parent of units 2-4; adoption cycles with the unit number.
BIG_TERRITORY = [
    """
    INSERT INTO accounts (territory_id, name, domain, vertical, account_type, routes_to_market)
    SELECT :territory_id, 'Big ' || lpad(g::text, 4, '0'), 'big' || g || '.example',
           (ARRAY['retail', 'healthcare', 'energy', 'media', 'education'])[1 + g % 5],
           CASE WHEN g % 4 = 0 THEN 'customer' ELSE 'net_new' END,
           CASE WHEN g % 2 = 0 THEN ARRAY['direct', 'channel'] ELSE ARRAY['programs'] END
    FROM generate_series(1, :accounts) AS g
    """,
    """
    INSERT INTO units (account_id, kind, name, adoption, devops_headcount)
    SELECT a.id, 'department', 'Unit ' || s,
           (ARRAY['green', 'yellow', 'red', 'none'])[1 + s % 4], s
    FROM accounts a CROSS JOIN generate_series(1, :units) AS s
    WHERE a.territory_id = :territory_id
    """,
    """
    UPDATE units c SET parent_id = p.id
    FROM units p
    JOIN accounts a ON a.id = p.account_id AND a.territory_id = :territory_id
    WHERE p.name = 'Unit 1' AND c.account_id = p.account_id
      AND c.name IN ('Unit 2', 'Unit 3', 'Unit 4')
    """,
    """
    INSERT INTO adoption_changes (unit_id, old, new, at)
    SELECT u.id, 'red', 'green', now() - interval '3 days'
    FROM units u JOIN accounts a ON a.id = u.account_id AND a.territory_id = :territory_id
    WHERE u.name = 'Unit 8'
    """,
]


async def _big_territory(session: AsyncSession, territory_id: str) -> None:
    params = {
        "territory_id": uuid.UUID(territory_id),
        "accounts": BIG_ACCOUNTS,
        "units": UNITS_PER_ACCOUNT,
    }
    for sql in BIG_TERRITORY:
        await session.execute(text(sql), params)
    await session.execute(text("ANALYZE accounts, units, adoption_changes"))


async def test_big_territory_is_one_statement(
    session: AsyncSession, connection: AsyncConnection, client: httpx.AsyncClient, actors: Actors
) -> None:
    """2,000 accounts x 20 units: the repository answers with exactly one SQL statement, and
    the whole HTTP request (authentication and visibility included) with a handful."""
    t = await territory(client, actors.admin, actors.rep)
    await _big_territory(session, t["id"])

    windows = conversion_windows(date.today(), UTC)
    with statements(connection) as seen:
        figures = await analysis_repository.analysis(session, uuid.UUID(t["id"]), windows)
    assert len(seen) == 1, seen
    assert len(json.loads(figures)["accounts"]) == BIG_ACCOUNTS

    url = f"/api/v1/territories/{t['id']}/analysis"
    with statements(connection) as seen:
        first = await client.get(url, headers=actors.manager.headers)
    assert first.status_code == 200
    # The test harness wraps the request in a savepoint; production has none.
    work = [s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    # The caller's token, the territory's visibility with the stored report (none yet), the
    # analysis, and storing it.
    assert len(work) == 4, work
    assert len([s for s in work if "adoption_changes" in s]) == 1

    with statements(connection) as seen:
        again = await client.get(url, headers=actors.manager.headers)
    work = [s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(work) == 2, work  # the token; the visibility with the stored report
    assert not [s for s in work if "adoption_changes" in s]
    assert again.content == first.content

    result = dict(first.json())

    # Leaves are units 2-20 of each account: 5 green, 4 yellow, 5 red, 5 none.
    assert len(result["accounts"]) == BIG_ACCOUNTS
    assert result["totals"] == {
        "green": 5 * BIG_ACCOUNTS,
        "yellow": 4 * BIG_ACCOUNTS,
        "red": 5 * BIG_ACCOUNTS,
        "none": 5 * BIG_ACCOUNTS,
        "green_ratio": round(5 / 14, 4),
    }
    assert {a["status"] for a in result["accounts"]} == {"land_and_expand"}
    assert result["mix"] == {"net_new": 1500, "customer": 500}
    assert [v["accounts"] for v in result["top_verticals"]] == [400, 400, 400]
    assert len(result["routes_to_market"]) == 5
    assert sum(r["direct"] + r["programs"] for r in result["routes_to_market"]) == BIG_ACCOUNTS
    assert result["conversions"] == {
        "last_30_days": BIG_ACCOUNTS,
        "last_90_days": BIG_ACCOUNTS,
        "last_365_days": BIG_ACCOUNTS,
    }
