"""POST/GET /meetings and GET/PATCH /meetings/{id}: call plans on a lead or an opportunity."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import in_days
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_world


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


def error(r: httpx.Response) -> tuple[int, str, str]:
    e = r.json()["errors"][0]
    return r.status_code, e["field"], e["code"]


CALL_PLAN: dict[str, Any] = {
    "persona": "technology_leader",
    "objectives": ["Confirm the CI pain", "Agree on a POV"],
    "pre_call_questions": ["How often do you deploy?"],
    "agenda": [
        {
            "topic": "Delivery today",
            "questions": ["Where does a change wait longest?"],
            "statements": ["Teams like yours ship daily"],
            "case_study": "Goldman Sachs",
        }
    ],
    "research": {"crm": "Two prior opportunities", "linkedin": "VP Eng since 2021"},
}


async def test_a_call_plan_for_an_opportunity(client: httpx.AsyncClient, world: World) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    body = {
        "opportunity_id": opp["id"],
        "scheduled_at": in_days(7),
        "attendee_contact_ids": [str(world.contact.id), str(world.champion.id)],
        **CALL_PLAN,
    }
    r = await client.post("/api/v1/meetings", json=body, headers=rep.headers)
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert (
        r.headers["location"] == f"/api/v1/meetings/{meeting['id']}" and r.headers["etag"] == '"1"'
    )
    assert meeting["lead_id"] is None and meeting["opportunity_id"] == opp["id"]
    assert meeting["research"] == {
        "crm": "Two prior opportunities",
        "linkedin": "VP Eng since 2021",
        "website": None,
    }
    assert (
        meeting["agenda"] == CALL_PLAN["agenda"]
        and meeting["objectives"] == CALL_PLAN["objectives"]
    )
    assert (meeting["outcome"], meeting["agenda_sent_at"], meeting["next_step_at"]) == (
        None,
        None,
        None,
    )
    assert meeting["created_by"] == str(rep.id)
    url = f"/api/v1/meetings/{meeting['id']}"
    r = await client.get(url, headers=world.actors.manager.headers)
    assert r.status_code == 200 and r.json() == meeting
    r = await client.get(url, headers=world.actors.peer_rep.headers)
    assert r.status_code == 404

    r = await client.patch(
        url,
        json={
            "research": {"website": "Hiring SREs"},
            "outcome": "POV agreed",
            "agenda_sent_at": in_days(-1),
            "objectives": ["Done"],
        },
        headers={**rep.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["research"] == {
        "crm": "Two prior opportunities",
        "linkedin": "VP Eng since 2021",
        "website": "Hiring SREs",
    }
    assert updated["objectives"] == ["Done"] and updated["version"] == 2
    r = await client.patch(url, json={"outcome": "x"}, headers={**rep.headers, "If-Match": '"1"'})
    assert r.status_code == 412
    r = await client.patch(url, json={"opportunity_id": None}, headers=rep.headers)
    assert error(r) == (422, "opportunity_id", "read_only")
    r = await client.patch(url, json={"scheduled_at": None}, headers=rep.headers)
    assert error(r) == (422, "scheduled_at", "required")
    r = await client.patch(
        url, json={"attendee_contact_ids": [str(world.customer_contact.id)]}, headers=rep.headers
    )
    assert error(r) == (422, "attendee_contact_ids.0", "not_found")


async def test_exactly_one_subject_and_attendees_of_its_account(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    at = in_days(2)

    def post(body: dict[str, Any]) -> Any:
        return client.post(
            "/api/v1/meetings", json={"scheduled_at": at, **body}, headers=rep.headers
        )

    assert error(await post({})) == (422, "lead_id", "exactly_one")
    assert error(await post({"lead_id": str(lead.id), "opportunity_id": opp["id"]})) == (
        422,
        "opportunity_id",
        "exactly_one",
    )
    hidden = await create_opportunity(client, world.actors.peer_rep, world.other_contact)
    assert error(await post({"opportunity_id": hidden["id"]})) == (
        422,
        "opportunity_id",
        "not_found",
    )
    assert error(
        await post(
            {"opportunity_id": opp["id"], "attendee_contact_ids": [str(world.other_contact.id)]}
        )
    ) == (422, "attendee_contact_ids.0", "not_found")
    assert error(
        await post({"opportunity_id": opp["id"], "scheduled_at": "2030-01-01T10:00:00"})
    ) == (422, "scheduled_at", "timezone_required")
    assert error(await post({"opportunity_id": opp["id"], "persona": "cfo"})) == (
        422,
        "persona",
        "invalid_choice",
    )
    r = await post({"lead_id": str(lead.id), "attendee_contact_ids": [str(world.contact.id)]})
    assert r.status_code == 201 and r.json()["lead_id"] == str(lead.id)
    # A lead without an account has no contacts to invite yet.
    loose = await make_lead(session, rep.user, owner=rep.user)
    assert error(
        await post({"lead_id": str(loose.id), "attendee_contact_ids": [str(world.contact.id)]})
    ) == (422, "attendee_contact_ids.0", "not_found")
    r = await client.post(
        "/api/v1/meetings",
        json={"lead_id": str(lead.id), "scheduled_at": at},
        headers=world.actors.integration.headers,
    )
    assert r.status_code == 403


async def test_list_filters_and_order(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    ids = []
    for days, subject in (
        (9, {"opportunity_id": opp["id"]}),
        (2, {"lead_id": str(lead.id)}),
        (5, {"opportunity_id": opp["id"]}),
    ):
        r = await client.post(
            "/api/v1/meetings", json={"scheduled_at": in_days(days), **subject}, headers=rep.headers
        )
        ids.append(r.json()["id"])
    hidden = await create_opportunity(client, world.actors.peer_rep, world.other_contact)
    await client.post(
        "/api/v1/meetings",
        json={"scheduled_at": in_days(1), "opportunity_id": hidden["id"]},
        headers=world.actors.peer_rep.headers,
    )
    r = await client.get("/api/v1/meetings", headers=rep.headers)
    assert [m["id"] for m in r.json()["items"]] == [ids[1], ids[2], ids[0]]
    r = await client.get("/api/v1/meetings?sort=-scheduled_at&limit=2", headers=rep.headers)
    assert [m["id"] for m in r.json()["items"]] == [ids[0], ids[2]] and r.json()["next_cursor"]
    r = await client.get(f"/api/v1/meetings?opportunity_id={opp['id']}", headers=rep.headers)
    assert [m["id"] for m in r.json()["items"]] == [ids[2], ids[0]]
    r = await client.get(f"/api/v1/meetings?lead_id={lead.id}", headers=rep.headers)
    assert [m["id"] for m in r.json()["items"]] == [ids[1]]
    r = await client.get(f"/api/v1/meetings?opportunity_id={hidden['id']}", headers=rep.headers)
    assert error(r) == (422, "query.opportunity_id", "not_found")
