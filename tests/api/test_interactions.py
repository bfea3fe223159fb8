"""Logged interactions (API.md section 11): one on a lead is a touch (one table, one truth);
integrations log by email and re-send safely with `external_id`."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event
from tests.factories import Actor
from tests.factories import Actors
from tests.leads_factories import make_lead
from tests.opportunities_factories import make_contact
from tests.opportunities_factories import make_world

INTERACTIONS = "/api/v1/interactions"
LEADS = "/api/v1/leads"


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def log(client: httpx.AsyncClient, by: Actor, **fields: Any) -> httpx.Response:
    body = {"channel": "email", "direction": "outbound", **fields}
    return await client.post(INTERACTIONS, json=body, headers=by.headers)


async def lead_counters(client: httpx.AsyncClient, lead_id: Any) -> dict[str, Any]:
    r = await client.get(f"{LEADS}/{lead_id}", headers=ADMIN_HEADERS[0])
    lead: dict[str, Any] = r.json()
    return {k: lead[k] for k in ("touch_count", "last_touch_at", "first_response_at")}


ADMIN_HEADERS: list[dict[str, str]] = []


async def test_an_interaction_on_a_lead_is_a_touch(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    ADMIN_HEADERS[:] = [actors.admin.headers]
    lead = await make_lead(session, actors.rep.user, inbound=True)
    called = ago(hours=5)
    r = await log(
        client,
        actors.rep,
        subject_type="lead",
        subject_id=str(lead.id),
        channel="phone",
        occurred_at=called,
        title="Discovery call",
        summary="Talked CI.\nSends the case study.",
    )
    assert r.status_code == 201, r.text
    logged = r.json()
    assert r.headers["location"] == f"{INTERACTIONS}/{logged['id']}"
    assert logged["source"] == "manual" and logged["created_by"] == str(actors.rep.id)
    assert logged["external_id"] is None and logged["breakup"] is False
    counters = await lead_counters(client, lead.id)
    assert counters["touch_count"] == 1
    assert counters["first_response_at"] == counters["last_touch_at"] is not None

    # The touch path writes an interaction too; both list in both places.
    r = await client.post(
        f"{LEADS}/{lead.id}/touches",
        json={"channel": "email", "direction": "inbound", "occurred_at": ago(hours=1)},
        headers=actors.rep.headers,
    )
    assert r.status_code == 201
    touch_id = r.json()["id"]
    assert (await lead_counters(client, lead.id))["touch_count"] == 2
    r = await client.get(
        f"{INTERACTIONS}?subject_type=lead&subject_id={lead.id}", headers=actors.rep.headers
    )
    assert [i["id"] for i in r.json()["items"]] == [touch_id, logged["id"]]
    r = await client.get(f"{LEADS}/{lead.id}/touches", headers=actors.rep.headers)
    assert {t["id"] for t in r.json()["items"]} == {touch_id, logged["id"]}
    r = await client.get(f"{INTERACTIONS}/{touch_id}", headers=actors.rep.headers)
    assert r.status_code == 200 and r.json()["subject_type"] == "lead"

    # The follow-up report counts the logged call as an outbound touch.
    r = await client.get("/api/v1/follow-up", headers=actors.rep.headers)
    row = next(x for x in r.json()["items"] if x["lead_id"] == str(lead.id))
    assert row["touches_last_30_days"] == 1 and row["response_overdue"] is False

    logged_events = await session.scalar(
        select(func.count()).where(
            Event.type == "interaction.logged", Event.actor_id == actors.rep.id
        )
    )
    assert logged_events == 2


async def test_interactions_on_other_subjects_leave_leads_alone(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    world = await make_world(session, actors)
    for subject_type, subject_id in (
        ("account", world.account.id),
        ("contact", world.contact.id),
    ):
        r = await log(
            client, actors.rep, subject_type=subject_type, subject_id=str(subject_id), title="Hi"
        )
        assert r.status_code == 201, r.text
        assert r.json()["subject_type"] == subject_type
    # Visible to the territory's team, not to others.
    r = await client.get(INTERACTIONS, headers=actors.rep2.headers)
    assert len(r.json()["items"]) == 2
    r = await client.get(INTERACTIONS, headers=actors.peer_rep.headers)
    assert r.json()["items"] == []


async def test_refusals(client: httpx.AsyncClient, actors: Actors, session: AsyncSession) -> None:
    world = await make_world(session, actors)
    subject = {"subject_type": "account", "subject_id": str(world.account.id)}
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {**subject, "occurred_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
            "occurred_at",
            "in_future",
        ),
        ({**subject, "title": "x" * 501}, "title", ""),
        ({**subject, "external_id": "x" * 256}, "external_id", ""),
        ({**subject, "breakup": True, "direction": "inbound"}, "breakup", "outbound_only"),
        ({**subject, "email": "a@b.co"}, "email", "one_of"),
        ({}, "email", "one_of"),
        ({"subject_type": "account"}, "subject_id", "required"),
        (
            {"subject_type": "account", "subject_id": str(world.other_account.id)},
            "subject_id",
            "not_found",
        ),
        ({"subject_type": "lead", "subject_id": str(uuid.uuid4())}, "subject_id", "not_found"),
        ({**subject, "channel": "fax"}, "channel", "invalid_choice"),
        ({**subject, "source": "gmail"}, "source", "read_only"),
    ]
    for body, field, code in cases:
        r = await log(client, actors.rep, **body)
        assert r.status_code == 422, (body, r.text)
        errors = {(e["field"], e["code"]) for e in r.json()["errors"]}
        assert any(f == field and (not code or c == code) for f, c in errors), (body, errors)


async def test_logging_by_email_finds_the_open_lead_else_the_latest_contact(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    ADMIN_HEADERS[:] = [actors.admin.headers]
    world = await make_world(session, actors)
    lead = await make_lead(session, actors.rep.user, email="Ana.Berg@Fjordbank.no")
    await make_lead(session, actors.rep.user, email="ana.berg@fjordbank.no", status="converted")
    r = await log(client, actors.rep, email="ANA.BERG@fjordbank.no")
    assert r.status_code == 201, r.text
    assert (r.json()["subject_type"], r.json()["subject_id"]) == ("lead", str(lead.id))
    assert (await lead_counters(client, lead.id))["touch_count"] == 1

    older = await make_contact(session, world.account, name="Olle")
    newer = await make_contact(session, world.customer, name="Nina")
    older.email = newer.email = "buyer@globex.example"
    await session.flush()
    newer.first_name = "Nina B."  # the most recently updated of the two
    newer.updated_at = datetime.now(UTC) + timedelta(seconds=1)
    await session.flush()
    r = await log(client, actors.rep, email="buyer@globex.example", direction="inbound")
    assert r.status_code == 201
    assert (r.json()["subject_type"], r.json()["subject_id"]) == ("contact", str(newer.id))

    r = await log(client, actors.rep, email="nobody@nowhere.example")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "email"
    assert r.json()["errors"][0]["code"] == "not_found"
    # A person matches only what they can see.
    hidden = await make_lead(session, actors.peer_rep.user, email="hidden@peer.example")
    r = await log(client, actors.rep, email="hidden@peer.example")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    r = await log(client, actors.peer_rep, email="hidden@peer.example")
    assert r.status_code == 201 and r.json()["subject_id"] == str(hidden.id)


async def test_an_integration_logs_by_email_reads_its_own_and_resends_safely(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    ADMIN_HEADERS[:] = [actors.admin.headers]
    lead = await make_lead(session, actors.rep.user, email="ana@fjordbank.no")
    sync = actors.integration
    body = {"email": "ana@fjordbank.no", "external_id": "msg-1", "occurred_at": ago(hours=2)}
    r = await log(client, sync, **body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["source"] == sync.user.source and first["external_id"] == "msg-1"
    assert first["subject_id"] == str(lead.id)
    before = await lead_counters(client, lead.id)
    assert before["touch_count"] == 1

    # Re-sent (even with other content): 200, the stored one, nothing counted twice.
    for again in (body, {**body, "title": "changed", "occurred_at": ago(hours=1)}):
        r = await log(client, sync, **again)
        assert r.status_code == 200, r.text
        assert r.json() == first
        assert "location" not in r.headers
    assert await lead_counters(client, lead.id) == before
    # Another source may use the same external id.
    r = await log(client, actors.rep, **body)
    assert r.status_code == 201 and r.json()["source"] == "manual"
    assert (await lead_counters(client, lead.id))["touch_count"] == 2

    # By subject: 403. Reads: only its own.
    r = await log(client, sync, subject_type="lead", subject_id=str(lead.id))
    assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    r = await client.get(INTERACTIONS, headers=sync.headers)
    assert [i["id"] for i in r.json()["items"]] == [first["id"]]
    assert (
        await client.get(f"{INTERACTIONS}/{first['id']}", headers=sync.headers)
    ).status_code == 200
    mine = (await client.get(INTERACTIONS, headers=actors.rep.headers)).json()["items"]
    rep_logged = next(i for i in mine if i["source"] == "manual")
    r = await client.get(f"{INTERACTIONS}/{rep_logged['id']}", headers=sync.headers)
    assert r.status_code == 404
    # The rep sees both on the lead.
    assert len(mine) == 2


async def test_a_person_resending_a_colleagues_external_id_conflicts(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    lead = await make_lead(session, actors.rep.user)
    r = await log(
        client, actors.rep, subject_type="lead", subject_id=str(lead.id), external_id="x1"
    )
    assert r.status_code == 201
    r = await log(
        client, actors.rep, subject_type="lead", subject_id=str(lead.id), external_id="x1"
    )
    assert r.status_code == 200
    peer_lead = await make_lead(session, actors.peer_rep.user)
    r = await log(
        client, actors.peer_rep, subject_type="lead", subject_id=str(peer_lead.id), external_id="x1"
    )
    assert r.status_code == 409 and r.json()["type"] == "/problems/duplicate"
