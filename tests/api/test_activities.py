"""Engagement activities (API.md section 4): every type, partners, accounts of the same
territory, integrations, merge-patch, If-Match, and performance from real rows."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Contact
from app.models import Lead
from app.models import Opportunity
from tests.api.territory_helpers import account
from tests.api.territory_helpers import territory
from tests.factories import Actors

TYPES = (
    "trade_show",
    "lunch_and_learn",
    "workshop",
    "meetup",
    "marketing_campaign",
    "division_program",
    "cloud_partner",
    "si_partner",
    "reseller",
    "oem",
    "industry_membership",
)
PARTNER_TYPES = {"cloud_partner": "cloud", "si_partner": "si", "reseller": "reseller", "oem": "oem"}


async def _activity(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.post("/api/v1/activities", json=fields, headers=headers)


async def test_every_type_and_partner_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"])
    h = actors.rep.headers
    for activity_type in TYPES:
        body: dict[str, Any] = {
            "territory_id": t["id"],
            "type": activity_type,
            "name": f"Q3 {activity_type}",
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-02",
            "vertical": "retail",
            "account_ids": [a["id"], a["id"]],
        }
        if activity_type in PARTNER_TYPES:
            r = await _activity(client, h, **body)
            assert r.status_code == 422, activity_type
            assert r.json()["errors"][0]["field"] == "partner"
            assert r.json()["errors"][0]["code"] == "required"
            body["partner"] = {"kind": PARTNER_TYPES[activity_type], "name": "Partner Co"}
        r = await _activity(client, h, **body)
        assert r.status_code == 201, (activity_type, r.text)
        created = r.json()
        assert r.headers["location"] == f"/api/v1/activities/{created['id']}"
        assert set(created) == {
            "id",
            "territory_id",
            "type",
            "name",
            "starts_on",
            "ends_on",
            "vertical",
            "account_ids",
            "partner",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        }
        assert created["type"] == activity_type and created["status"] == "planned"
        assert created["account_ids"] == [a["id"]]
        assert created["partner"] == body.get("partner")
        assert created["created_by"] == str(actors.rep.id)
    listed = (
        await client.get(f"/api/v1/activities?territory_id={t['id']}&limit=50", headers=h)
    ).json()
    assert sorted(i["type"] for i in listed["items"]) == sorted(TYPES)
    # A non-partner type may still name a partner (a co-sponsored trade show).
    r = await _activity(
        client,
        h,
        territory_id=t["id"],
        type="trade_show",
        name="KubeCon",
        partner={"kind": "cloud", "name": "Google Cloud"},
    )
    assert r.status_code == 201
    bad = [
        ({"type": "webinar"}, "type", "invalid_choice"),
        ({"type": "oem", "partner": {"kind": "oem"}}, "partner.name", "required"),
        (
            {"type": "oem", "partner": {"kind": "distributor", "name": "X"}},
            "partner.kind",
            "invalid_choice",
        ),
        ({"starts_on": "2026-09-02", "ends_on": "2026-09-01"}, "ends_on", "before_start"),
        ({"status": "postponed"}, "status", "invalid_choice"),
        ({"created_by": str(actors.rep.id)}, "created_by", "read_only"),
    ]
    for fields, field, code in bad:
        body = {"territory_id": t["id"], "type": "meetup", "name": "X", **fields}
        r = await _activity(client, h, **body)
        assert r.status_code == 422, fields
        assert (field, code) in {(e["field"], e["code"]) for e in r.json()["errors"]}, r.json()


async def test_accounts_must_be_in_the_same_territory(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    other = await territory(client, actors.admin, actors.rep)
    mine = await account(client, actors.rep, t["id"])
    theirs = await account(client, actors.rep, other["id"])
    r = await _activity(
        client,
        actors.rep.headers,
        territory_id=t["id"],
        type="workshop",
        name="W",
        account_ids=[mine["id"], theirs["id"], str(uuid.uuid4())],
    )
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("account_ids.1", "not_found"),
        ("account_ids.2", "not_found"),
    ]
    r = await _activity(
        client,
        actors.rep.headers,
        territory_id=t["id"],
        type="workshop",
        name="W",
        account_ids=[mine["id"]],
    )
    activity = r.json()
    # Moving the activity to the other territory re-checks its accounts.
    r = await client.patch(
        f"/api/v1/activities/{activity['id']}",
        json={"territory_id": other["id"]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "account_ids.0"
    r = await client.patch(
        f"/api/v1/activities/{activity['id']}",
        json={"territory_id": other["id"], "account_ids": [theirs["id"]]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200 and r.json()["territory_id"] == other["id"]
    r = await client.get(
        f"/api/v1/activities?account_id={theirs['id']}", headers=actors.rep.headers
    )
    assert [i["id"] for i in r.json()["items"]] == [activity["id"]]


async def test_visibility_and_integrations(client: httpx.AsyncClient, actors: Actors) -> None:
    t = await territory(client, actors.admin, actors.rep)
    theirs = await territory(client, actors.admin, actors.peer_rep)
    r = await _activity(
        client, actors.rep.headers, territory_id=theirs["id"], type="meetup", name="Not mine"
    )
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "territory_id",
        "code": "not_found",
        "message": "No such record visible to you for territory_id.",
    }
    human = (
        await _activity(
            client, actors.rep.headers, territory_id=t["id"], type="meetup", name="Rep's meetup"
        )
    ).json()
    # An integration creates in any territory and sees only what it created.
    r = await _activity(
        client,
        actors.integration.headers,
        territory_id=theirs["id"],
        type="marketing_campaign",
        name="Nurture campaign",
    )
    assert r.status_code == 201
    synced = r.json()
    assert synced["created_by"] == str(actors.integration.id)
    r = await _activity(
        client,
        actors.integration.headers,
        territory_id=str(uuid.uuid4()),
        type="meetup",
        name="Nowhere",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "territory_id"
    ih = actors.integration.headers
    assert (await client.get(f"/api/v1/activities/{synced['id']}", headers=ih)).status_code == 200
    assert (await client.get(f"/api/v1/activities/{human['id']}", headers=ih)).status_code == 404
    listed = (await client.get("/api/v1/activities", headers=ih)).json()
    assert [i["id"] for i in listed["items"]] == [synced["id"]]
    r = await client.patch(
        f"/api/v1/activities/{synced['id']}", json={"status": "done"}, headers=ih
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    # The territory's people see the integration's activity; others do not.
    url = f"/api/v1/activities/{synced['id']}"
    assert (await client.get(url, headers=actors.peer_rep.headers)).status_code == 200
    assert (await client.get(url, headers=actors.other_manager.headers)).status_code == 200
    assert (await client.get(url, headers=actors.rep.headers)).status_code == 404
    assert (await client.get(f"{url}/performance", headers=actors.rep.headers)).status_code == 404
    r = await client.patch(
        f"/api/v1/activities/{human['id']}", json={"name": "X"}, headers=actors.rep2.headers
    )
    assert r.status_code == 404


async def test_patch_merges_partner_and_honours_if_match(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    r = await _activity(
        client,
        actors.rep.headers,
        territory_id=t["id"],
        type="cloud_partner",
        name="AWS immersion day",
        partner={"kind": "cloud", "name": "AWS"},
    )
    activity = r.json()
    url = f"/api/v1/activities/{activity['id']}"
    h = {**actors.rep.headers, "If-Match": '"1"'}
    r = await client.patch(
        url, json={"partner": {"name": "Amazon Web Services"}, "status": "done"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["partner"] == {"kind": "cloud", "name": "Amazon Web Services"}
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    r = await client.patch(url, json={"name": "Stale"}, headers=h)
    assert r.status_code == 412 and r.json()["type"] == "/problems/precondition-failed"
    assert (await client.get(url, headers=actors.rep.headers)).json()["name"] == "AWS immersion day"
    r = await client.patch(url, json={"partner": None}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "partner"
    r = await client.patch(
        url, json={"type": "meetup", "partner": None}, headers=actors.rep.headers
    )
    assert r.status_code == 200 and r.json()["partner"] is None
    r = await client.patch(url, json={"type": "si_partner"}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"
    r = await client.patch(
        url,
        json={"partner": {"name": "Deloitte"}, "type": "si_partner"},
        headers=actors.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "partner.kind"
    r = await client.patch(
        url, json={"ends_on": "2026-01-01", "starts_on": "2026-02-01"}, headers=actors.rep.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_on"
    r = await client.patch(url, json={"account_ids": None}, headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "required"


async def test_performance_counts_leads_contacts_and_opportunities(
    session: AsyncSession, client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.admin, actors.rep)
    a = await account(client, actors.rep, t["id"], account_type="customer")
    activity = (
        await _activity(
            client,
            actors.rep.headers,
            territory_id=t["id"],
            type="lunch_and_learn",
            name="CI lunch",
        )
    ).json()
    other = (
        await _activity(
            client, actors.rep.headers, territory_id=t["id"], type="meetup", name="Other"
        )
    ).json()
    url = f"/api/v1/activities/{activity['id']}/performance"
    r = await client.get(url, headers=actors.rep.headers)
    assert r.status_code == 200
    assert r.json() == {
        "activity_id": activity["id"],
        "leads": 0,
        "contacts": 0,
        "opportunities": 0,
        "sales_accepted": 0,
        "open_pipeline_arr": "0.00",
        "won_arr": "0.00",
        "currency": "USD",
    }

    activity_id, other_id = uuid.UUID(activity["id"]), uuid.UUID(other["id"])
    leads = []
    for n, aid in enumerate((activity_id, activity_id, activity_id, other_id, None)):
        lead = Lead(
            source="manual",
            email=f"lead{n}-{uuid.uuid4().hex[:6]}@example.com",
            activity_id=aid,
            created_by=actors.rep.id,
        )
        session.add(lead)
        leads.append(lead)
    await session.flush()
    account_id = uuid.UUID(a["id"])
    for lead in (leads[0], leads[1], leads[3]):  # two contacts from this activity's leads
        session.add(Contact(account_id=account_id, lead_id=lead.id, email=lead.email))
    session.add(Contact(account_id=account_id, email="walk-in@example.com"))
    now = datetime.now(UTC)

    def opportunity(
        stage: str,
        number: int,
        amount: str | None,
        accepted: bool,
        aid: uuid.UUID | None = activity_id,
    ) -> Opportunity:
        return Opportunity(
            name=f"{stage} deal",
            account_id=account_id,
            owner_id=actors.rep.id,
            type="new_business",
            stage=stage,
            stage_number=number,
            probability=0,
            forecast_category="pipeline",
            amount=Decimal(amount) if amount else None,
            sales_accepted_at=now if accepted else None,
            activity_id=aid,
            created_by=actors.rep.id,
        )

    session.add_all(
        [
            opportunity("pending_acceptance", 0, "999.00", False),  # not accepted, not pipeline
            opportunity("discovery", 1, "10000.50", True),
            opportunity("proposal", 4, "25000.00", True),
            opportunity("awaiting_signature", 6, None, True),  # no amount yet
            opportunity("closed_won", 7, "40000.25", True),
            opportunity("lost", 8, "5000.00", True),
            opportunity("scoping", 2, "77777.00", True, aid=other_id),
            opportunity("closed_won", 7, "1.00", True, aid=None),
        ]
    )
    await session.flush()
    r = await client.get(url, headers=actors.manager.headers)
    assert r.status_code == 200
    assert r.json() == {
        "activity_id": activity["id"],
        "leads": 3,
        "contacts": 2,
        "opportunities": 6,
        "sales_accepted": 5,
        "open_pipeline_arr": "35000.50",
        "won_arr": "40000.25",
        "currency": "USD",
    }
