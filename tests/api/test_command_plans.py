"""GET/PATCH /opportunities/{id}/command-plan, its revisions and reviews (API.md section 7)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors
from tests.opportunities_factories import FULL_PLAN
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import make_world
from tests.opportunities_factories import patch_plan

ELEMENTS = [
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "partners",
    "identify_pain",
    "champion",
    "competition",
]


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


async def test_a_new_plan_is_empty_with_every_field_present(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    r = await client.get(f"/api/v1/opportunities/{opp['id']}/command-plan", headers=rep.headers)
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    plan = r.json()
    assert (
        plan["opportunity_id"] == opp["id"]
        and plan["version"] == 1
        and plan["updated_by"] == str(rep.id)
    )
    assert plan["overview"] == dict.fromkeys(
        ["why_do_anything", "why_now", "why_us", "primary_value_driver", "required_capabilities"]
    )
    assert plan["meddppicc"]["champion"] == {"contact_id": None, "notes": None}
    assert plan["meddppicc"]["metrics"] is None and plan["close_plan"] == []
    assert plan["completeness"] == {"score": 0.0, "missing": ELEMENTS}
    assert (plan["risks"], plan["help_needed"]) == (None, None)


async def test_merge_patch_revisions_and_completeness(
    client: httpx.AsyncClient, world: World
) -> None:
    rep, rep2 = world.actors.rep, world.actors.rep2
    opp = await create_opportunity(client, rep, world.contact)
    url = f"/api/v1/opportunities/{opp['id']}/command-plan"
    plan = await patch_plan(
        client,
        rep,
        opp["id"],
        {
            "overview": {"why_now": "Audit in Q3"},
            "meddppicc": {"metrics": "MTTR", "champion": {"contact_id": str(world.champion.id)}},
        },
    )
    assert plan["version"] == 2 and plan["overview"]["why_now"] == "Audit in Q3"
    assert plan["completeness"] == {
        "score": round(2 / 9, 4),
        "missing": [e for e in ELEMENTS if e not in ("metrics", "champion")],
    }
    # Objects merge: champion keeps its contact when notes arrive; other elements stay.
    r = await client.patch(
        url,
        json={
            "meddppicc": {"champion": {"notes": "Runs the platform team"}, "competition": "GitHub"},
            "risks": "Budget freeze",
        },
        headers={**rep2.headers, "If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["meddppicc"]["champion"] == {
        "contact_id": str(world.champion.id),
        "notes": "Runs the platform team",
    }
    assert plan["meddppicc"]["metrics"] == "MTTR" and plan["overview"]["why_now"] == "Audit in Q3"
    assert plan["updated_by"] == str(rep2.id) and r.headers["etag"] == '"3"'
    # Stale If-Match: 412 and nothing changes.
    r = await client.patch(url, json={"risks": "None"}, headers={**rep.headers, "If-Match": '"2"'})
    assert r.status_code == 412 and r.json()["type"] == "/problems/precondition-failed"
    # null clears; arrays replace; steps get ids.
    plan = await patch_plan(
        client,
        rep,
        opp["id"],
        {
            "meddppicc": {"champion": None},
            "close_plan": [
                {"description": "POV kickoff", "due_on": "2027-01-10"},
                {"description": "Legal"},
            ],
        },
    )
    assert plan["meddppicc"]["champion"] == {"contact_id": None, "notes": None}
    steps = plan["close_plan"]
    assert [s["description"] for s in steps] == ["POV kickoff", "Legal"]
    assert all(uuid.UUID(s["id"]) for s in steps) and steps[1] == {
        "id": steps[1]["id"],
        "description": "Legal",
        "due_on": None,
        "owner": None,
        "done": False,
    }
    kept = steps[0]["id"]
    plan = await patch_plan(
        client,
        rep,
        opp["id"],
        {"close_plan": [{"id": kept, "description": "POV kickoff", "done": True}]},
    )
    assert plan["close_plan"] == [
        {"id": kept, "description": "POV kickoff", "due_on": None, "owner": None, "done": True}
    ]
    # Unchanged values make no revision and no new version.
    same = await patch_plan(client, rep, opp["id"], {"risks": "Budget freeze"})
    assert same["version"] == plan["version"]
    # competition is "GitHub" already: not a change.
    full = await patch_plan(client, rep, opp["id"], {"meddppicc": FULL_PLAN["meddppicc"]})
    assert full["completeness"] == {"score": 1.0, "missing": []}

    r = await client.get(f"{url}/revisions", headers=rep.headers)
    revisions = r.json()["items"]
    assert [(rev["actor_id"], rev["fields"]) for rev in revisions] == [
        (str(rep.id), ["overview.why_now", "meddppicc.metrics", "meddppicc.champion"]),
        (str(rep2.id), ["meddppicc.champion", "meddppicc.competition", "risks"]),
        (str(rep.id), ["meddppicc.champion", "close_plan"]),
        (str(rep.id), ["close_plan"]),
        (
            str(rep.id),
            [
                "meddppicc.metrics",
                "meddppicc.economic_buyer",
                "meddppicc.decision_criteria",
                "meddppicc.decision_process",
                "meddppicc.paper_process",
                "meddppicc.partners",
                "meddppicc.identify_pain",
                "meddppicc.champion",
            ],
        ),
    ]
    assert r.json()["next_cursor"] is None and set(revisions[0]) == {
        "id",
        "at",
        "actor_id",
        "fields",
    }


async def test_plan_rules(client: httpx.AsyncClient, world: World) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    url = f"/api/v1/opportunities/{opp['id']}/command-plan"

    async def fails(body: object) -> tuple[int, str, str]:
        r = await client.patch(url, json=body, headers=rep.headers)
        e = r.json()["errors"][0]
        return r.status_code, e["field"], e["code"]

    other = str(world.other_contact.id)
    assert await fails({"meddppicc": {"champion": {"contact_id": other}}}) == (
        422,
        "meddppicc.champion.contact_id",
        "not_found",
    )
    assert await fails({"meddppicc": {"economic_buyer": {"contact_id": str(uuid.uuid4())}}}) == (
        422,
        "meddppicc.economic_buyer.contact_id",
        "not_found",
    )
    step = {"id": str(uuid.uuid4()), "description": "A"}
    assert await fails({"close_plan": [step, step]}) == (422, "close_plan.1.id", "duplicate")
    assert await fails({"close_plan": [{"due_on": "2027-01-01"}]}) == (
        422,
        "close_plan.0.description",
        "required",
    )
    assert await fails({"meddppicc": {"magic": "x"}}) == (422, "meddppicc.magic", "unknown_field")
    assert await fails({"completeness": {"score": 1}}) == (422, "completeness", "read_only")
    assert await fails({"close_plan": [{"description": "x"}] * 101}) == (
        422,
        "close_plan",
        "too_many_items",
    )
    r = await client.get(url, headers=rep.headers)
    assert r.json()["version"] == 1
    r = await client.get(url, headers=world.actors.peer_rep.headers)
    assert r.status_code == 404
    r = await client.patch(url, json={"risks": "x"}, headers=world.actors.integration.headers)
    assert r.status_code == 403


async def test_managers_of_the_owner_and_admins_record_reviews(
    client: httpx.AsyncClient, world: World
) -> None:
    rep, manager = world.actors.rep, world.actors.manager
    opp = await create_opportunity(client, rep, world.contact)
    url = f"/api/v1/opportunities/{opp['id']}/command-plan/reviews"
    r = await client.post(url, json={"notes": "Fine"}, headers=rep.headers)
    assert r.status_code == 403
    r = await client.post(url, json={"notes": "Fine"}, headers=world.actors.rep2.headers)
    assert r.status_code == 403
    r = await client.post(url, json={"notes": "Hidden"}, headers=world.actors.other_manager.headers)
    assert r.status_code == 404
    r = await client.post(url, json={"notes": "   "}, headers=manager.headers)
    assert r.status_code == 422
    r = await client.post(
        url, json={"notes": "Champion untested; get the EB meeting."}, headers=manager.headers
    )
    assert r.status_code == 201, r.text
    review = r.json()
    assert review["reviewer_id"] == str(manager.id) and review["opportunity_id"] == opp["id"]
    r = await client.post(url, json={"notes": "Agree."}, headers=world.actors.admin.headers)
    assert r.status_code == 201
    r = await client.get(url, headers=rep.headers)
    assert [x["notes"] for x in r.json()["items"]] == [
        "Champion untested; get the EB meeting.",
        "Agree.",
    ]
    assert set(r.json()["items"][0]) == {"id", "opportunity_id", "at", "reviewer_id", "notes"}
