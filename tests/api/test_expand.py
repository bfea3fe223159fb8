"""?expand= on lists and single reads: the referenced record's summary beside its id, null when
there is none or it is invisible, absent unless asked for; one SQL statement per page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors
from tests.leads_factories import make_account
from tests.leads_factories import make_contact
from tests.leads_factories import make_lead
from tests.leads_factories import make_territory
from tests.sql_statements import statements
from tests.sql_statements import work

API = "/api/v1"


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    r = await client.get(url, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_contacts_expand_account(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory, domain="fjord.no", name="Fjord")
    contact = await make_contact(session, account, first_name="Anna")
    h = actors.rep.headers
    plain = await _get(client, f"{API}/contacts/{contact.id}", h)
    assert "account" not in plain
    one = await _get(client, f"{API}/contacts/{contact.id}", h, expand="account")
    assert one["account"] == {"id": str(account.id), "name": "Fjord", "domain": "fjord.no"}
    assert {k: v for k, v in one.items() if k != "account"} == plain
    page = await _get(client, f"{API}/contacts", h, expand="account")
    assert [c["account"]["name"] for c in page["items"]] == ["Fjord"]
    assert "account" not in (await _get(client, f"{API}/contacts", h))["items"][0]


async def test_accounts_expand_territory(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user, name="Nordics")
    account = await make_account(session, territory, name="Fjord")
    h = actors.rep.headers
    one = await _get(client, f"{API}/accounts/{account.id}", h, expand="territory")
    assert one["territory"] == {"id": str(territory.id), "name": "Nordics"}
    page = await _get(client, f"{API}/accounts", h, expand="territory")
    assert [a["territory"] for a in page["items"]] == [one["territory"]]


async def test_leads_expand_owner_and_account_null_when_none_or_invisible(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    mine = await make_account(session, await make_territory(session, actors.rep.user), name="Mine")
    theirs = await make_account(
        session, await make_territory(session, actors.peer_rep.user), name="Theirs"
    )
    routed = await make_lead(session, actors.rep.user, account_id=mine.id, company="A")
    # The rep owns a lead of an account they cannot see: the account summary is null.
    foreign = await make_lead(session, actors.rep.user, account_id=theirs.id, company="B")
    h = actors.rep.headers
    body = await _get(client, f"{API}/leads", h, expand="owner,account", sort="created_at")
    by_id = {lead["id"]: lead for lead in body["items"]}
    owner = {"id": str(actors.rep.id), "name": actors.rep.user.name, "email": actors.rep.user.email}
    assert by_id[str(routed.id)]["owner"] == owner
    assert by_id[str(routed.id)]["account"] == {"id": str(mine.id), "name": "Mine", "domain": None}
    assert by_id[str(foreign.id)]["account"] is None
    assert by_id[str(foreign.id)]["account_id"] == str(theirs.id)
    # An unassigned lead (a manager sees it) has a null owner.
    unassigned = await make_lead(session, actors.integration.user, owner_id=None)
    one = await _get(client, f"{API}/leads/{unassigned.id}", actors.manager.headers, expand="owner")
    assert one["owner"] is None and "account" not in one


@pytest.mark.parametrize(
    ("path", "expand"),
    [
        ("/contacts", "owner"),
        ("/contacts", "account,bogus"),
        ("/accounts", "account"),
        ("/leads", "contact"),
        ("/leads", ""),
        ("/opportunities", "territory"),
    ],
)
async def test_unknown_expansion_is_422(
    client: httpx.AsyncClient, actors: Actors, path: str, expand: str
) -> None:
    r = await client.get(f"{API}{path}", params={"expand": expand}, headers=actors.admin.headers)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "/problems/validation"
    assert r.json()["errors"][0]["field"] == "query.expand"


async def test_a_list_with_expand_is_one_statement_whatever_the_page_size(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession, connection: AsyncConnection
) -> None:
    account = await make_account(session, await make_territory(session, actors.rep.user))
    for i in range(30):
        await make_lead(session, actors.rep.user, account_id=account.id, company=f"C{i}")
    h = actors.rep.headers
    counts = []
    for limit in (1, 30):
        with statements(connection) as seen:
            body = await _get(client, f"{API}/leads", h, expand="owner,account", limit=limit)
        assert len(body["items"]) == limit
        assert all(lead["account"]["id"] == str(account.id) for lead in body["items"])
        # The caller's token, then the page with its summaries.
        counts.append(len(work(seen)))
    assert counts == [2, 2], counts


async def test_opportunities_expand_in_the_sql_document(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession, connection: AsyncConnection
) -> None:
    account = await make_account(
        session, await make_territory(session, actors.rep.user), domain="acme.io", name="Acme"
    )
    contact = await make_contact(
        session, account, first_name="Gia", last_name="Ruiz", email="gia@acme.io"
    )
    h = actors.rep.headers
    ids = []
    for i in range(3):
        r = await client.post(
            f"{API}/opportunities",
            json={"name": f"Deal {i}", "contact_id": str(contact.id)},
            headers=h,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    url = f"{API}/opportunities/{ids[0]}"
    plain = await _get(client, url, h)
    assert not {"owner", "account", "contact"} & set(plain)
    one = await _get(client, url, h, expand="contact,owner,account")
    assert one["owner"] == {
        "id": str(actors.rep.id),
        "name": actors.rep.user.name,
        "email": actors.rep.user.email,
    }
    assert one["account"] == {"id": str(account.id), "name": "Acme", "domain": "acme.io"}
    assert one["contact"] == {
        "id": str(contact.id),
        "first_name": "Gia",
        "last_name": "Ruiz",
        "email": "gia@acme.io",
    }
    assert {k: v for k, v in one.items() if k not in ("owner", "account", "contact")} == plain
    only_account = await _get(client, url, h, expand="account")
    assert "owner" not in only_account and only_account["account"] == one["account"]
    counts = []
    for limit in (1, 3):
        with statements(connection) as seen:
            page = await _get(
                client, f"{API}/opportunities", h, expand="owner,contact", limit=limit
            )
        assert [o["contact"]["email"] for o in page["items"]] == ["gia@acme.io"] * limit
        assert all("account" not in o for o in page["items"])
        counts.append(len(work(seen)))
    assert counts == [2, 2], counts
    # The vp sees the rep's deal; the rep is in the vp's subtree, so the owner is shown.
    vp = await _get(client, url, actors.vp.headers, expand="owner")
    assert vp["owner"]["id"] == str(actors.rep.id)


async def test_tasks_expand_owner(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.manager.headers
    r = await client.post(
        f"{API}/tasks", json={"title": "Call Anna", "owner_id": str(actors.rep.id)}, headers=h
    )
    assert r.status_code == 201, r.text
    task_id = r.json()["id"]
    owner = {"id": str(actors.rep.id), "name": actors.rep.user.name, "email": actors.rep.user.email}
    one = await _get(client, f"{API}/tasks/{task_id}", h, expand="owner")
    assert one["owner"] == owner
    page = await _get(client, f"{API}/tasks", h, owner_id=str(actors.rep.id), expand="owner")
    assert [t["owner"] for t in page["items"]] == [owner]
    assert "owner" not in (await _get(client, f"{API}/tasks/{task_id}", h))
    r = await client.get(f"{API}/tasks", params={"expand": "account"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.expand"
