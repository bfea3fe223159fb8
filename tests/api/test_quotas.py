"""Quotas (who may set them, effective quotas rolling up for managers) and the fiscal setting."""

from __future__ import annotations

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Quota
from tests.factories import Actors
from tests.factories import make_user
from tests.forecasts_factories import make_quota

P = "FY2027-Q1"


def url(user_id: object, period: str = P) -> str:
    return f"/api/v1/quotas/{user_id}/{period}"


async def test_who_may_set_quotas(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    body = {"amount": "100000.00"}
    # roles that may never set quotas: 403 before any lookup
    for actor in (actors.rep, actors.integration):
        r = await client.put(url(actors.rep2.id), json=body, headers=actor.headers)
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    # a manager: own quota 403, outside the subtree 404, strictly below 201
    r = await client.put(url(actors.manager.id), json=body, headers=actors.manager.headers)
    assert r.status_code == 403
    r = await client.put(url(actors.peer_rep.id), json=body, headers=actors.manager.headers)
    assert r.status_code == 404
    r = await client.put(url(actors.vp.id), json=body, headers=actors.manager.headers)
    assert r.status_code == 404
    r = await client.put(url(actors.rep.id), json=body, headers=actors.manager.headers)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "user_id": str(actors.rep.id),
        "period": P,
        "amount": "100000.00",
        "explicit": True,
        "version": 1,
        "currency": "USD",
    }
    assert r.headers["location"] == f"/api/v1/quotas/{actors.rep.id}/{P}"
    assert r.headers["etag"] == '"1"'
    # the VP sets the manager's (strictly below the VP), the admin anyone's
    r = await client.put(url(actors.manager.id), json=body, headers=actors.vp.headers)
    assert r.status_code == 201
    r = await client.put(url(actors.vp.id), json=body, headers=actors.admin.headers)
    assert r.status_code == 201
    r = await client.put(url(actors.integration.id), json=body, headers=actors.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_a_seller"
    count = await session.scalar(
        select(func.count()).select_from(Quota).where(Quota.user_id == actors.integration.id)
    )
    assert count == 0


async def test_quota_update_if_match_and_validation(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.manager.headers
    r = await client.put(
        url(actors.rep.id), json={"amount": "10"}, headers={**h, "If-Match": '"3"'}
    )
    assert r.status_code == 412
    r = await client.put(
        url(actors.rep.id), json={"amount": "10"}, headers={**h, "If-Match": '"0"'}
    )
    assert r.status_code == 201 and r.json()["amount"] == "10.00"
    r = await client.put(
        url(actors.rep.id), json={"amount": "20.5"}, headers={**h, "If-Match": '"0"'}
    )
    assert r.status_code == 412
    r = await client.put(
        url(actors.rep.id), json={"amount": "20.5"}, headers={**h, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["amount"] == "20.50" and r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    r = await client.get(url(actors.rep.id), headers=actors.rep.headers)
    assert r.json()["amount"] == "20.50" and r.headers["etag"] == '"2"'
    for bad, field, code in (
        ({"amount": "-1"}, "amount", "negative"),
        ({"amount": 10}, "amount", "invalid_money"),
        ({"amount": "1.234"}, "amount", "invalid_money"),
        ({}, "amount", "required"),
        ({"amount": "1", "explicit": False}, "explicit", "read_only"),
        ({"amount": "1", "version": 3}, "version", "read_only"),
        ({"amount": "1", "bonus": "1"}, "bonus", "unknown_field"),
    ):
        r = await client.put(url(actors.rep.id), json=bad, headers=h)
        assert r.status_code == 422, bad
        assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (field, code)
    for bad_period in ("FY2027-Q0", "2027", "FY20270", "FY0001"):
        r = await client.put(url(actors.rep.id, bad_period), json={"amount": "1"}, headers=h)
        assert r.status_code == 422, bad_period
        assert r.json()["errors"][0]["field"] == "path.period"
        r = await client.get(url(actors.rep.id, bad_period), headers=h)
        assert r.status_code == 422
    r = await client.get(url(actors.rep.id), headers=actors.rep.headers)
    assert r.json()["amount"] == "20.50"


async def test_quota_visibility(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_quota(session, actors.rep.user, P, "5")
    assert (await client.get(url(actors.rep.id), headers=actors.rep.headers)).status_code == 200
    assert (await client.get(url(actors.rep.id), headers=actors.manager.headers)).status_code == 200
    assert (await client.get(url(actors.rep.id), headers=actors.vp.headers)).status_code == 200
    assert (await client.get(url(actors.rep.id), headers=actors.admin.headers)).status_code == 200
    assert (await client.get(url(actors.rep.id), headers=actors.rep2.headers)).status_code == 404
    assert (
        await client.get(url(actors.rep.id), headers=actors.other_manager.headers)
    ).status_code == 404
    assert (
        await client.get(url(actors.rep.id), headers=actors.integration.headers)
    ).status_code == 403
    # no quota at all: 200 with amount null
    r = await client.get(url(actors.rep2.id), headers=actors.rep2.headers)
    assert r.status_code == 200
    assert r.json() == {
        "user_id": str(actors.rep2.id),
        "period": P,
        "amount": None,
        "explicit": False,
        "version": 0,
        "currency": "USD",
    }


async def test_manager_quota_rolls_up_recursively(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    # rep and rep2 under the manager; a second-line rep under a team lead under the manager
    lead = await make_user(session, "manager", actors.manager.user)
    deep = await make_user(session, "rep", lead.user)
    await make_quota(session, actors.rep.user, P, "100000.00")
    await make_quota(session, actors.rep2.user, P, "50000.50")
    await make_quota(session, deep.user, P, "25000.25")
    await make_quota(session, actors.peer_rep.user, P, "7.00")
    await make_quota(session, actors.rep.user, "FY2027-Q2", "999.00")
    get = lambda uid: client.get(url(uid), headers=actors.admin.headers)  # noqa: E731
    r = await get(lead.id)
    assert r.json()["amount"] == "25000.25" and r.json()["explicit"] is False
    r = await get(actors.manager.id)
    assert (r.json()["amount"], r.json()["explicit"], r.json()["version"]) == (
        "175000.75",
        False,
        0,
    )
    assert r.headers["etag"] == '"0"'
    r = await get(actors.vp.id)
    assert r.json()["amount"] == "175007.75"
    # an explicit quota for the team lead replaces what is below it
    r = await client.put(url(lead.id), json={"amount": "30000"}, headers=actors.manager.headers)
    assert r.status_code == 201
    assert (await get(actors.manager.id)).json()["amount"] == "180000.50"
    # an explicit quota for the manager stops the VP's roll-up there
    r = await client.put(
        url(actors.manager.id), json={"amount": "200000"}, headers=actors.vp.headers
    )
    assert (await get(actors.vp.id)).json()["amount"] == "200007.00"
    # removing it rolls up again
    r = await client.delete(
        url(actors.manager.id), headers={**actors.vp.headers, "If-Match": '"7"'}
    )
    assert r.status_code == 412
    r = await client.delete(url(actors.manager.id), headers=actors.vp.headers)
    assert r.status_code == 204
    assert (await get(actors.manager.id)).json()["amount"] == "180000.50"
    r = await client.delete(url(actors.manager.id), headers=actors.vp.headers)
    assert r.status_code == 404
    r = await client.delete(url(actors.manager.id), headers=actors.manager.headers)
    assert r.status_code == 403
    # a manager without an explicit quota rolls up only their own subtree
    assert (await get(actors.other_manager.id)).json()["amount"] == "7.00"


async def test_fiscal_settings(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/settings/fiscal", headers=actors.rep.headers)
    assert r.status_code == 200 and r.json() == {"fiscal_year_start_month": 1, "version": 1}
    assert r.headers["etag"] == '"1"'
    r = await client.get("/api/v1/settings/fiscal", headers=actors.integration.headers)
    assert r.status_code == 403
    body = {"fiscal_year_start_month": 2}
    assert (
        await client.put("/api/v1/settings/fiscal", json=body, headers=actors.manager.headers)
    ).status_code == 403
    r = await client.put(
        "/api/v1/settings/fiscal", json=body, headers={**actors.admin.headers, "If-Match": '"9"'}
    )
    assert r.status_code == 412
    r = await client.put(
        "/api/v1/settings/fiscal", json=body, headers={**actors.admin.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json() == {"fiscal_year_start_month": 2, "version": 2}
    for bad in (
        {"fiscal_year_start_month": 0},
        {"fiscal_year_start_month": 13},
        {"fiscal_year_start_month": "2x"},
        {},
        {"fiscal_year_start_month": 3, "version": 2},
    ):
        r = await client.put("/api/v1/settings/fiscal", json=bad, headers=actors.admin.headers)
        assert r.status_code == 422, bad
    r = await client.get("/api/v1/settings/fiscal", headers=actors.manager.headers)
    assert r.json() == {"fiscal_year_start_month": 2, "version": 2}
