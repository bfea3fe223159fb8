"""Users, roles, the manager tree and tokens (API.md section 2)."""

from __future__ import annotations

import httpx

from tests.factories import Actors


async def test_me_requires_bearer_token(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/unauthenticated"
    r = await client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    r = await client.get("/api/v1/me", headers=actors.rep.headers)
    assert r.status_code == 200
    assert r.json()["id"] == str(actors.rep.id)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["etag"] == '"1"'


async def test_admin_creates_users_others_get_403(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {
        "email": "new.rep@example.com",
        "name": "New Rep",
        "role": "rep",
        "manager_id": str(actors.manager.id),
    }
    r = await client.post("/api/v1/users", json=body, headers=actors.manager.headers)
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/forbidden"
    r = await client.post("/api/v1/users", json=body, headers=actors.admin.headers)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/users/{r.json()['id']}"
    assert r.headers["etag"] == '"1"'
    r = await client.post(
        "/api/v1/users", json={**body, "email": "NEW.REP@example.com"}, headers=actors.admin.headers
    )
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/duplicate"


async def test_integration_source_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.admin.headers
    r = await client.post(
        "/api/v1/users", json={"email": "i@x.io", "name": "I", "role": "integration"}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "source"
    r = await client.post(
        "/api/v1/users",
        json={"email": "i@x.io", "name": "I", "role": "rep", "source": "hubspot"},
        headers=h,
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/users",
        json={"email": "i@x.io", "name": "I", "role": "integration", "source": "Bad Slug"},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "invalid_format"
    r = await client.post(
        "/api/v1/users",
        json={"email": "i@x.io", "name": "I", "role": "integration", "source": "hubspot"},
        headers=h,
    )
    assert r.status_code == 201
    user_id = r.json()["id"]
    r = await client.patch(f"/api/v1/users/{user_id}", json={"source": "other"}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "source",
        "code": "read_only",
        "message": "source is set by the server and cannot be written.",
    }


async def test_visibility_of_users(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get(f"/api/v1/users/{actors.rep.id}", headers=actors.manager.headers)
    assert r.status_code == 200
    r = await client.get(f"/api/v1/users/{actors.integration.id}", headers=actors.rep.headers)
    assert r.status_code == 404
    r = await client.get("/api/v1/users/not-a-uuid", headers=actors.admin.headers)
    assert r.status_code == 404


async def test_manager_tree_refuses_cycles(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.admin.headers
    r = await client.patch(
        f"/api/v1/users/{actors.vp.id}", json={"manager_id": str(actors.manager.id)}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "cycle"
    r = await client.patch(
        f"/api/v1/users/{actors.manager.id}", json={"manager_id": str(actors.rep.id)}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "not_a_manager"


async def test_user_changes_own_name_only(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.patch(
        f"/api/v1/users/{actors.rep.id}", json={"name": "Riley R."}, headers=actors.rep.headers
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Riley R." and r.json()["version"] == 2
    r = await client.patch(
        f"/api/v1/users/{actors.rep.id}", json={"role": "admin"}, headers=actors.rep.headers
    )
    assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/users/{actors.rep.id}", json={"name": "X"}, headers=actors.manager.headers
    )
    assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/users/{actors.rep.id}", json={"name": None}, headers=actors.rep.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "required"


async def test_if_match_stale_is_412_and_changes_nothing(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    url = f"/api/v1/users/{actors.rep.id}"
    r = await client.patch(
        url, json={"name": "A"}, headers={**actors.admin.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    r = await client.patch(
        url, json={"name": "B"}, headers={**actors.admin.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 412
    assert r.json()["type"] == "/problems/precondition-failed"
    assert (await client.get(url, headers=actors.admin.headers)).json()["name"] == "A"


async def test_deactivation_revokes_tokens(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.patch(
        f"/api/v1/users/{actors.rep.id}", json={"active": False}, headers=actors.admin.headers
    )
    assert r.status_code == 200
    r = await client.get("/api/v1/me", headers=actors.rep.headers)
    assert r.status_code == 401
    r = await client.patch(
        f"/api/v1/users/{actors.rep.id}", json={"active": True}, headers=actors.admin.headers
    )
    assert (await client.get("/api/v1/me", headers=actors.rep.headers)).status_code == 401


async def test_tokens_shown_once_revocable_expiring(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    r = await client.post(
        f"/api/v1/users/{actors.rep.id}/tokens", json={"name": "laptop"}, headers=actors.rep.headers
    )
    assert r.status_code == 201
    created = r.json()
    assert set(created) == {"id", "name", "token", "prefix", "expires_at", "created_at"}
    assert len(created["token"]) >= 43 and created["token"].startswith(created["prefix"])
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    listed = (
        await client.get(f"/api/v1/users/{actors.rep.id}/tokens", headers=actors.rep.headers)
    ).json()
    assert all("token" not in t for t in listed["items"])
    r = await client.post(
        f"/api/v1/users/{actors.rep2.id}/tokens", json={}, headers=actors.rep.headers
    )
    assert r.status_code == 403  # rep2 is in the directory, but only admins mint their tokens
    r = await client.post(
        f"/api/v1/users/{actors.integration.id}/tokens", json={}, headers=actors.rep.headers
    )
    assert r.status_code == 404
    r = await client.post(
        f"/api/v1/users/{actors.rep.id}/tokens", json={}, headers=actors.manager.headers
    )
    assert r.status_code == 403
    r = await client.delete(f"/api/v1/tokens/{created['id']}", headers=actors.rep2.headers)
    assert r.status_code == 404
    r = await client.delete(f"/api/v1/tokens/{created['id']}", headers=actors.rep.headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    r = await client.post(
        f"/api/v1/users/{actors.rep.id}/tokens",
        json={"expires_at": "2001-01-01T00:00:00Z"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422


async def test_integration_source_is_unique(client: httpx.AsyncClient, actors: Actors) -> None:
    source = actors.integration.user.source
    body = {"email": "dup@x.io", "name": "Dup", "role": "integration", "source": source}
    r = await client.post("/api/v1/users", json=body, headers=actors.admin.headers)
    assert r.status_code == 409
    assert r.json()["existing_id"] == str(actors.integration.id)


async def test_tokens_are_stored_only_as_hashes(
    client: httpx.AsyncClient, session, actors: Actors
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.models import ApiToken

    r = await client.post(
        f"/api/v1/users/{actors.rep.id}/tokens", json={}, headers=actors.rep.headers
    )
    token = r.json()["token"]
    stored = await session.scalar(select(ApiToken).where(ApiToken.id == r.json()["id"]))
    assert stored is not None and token.encode() not in stored.token_hash
    assert len(stored.token_hash) == 32


async def test_docs_and_openapi_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]
