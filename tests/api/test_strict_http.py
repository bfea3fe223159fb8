"""API.md section 10: methods and query strings are strict the way an HTTP client expects."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.territory_helpers import territory
from tests.factories import Actors


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/plans/{id}", "DELETE, GET, HEAD, PATCH"),
        ("POST", "/api/v1/territories/{id}", "DELETE, GET, HEAD, PATCH"),
        ("PATCH", "/api/v1/leads/batch", "POST"),
        ("GET", "/api/v1/leads/import", "POST"),
        ("DELETE", "/api/v1/leads/external/abc", "GET, HEAD, PUT"),
        ("DELETE", "/api/v1/leads", "GET, HEAD, POST"),
        ("PUT", "/api/v1/me", "GET, HEAD"),
        ("OPTIONS", "/api/v1/accounts/{id}", "GET, HEAD, PATCH"),
        ("TRACE", "/api/v1/leads/batch", "POST"),
    ],
)
async def test_405_allow_lists_every_method_and_literals_win(
    client: httpx.AsyncClient, actors: Actors, method: str, path: str, allow: str
) -> None:
    r = await client.request(
        method, path.format(id=uuid.uuid4()), headers=actors.admin.headers, json={}
    )
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/method-not-allowed"


async def test_head_works_wherever_get_does(client: httpx.AsyncClient, actors: Actors) -> None:
    for path in ("/api/v1/me", "/api/v1/leads?limit=1", "/healthz", "/openapi.json"):
        got = await client.get(path, headers=actors.rep.headers)
        head = await client.head(path, headers=actors.rep.headers)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    missing = await client.head(f"/api/v1/leads/{uuid.uuid4()}", headers=actors.rep.headers)
    assert missing.status_code == 404 and missing.content == b""


async def test_unknown_query_parameter_is_422(client: httpx.AsyncClient, actors: Actors) -> None:
    # `q` on a list that has none used to answer everything.
    r = await client.get("/api/v1/stages?q=zzz", headers=actors.rep.headers)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "query.q",
            "code": "unknown_field",
            "message": "This operation has no query parameter 'q'.",
        }
    ]
    r = await client.get("/api/v1/leads?limit=5&ownr_id=x", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.ownr_id"
    # Declared parameters, also those of a filter model, pass.
    r = await client.get("/api/v1/leads?limit=5&status=new", headers=actors.rep.headers)
    assert r.status_code == 200
    # Without a token the answer is still 401 first.
    r = await client.get("/api/v1/stages?q=zzz")
    assert r.status_code == 401


def _field_codes(r: httpx.Response) -> set[tuple[str, str]]:
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "/problems/validation"
    return {(e["field"], e["code"]) for e in r.json()["errors"]}


async def test_query_timestamps_and_dates_are_strict(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.rep.headers
    r = await client.get("/api/v1/leads?updated_after=1700000000", headers=h)
    assert _field_codes(r) == {("query.updated_after", "invalid_datetime")}
    r = await client.get("/api/v1/leads?updated_after=2026-01-01", headers=h)
    assert _field_codes(r) == {("query.updated_after", "invalid_datetime")}
    r = await client.get("/api/v1/opportunities?close_date_from=2026-01-01T00:00:00Z", headers=h)
    assert _field_codes(r) == {("query.close_date_from", "invalid_date")}
    r = await client.get(
        "/api/v1/leads", params={"updated_after": "2026-01-01T00:00:00Z"}, headers=h
    )
    assert r.status_code == 200
    r = await client.get("/api/v1/opportunities?close_date_from=2026-01-01", headers=h)
    assert r.status_code == 200


@pytest.mark.parametrize("value", ["a\x00b", "a\x85b", "a\x7fb", "\x9f"])
async def test_control_characters_in_queries_are_422(
    client: httpx.AsyncClient, actors: Actors, value: str
) -> None:
    r = await client.get("/api/v1/events", params={"type": value}, headers=actors.admin.headers)
    assert _field_codes(r) == {("query.type", "control_characters")}


@pytest.mark.parametrize(
    "amount", ["\u0661\u0662\u0663", "\uff11\uff12\uff13", "12\uff13.00", 123, "1e3"]
)
async def test_money_takes_ascii_digits_only(
    client: httpx.AsyncClient, actors: Actors, amount: object
) -> None:
    url = f"/api/v1/quotas/{actors.rep.id}/FY2027-Q1"
    r = await client.put(url, json={"amount": amount}, headers=actors.admin.headers)
    assert _field_codes(r) == {("amount", "invalid_money")}


async def test_body_timestamps_dates_and_controls_are_strict(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    tokens = f"/api/v1/users/{actors.rep.id}/tokens"
    h = actors.admin.headers
    for stamp in (4102444800, "2100-01-01", "1e10", True):
        r = await client.post(tokens, json={"name": "ci", "expires_at": stamp}, headers=h)
        assert _field_codes(r) == {("expires_at", "invalid_datetime")}, stamp
    r = await client.post(
        tokens, json={"name": "ci", "expires_at": "2100-01-01T00:00:00"}, headers=h
    )
    assert _field_codes(r) == {("expires_at", "timezone_required")}
    r = await client.post(
        tokens, json={"name": "ci", "expires_at": "2100-01-01T00:00:00Z"}, headers=h
    )
    assert r.status_code == 201, r.text

    t = await territory(client, actors.admin, actors.rep)
    body = {"territory_id": t["id"], "type": "meetup", "name": "Meetup"}
    for day in ("2026-09-01T00:00:00Z", "2026-09-01T00:00:00", 1788220800, "20260901"):
        r = await client.post("/api/v1/activities", json={**body, "starts_on": day}, headers=h)
        assert _field_codes(r) == {("starts_on", "invalid_date")}, day
    for text in ("Meet\x7fup", "Meet\x85up", "\x9f"):
        r = await client.post("/api/v1/activities", json={**body, "name": text}, headers=h)
        assert _field_codes(r) == {("name", "control_characters")}, text
    r = await client.post(
        "/api/v1/activities",
        json={**body, "starts_on": "2026-09-01", "partner": {"kind": "x", "name": "P\x80"}},
        headers=h,
    )
    assert _field_codes(r) == {("partner.name", "control_characters")}
    r = await client.post("/api/v1/activities", json={**body, "starts_on": "2026-09-01"}, headers=h)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("control", ["%C2%85", "%C2%9F", "%7F", "%01"])
async def test_a_stored_path_value_refuses_control_characters(
    client: httpx.AsyncClient, actors: Actors, control: str
) -> None:
    """The external id of `PUT /leads/external/{id}` is stored: C0, DEL and C1 are refused
    (as every path value Engage cannot read: 404, nothing stored)."""
    headers = actors.integration.headers
    r = await client.put(
        f"/api/v1/leads/external/ab{control}cd",
        json={"email": "c1@control.example"},
        headers=headers,
    )
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.get("/api/v1/leads?q=control.example", headers=headers)
    assert r.status_code == 200 and r.json()["items"] == []
