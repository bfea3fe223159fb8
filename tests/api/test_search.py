"""GET /search: prefix words over names, emails, companies and domains; visibility in SQL;
best match first; keyset pages; odd input never a 500."""

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

SEARCH = "/api/v1/search"


async def _search(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    r = await client.get(SEARCH, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _hits(body: Any) -> set[tuple[str, str]]:
    return {(h["type"], h["title"]) for h in body["items"]}


async def test_words_match_whole_or_as_prefixes_in_every_type(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    bank = await make_account(session, territory, domain="fjordbank.no", name="Fjord Bank")
    await make_account(session, territory, domain="acme.io", name="Acme")
    contact = await make_contact(
        session, bank, first_name="Anna", last_name="Berg", email="anna.berg@fjordbank.no"
    )
    await make_lead(
        session, actors.rep.user, first_name="Ola", last_name="Nordmann", company="Fjord Bank"
    )
    r = await client.post(
        "/api/v1/opportunities",
        json={"name": "Platform renewal", "contact_id": str(contact.id)},
        headers=actors.rep.headers,
    )
    assert r.status_code == 201, r.text
    body = await _search(client, actors.rep.headers, q="fjord ban")
    # The contact's email has "fjordbank" but no word starting with "ban".
    assert _hits(body) == {
        ("account", "Fjord Bank"),
        ("lead", "Ola Nordmann"),
        ("opportunity", "Platform renewal"),
    }
    body = await _search(client, actors.rep.headers, q="fjord")
    by_type = {h["type"]: h for h in body["items"]}
    assert by_type["account"]["subtitle"] == "fjordbank.no"
    assert by_type["contact"]["subtitle"] == "anna.berg@fjordbank.no · Fjord Bank"
    assert by_type["opportunity"]["subtitle"] == "Fjord Bank"
    assert by_type["account"]["id"] == str(bank.id)
    # A word of the opportunity's name and one of its account's name, case-insensitively.
    body = await _search(client, actors.rep.headers, q="RENEW fjord")
    assert _hits(body) == {("opportunity", "Platform renewal")}
    # Emails and domains are found by any of their words.
    assert _hits(await _search(client, actors.rep.headers, q="berg@fjordbank")) == {
        ("contact", "Anna Berg")
    }
    assert _hits(await _search(client, actors.rep.headers, q="fjordbank.no")) >= {
        ("account", "Fjord Bank"),
        ("contact", "Anna Berg"),
    }
    # Every word must match: a word in the middle of another does not.
    assert (await _search(client, actors.rep.headers, q="jord"))["items"] == []
    assert (await _search(client, actors.rep.headers, q="fjord acme"))["items"] == []


async def test_a_name_match_ranks_above_an_email_match(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    by_email = await make_lead(session, actors.rep.user, email="zorro@example.com")
    by_name = await make_lead(
        session, actors.rep.user, first_name="Zorro", email="someone@example.com"
    )
    body = await _search(client, actors.rep.headers, q="zorro")
    assert [h["id"] for h in body["items"]] == [str(by_name.id), str(by_email.id)]
    assert body["items"][0]["score"] > body["items"][1]["score"]
    assert body["items"][1]["title"] == "zorro@example.com"


async def test_only_what_the_caller_can_see(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    mine = await make_account(session, await make_territory(session, actors.rep.user), name="Qux A")
    theirs = await make_account(
        session, await make_territory(session, actors.peer_rep.user), name="Qux B"
    )
    await make_contact(session, theirs, first_name="Quxley")
    await make_lead(session, actors.peer_rep.user, company="Qux C")
    await make_lead(session, actors.integration.user, owner_id=None, company="Qux D")
    assert _hits(await _search(client, actors.rep.headers, q="qux")) == {("account", "Qux A")}
    everything = _hits(await _search(client, actors.admin.headers, q="qux"))
    assert {t for t, _ in everything} == {"account", "contact", "lead"}
    assert len(everything) == 5
    # A manager sees their subtree's records and unassigned leads, not a peer subtree's.
    manager = _hits(await _search(client, actors.manager.headers, q="qux"))
    assert ("account", "Qux A") in manager and ("account", "Qux B") not in manager
    # An integration finds the leads it created, nothing else.
    found = await _search(client, actors.integration.headers, q="qux")
    assert [h["type"] for h in found["items"]] == ["lead"]
    assert mine.id and theirs.id


async def test_types_filter(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory, name="Wombat Inc")
    await make_contact(session, account, first_name="Wombat")
    await make_lead(session, actors.rep.user, company="Wombat Inc")
    body = await _search(client, actors.rep.headers, q="wombat", types="lead,contact")
    assert {h["type"] for h in body["items"]} == {"lead", "contact"}
    body = await _search(client, actors.rep.headers, q="wombat", types="account")
    assert {h["type"] for h in body["items"]} == {"account"}
    r = await client.get(
        SEARCH, params={"q": "wombat", "types": "lead,deal"}, headers=actors.rep.headers
    )
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/validation"
    assert r.json()["errors"][0]["field"] == "query.types"


async def test_keyset_pages_best_first(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    for i in range(7):
        # Ever more of the name matches: distinct scores, and ties among the emails.
        await make_lead(
            session,
            actors.rep.user,
            first_name="Pagina" if i % 2 else None,
            email=f"pagina{i}@example.com",
        )
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "pagina", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = await _search(client, actors.rep.headers, **params)
        assert len(body["items"]) <= 3
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and len({h["id"] for h in seen}) == 7
    keys = [(h["score"], h["id"]) for h in seen]
    assert keys == sorted(keys, reverse=True)
    first = await _search(client, actors.rep.headers, q="pagina", limit=3)
    r = await client.get(
        SEARCH,
        params={"q": "pagin", "limit": 3, "cursor": first["next_cursor"]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 400 and r.json()["type"] == "/problems/malformed"


@pytest.mark.parametrize("q", ["'''", "''", "&&", ":*", "a:*", "!(x", "x | y", "\\\\", "%_", "é'&"])
async def test_odd_text_is_no_error(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession, q: str
) -> None:
    await make_lead(session, actors.rep.user, first_name="X", last_name="Y")
    r = await client.get(SEARCH, params={"q": q}, headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None


async def test_punctuation_separates_words(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    lead = await make_lead(session, actors.rep.user, first_name="Sinead", last_name="O'Brien")
    for q in ["o'brien", "sinead & o'b", "(sin) !o:*", "SINEAD|OBRI"[:6]]:
        body = await _search(client, actors.rep.headers, q=q)
        assert [h["id"] for h in body["items"]] == [str(lead.id)], q


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query.q"),
        ({"q": "a"}, "query.q"),
        ({"q": "x" * 101}, "query.q"),
        ({"q": "ab\x00"}, "query.q"),
        ({"q": "ab", "limit": 0}, "query.limit"),
    ],
)
async def test_invalid_queries_are_422(
    client: httpx.AsyncClient, actors: Actors, params: dict[str, Any], field: str
) -> None:
    r = await client.get(SEARCH, params=params, headers=actors.rep.headers)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "/problems/validation"
    assert r.json()["errors"][0]["field"] == field


async def test_search_needs_a_token(client: httpx.AsyncClient) -> None:
    r = await client.get(SEARCH, params={"q": "ab"})
    assert r.status_code == 401


async def test_renamed_account_renames_its_opportunities_in_search(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory, name="Oldname Corp")
    contact = await make_contact(session, account)
    r = await client.post(
        "/api/v1/opportunities",
        json={"name": "Expansion", "contact_id": str(contact.id)},
        headers=actors.rep.headers,
    )
    assert r.status_code == 201
    r = await client.patch(
        f"/api/v1/accounts/{account.id}", json={"name": "Newname Corp"}, headers=actors.rep.headers
    )
    assert r.status_code == 200, r.text
    body = await _search(client, actors.rep.headers, q="newname expansion")
    assert _hits(body) == {("opportunity", "Expansion")}
    assert (await _search(client, actors.rep.headers, q="oldname"))["items"] == []


async def test_q_on_lists_matches_like_search(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    bank = await make_account(session, territory, domain="fjordbank.no", name="Fjord Bank")
    other = await make_account(session, territory, domain="acme.io", name="Acme")
    anna = await make_contact(session, bank, first_name="Anna", last_name="Berg")
    annette = await make_contact(session, other, first_name="Annette", email="annette@acme.io")
    h = actors.rep.headers
    opportunities = {}
    for contact, name in ((anna, "Platform renewal"), (anna, "Seats"), (annette, "Renewal 2027")):
        r = await client.post(
            "/api/v1/opportunities",
            json={"name": name, "contact_id": str(contact.id)},
            headers=h,
        )
        assert r.status_code == 201, r.text
        opportunities[name] = r.json()["id"]

    async def ids(path: str, q: str) -> list[str]:
        r = await client.get(path, params={"q": q}, headers=h)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    assert await ids("/api/v1/accounts", "fjord ban") == [str(bank.id)]
    assert await ids("/api/v1/accounts", "ACME.io") == [str(other.id)]
    assert await ids("/api/v1/contacts", "ann berg") == [str(anna.id)]
    assert len(await ids("/api/v1/contacts", "ann")) == 2
    # An opportunity by its own name, its account's name, or both.
    assert set(await ids("/api/v1/opportunities", "renew")) == {
        opportunities["Platform renewal"],
        opportunities["Renewal 2027"],
    }
    assert set(await ids("/api/v1/opportunities", "fjord")) == {
        opportunities["Platform renewal"],
        opportunities["Seats"],
    }
    assert await ids("/api/v1/opportunities", "acme renewal") == [opportunities["Renewal 2027"]]
    assert await ids("/api/v1/opportunities", "!!") == []
    for path in ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/opportunities"):
        r = await client.get(path, params={"q": "x"}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.q"


async def test_numbers_in_names_are_words(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    territory = await make_territory(session, actors.rep.user)
    account = await make_account(session, territory, name="Acme 012-034")
    for q in ("acme 012-034", "acme 034", "012 034", "acme 01"):
        body = await _search(client, actors.rep.headers, q=q)
        assert [h["id"] for h in body["items"]] == [str(account.id)], q
    assert (await _search(client, actors.rep.headers, q="acme 35"))["items"] == []


async def test_a_search_is_one_statement(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession, connection: AsyncConnection
) -> None:
    territory = await make_territory(session, actors.rep.user)
    for i in range(5):
        await make_account(session, territory, name=f"Onestatement {i}")
        await make_lead(session, actors.rep.user, company=f"Onestatement {i}")
    with statements(connection) as seen:
        body = await _search(client, actors.rep.headers, q="onestatement", limit=3)
    assert len(body["items"]) == 3 and body["next_cursor"]
    searches = [s for s in work(seen) if "to_tsquery" in s]
    assert len(searches) == 1
    assert len(work(seen)) <= 2  # and the caller's token, unless cached
