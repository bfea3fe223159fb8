"""API.md section 1: errors, limits, content types, pagination, idempotency, health."""

from __future__ import annotations

import httpx

from tests.factories import Actors


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    r = await client.get("/readyz")
    assert r.status_code == 200


async def test_unknown_route_and_method(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/nothing-here", headers=actors.rep.headers)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    r = await client.put("/api/v1/me", headers=actors.rep.headers)
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"


async def test_invalid_json_is_400_and_wrong_type_415(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = {**actors.admin.headers, "Content-Type": "application/json"}
    r = await client.post("/api/v1/users", content=b"{nope", headers=h)
    assert r.status_code == 400 and r.json()["type"] == "/problems/malformed"
    r = await client.post(
        "/api/v1/users",
        content=b"a=b",
        headers={**actors.admin.headers, "Content-Type": "text/plain"},
    )
    assert r.status_code == 415 and r.json()["type"] == "/problems/unsupported-media-type"


async def test_body_limit_413(client: httpx.AsyncClient, actors: Actors) -> None:
    big = b'{"name": "' + b"x" * (5 * 1024 * 1024 + 10) + b'"}'
    r = await client.post(
        "/api/v1/users",
        content=big,
        headers={**actors.admin.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["type"] == "/problems/payload-too-large"


async def test_validation_paths_and_codes(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.admin.headers
    r = await client.post(
        "/api/v1/users",
        json={"email": "a@b.co", "name": "N", "role": "boss", "extra": 1},
        headers=h,
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert ("role", "invalid_choice") in codes and ("extra", "unknown_field") in codes
    r = await client.post(
        "/api/v1/users", json={"email": "a@b.co", "name": "N\x00", "role": "rep"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "control_characters"
    r = await client.get("/api/v1/users?limit=0", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.limit"


async def test_pagination_cursor_roundtrip_and_tampering(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.admin.headers
    seen: list[str] = []
    url = "/api/v1/users?limit=3"
    while url:
        page = (await client.get(url, headers=h)).json()
        seen += [u["id"] for u in page["items"]]
        url = f"/api/v1/users?limit=3&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert len(seen) == len(set(seen)) >= 8
    first = (await client.get("/api/v1/users?limit=3", headers=h)).json()
    cursor = first["next_cursor"]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    r = await client.get(f"/api/v1/users?limit=3&cursor={tampered}", headers=h)
    assert r.status_code == 400 and r.json()["type"] == "/problems/malformed"
    r = await client.get(f"/api/v1/users?limit=3&role=rep&cursor={cursor}", headers=h)
    assert r.status_code == 400
    r = await client.get(f"/api/v1/users/{actors.rep.id}/tokens?cursor={cursor}", headers=h)
    assert r.status_code == 400
    r = await client.get("/api/v1/users?limit=1000", headers=h)
    assert r.status_code == 200


async def test_idempotent_create_replays(client: httpx.AsyncClient, actors: Actors) -> None:
    h = {**actors.admin.headers, "Idempotency-Key": "create-ann-1"}
    body = {"email": "ann@example.com", "name": "Ann", "role": "rep"}
    first = await client.post("/api/v1/users", json=body, headers=h)
    assert first.status_code == 201
    again = await client.post("/api/v1/users", json=body, headers=h)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    other = await client.post("/api/v1/users", json={**body, "name": "Annie"}, headers=h)
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-mismatch"
    r = await client.post(
        "/api/v1/users", json=body, headers={**actors.admin.headers, "Idempotency-Key": "x\x7f"}
    )
    assert r.status_code == 422


async def test_idempotency_is_scoped_per_principal(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"name": "ci"}
    a = await client.post(
        f"/api/v1/users/{actors.rep.id}/tokens",
        json=body,
        headers={**actors.rep.headers, "Idempotency-Key": "k"},
    )
    b = await client.post(
        f"/api/v1/users/{actors.rep2.id}/tokens",
        json=body,
        headers={**actors.rep2.headers, "Idempotency-Key": "k"},
    )
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]


async def test_stored_4xx_is_replayed_but_not_403(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"email": "x@example.com", "name": "X", "role": "integration"}
    h = {**actors.admin.headers, "Idempotency-Key": "bad-1"}
    first = await client.post("/api/v1/users", json=body, headers=h)
    assert first.status_code == 422
    again = await client.post("/api/v1/users", json=body, headers=h)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    h = {**actors.rep.headers, "Idempotency-Key": "forbidden-1"}
    assert (await client.post("/api/v1/users", json=body, headers=h)).status_code == 403
    r = await client.post("/api/v1/users", json=body, headers=h)
    assert "idempotent-replayed" not in r.headers


async def test_idempotency_key_expires_after_24_hours(
    client: httpx.AsyncClient, session, actors: Actors
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    h = {**actors.admin.headers, "Idempotency-Key": "old-key"}
    body = {"email": "old@example.com", "name": "Old", "role": "rep"}
    assert (await client.post("/api/v1/users", json=body, headers=h)).status_code == 201
    await session.execute(
        text("UPDATE idempotency_records SET expires_at = now() - interval '1 second'")
    )
    r = await client.post("/api/v1/users", json=body, headers=h)
    # Executed again (not replayed): the email now exists.
    assert r.status_code == 409 and "idempotent-replayed" not in r.headers


async def test_unrepresentable_or_naive_times_are_422_not_500(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.admin.headers
    for value in (
        "0001-01-01T00:00:00%2B01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-01-01T00:00:00",
    ):
        r = await client.get(f"/api/v1/users?updated_after={value}", headers=h)
        assert r.status_code == 422, value
        assert r.json()["errors"][0]["field"] == "query.updated_after"
    r = await client.get("/api/v1/users?updated_after=2026-01-01T00:00:00Z", headers=h)
    assert r.status_code == 200
