"""GET/PATCH /stages (seeded by migration 0004 with the contract's defaults) and the meeting-
preparation reference data: /personas, /discovery-questions, /buyer-process-stages."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.stages.rules import DEFAULT_STAGES
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import in_days
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move
from tests.opportunities_factories import qualification_body
from tests.oracles.reference_data import BUYER_PROCESS_STAGES
from tests.oracles.reference_data import DISCOVERY_QUESTIONS
from tests.oracles.reference_data import PERSONAS


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


async def test_the_migration_seeds_the_default_stages(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    r = await client.get("/api/v1/stages", headers=actors.integration.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["next_cursor"] is None
    served = [
        (
            s["slug"],
            s["number"],
            s["name"],
            s["probability"],
            s["forecast_category"],
            s["terminal"],
            s["requirements"],
        )
        for s in body["items"]
    ]
    assert served == [
        (
            s.slug,
            s.number,
            s.name,
            s.probability,
            s.forecast_category,
            s.terminal,
            {kind: list(codes) for kind, codes in s.requirements.items()},
        )
        for s in DEFAULT_STAGES
    ]
    r = await client.get("/api/v1/stages/closed_won", headers=actors.rep.headers)
    assert r.status_code == 200 and r.headers["etag"] == '"1"' and r.json()["terminal"] is True
    r = await client.get("/api/v1/stages/nowhere", headers=actors.rep.headers)
    assert r.status_code == 404


async def test_only_admins_change_stages(client: httpx.AsyncClient, actors: Actors) -> None:
    for actor in (actors.manager, actors.rep, actors.integration):
        r = await client.patch(
            "/api/v1/stages/discovery", json={"probability": 15}, headers=actor.headers
        )
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    h = actors.admin.headers
    r = await client.patch(
        "/api/v1/stages/discovery", json={"probability": 15}, headers={**h, "If-Match": '"3"'}
    )
    assert r.status_code == 412
    r = await client.patch(
        "/api/v1/stages/discovery",
        json={
            "probability": 15,
            "forecast_category": "best_case",
            "requirements": {"expansion": ["amount"]},
        },
        headers={**h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    stage = r.json()
    assert (stage["probability"], stage["forecast_category"], stage["version"]) == (
        15,
        "best_case",
        2,
    )
    assert stage["requirements"] == {
        "new_business": ["qualification_passed", "follow_up_scheduled", "amount"],
        "expansion": ["amount"],
        "renewal": ["follow_up_scheduled", "renewal_arr"],
    }
    assert r.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    ("slug", "body", "field", "code"),
    [
        (
            "discovery",
            {"requirements": {"new_business": ["amount", "vibes"]}},
            "requirements.new_business.1",
            "invalid_choice",
        ),
        (
            "discovery",
            {"requirements": {"renewal": ["amount", "amount"]}},
            "requirements.renewal.1",
            "duplicate",
        ),
        ("discovery", {"requirements": {"renewal": None}}, "requirements.renewal", "required"),
        ("discovery", {"forecast_category": "closed"}, "forecast_category", "invalid_choice"),
        ("closed_won", {"forecast_category": "commit"}, "forecast_category", "invalid_choice"),
        ("discovery", {"probability": 101}, "probability", "out_of_range"),
        ("discovery", {"name": "Disco"}, "name", "read_only"),
        ("discovery", {"terminal": True}, "terminal", "read_only"),
    ],
)
async def test_stage_changes_are_validated(
    client: httpx.AsyncClient,
    actors: Actors,
    slug: str,
    body: dict[str, object],
    field: str,
    code: str,
) -> None:
    r = await client.patch(f"/api/v1/stages/{slug}", json=body, headers=actors.admin.headers)
    assert r.status_code == 422
    e = r.json()["errors"][0]
    assert (e["field"], e["code"]) == (field, code)


async def test_the_validator_and_new_opportunities_use_the_stored_stages(
    client: httpx.AsyncClient, world: World
) -> None:
    admin, rep = world.actors.admin, world.actors.rep
    r = await client.patch(
        "/api/v1/stages/discovery",
        json={
            "probability": 12,
            "forecast_category": "best_case",
            "requirements": {"new_business": ["metrics", "amount"]},
        },
        headers=admin.headers,
    )
    assert r.status_code == 200
    await client.patch(
        "/api/v1/stages/pending_acceptance",
        json={"forecast_category": "pipeline"},
        headers=admin.headers,
    )
    opp = await create_opportunity(client, rep, world.contact)
    assert opp["forecast_category"] == "pipeline"
    r = await move(client, rep, opp["id"], "discovery")
    assert [(u["stage"], u["code"]) for u in r.json()["unmet_requirements"]] == [
        ("discovery", "metrics"),
        ("discovery", "amount"),
    ]
    await client.patch(
        f"/api/v1/opportunities/{opp['id']}", json={"amount": "1"}, headers=rep.headers
    )
    await client.patch(
        f"/api/v1/opportunities/{opp['id']}/command-plan",
        json={"meddppicc": {"metrics": "MTTR"}},
        headers=rep.headers,
    )
    # No qualification and no follow-up: those codes were taken off the stage.
    r = await move(client, rep, opp["id"], "discovery")
    assert r.status_code == 200, r.text
    assert (r.json()["probability"], r.json()["forecast_category"]) == (12, "best_case")


async def test_follow_up_can_be_a_meeting_in_the_window(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact, amount="10")
    await client.post(
        f"/api/v1/opportunities/{opp['id']}/qualification",
        json=qualification_body(),
        headers=rep.headers,
    )
    r = await move(client, rep, opp["id"], "discovery")
    assert [u["code"] for u in r.json()["unmet_requirements"]] == ["follow_up_scheduled"]
    meeting = {"opportunity_id": opp["id"], "scheduled_at": in_days(70)}
    assert (
        await client.post("/api/v1/meetings", json=meeting, headers=rep.headers)
    ).status_code == 201
    r = await move(client, rep, opp["id"], "discovery")
    assert r.status_code == 422
    meeting["scheduled_at"] = in_days(3)
    assert (
        await client.post("/api/v1/meetings", json=meeting, headers=rep.headers)
    ).status_code == 201
    r = await move(client, rep, opp["id"], "discovery")
    assert r.status_code == 200


async def test_personas_are_the_seeded_five(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/personas", headers=actors.rep.headers)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [
        (p["slug"], p["name"], p["objectives"], p["obstacles"], p["metrics"]) for p in items
    ] == [
        (p.slug, p.name, list(p.objectives), list(p.obstacles), list(p.metrics)) for p in PERSONAS
    ]
    r = await client.get("/api/v1/personas?limit=2", headers=actors.rep.headers)
    page = r.json()
    r = await client.get(
        f"/api/v1/personas?limit=10&cursor={page['next_cursor']}", headers=actors.rep.headers
    )
    assert [p["slug"] for p in page["items"] + r.json()["items"]] == [p.slug for p in PERSONAS]


async def test_discovery_questions_filter_by_element_and_persona(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.rep.headers
    r = await client.get("/api/v1/discovery-questions?limit=200", headers=h)
    served = [(q["element"], q["persona"], q["question"]) for q in r.json()["items"]]
    assert served == [(q.element, q.persona, q.question) for q in DISCOVERY_QUESTIONS]
    r = await client.get("/api/v1/discovery-questions?element=champion", headers=h)
    champion = r.json()["items"]
    assert len(champion) >= 3 and {q["element"] for q in champion} == {"champion"}
    r = await client.get(
        "/api/v1/discovery-questions?element=metrics&persona=security_leader", headers=h
    )
    assert [(q["persona"], q["question"]) for q in r.json()["items"]] == [
        (q.persona, q.question)
        for q in DISCOVERY_QUESTIONS
        if q.element == "metrics" and q.persona in (None, "security_leader")
    ]
    r = await client.get("/api/v1/discovery-questions?element=vibes", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.element"


async def test_buyer_process_stages_in_order(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get("/api/v1/buyer-process-stages", headers=actors.rep.headers)
    assert [(b["slug"], b["number"], b["name"], b["buyer_actions"]) for b in r.json()["items"]] == [
        (b.slug, i, b.name, list(b.buyer_actions)) for i, b in enumerate(BUYER_PROCESS_STAGES, 1)
    ]


async def test_admins_edit_reference_data(client: httpx.AsyncClient, actors: Actors) -> None:
    admin = actors.admin.headers
    r = await client.patch(
        "/api/v1/personas/security_leader",
        json={"metrics": ["MTTR"]},
        headers=actors.manager.headers,
    )
    assert r.status_code == 403
    r = await client.patch(
        "/api/v1/personas/security_leader",
        json={"metrics": ["Mean time to remediate"]},
        headers={**admin, "If-Match": '"1"'},
    )
    assert (
        r.status_code == 200
        and r.json()["metrics"] == ["Mean time to remediate"]
        and r.json()["version"] == 2
    )
    r = await client.patch(
        "/api/v1/personas/security_leader",
        json={"name": "CISO"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert r.status_code == 412
    r = await client.patch("/api/v1/personas/security_leader", json={"metrics": []}, headers=admin)
    assert r.status_code == 422
    r = await client.patch("/api/v1/personas/nobody", json={"name": "X"}, headers=admin)
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/discovery-questions",
        json={
            "element": "champion",
            "persona": "financial_leader",
            "question": "Who would defend the spend?",
        },
        headers=admin,
    )
    assert (
        r.status_code == 201
        and r.headers["location"] == f"/api/v1/discovery-questions/{r.json()['id']}"
    )
    qid = r.json()["id"]
    r = await client.get(
        "/api/v1/discovery-questions?element=champion&persona=financial_leader&limit=200",
        headers=admin,
    )
    assert r.json()["items"][-1]["id"] == qid
    r = await client.patch(
        f"/api/v1/discovery-questions/{qid}", json={"persona": None}, headers=admin
    )
    assert r.status_code == 200 and r.json()["persona"] is None
    r = await client.post(
        "/api/v1/discovery-questions",
        json={"element": "champion", "question": "Who?"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 403
    r = await client.patch(
        "/api/v1/buyer-process-stages/evaluation",
        json={"name": "Evaluation and proof"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["name"] == "Evaluation and proof"
    r = await client.patch(
        "/api/v1/buyer-process-stages/evaluation", json={"number": 9}, headers=admin
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
