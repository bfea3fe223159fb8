"""POST /leads/import: CSV (UTF-8, RFC 4180) through the batch code; malformed files refused
before any row is stored."""

from __future__ import annotations

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Lead
from tests.factories import Actors
from tests.leads_factories import make_lead

IMPORT = "/api/v1/leads/import"


def csv_headers(actor_headers: dict[str, str]) -> dict[str, str]:
    return {**actor_headers, "Content-Type": "text/csv; charset=utf-8"}


async def lead_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Lead)) or 0)


async def test_import_good_and_bad_rows(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    existing = await make_lead(session, actors.rep.user, email="old@x.io", first_name="Old")
    data = (
        "\ufeffEmail,first_name,last_name,company,inbound,title\r\n"
        'ann@acme.io,Ann,Lee,"Acme, Inc.",true,"VP ""Platform"""\r\n'
        "not-an-email,Bob,,,,\r\n"
        "\r\n"
        "old@x.io,Olga,,Oldco,,\r\n"
        "ANN@acme.io,Annie,,,,\r\n"
        "cy@cy.io,Cy,,,maybe,\r\n"
        "dee@dee.io,Dee,,,,,extra\r\n"
        "eve@eve.io\r\n"
        'fay@fay.io,Fay,,,,"two\nlines"\r\n'
    )
    r = await client.post(
        f"{IMPORT}?on_duplicate=merge",
        content=data.encode(),
        headers=csv_headers(actors.rep.headers),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    statuses = [(x["index"], x["status"]) for x in body["results"]]
    assert statuses == [
        (1, "created"),
        (2, "invalid"),
        (3, "merged"),
        (4, "duplicate"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "created"),
        (8, "invalid"),
    ]
    assert body["counts"] == {"created": 2, "updated": 0, "duplicate": 1, "merged": 1, "invalid": 4}
    results = body["results"]
    assert results[1]["errors"][0]["field"] == "email"
    assert results[2]["id"] == str(existing.id)
    assert results[3]["id"] == results[0]["id"]
    assert results[4]["errors"][0]["field"] == "inbound"
    assert results[5]["errors"][0]["code"] == "too_many_values"
    # A quoted line break stays inside its field (RFC 4180); titles are single-line.
    assert results[7]["errors"][0] == {
        "field": "title",
        "code": "control_characters",
        "message": "Control characters are not allowed.",
    }
    ann = await session.get(Lead, results[0]["id"])
    assert ann is not None
    assert ann.company == "Acme, Inc." and ann.title == 'VP "Platform"'
    assert ann.inbound is True and ann.owner_id == actors.rep.id
    await session.refresh(existing)
    assert existing.first_name == "Old" and existing.company == "Oldco"


async def test_malformed_files_are_refused_before_any_row_is_stored(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    before = await lead_count(session)
    h = csv_headers(actors.rep.headers)

    r = await client.post(IMPORT, content=b"ann@acme.io,Ann\nbob@b.io,Bob\n", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "header_missing"
    r = await client.post(IMPORT, content=b"", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "header_missing"

    r = await client.post(IMPORT, content=b"email,first_name,shoe_size\na@a.io,A,42\n", headers=h)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "columns.2",
            "code": "unknown_column",
            "message": "'shoe_size' is not a lead field.",
        }
    ]
    r = await client.post(IMPORT, content=b"email,touch_count\na@a.io,3\n", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    r = await client.post(IMPORT, content=b"first_name\nAnn\n", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "columns"

    latin1 = "email,first_name\nfra@x.io,François\n".encode("latin-1")
    r = await client.post(IMPORT, content=latin1, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "encoding" and r.json()["errors"][0]["field"] == "body"

    r = await client.post(IMPORT, content=b'email,first_name\na@a.io,"unterminated\n', headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "malformed_csv"

    r = await client.post(
        IMPORT,
        content=b"email\na@a.io\n",
        headers={**actors.rep.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 415

    too_many = "email\n" + "".join(f"r{i}@rows.io\n" for i in range(10_001))
    r = await client.post(IMPORT, content=too_many.encode(), headers=h)
    assert r.status_code == 413
    assert await lead_count(session) == before


async def test_import_of_10000_rows(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rows = "email,first_name\n" + "".join(f"p{i}@people.io,P{i}\n" for i in range(10_000))
    r = await client.post(
        IMPORT, content=rows.encode(), headers=csv_headers(actors.integration.headers)
    )
    assert r.status_code == 200
    assert r.json()["counts"]["created"] == 10_000
    assert r.json()["results"][-1]["index"] == 10_000
