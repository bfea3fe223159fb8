"""Edge inputs on the territory endpoints: never a 500, idempotent creates, documented SVG."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.factories import Actors


async def test_odd_inputs_are_never_500(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    h = actors.rep.headers
    urls = [
        "/api/v1/territories?updated_after=2020-01-01T00:00:00",
        "/api/v1/territories?updated_after=2020-01-01T00:00:00%2B02:00",
        "/api/v1/territories?updated_after=yesterday",
        "/api/v1/accounts?domain=%20",
        "/api/v1/accounts?domain=http://",
        "/api/v1/activities?starts_from=2026-13-01",
        f"/api/v1/accounts/{a['id']}/units?cursor=abc",
        f"/api/v1/territories/{t['id']}/plans?limit=0",
        f"/api/v1/territories/{t['id']}/diagram?vertical=",
        "/api/v1/units/00000000-0000-0000-0000-000000000000/adoption-history",
    ]
    for url in urls:
        r = await client.get(url, headers=h)
        assert r.status_code < 500, url
        assert r.status_code in (200, 400, 404, 422), (url, r.status_code)
    bodies = [
        (
            "/api/v1/accounts",
            {
                "territory_id": t["id"],
                "name": "x" * 201,
                "vertical": "retail",
                "account_type": "customer",
            },
        ),
        (
            "/api/v1/accounts",
            {
                "territory_id": t["id"],
                "name": "X",
                "vertical": "retail",
                "account_type": "customer",
                "cloud_providers": ["a"] * 21,
            },
        ),
        (
            "/api/v1/accounts",
            {"territory_id": "nope", "name": "X", "vertical": "retail", "account_type": "customer"},
        ),
        (
            f"/api/v1/accounts/{a['id']}/units",
            {"kind": "branch", "name": "X", "devops_headcount": 10**12},
        ),
        (
            f"/api/v1/accounts/{a['id']}/units",
            {"kind": "branch", "name": "X", "current_tools": ["t" * 101]},
        ),
        (
            "/api/v1/activities",
            {"territory_id": t["id"], "type": "meetup", "name": "X", "account_ids": ["not-a-uuid"]},
        ),
        (
            "/api/v1/activities",
            {"territory_id": t["id"], "type": "meetup", "name": "X", "starts_on": "2026-02-30"},
        ),
    ]
    for url, body in bodies:
        r = await client.post(url, json=body, headers=h)
        assert r.status_code == 422, (url, body, r.text)


async def test_idempotent_account_create(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    body = {
        "territory_id": t["id"],
        "name": "Idem AG",
        "domain": "idem.example",
        "vertical": "retail",
        "account_type": "net_new",
    }
    h = {**actors.rep.headers, "Idempotency-Key": "account-idem-1"}
    first = await client.post("/api/v1/accounts", json=body, headers=h)
    again = await client.post("/api/v1/accounts", json=body, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    listed = (
        await client.get(f"/api/v1/accounts?territory_id={t['id']}", headers=actors.rep.headers)
    ).json()
    assert len(listed["items"]) == 1


def test_openapi_documents_the_svg_and_operation_ids(app: FastAPI) -> None:
    doc = app.openapi()
    diagram = doc["paths"]["/api/v1/territories/{territory_id}/diagram"]["get"]
    ok = diagram["responses"]["200"]
    assert list(ok["content"]) == ["image/svg+xml", "image/png"]
    assert set(ok["headers"]) == {"X-Content-Type-Options", "Content-Security-Policy"}
    assert "422" in diagram["responses"]
    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {
        "territories-create",
        "territories-list",
        "territories-get",
        "territories-update",
        "territories-delete",
        "territories-team-get",
        "territories-team-replace",
        "territories-analysis",
        "territories-diagram",
        "plans-create",
        "plans-list",
        "plans-get",
        "plans-update",
        "plans-delete",
        "accounts-create",
        "accounts-list",
        "accounts-get",
        "accounts-update",
        "units-create",
        "units-list",
        "units-get",
        "units-update",
        "units-adoption-history",
        "activities-create",
        "activities-list",
        "activities-get",
        "activities-update",
        "activities-performance",
    } <= ops
