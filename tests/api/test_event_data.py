"""API.md section 15: every event type, through every path that produces it, with its `data`;
refused changes emit nothing; a stage change reaches a local receiver and a redelivery keeps
its event id."""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.core.events import EVENT_TYPES
from app.forecasts.fiscal import period_for
from app.main import create_app
from app.models import Event
from app.webhooks import delivery
from tests.api.conftest import test_settings as settings_for_tests
from tests.api.test_events_webhooks import Receiver
from tests.api.test_events_webhooks import receiver  # noqa: F401
from tests.factories import Actors

# Types whose producing endpoints are not built yet: required once their path exists.
PRODUCED_BY = {
    "note.created": "/api/v1/notes",
    "task.created": "/api/v1/tasks",
    "task.completed": "/api/v1/tasks",
    "interaction.logged": "/api/v1/interactions",
    "territory.transferred": "/api/v1/territories/{territory_id}/transfer",
}

NO_OPPORTUNITY = {"create_opportunity": False}

Seen = list[tuple[str, str, dict[str, Any]]]


class Feed:
    """The events written since the last look, as (type, resource id, data)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.mark = 0
        self.types: set[str] = set()

    async def start(self) -> None:
        self.mark = int(await self.session.scalar(select(func.coalesce(func.max(Event.id), 0))))

    async def take(self) -> Seen:
        rows = (
            await self.session.execute(
                select(Event.id, Event.type, Event.resource_id, Event.data)
                .where(Event.id > self.mark)
                .order_by(Event.id)
            )
        ).all()
        if rows:
            self.mark = rows[-1][0]
        self.types.update(r[1] for r in rows)
        return [(r[1], str(r[2]), r[3]) for r in rows]


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def updated(kind: str, resource: str, *fields: str) -> tuple[str, str, dict[str, Any]]:
    return (f"{kind}.updated", resource, {"changed": sorted(fields)})


async def test_every_event_type_through_every_path_with_its_data(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors, app: FastAPI
) -> None:
    rep, h, today = actors.rep, actors.rep.headers, date.today()
    integration = actors.integration.headers
    feed = Feed(session)
    await feed.start()

    # -- accounts: created, updated (only what changed), refused changes emit nothing ------
    territory = await ok(
        await client.post(
            "/api/v1/territories",
            json={"name": "Events", "owner_id": str(rep.id), "segment": "smb"},
            headers=actors.admin.headers,
        ),
        201,
    )
    account = await ok(
        await client.post(
            "/api/v1/accounts",
            json={
                "territory_id": territory["id"],
                "name": "Evt",
                "domain": "evt.example",
                "vertical": "retail",
                "account_type": "customer",
            },
            headers=h,
        ),
        201,
    )
    acc = account["id"]
    assert await feed.take() == [("account.created", acc, {})]
    path = f"/api/v1/accounts/{acc}"
    await ok(await client.patch(path, json={"name": "Evt Two", "vertical": "retail"}, headers=h))
    assert await feed.take() == [updated("account", acc, "name")]
    await ok(await client.patch(path, json={"name": "Evt Two"}, headers=h))
    await ok(await client.patch(path, json={"name": "X"}, headers={**h, "If-Match": '"1"'}), 412)
    await ok(await client.patch(path, json={"territory_id": str(uuid.uuid4())}, headers=h), 422)
    assert await feed.take() == []

    # -- units: adoption changes by PATCH (no opportunity) ------------------------------------
    unit = await ok(
        await client.post(
            f"/api/v1/accounts/{acc}/units",
            json={"kind": "branch", "name": "Stores", "adoption": "red"},
            headers=h,
        ),
        201,
    )
    await ok(
        await client.patch(f"/api/v1/units/{unit['id']}", json={"adoption": "yellow"}, headers=h)
    )
    assert await feed.take() == [
        (
            "unit.adoption_changed",
            unit["id"],
            {"from": "red", "to": "yellow", "opportunity_id": None},
        )
    ]

    # -- contacts ---------------------------------------------------------------------------
    contact = await ok(
        await client.post(
            "/api/v1/contacts",
            json={"account_id": acc, "first_name": "Cy", "email": "cy@evt.example"},
            headers=h,
        ),
        201,
    )
    assert await feed.take() == [("contact.created", contact["id"], {})]
    await ok(
        await client.patch(
            f"/api/v1/contacts/{contact['id']}",
            json={"title": "CTO", "first_name": "Cy"},
            headers=h,
        )
    )
    assert await feed.take() == [updated("contact", contact["id"], "title")]

    # -- leads: create, PATCH (a new email derives the domain), refused ----------------------
    ann = await ok(
        await client.post("/api/v1/leads", json={"email": "ann@evt.example"}, headers=h), 201
    )
    assert await feed.take() == [("lead.created", ann["id"], {})]
    await ok(await client.post("/api/v1/leads", json={"email": "ANN@evt.example"}, headers=h), 409)
    lead_path = f"/api/v1/leads/{ann['id']}"
    await ok(await client.patch(lead_path, json={"first_name": "X"}, headers=integration), 403)
    await ok(await client.patch(lead_path, json={"status": "bogus"}, headers=h), 422)
    assert await feed.take() == []
    await ok(await client.patch(lead_path, json={"first_name": "Ann", "company": "Evt"}, headers=h))
    assert await feed.take() == [updated("lead", ann["id"], "company", "first_name")]

    # -- leads: upsert by external id (create, then update) -----------------------------------
    external = "/api/v1/leads/external/x-1"
    bo = await ok(
        await client.put(external, json={"email": "bo@bo.example"}, headers=integration), 201
    )
    assert await feed.take() == [("lead.created", bo["id"], {})]
    await ok(
        await client.put(
            external, json={"title": "VP", "email": "bo@bo.example"}, headers=integration
        )
    )
    assert await feed.take() == [updated("lead", bo["id"], "title")]
    await ok(await client.put(external, json={"email": "bo@newco.example"}, headers=integration))
    assert await feed.take() == [updated("lead", bo["id"], "domain", "email")]

    # -- leads: batch (create, update by external id, merge into an open lead, invalid) ------
    result = await ok(
        await client.post(
            "/api/v1/leads/batch",
            json={
                "items": [
                    {"email": "new@bulk.example"},
                    {"email": "bo@newco.example", "external_id": "x-1", "phone": "+1 555"},
                    {"email": "bad"},
                ]
            },
            headers=integration,
        )
    )
    created_id = result["results"][0]["id"]
    assert sorted(await feed.take()) == sorted(
        [("lead.created", created_id, {}), updated("lead", bo["id"], "phone")]
    )
    result = await ok(
        await client.post(
            "/api/v1/leads/batch",
            json={
                "items": [{"email": "ANN@evt.example", "last_name": "Lee", "company": "Other"}],
                "on_duplicate": "merge",
            },
            headers=h,
        )
    )
    assert result["results"][0]["status"] == "merged"
    # Merge fills only empty fields: the company stays.
    assert await feed.take() == [updated("lead", ann["id"], "last_name")]

    # -- leads: CSV import (update by external id; an unchanged row emits nothing) -----------
    csv = "email,external_id,title\nbo@newco.example,x-1,CEO\nnew@bulk.example,,\n"
    await ok(
        await client.post(
            "/api/v1/leads/import",
            content=csv.encode(),
            headers={**integration, "Content-Type": "text/csv"},
        )
    )
    assert await feed.take() == [updated("lead", bo["id"], "title")]

    # -- conversion: existing account, new contact, opportunity --------------------------------
    await ok(
        await client.post(
            f"/api/v1/leads/{ann['id']}/qualification",
            json={
                "authority": {"involvement": "evaluator"},
                "initiative": {"kind": "small_box", "description": "One team"},
                "fit": {"current_tools": [], "entry_use_case": "scm", "potential_seats": 5},
                "timing": {
                    "meeting_on": today.isoformat(),
                    "next_step_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                },
            },
            headers=h,
        ),
        201,
    )
    await feed.take()
    converted = await ok(
        await client.post(
            f"/api/v1/leads/{ann['id']}/convert",
            json={
                "create_opportunity": True,
                "opportunity": {"name": "Evt", "amount": "5000", "close_date": today.isoformat()},
            },
            headers=h,
        )
    )
    won = converted["opportunity"]["id"]
    assert sorted(await feed.take()) == sorted(
        [
            ("contact.created", converted["contact"]["id"], {}),
            ("opportunity.created", won, {}),
            ("lead.converted", ann["id"], {}),
        ]
    )
    # A lead with a new company's domain creates its account; one whose email is a known
    # contact's links that contact.
    dee = await ok(
        await client.post("/api/v1/leads", json={"email": "dee@dee.example"}, headers=h), 201
    )
    cy = await ok(
        await client.post("/api/v1/leads", json={"email": "cy@evt.example"}, headers=h), 201
    )
    await feed.take()
    made = await ok(
        await client.post(f"/api/v1/leads/{dee['id']}/convert", json=NO_OPPORTUNITY, headers=h)
    )
    assert sorted(await feed.take()) == sorted(
        [
            ("account.created", made["account"]["id"], {}),
            ("contact.created", made["contact"]["id"], {}),
            ("lead.converted", dee["id"], {}),
        ]
    )
    linked = await ok(
        await client.post(f"/api/v1/leads/{cy['id']}/convert", json=NO_OPPORTUNITY, headers=h)
    )
    assert linked["contact"]["id"] == contact["id"]
    assert await feed.take() == [
        updated("contact", contact["id"], "lead_id"),
        ("lead.converted", cy["id"], {}),
    ]

    # -- opportunities: PATCH, stage moves (won moves the linked units), lost ----------------
    await ok(
        await client.patch(
            f"/api/v1/opportunities/{won}/command-plan",
            json={
                "close_plan": [{"description": "Sign", "due_on": today.isoformat()}],
                "overview": {"why_do_anything": "a", "why_now": "b"},
                "meddppicc": {
                    "identify_pain": "c",
                    "metrics": "d",
                    "champion": {"notes": "e"},
                    "economic_buyer": {"notes": "f"},
                    "decision_criteria": "g",
                    "partners": "h",
                    "decision_process": "i",
                    "paper_process": "j",
                    "competition": "k",
                },
            },
            headers=h,
        )
    )
    assert await feed.take() == []
    await ok(
        await client.patch(
            f"/api/v1/opportunities/{won}",
            json={
                "entry_use_case": "scm",
                "proposal_sent_on": today.isoformat(),
                "signature_requested_on": today.isoformat(),
                "unit_ids": [unit["id"]],
                "amount": "5000.00",
            },
            headers=h,
        )
    )
    # entry_use_case already came from the qualification: not a change.
    assert await feed.take() == [
        updated(
            "opportunity",
            won,
            "proposal_sent_on",
            "signature_requested_on",
            "unit_ids",
        )
    ]
    stage = f"/api/v1/opportunities/{won}/stage"
    await ok(
        await client.post(stage, json={"to": "closed_won"}, headers={**h, "If-Match": '"1"'}), 412
    )
    assert await feed.take() == []
    await ok(await client.post(stage, json={"to": "closed_won"}, headers=h))
    moved = {"from": "pending_acceptance", "to": "closed_won"}
    assert await feed.take() == [
        (
            "unit.adoption_changed",
            unit["id"],
            {"from": "yellow", "to": "green", "opportunity_id": won},
        ),
        ("opportunity.stage_changed", won, moved),
        ("opportunity.closed_won", won, moved),
    ]
    lost = await ok(
        await client.post(
            "/api/v1/opportunities",
            json={"name": "Evt 2", "contact_id": converted["contact"]["id"]},
            headers=h,
        ),
        201,
    )
    assert await feed.take() == [("opportunity.created", lost["id"], {})]
    lost_stage = f"/api/v1/opportunities/{lost['id']}/stage"
    await ok(await client.post(lost_stage, json={"to": "lost"}, headers=h), 422)
    assert await feed.take() == []
    await ok(await client.post(lost_stage, json={"to": "lost", "loss_reason": "budget"}, headers=h))
    gone = {"from": "pending_acceptance", "to": "lost"}
    assert await feed.take() == [
        ("opportunity.stage_changed", lost["id"], gone),
        ("opportunity.lost", lost["id"], gone),
    ]

    # -- forecasts ----------------------------------------------------------------------------
    forecast = await ok(
        await client.post(
            "/api/v1/forecasts",
            json={
                "period": period_for(today, 1).label,
                "gross_commit": "1",
                "gross_best_case": "2",
                "renewal_loss_commit": "0",
                "renewal_loss_best_case": "0",
                "net_most_likely": "1",
            },
            headers=h,
        ),
        201,
    )
    assert await feed.take() == [("forecast.submitted", forecast["id"], {})]

    # -- notes, tasks, interactions (a touch is an interaction too) ---------------------------
    subject = {"subject_type": "contact", "subject_id": contact["id"]}
    note = await ok(
        await client.post("/api/v1/notes", json={**subject, "body": "n"}, headers=h), 201
    )
    assert await feed.take() == [("note.created", note["id"], {})]
    await ok(await client.patch(f"/api/v1/notes/{note['id']}", json={"pinned": True}, headers=h))
    task = await ok(await client.post("/api/v1/tasks", json={"title": "t"}, headers=h), 201)
    assert await feed.take() == [("task.created", task["id"], {})]
    await ok(await client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "done"}, headers=h))
    await ok(await client.patch(f"/api/v1/tasks/{task['id']}", json={"notes": "x"}, headers=h))
    assert await feed.take() == [("task.completed", task["id"], {})]
    call = {"channel": "phone", "direction": "outbound", "external_id": "evt-1"}
    logged = await ok(
        await client.post("/api/v1/interactions", json={**subject, **call}, headers=h), 201
    )
    await ok(await client.post("/api/v1/interactions", json={**subject, **call}, headers=h))
    assert await feed.take() == [("interaction.logged", logged["id"], {})]
    await ok(
        await client.post("/api/v1/interactions", json={**subject, "channel": "fax"}, headers=h),
        422,
    )
    assert await feed.take() == []

    # -- territory transfer: the territory and each moved record ------------------------------
    eve = await ok(
        await client.post("/api/v1/leads", json={"email": "eve@evt.example"}, headers=h), 201
    )
    deal = await ok(
        await client.post(
            "/api/v1/opportunities",
            json={"name": "Evt 3", "contact_id": contact["id"]},
            headers=h,
        ),
        201,
    )
    await feed.take()
    transfer = f"/api/v1/territories/{territory['id']}/transfer"
    await ok(
        await client.post(transfer, json={"owner_id": str(rep.id), "reason": "x"}, headers=h), 403
    )
    assert await feed.take() == []
    await ok(
        await client.post(
            transfer,
            json={"owner_id": str(actors.rep2.id), "reason": "Coverage"},
            headers=actors.manager.headers,
        )
    )
    assert await feed.take() == [
        ("territory.transferred", territory["id"], {}),
        updated("opportunity", deal["id"], "owner_id"),
        updated("lead", eve["id"], "owner_id"),
    ]

    # -- webhooks: a ping -----------------------------------------------------------------------
    hook = await ok(
        await client.post(
            "/api/v1/webhooks",
            json={"url": "https://hooks.example.com/e", "event_types": ["lead.created"]},
            headers=actors.admin.headers,
        ),
        201,
    )
    await ok(
        await client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=actors.admin.headers),
        202,
    )
    assert await feed.take() == [("webhook.ping", hook["id"], {})]

    paths = set(app.openapi()["paths"])
    pending = {t for t, p in PRODUCED_BY.items() if p not in paths}
    assert feed.types == set(EVENT_TYPES) - pending


async def test_ping_goes_to_that_webhook_only_and_errors(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    admin = actors.admin.headers
    hooks = [
        await ok(
            await client.post(
                "/api/v1/webhooks",
                json={"url": f"https://hooks.example.com/{n}", "event_types": ["*"]},
                headers=admin,
            ),
            201,
        )
        for n in range(2)
    ]
    ping = await ok(
        await client.post(f"/api/v1/webhooks/{hooks[0]['id']}/ping", headers=admin), 202
    )
    assert ping["status"] == "pending" and ping["attempts"] == 0
    listed = [
        (await ok(await client.get(f"/api/v1/webhooks/{h['id']}/deliveries", headers=admin)))[
            "items"
        ]
        for h in hooks
    ]
    assert [d["id"] for d in listed[0]] == [ping["id"]] and listed[1] == []
    r = await client.post(f"/api/v1/webhooks/{hooks[0]['id']}/ping", headers=actors.manager.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/v1/webhooks/{uuid.uuid4()}/ping", headers=admin)
    assert r.status_code == 404 and r.json()["type"].endswith("/problems/not-found")
    # A delivery of another webhook is not this webhook's.
    other = f"/api/v1/webhooks/{hooks[1]['id']}/deliveries/{ping['id']}/redeliver"
    assert (await client.post(other, headers=admin)).status_code == 404
    await ok(
        await client.patch(
            f"/api/v1/webhooks/{hooks[0]['id']}", json={"active": False}, headers=admin
        )
    )
    r = await client.post(f"/api/v1/webhooks/{hooks[0]['id']}/ping", headers=admin)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    again = f"/api/v1/webhooks/{hooks[0]['id']}/deliveries/{ping['id']}/redeliver"
    assert (await client.post(again, headers=admin)).status_code == 409


async def test_stage_change_reaches_a_local_receiver_and_redelivery_keeps_the_event_id(
    connection: AsyncConnection,
    session: AsyncSession,
    actors: Actors,
    receiver: Receiver,  # noqa: F811
) -> None:
    # Receivers on this machine need the private-address allowance (a test seam, as in dev).
    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    app = create_app(settings_for_tests(webhook_allow_private=True), session_factory=factory)
    transport = httpx.ASGITransport(app=app)
    admin, h = actors.admin.headers, actors.rep.headers
    async with httpx.AsyncClient(transport=transport, base_url="http://engage.test") as client:
        hook = await ok(
            await client.post(
                "/api/v1/webhooks",
                json={"url": receiver.url, "event_types": ["opportunity.stage_changed"]},
                headers=admin,
            ),
            201,
        )
        territory = await ok(
            await client.post(
                "/api/v1/territories",
                json={"name": "Hooks", "owner_id": str(actors.rep.id), "segment": "smb"},
                headers=admin,
            ),
            201,
        )
        account = await ok(
            await client.post(
                "/api/v1/accounts",
                json={
                    "territory_id": territory["id"],
                    "name": "Hook Co",
                    "domain": "hook.example",
                    "vertical": "retail",
                    "account_type": "customer",
                },
                headers=h,
            ),
            201,
        )
        contact = await ok(
            await client.post("/api/v1/contacts", json={"account_id": account["id"]}, headers=h),
            201,
        )
        opportunity = await ok(
            await client.post(
                "/api/v1/opportunities",
                json={"name": "Hooked", "contact_id": contact["id"]},
                headers=h,
            ),
            201,
        )
        await ok(
            await client.post(
                f"/api/v1/opportunities/{opportunity['id']}/stage",
                json={"to": "lost", "loss_reason": "budget"},
                headers=h,
            )
        )
        async with httpx.AsyncClient() as http:
            assert await delivery.deliver_due(factory, http, allow_private=True) >= 1
            [first] = receiver.requests
            body = json.loads(first["body"])
            assert body["type"] == "opportunity.stage_changed"
            assert body["resource_id"] == opportunity["id"]
            assert body["data"] == {"from": "pending_acceptance", "to": "lost"}
            deliveries = await ok(
                await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin)
            )
            [done] = deliveries["items"]
            assert done["status"] == "succeeded" and done["event_id"] == body["id"]
            again = await ok(
                await client.post(
                    f"/api/v1/webhooks/{hook['id']}/deliveries/{done['id']}/redeliver",
                    headers=admin,
                ),
                202,
            )
            assert again["status"] == "pending" and again["event_id"] == body["id"]
            assert await delivery.deliver_due(factory, http, allow_private=True) >= 1
            second = receiver.requests[1]
            assert second["headers"]["Engage-Event-Id"] == first["headers"]["Engage-Event-Id"]
            assert json.loads(second["body"]) == body
            # The ping reaches the receiver although it subscribed to stage changes only.
            await ok(await client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=admin), 202)
            await delivery.deliver_due(factory, http, allow_private=True)
            ping = json.loads(receiver.requests[2]["body"])
            assert ping["type"] == "webhook.ping" and ping["resource_id"] == hook["id"]
            assert ping["data"] == {}


async def test_custom_values_are_listed_per_key_on_every_lead_path(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    for key in ("tier", "seats"):
        await ok(
            await client.post(
                "/api/v1/custom-fields",
                json={
                    "object": "lead",
                    "key": key,
                    "label": key.title(),
                    "type": "text" if key == "tier" else "number",
                },
                headers=actors.admin.headers,
            ),
            201,
        )
    h, integration = actors.rep.headers, actors.integration.headers
    feed = Feed(session)
    ann = await ok(
        await client.post(
            "/api/v1/leads",
            json={"email": "ann@custom.example", "custom": {"tier": "a"}},
            headers=h,
        ),
        201,
    )
    await feed.start()
    lead_path = f"/api/v1/leads/{ann['id']}"
    await ok(
        await client.patch(lead_path, json={"custom": {"tier": "b", "seats": None}}, headers=h)
    )
    assert await feed.take() == [updated("lead", ann["id"], "custom.tier")]
    await ok(await client.patch(lead_path, json={"custom": {"tier": "b"}}, headers=h))
    assert await feed.take() == []
    bo = await ok(
        await client.put(
            "/api/v1/leads/external/c-1", json={"email": "bo@custom.example"}, headers=integration
        ),
        201,
    )
    await feed.take()
    await ok(
        await client.post(
            "/api/v1/leads/batch",
            json={
                "items": [
                    {"email": "bo@custom.example", "external_id": "c-1", "custom": {"seats": 3}}
                ]
            },
            headers=integration,
        )
    )
    assert await feed.take() == [updated("lead", bo["id"], "custom.seats")]
    result = await ok(
        await client.post(
            "/api/v1/leads/batch",
            json={
                "items": [{"email": "ann@custom.example", "custom": {"tier": "z", "seats": 7}}],
                "on_duplicate": "merge",
            },
            headers=h,
        )
    )
    assert result["results"][0]["status"] == "merged"
    # A merge fills only what is empty: the tier stays.
    assert await feed.take() == [updated("lead", ann["id"], "custom.seats")]
    csv = "email,external_id,custom.seats\nbo@custom.example,c-1,4\n"
    await ok(
        await client.post(
            "/api/v1/leads/import",
            content=csv.encode(),
            headers={**integration, "Content-Type": "text/csv"},
        )
    )
    assert await feed.take() == [updated("lead", bo["id"], "custom.seats")]


async def test_events_are_seen_by_who_sees_their_resource(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    from app.core.security import Principal
    from app.events.repository import event_visible

    territory = await ok(
        await client.post(
            "/api/v1/territories",
            json={"name": "Seen", "owner_id": str(actors.rep.id), "segment": "smb"},
            headers=actors.admin.headers,
        ),
        201,
    )
    account = await ok(
        await client.post(
            "/api/v1/accounts",
            json={
                "territory_id": territory["id"],
                "name": "Seen Co",
                "vertical": "retail",
                "account_type": "customer",
            },
            headers=actors.rep.headers,
        ),
        201,
    )
    subject = {"subject_type": "account", "subject_id": account["id"]}
    note = await ok(
        await client.post(
            "/api/v1/notes", json={**subject, "body": "n"}, headers=actors.rep.headers
        ),
        201,
    )
    task = await ok(
        await client.post("/api/v1/tasks", json={"title": "mine"}, headers=actors.peer_rep.headers),
        201,
    )
    hook = await ok(
        await client.post(
            "/api/v1/webhooks",
            json={"url": "https://hooks.example.com/s", "event_types": ["*"]},
            headers=actors.admin.headers,
        ),
        201,
    )
    await ok(
        await client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=actors.admin.headers), 202
    )
    mine = {account["id"], note["id"]}
    others = {task["id"], hook["id"]}

    async def seen(actor: Any, role: str) -> set[str]:
        principal = Principal(actor.id, "", "", role, None, None, uuid.uuid4())
        rows = await session.scalars(
            select(Event.resource_id).where(
                Event.resource_id.in_([uuid.UUID(i) for i in mine | others]),
                event_visible(principal),
            )
        )
        return {str(r) for r in rows}

    assert await seen(actors.rep, "rep") == mine
    assert await seen(actors.peer_rep, "rep") == {task["id"]}
    assert await seen(actors.admin, "admin") == mine | others
