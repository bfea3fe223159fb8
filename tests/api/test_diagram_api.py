"""GET /territories/{id}/diagram: a valid SVG with every account, one cell per leaf unit, the
security headers, the vertical filter and the 500-account ceiling."""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET

import httpx
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from app.territories.analysis.diagram import POINT_OF_ENTRY_TEXT
from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.api.territory_helpers import unit
from tests.factories import Actors
from tests.sql_statements import statements
from tests.sql_statements import work

SVG = "{http://www.w3.org/2000/svg}"


def unit_cells(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "unit" in r.get("class", "").split()]


def account_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "account" in g.get("class", "").split()]


async def test_svg_with_every_account_and_one_cell_per_leaf_unit(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    rep = actors.rep
    t = await territory(client, actors.admin, rep, name="Riley's <DACH> & Nordics")
    names = ["Smith & Sons <Holdings>", 'The "Quoted" Bank', "O'Reilly Health", "Müller AG"]
    leaves = 0
    for n, name in enumerate(names):
        a = await account(client, rep, t["id"], name=name, vertical=("retail", "healthcare")[n % 2])
        for adoption in ("green", "yellow", "red", "none")[: n + 1]:
            await unit(client, rep, a["id"], adoption, name=f"{name} unit <{adoption}>")
            leaves += 1
    # A parent with two children: the parent is not a cell, its children are.
    parent_account = await account(client, rep, t["id"], name="Parent & Child Corp")
    parent = await unit(client, rep, parent_account["id"], "green", name="Group IT")
    for adoption in ("red", "red"):
        await unit(client, rep, parent_account["id"], adoption, parent_id=parent["id"])
        leaves += 1

    r = await client.get(f"/api/v1/territories/{t['id']}/diagram", headers=actors.manager.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert r.headers["cache-control"] == "no-store"
    root = ET.fromstring(r.content)
    assert root.tag == f"{SVG}svg"
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    for name in [*names, "Parent & Child Corp"]:
        assert any(title.startswith(name) for title in titles), name
    assert "Riley's <DACH> & Nordics" in " ".join(root.itertext())
    assert len(account_groups(root)) == len(names) + 1
    cells = unit_cells(root)
    assert len(cells) == leaves
    assert not any("Group IT" in (c.findtext(f"{SVG}title") or "") for c in cells)
    # The account whose only DevOps units are red is marked as needing a point of entry.
    marked = [
        g for g in account_groups(root) if "account-needs-point-of-entry" in g.get("class", "")
    ]
    assert [(g.findtext(f"{SVG}title") or "").split(":")[0] for g in marked] == [
        "Parent & Child Corp"
    ]
    assert r.text.count(POINT_OF_ENTRY_TEXT) == 1


async def test_vertical_filter_and_visibility(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    await account(client, actors.rep, t["id"], name="Retail One", vertical="retail")
    await account(client, actors.rep, t["id"], name="Clinic Two", vertical="healthcare")
    url = f"/api/v1/territories/{t['id']}/diagram"
    r = await client.get(f"{url}?vertical=retail", headers=actors.rep.headers)
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    groups = account_groups(root)
    assert [(g.findtext(f"{SVG}title") or "").split(":")[0] for g in groups] == ["Retail One"]
    r = await client.get(f"{url}?vertical=space", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.vertical"
    assert (await client.get(url, headers=actors.peer_rep.headers)).status_code == 404
    r = await client.get(
        f"/api/v1/territories/{uuid.uuid4()}/diagram", headers=actors.admin.headers
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_more_than_500_accounts_asks_for_a_filter(
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
    url = f"/api/v1/territories/{t['id']}/diagram"
    r = await client.get(url, headers=actors.rep.headers)
    assert r.status_code == 422
    problem = r.json()
    assert problem["errors"][0]["field"] == "query.vertical"
    assert problem["errors"][0]["code"] == "too_many_accounts"
    assert "?vertical=" in problem["detail"]
    r = await client.get(f"{url}?vertical=retail", headers=actors.rep.headers)
    assert r.status_code == 200
    assert len(account_groups(ET.fromstring(r.content))) == 300


async def test_accept_png_answers_the_same_drawing_as_png(
    client: httpx.AsyncClient, actors: Actors, connection: AsyncConnection
) -> None:
    rep = actors.rep
    t = await territory(client, actors.admin, rep, name="Nordics")
    a = await account(client, rep, t["id"], name="Fjord Bank", vertical="retail")
    await unit(client, rep, a["id"], "green", name="Claims IT")
    url = f"/api/v1/territories/{t['id']}/diagram"
    png = {**rep.headers, "Accept": "image/png"}

    with statements(connection) as seen:
        r = await client.get(url, headers=png)
    assert r.status_code == 200, r.text
    assert [s for s in work(seen) if "WITH acc AS" in s]  # drawn from the diagram query
    assert r.headers["content-type"] == "image/png"
    assert r.headers["vary"] == "Accept"
    assert r.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(r.content))
    image.load()
    svg = ET.fromstring((await client.get(url, headers=rep.headers)).content)
    assert image.size == (int(svg.get("width", "0")), int(svg.get("height", "0")))
    assert image.info["Title"] == "Territory diagram: Nordics"

    # Stored like the SVG: the same bytes again, without drawing (no diagram query).
    with statements(connection) as seen:
        again = await client.get(url, headers=png)
    assert again.content == r.content
    assert not [s for s in work(seen) if "WITH acc AS" in s]
    assert len(work(seen)) <= 2  # the token (unless cached); visibility with the stored PNG
    # A change of the territory's input draws it again.
    await unit(client, rep, a["id"], "red", name="Payments")
    changed = await client.get(url, headers=png)
    assert changed.status_code == 200 and changed.content != r.content

    # An Accept that prefers SVG, or names neither, gets the SVG.
    for accept in ("image/svg+xml, image/png;q=0.5", "application/json", "*/*"):
        r = await client.get(url, headers={**rep.headers, "Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml", accept
    # Errors stay problem documents whatever was accepted.
    r = await client.get(
        f"/api/v1/territories/{uuid.uuid4()}/diagram", headers={**png, "Accept": "image/png"}
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.get(url, params={"vertical": "nope"}, headers=png)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.vertical"
