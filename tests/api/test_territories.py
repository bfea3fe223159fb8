"""Territories, their team and strategic plans (API.md sections 2 and 3)."""

from __future__ import annotations

import uuid

import httpx

from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.factories import Actors

TEAM_ROLES = (
    "sdr",
    "isr",
    "sa",
    "csm",
    "reseller_channel_manager",
    "si_channel_manager",
    "oem_cloud_channel_manager",
    "field_marketing",
)


async def test_create_by_admin_or_manager_for_their_subtree(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {
        "name": "EMEA Enterprise",
        "owner_id": str(actors.rep.id),
        "segment": "enterprise",
        "region": "EMEA",
        "description": "Banks and insurers\nin the DACH region",
    }
    r = await client.post("/api/v1/territories", json=body, headers=actors.manager.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/api/v1/territories/{created['id']}"
    assert r.headers["etag"] == '"1"'
    assert set(created) == {
        "id",
        "name",
        "owner_id",
        "segment",
        "region",
        "description",
        "created_at",
        "updated_at",
        "version",
    }
    assert created["owner_id"] == str(actors.rep.id) and created["version"] == 1
    # A manager may name only owners in their subtree (themselves included).
    r = await client.post(
        "/api/v1/territories",
        json={**body, "owner_id": str(actors.manager.id)},
        headers=actors.manager.headers,
    )
    assert r.status_code == 201
    r = await client.post(
        "/api/v1/territories",
        json={**body, "owner_id": str(actors.peer_rep.id)},
        headers=actors.manager.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "owner_id",
        "code": "not_found",
        "message": "No such record visible to you for owner_id.",
    }
    r = await client.post(
        "/api/v1/territories",
        json={**body, "owner_id": str(actors.peer_rep.id)},
        headers=actors.admin.headers,
    )
    assert r.status_code == 201
    r = await client.post(
        "/api/v1/territories",
        json={**body, "owner_id": str(actors.integration.id)},
        headers=actors.admin.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_owner"


async def test_reps_and_integrations_may_not_create(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"name": "Mine", "owner_id": str(actors.rep.id), "segment": "smb"}
    for actor in (actors.rep, actors.integration):
        r = await client.post("/api/v1/territories", json=body, headers=actor.headers)
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"


async def test_create_validation(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.admin.headers
    r = await client.post(
        "/api/v1/territories", json={"name": "X", "segment": "commercial", "version": 3}, headers=h
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert ("version", "read_only") in codes
    r = await client.post(
        "/api/v1/territories", json={"name": "X", "segment": "commercial"}, headers=h
    )
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {("owner_id", "required"), ("segment", "invalid_choice")}


async def test_visibility(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}"
    for actor in (actors.rep, actors.manager, actors.vp, actors.admin):
        r = await client.get(url, headers=actor.headers)
        assert r.status_code == 200, actor.user.role
        assert r.headers["etag"] == '"1"'
    for actor in (actors.rep2, actors.peer_rep, actors.other_manager, actors.integration):
        r = await client.get(url, headers=actor.headers)
        assert r.status_code == 404 and r.json()["type"] == "/problems/not-found"
        for sub in ("team", "analysis", "diagram", "plans"):
            assert (await client.get(f"{url}/{sub}", headers=actor.headers)).status_code == 404
    assert (
        await client.get("/api/v1/territories/nope", headers=actors.admin.headers)
    ).status_code == 404

    async def listed(actor_headers: dict[str, str]) -> set[str]:
        r = await client.get("/api/v1/territories?limit=200", headers=actor_headers)
        assert r.status_code == 200
        return {i["id"] for i in r.json()["items"]}

    assert t["id"] in await listed(actors.rep.headers)
    assert t["id"] in await listed(actors.manager.headers)
    assert t["id"] not in await listed(actors.rep2.headers)
    assert t["id"] not in await listed(actors.peer_rep.headers)
    assert await listed(actors.integration.headers) == set()
    # Joining the team makes it visible (the manager staffs it: a rep sees no other users).
    r = await client.put(
        f"{url}/team",
        json={"members": [{"user_id": str(actors.rep2.id), "role": "sdr"}]},
        headers=actors.manager.headers,
    )
    assert r.status_code == 200, r.text
    assert (await client.get(url, headers=actors.rep2.headers)).status_code == 200
    assert t["id"] in await listed(actors.rep2.headers)


async def test_list_filters_sort_and_pages(client: httpx.AsyncClient, actors: Actors) -> None:
    for i, segment in enumerate(("smb", "enterprise", "smb")):
        await territory(client, actors.admin, actors.rep, name=f"T{i}", segment=segment)
    h = actors.rep.headers
    r = await client.get("/api/v1/territories?segment=smb&sort=-name", headers=h)
    assert [t["name"] for t in r.json()["items"]] == ["T2", "T0"]
    first = (await client.get("/api/v1/territories?limit=2&sort=name", headers=h)).json()
    assert [t["name"] for t in first["items"]] == ["T0", "T1"]
    nxt = await client.get(
        f"/api/v1/territories?limit=2&sort=name&cursor={first['next_cursor']}", headers=h
    )
    assert [t["name"] for t in nxt.json()["items"]] == ["T2"]
    assert nxt.json()["next_cursor"] is None
    r = await client.get(
        f"/api/v1/territories?owner_id={actors.rep.id}&cursor={first['next_cursor']}", headers=h
    )
    assert r.status_code == 400


async def test_owner_changes_all_but_owner_and_segment(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}"
    r = await client.patch(
        url, json={"name": "Renamed", "region": None}, headers=actors.rep.headers
    )
    assert r.status_code == 200 and r.json()["name"] == "Renamed" and r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    for field, value in (("segment", "smb"), ("owner_id", str(actors.rep2.id))):
        r = await client.patch(url, json={field: value}, headers=actors.rep.headers)
        assert r.status_code == 403, field
    # A team member sees the territory but does not change it.
    await client.put(
        f"{url}/team",
        json={"members": [{"user_id": str(actors.rep2.id), "role": "isr"}]},
        headers=actors.manager.headers,
    )
    r = await client.patch(url, json={"name": "Mine now"}, headers=actors.rep2.headers)
    assert r.status_code == 403
    assert (
        await client.patch(url, json={"name": "X"}, headers=actors.integration.headers)
    ).status_code == 403
    assert (
        await client.patch(url, json={"name": "X"}, headers=actors.peer_rep.headers)
    ).status_code == 404
    # The owner's manager reassigns within their subtree, not outside it.
    r = await client.patch(
        url,
        json={"owner_id": str(actors.rep2.id), "segment": "mid_market"},
        headers=actors.manager.headers,
    )
    assert r.status_code == 200 and r.json()["owner_id"] == str(actors.rep2.id)
    r = await client.patch(
        url, json={"owner_id": str(actors.peer_rep.id)}, headers=actors.manager.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_found"
    r = await client.patch(url, json={"name": None}, headers=actors.manager.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"


async def test_if_match_on_territory(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}"
    h = {**actors.rep.headers, "If-Match": '"1"'}
    assert (await client.patch(url, json={"name": "A"}, headers=h)).status_code == 200
    r = await client.patch(url, json={"name": "B"}, headers=h)
    assert r.status_code == 412 and r.json()["type"] == "/problems/precondition-failed"
    assert (await client.get(url, headers=actors.rep.headers)).json()["name"] == "A"
    r = await client.delete(url, headers={**actors.manager.headers, "If-Match": '"1"'})
    assert r.status_code == 412


async def test_delete_only_when_empty(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}"
    await account(client, actors.rep, t["id"])
    assert (await client.delete(url, headers=actors.rep.headers)).status_code == 403
    assert (await client.delete(url, headers=actors.other_manager.headers)).status_code == 404
    r = await client.delete(url, headers=actors.manager.headers)
    assert r.status_code == 409
    assert "accounts" in r.json()["detail"]
    assert (await client.get(url, headers=actors.rep.headers)).status_code == 200

    empty = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{empty['id']}"
    await client.put(
        f"{url}/team", json={"members": [{"name": "Pat", "role": "sa"}]}, headers=actors.rep.headers
    )
    await client.post(f"{url}/plans", json={"vertical": "retail"}, headers=actors.rep.headers)
    r = await client.delete(url, headers={**actors.vp.headers, "If-Match": '"1"'})
    assert r.status_code == 204
    assert (await client.get(url, headers=actors.admin.headers)).status_code == 404

    busy = await territory(client, actors.admin, actors.rep)
    r = await client.post(
        "/api/v1/activities",
        json={"territory_id": busy["id"], "type": "meetup", "name": "DevOps meetup"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 201
    r = await client.delete(f"/api/v1/territories/{busy['id']}", headers=actors.admin.headers)
    assert r.status_code == 409


async def test_team_roles_and_versions(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}/team"
    r = await client.get(url, headers=actors.rep.headers)
    assert r.status_code == 200
    assert r.json() == {"territory_id": t["id"], "members": [], "version": 1}
    assert r.headers["etag"] == '"1"'
    members = [{"name": f"Person {role}", "role": role} for role in TEAM_ROLES]
    members[0] = {"user_id": str(actors.rep.id), "role": "sdr"}
    r = await client.put(url, json={"members": members}, headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    team = r.json()
    assert team["version"] == 2 and r.headers["etag"] == '"2"'
    assert [m["role"] for m in team["members"]] == list(TEAM_ROLES)
    assert team["members"][0] == {
        "user_id": str(actors.rep.id),
        "name": actors.rep.user.name,
        "role": "sdr",
    }
    assert team["members"][1] == {"user_id": None, "name": "Person isr", "role": "isr"}
    assert (await client.get(url, headers=actors.manager.headers)).json() == team

    bad = [
        ({"members": [{"name": "X", "role": "cto"}]}, "members.0.role", "invalid_choice"),
        ({"members": [{"role": "sa"}]}, "members.0", "required"),
        (
            {"members": [{"user_id": str(uuid.uuid4()), "role": "sa"}]},
            "members.0.user_id",
            "not_found",
        ),
        (  # an integration is in no one's directory but the admin's
            {"members": [{"user_id": str(actors.integration.id), "role": "sa"}]},
            "members.0.user_id",
            "not_found",
        ),
        (
            {"members": [{"name": "X", "role": "sa"}, {"name": "X", "role": "sa"}]},
            "members.1",
            "duplicate",
        ),
        ({"members": [], "version": 2}, "version", "read_only"),
    ]
    for body, field, code in bad:
        r = await client.put(url, json=body, headers=actors.rep.headers)
        assert r.status_code == 422, body
        assert (field, code) in {(e["field"], e["code"]) for e in r.json()["errors"]}, r.json()

    # The admin may add anyone; the rep may keep them when re-sending the team.
    r = await client.put(
        url,
        json={"members": [{"user_id": str(actors.peer_rep.id), "role": "sa"}]},
        headers=actors.admin.headers,
    )
    assert r.status_code == 200
    r = await client.put(
        url,
        json={
            "members": [
                {"user_id": str(actors.peer_rep.id), "role": "sa"},
                {"name": "Dana", "role": "csm"},
            ]
        },
        headers={**actors.rep.headers, "If-Match": '"3"'},
    )
    assert r.status_code == 200 and r.json()["version"] == 4
    r = await client.put(
        url, json={"members": []}, headers={**actors.rep.headers, "If-Match": '"3"'}
    )
    assert r.status_code == 412
    # The peer rep, now a member, sees the territory and may edit the team.
    assert (
        await client.get(f"/api/v1/territories/{t['id']}", headers=actors.peer_rep.headers)
    ).status_code == 200
    r = await client.put(
        url, json={"members": [{"name": "Dana", "role": "csm"}]}, headers=actors.peer_rep.headers
    )
    assert r.status_code == 200
    assert (await client.get(url, headers=actors.peer_rep.headers)).status_code == 404
    r = await client.put(
        url,
        json={"members": [{"user_id": str(actors.integration.id), "role": "sa"}]},
        headers=actors.admin.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_member"
    assert (
        await client.put(url, json={"members": []}, headers=actors.integration.headers)
    ).status_code == 403
    assert (
        await client.put(url, json={"members": []}, headers=actors.rep2.headers)
    ).status_code == 404


async def test_plans(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    url = f"/api/v1/territories/{t['id']}/plans"
    body = {
        "vertical": "financial_services",
        "objectives": ["Land two new divisions at Northwind Bank", "Renew Contoso\twith uplift"],
        "tactics": [
            {"activity_type": "lunch_and_learn", "description": "CI/CD lunch for the risk IT team"},
            {"activity_type": "si_partner", "description": "Joint pitch with the bank's SI"},
        ],
    }
    r = await client.post(url, json=body, headers=actors.rep.headers)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert r.headers["location"] == f"/api/v1/plans/{plan['id']}"
    assert set(plan) == {
        "id",
        "territory_id",
        "vertical",
        "objectives",
        "tactics",
        "created_at",
        "updated_at",
        "version",
    }
    assert plan["tactics"] == body["tactics"] and plan["objectives"] == body["objectives"]
    r = await client.post(
        url, json={"vertical": "financial_services"}, headers=actors.manager.headers
    )
    assert r.status_code == 409 and r.json()["existing_id"] == plan["id"]
    r = await client.post(
        url,
        json={"vertical": "retail", "tactics": [{"activity_type": "webinar", "description": "x"}]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tactics.0.activity_type"
    r = await client.post(
        url, json={"vertical": "retail", "objectives": [" "]}, headers=actors.rep.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "objectives.0"
    assert (
        await client.post(url, json={"vertical": "retail"}, headers=actors.integration.headers)
    ).status_code == 403
    assert (
        await client.post(url, json={"vertical": "retail"}, headers=actors.rep2.headers)
    ).status_code == 404
    r = await client.post(url, json={"vertical": "retail"}, headers=actors.manager.headers)
    assert r.status_code == 201
    listed = (await client.get(url, headers=actors.rep.headers)).json()
    assert [p["vertical"] for p in listed["items"]] == ["financial_services", "retail"]
    assert (await client.get(f"{url}?vertical=retail", headers=actors.rep.headers)).json()["items"][
        0
    ]["vertical"] == "retail"

    plan_url = f"/api/v1/plans/{plan['id']}"
    r = await client.get(plan_url, headers=actors.vp.headers)
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    assert (await client.get(plan_url, headers=actors.peer_rep.headers)).status_code == 404
    r = await client.patch(
        plan_url,
        json={"objectives": ["One goal"]},
        headers={**actors.rep.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.json()["objectives"] == ["One goal"]
    assert r.json()["tactics"] == body["tactics"] and r.json()["version"] == 2
    r = await client.patch(
        plan_url, json={"objectives": []}, headers={**actors.rep.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 412
    r = await client.patch(plan_url, json={"vertical": "retail"}, headers=actors.rep.headers)
    assert r.status_code == 409
    r = await client.patch(plan_url, json={"territory_id": t["id"]}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    # A team member may change plans.
    await client.put(
        f"/api/v1/territories/{t['id']}/team",
        json={"members": [{"user_id": str(actors.rep2.id), "role": "sa"}]},
        headers=actors.manager.headers,
    )
    r = await client.patch(plan_url, json={"vertical": "healthcare"}, headers=actors.rep2.headers)
    assert r.status_code == 200 and r.json()["vertical"] == "healthcare"
    assert (await client.delete(plan_url, headers=actors.integration.headers)).status_code == 403
    assert (await client.delete(plan_url, headers=actors.rep.headers)).status_code == 204
    assert (await client.get(plan_url, headers=actors.rep.headers)).status_code == 404
