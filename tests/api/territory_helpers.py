"""HTTP helpers for territory tests: create through the API as the given actor."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories import Actor


async def territory(
    client: httpx.AsyncClient, by: Actor, owner: Actor, **fields: Any
) -> dict[str, Any]:
    body = {
        "name": f"Territory {uuid.uuid4().hex[:6]}",
        "owner_id": str(owner.id),
        "segment": "enterprise",
        **fields,
    }
    r = await client.post("/api/v1/territories", json=body, headers=by.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def account(
    client: httpx.AsyncClient, by: Actor, territory_id: str, **fields: Any
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    body = {
        "territory_id": territory_id,
        "name": f"Account {tag}",
        "domain": f"{tag}.example.com",
        "vertical": "financial_services",
        "account_type": "customer",
        **fields,
    }
    r = await client.post("/api/v1/accounts", json=body, headers=by.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def unit(
    client: httpx.AsyncClient,
    by: Actor,
    account_id: str,
    adoption: str = "none",
    parent_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "kind": "department",
        "name": f"Unit {uuid.uuid4().hex[:6]}",
        "adoption": adoption,
        "parent_id": parent_id,
        **fields,
    }
    r = await client.post(f"/api/v1/accounts/{account_id}/units", json=body, headers=by.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())
