"""Stored territory reports: the analysis and the diagram are served from `territory_reports`
while their input is unchanged, and computed again after any change of what they show (each
change below is caught by exactly one trigger, so each test fails without it), on another
day (the analysis), and never to a caller who cannot see the territory."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.core.security import hash_token
from app.models import AdoptionChange
from app.territories.analysis import repository as analysis_repository
from app.territories.analysis import service as analysis
from app.users.repository import load_principal
from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.api.territory_helpers import unit
from tests.factories import Actor
from tests.factories import Actors


@dataclass
class Primed:
    """A territory whose analysis and diagrams are stored: Alpha (retail, customer) has a
    parent unit over a red and a yellow leaf; Beta (energy, net new) one green unit that
    converted from red ten days ago."""

    id: str
    alpha: dict[str, Any]
    beta: dict[str, Any]
    parent: dict[str, Any]
    red_leaf: dict[str, Any]
    green: dict[str, Any]


def _analysis_url(territory_id: str) -> str:
    return f"/api/v1/territories/{territory_id}/analysis"


def _diagram_url(territory_id: str, vertical: str | None = None) -> str:
    query = f"?vertical={vertical}" if vertical else ""
    return f"/api/v1/territories/{territory_id}/diagram{query}"


async def _stored(
    session: AsyncSession, territory_id: str, kind: str, variant: str = ""
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            text(
                "SELECT as_of, code_version, input_version, body FROM territory_reports"
                " WHERE territory_id = :t AND kind = :kind AND variant = :variant"
            ),
            {"t": uuid.UUID(territory_id), "kind": kind, "variant": variant},
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)


async def _get(client: httpx.AsyncClient, actor: Actor, url: str) -> httpx.Response:
    r = await client.get(url, headers=actor.headers)
    assert r.status_code == 200, r.text
    return r


async def _analysis(client: httpx.AsyncClient, actor: Actor, territory_id: str) -> dict[str, Any]:
    return dict((await _get(client, actor, _analysis_url(territory_id))).json())


async def _prime(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, territory_id: str
) -> None:
    """Request the analysis and both diagrams once, and check that they were stored."""
    rep = actors.rep
    for kind, url, variant in (
        ("analysis", _analysis_url(territory_id), ""),
        ("diagram", _diagram_url(territory_id), ""),
        ("diagram", _diagram_url(territory_id, "retail"), "retail"),
    ):
        r = await _get(client, rep, url)
        stored = await _stored(session, territory_id, kind, variant)
        assert stored is not None and stored["body"] == r.text, (kind, variant)


@pytest.fixture
async def primed(session: AsyncSession, client: httpx.AsyncClient, actors: Actors) -> Primed:
    rep = actors.rep
    t = await territory(client, actors.admin, rep, name="Northwest")
    alpha = await account(
        client, rep, t["id"], name="Alpha", vertical="retail", routes_to_market=["direct"]
    )
    parent = await unit(client, rep, alpha["id"], "none", name="Alpha IT")
    red_leaf = await unit(
        client,
        rep,
        alpha["id"],
        "red",
        parent_id=parent["id"],
        name="Alpha Ops",
        devops_headcount=5,
    )
    await unit(client, rep, alpha["id"], "yellow", parent_id=parent["id"], name="Alpha Dev")
    beta = await account(
        client, rep, t["id"], name="Beta", vertical="energy", account_type="net_new"
    )
    green = await unit(client, rep, beta["id"], "green", name="Beta Grid", devops_headcount=2)
    session.add(
        AdoptionChange(
            unit_id=uuid.UUID(green["id"]),
            old="red",
            new="green",
            at=datetime.now(UTC) - timedelta(days=10),
        )
    )
    await session.flush()
    await _prime(session, client, actors, t["id"])
    return Primed(t["id"], alpha, beta, parent, red_leaf, green)


def _counts(result: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {
        a["name"]: tuple(a["units"][k] for k in ("green", "yellow", "red", "none"))
        for a in result["accounts"]
    }


# --- served from storage -----------------------------------------------------------------


async def test_the_second_request_serves_the_stored_body(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    tid = primed.id
    first = await _get(client, actors.manager, _analysis_url(tid))
    assert first.headers["content-type"] == "application/json"
    assert first.text == (await _stored(session, tid, "analysis"))["body"]  # type: ignore[index]
    assert _counts(first.json()) == {"Alpha": (0, 1, 1, 0), "Beta": (1, 0, 0, 0)}
    # What is stored is sent as it is: nothing recomputes or re-validates it.
    await session.execute(
        text(
            "UPDATE territory_reports SET body = replace(body, '\"Alpha\"', '\"Stored Alpha\"')"
            " WHERE territory_id = :t"
        ),
        {"t": uuid.UUID(tid)},
    )
    again = await _get(client, actors.manager, _analysis_url(tid))
    assert again.content == first.content.replace(b'"Alpha"', b'"Stored Alpha"')

    diagram = await _get(client, actors.manager, _diagram_url(tid))
    await session.execute(
        text(
            "UPDATE territory_reports SET body = replace(body, 'Alpha Ops', 'Stored Ops')"
            " WHERE territory_id = :t AND kind = 'diagram' AND variant = ''"
        ),
        {"t": uuid.UUID(tid)},
    )
    stored_diagram = await _get(client, actors.manager, _diagram_url(tid))
    assert stored_diagram.content == diagram.content.replace(b"Alpha Ops", b"Stored Ops")
    assert stored_diagram.headers["content-type"] == "image/svg+xml"
    assert stored_diagram.headers["x-content-type-options"] == "nosniff"
    assert stored_diagram.headers["cache-control"] == "no-store"
    # Each vertical filter is a diagram of its own.
    retail = await _get(client, actors.manager, _diagram_url(tid, "retail"))
    assert b"Alpha" in retail.content and b"Beta" not in retail.content


# --- accounts ------------------------------------------------------------------------------


async def test_account_created(client: httpx.AsyncClient, actors: Actors, primed: Primed) -> None:
    before = await _get(client, actors.rep, f"/api/v1/territories/{primed.id}")
    await account(client, actors.rep, primed.id, name="Gamma", vertical="retail")
    result = await _analysis(client, actors.rep, primed.id)
    assert [a["name"] for a in result["accounts"]] == ["Alpha", "Beta", "Gamma"]
    assert result["mix"] == {"net_new": 1, "customer": 2}
    diagram = await _get(client, actors.rep, _diagram_url(primed.id, "retail"))
    assert b"Gamma" in diagram.content
    # The territory's own version and ETag do not move with its accounts.
    after = await _get(client, actors.rep, f"/api/v1/territories/{primed.id}")
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json()["version"] == before.json()["version"]


async def test_account_updated(client: httpx.AsyncClient, actors: Actors, primed: Primed) -> None:
    r = await client.patch(
        f"/api/v1/accounts/{primed.alpha['id']}",
        json={"name": "Aardvark", "vertical": "media"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    result = await _analysis(client, actors.rep, primed.id)
    assert [(a["name"], a["vertical"]) for a in result["accounts"]] == [
        ("Aardvark", "media"),
        ("Beta", "energy"),
    ]
    # The retail diagram no longer has the account, the whole one has it renamed.
    retail = await _get(client, actors.rep, _diagram_url(primed.id, "retail"))
    assert b"Aardvark" not in retail.content and b"<title>Alpha:" not in retail.content
    whole = await _get(client, actors.rep, _diagram_url(primed.id))
    assert b"<title>Aardvark:" in whole.content and b"<title>Alpha:" not in whole.content


async def test_account_moved_to_another_territory(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    other = await territory(client, actors.admin, actors.rep)
    await _prime(session, client, actors, other["id"])
    assert (await _analysis(client, actors.rep, other["id"]))["accounts"] == []
    r = await client.patch(
        f"/api/v1/accounts/{primed.beta['id']}",
        json={"territory_id": other["id"]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    assert _counts(await _analysis(client, actors.rep, primed.id)) == {"Alpha": (0, 1, 1, 0)}
    moved = await _analysis(client, actors.rep, other["id"])
    assert _counts(moved) == {"Beta": (1, 0, 0, 0)}
    assert moved["conversions"]["last_30_days"] == 1


async def test_account_deleted_with_its_units(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    # No endpoint deletes accounts; the database cascades to units and adoption history.
    await session.execute(
        text("DELETE FROM accounts WHERE id = :id"), {"id": uuid.UUID(primed.beta["id"])}
    )
    result = await _analysis(client, actors.rep, primed.id)
    assert _counts(result) == {"Alpha": (0, 1, 1, 0)}
    assert result["conversions"]["last_30_days"] == 0
    whole = await _get(client, actors.rep, _diagram_url(primed.id))
    assert b"Beta" not in whole.content


# --- units ---------------------------------------------------------------------------------


async def test_unit_created(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    # Inserted directly: through the API its first adoption record would outdate it as well.
    await session.execute(
        text(
            "INSERT INTO units (account_id, parent_id, kind, name, adoption)"
            " VALUES (:account, :parent, 'department', 'Alpha Sec', 'green')"
        ),
        {"account": uuid.UUID(primed.alpha["id"]), "parent": uuid.UUID(primed.parent["id"])},
    )
    assert _counts(await _analysis(client, actors.rep, primed.id))["Alpha"] == (1, 1, 1, 0)
    retail = await _get(client, actors.rep, _diagram_url(primed.id, "retail"))
    assert b"Alpha Sec" in retail.content


async def test_unit_updated(client: httpx.AsyncClient, actors: Actors, primed: Primed) -> None:
    r = await client.patch(
        f"/api/v1/units/{primed.red_leaf['id']}",
        json={"devops_headcount": 40, "name": "Alpha Platform"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    result = await _analysis(client, actors.rep, primed.id)
    assert {v["vertical"]: v["devops_headcount"] for v in result["top_verticals"]} == {
        "retail": 40,
        "energy": 2,
    }
    retail = await _get(client, actors.rep, _diagram_url(primed.id, "retail"))
    assert b"Alpha Platform" in retail.content and b"Alpha Ops" not in retail.content


async def test_unit_adoption_changed(
    client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    r = await client.patch(
        f"/api/v1/units/{primed.red_leaf['id']}",
        json={"adoption": "green"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    result = await _analysis(client, actors.rep, primed.id)
    assert _counts(result)["Alpha"] == (1, 1, 0, 0)
    assert result["conversions"]["last_30_days"] == 2


async def test_unit_moved_in_its_tree(
    client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    # Alpha Ops under Alpha Dev: Alpha Dev has a child now and no longer counts as a leaf.
    siblings = await client.get(
        f"/api/v1/accounts/{primed.alpha['id']}/units", headers=actors.rep.headers
    )
    dev = next(u for u in siblings.json()["items"] if u["name"] == "Alpha Dev")
    r = await client.patch(
        f"/api/v1/units/{primed.red_leaf['id']}",
        json={"parent_id": dev["id"]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    assert _counts(await _analysis(client, actors.rep, primed.id))["Alpha"] == (0, 0, 1, 0)


async def test_unit_moved_to_an_account_of_another_territory(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    other = await territory(client, actors.admin, actors.rep)
    elsewhere = await account(client, actors.rep, other["id"], name="Elsewhere")
    await _prime(session, client, actors, other["id"])
    # Not something the API does (a unit stays in its account); the trigger covers it anyway.
    await session.execute(
        text("UPDATE units SET account_id = :account WHERE id = :id"),
        {"account": uuid.UUID(elsewhere["id"]), "id": uuid.UUID(primed.green["id"])},
    )
    here = await _analysis(client, actors.rep, primed.id)
    assert _counts(here)["Beta"] == (0, 0, 0, 0)
    assert here["conversions"]["last_30_days"] == 0
    there = await _analysis(client, actors.rep, other["id"])
    assert _counts(there) == {"Elsewhere": (1, 0, 0, 0)}
    assert there["conversions"]["last_30_days"] == 1


async def test_unit_deleted(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    # No endpoint deletes units; its adoption history goes with it.
    await session.execute(
        text("DELETE FROM units WHERE id = :id"), {"id": uuid.UUID(primed.red_leaf["id"])}
    )
    assert _counts(await _analysis(client, actors.rep, primed.id))["Alpha"] == (0, 1, 0, 0)
    retail = await _get(client, actors.rep, _diagram_url(primed.id, "retail"))
    assert b"Alpha Ops" not in retail.content


# --- adoption history ----------------------------------------------------------------------


async def test_adoption_change_recorded(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    # Only history: the unit itself is untouched.
    session.add(
        AdoptionChange(
            unit_id=uuid.UUID(primed.green["id"]),
            old="yellow",
            new="green",
            at=datetime.now(UTC) - timedelta(days=60),
        )
    )
    await session.flush()
    # The same unit counts once in 30 days, and now also in 90 days through the older change.
    conversions = (await _analysis(client, actors.rep, primed.id))["conversions"]
    assert conversions == {"last_30_days": 1, "last_90_days": 1, "last_365_days": 1}
    session.add(
        AdoptionChange(
            unit_id=uuid.UUID(primed.red_leaf["id"]),
            old="yellow",
            new="green",
            at=datetime.now(UTC) - timedelta(days=60),
        )
    )
    await session.flush()
    conversions = (await _analysis(client, actors.rep, primed.id))["conversions"]
    assert conversions == {"last_30_days": 1, "last_90_days": 2, "last_365_days": 2}


async def test_adoption_change_rewritten(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    await session.execute(
        text("UPDATE adoption_changes SET at = at - interval '100 days' WHERE unit_id = :id"),
        {"id": uuid.UUID(primed.green["id"])},
    )
    conversions = (await _analysis(client, actors.rep, primed.id))["conversions"]
    assert conversions == {"last_30_days": 0, "last_90_days": 0, "last_365_days": 1}


async def test_adoption_change_deleted(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    await session.execute(
        text("DELETE FROM adoption_changes WHERE unit_id = :id AND old IS NOT NULL"),
        {"id": uuid.UUID(primed.green["id"])},
    )
    conversions = (await _analysis(client, actors.rep, primed.id))["conversions"]
    assert conversions == {"last_30_days": 0, "last_90_days": 0, "last_365_days": 0}


# --- the territory -------------------------------------------------------------------------


async def test_territory_renamed(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    assert b"Northwest" in (await _get(client, actors.rep, _diagram_url(primed.id))).content
    r = await client.patch(
        f"/api/v1/territories/{primed.id}",
        json={"name": "Pacific Northwest"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    whole = await _get(client, actors.rep, _diagram_url(primed.id))
    assert b"Pacific Northwest" in whole.content
    retail = await _get(client, actors.rep, _diagram_url(primed.id, "retail"))
    assert b"Pacific Northwest \xc2\xb7 Retail" in retail.content


async def test_other_territory_changes_keep_the_stored_reports(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    stored = await _stored(session, primed.id, "analysis")
    r = await client.patch(
        f"/api/v1/territories/{primed.id}",
        json={"description": "Oregon and Washington"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    # Another territory's change leaves this one's reports current.
    other = await territory(client, actors.admin, actors.rep)
    await account(client, actors.rep, other["id"])
    await _analysis(client, actors.rep, primed.id)
    assert await _stored(session, primed.id, "analysis") == stored


# --- the code ------------------------------------------------------------------------------


async def test_a_report_made_by_other_code_is_computed_again(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    # As a release that changes the statements or the drawing finds the reports it left.
    await session.execute(
        text(
            "UPDATE territory_reports"
            " SET code_version = 'earlier', body = replace(body, 'Alpha', 'Earlier Alpha')"
            " WHERE territory_id = :t"
        ),
        {"t": uuid.UUID(primed.id)},
    )
    result = await _analysis(client, actors.rep, primed.id)
    assert [a["name"] for a in result["accounts"]] == ["Alpha", "Beta"]
    whole = await _get(client, actors.rep, _diagram_url(primed.id))
    assert b"Earlier Alpha" not in whole.content
    for kind in ("analysis", "diagram"):
        stored = await _stored(session, primed.id, kind)
        assert stored is not None and stored["code_version"] == analysis.REPORT_CODE_VERSION


# --- the date ------------------------------------------------------------------------------


async def _principal(session: AsyncSession, actor: Actor) -> Principal:
    principal = await load_principal(session, hash_token(actor.token))
    assert principal is not None
    return principal


async def test_the_analysis_of_another_day_is_computed_again(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    u = await unit(client, actors.rep, a["id"], "green")
    day = date(2026, 6, 1)
    session.add(
        AdoptionChange(
            unit_id=uuid.UUID(u["id"]),
            old="red",
            new="green",
            at=datetime.combine(day - timedelta(days=20), time(12), tzinfo=UTC),
        )
    )
    await session.flush()
    principal = await _principal(session, actors.rep)
    tid = uuid.UUID(t["id"])

    async def conversions(today: date) -> dict[str, int]:
        body = await analysis.territory_analysis(session, principal, tid, UTC, today=today)
        stored = await _stored(session, t["id"], "analysis")
        assert stored is not None and stored["as_of"] == today
        assert stored["body"].encode() == body
        return dict(json.loads(body)["conversions"])

    assert await conversions(day) == {"last_30_days": 1, "last_90_days": 1, "last_365_days": 1}
    # Fifteen days later the change is 35 days old: out of the 30-day window.
    later = day + timedelta(days=15)
    assert await conversions(later) == {"last_30_days": 0, "last_90_days": 1, "last_365_days": 1}


# --- a change while the report is computed -------------------------------------------------


async def test_a_change_during_the_computation_is_not_hidden(
    session: AsyncSession,
    client: httpx.AsyncClient,
    actors: Actors,
    primed: Primed,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The report is stored under the version read before computing it, so a change that
    lands after its input was read leaves it outdated, not current without the change."""
    await account(client, actors.rep, primed.id, name="Gamma")
    compute = analysis_repository.analysis

    async def then_a_change(*args: Any) -> str:
        figures = await compute(*args)
        await session.execute(
            text("UPDATE accounts SET name = 'Delta' WHERE territory_id = :t AND name = 'Gamma'"),
            {"t": uuid.UUID(primed.id)},
        )
        return figures

    monkeypatch.setattr(analysis_repository, "analysis", then_a_change)
    computed = await _analysis(client, actors.rep, primed.id)
    assert [a["name"] for a in computed["accounts"]] == ["Alpha", "Beta", "Gamma"]
    monkeypatch.setattr(analysis_repository, "analysis", compute)
    result = await _analysis(client, actors.rep, primed.id)
    assert [a["name"] for a in result["accounts"]] == ["Alpha", "Beta", "Delta"]


# --- visibility and the diagram's ceiling --------------------------------------------------


async def test_stored_reports_are_served_only_to_who_can_see_the_territory(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors, primed: Primed
) -> None:
    stored = await _stored(session, primed.id, "analysis")
    for url in (
        _analysis_url(primed.id),
        _diagram_url(primed.id),
        _diagram_url(primed.id, "retail"),
    ):
        for outsider in (actors.rep2, actors.peer_rep, actors.other_manager):
            r = await client.get(url, headers=outsider.headers)
            assert r.status_code == 404, (url, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        assert (await client.get(url, headers=actors.manager.headers)).status_code == 200
    # The territory changes hands: its reports stay current (nothing they show changed), but
    # the former owner no longer sees them.
    r = await client.patch(
        f"/api/v1/territories/{primed.id}",
        json={"owner_id": str(actors.peer_rep.id)},
        headers=actors.admin.headers,
    )
    assert r.status_code == 200, r.text
    assert await _stored(session, primed.id, "analysis") == stored
    for url in (_analysis_url(primed.id), _diagram_url(primed.id)):
        assert (await client.get(url, headers=actors.rep.headers)).status_code == 404
        assert (await client.get(url, headers=actors.peer_rep.headers)).status_code == 200


async def test_more_than_500_accounts_is_refused_every_time(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    await session.execute(
        text("""
        INSERT INTO accounts (territory_id, name, vertical, account_type)
        SELECT :territory_id, 'Acc ' || g, CASE WHEN g <= 300 THEN 'retail' ELSE 'energy' END,
               'net_new'
        FROM generate_series(1, 501) AS g
        """),
        {"territory_id": uuid.UUID(t["id"])},
    )
    url = _diagram_url(t["id"])
    for _ in range(2):
        r = await client.get(url, headers=actors.rep.headers)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "too_many_accounts"
    assert await _stored(session, t["id"], "diagram") is None
    retail = await _get(client, actors.rep, _diagram_url(t["id"], "retail"))
    assert (await _stored(session, t["id"], "diagram", "retail")) is not None
    assert retail.content.count(b'<g class="account') == 300
    # Down to 500 accounts, the whole territory is drawn.
    await session.execute(
        text("DELETE FROM accounts WHERE territory_id = :t AND name = 'Acc 501'"),
        {"t": uuid.UUID(t["id"])},
    )
    await _get(client, actors.rep, url)
    assert await _stored(session, t["id"], "diagram") is not None
