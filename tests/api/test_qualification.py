"""POST/GET /leads/{id}/qualification and /opportunities/{id}/qualification (API.md section 6)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Qualification
from tests.factories import Actors
from tests.opportunities_factories import World
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import make_account
from tests.opportunities_factories import make_lead
from tests.opportunities_factories import make_territory
from tests.opportunities_factories import make_world
from tests.opportunities_factories import qualification_body


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


def _criteria(r: httpx.Response) -> dict[str, tuple[bool, str]]:
    assert r.status_code == 201, r.text
    return {k: (v["passed"], v["reason"]) for k, v in r.json()["criteria"].items()}


PASSING = {
    "authority": (True, "involved_as_decision_maker"),
    "initiative": (True, "top_2_priority_with_driver"),
    "fit": (True, "entry_use_case_and_seats"),
    "timing": (True, "next_step_within_60_days"),
}
TODAY = datetime.now(UTC).date()


def _timing(days_after_meeting: int) -> dict[str, str]:
    at = datetime.combine(TODAY + timedelta(days=days_after_meeting), datetime.min.time(), UTC)
    return {"meeting_on": TODAY.isoformat(), "next_step_at": (at + timedelta(hours=12)).isoformat()}


# Each case fails exactly one criterion.
ALONE: list[tuple[str, dict[str, Any], str]] = [
    ("authority", {"authority": {"involvement": "none"}}, "no_involvement"),
    ("initiative", {"initiative": {"kind": "none"}}, "no_initiative"),
    ("initiative", {"initiative": {"kind": "top_2_priority"}}, "top_2_priority_without_driver"),
    ("fit", {"fit": {"current_tools": [], "potential_seats": 10}}, "no_entry_use_case"),
    ("fit", {"fit": {"entry_use_case": "scm", "potential_seats": 0}}, "no_potential_seats"),
    ("fit", {"fit": {"entry_use_case": "scm"}}, "no_potential_seats"),
    ("timing", {"timing": _timing(61)}, "next_step_beyond_60_days"),
    ("timing", {"timing": _timing(-1)}, "next_step_before_meeting"),
]


@pytest.mark.parametrize(("criterion", "override", "reason"), ALONE)
async def test_each_criterion_failing_alone_on_a_lead(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    criterion: str,
    override: dict[str, Any],
    reason: str,
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(**override),
        headers=rep.headers,
    )
    assert _criteria(r) == {**PASSING, criterion: (False, reason)}
    assert r.json()["qualified"] is False
    assert r.headers["location"] == f"/api/v1/leads/{lead.id}/qualification"


@pytest.mark.parametrize(("criterion", "override", "reason"), ALONE[:4])
async def test_each_criterion_failing_alone_on_an_opportunity(
    client: httpx.AsyncClient, world: World, criterion: str, override: dict[str, Any], reason: str
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    r = await client.post(
        f"/api/v1/opportunities/{opp['id']}/qualification",
        json=qualification_body(**override),
        headers=rep.headers,
    )
    assert _criteria(r) == {**PASSING, criterion: (False, reason)}


async def test_timing_at_exactly_60_days_passes(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(timing=_timing(60)),
        headers=rep.headers,
    )
    assert _criteria(r) == PASSING and r.json()["qualified"] is True


async def test_small_box_depends_on_the_segment(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep, rep2 = world.actors.rep, world.actors.rep2
    small_box = {"initiative": {"kind": "small_box", "description": "One team"}}
    # The lead's account is in rep's mid-market territory: Commercial.
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(**small_box),
        headers=rep.headers,
    )
    assert _criteria(r)["initiative"] == (True, "small_box_commercial")
    # Without an account, the owner's only territory decides.
    lead = await make_lead(session, rep.user, owner=rep.user)
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(**small_box),
        headers=rep.headers,
    )
    assert _criteria(r)["initiative"] == (True, "small_box_commercial")
    # An owner with no territory: unknown.
    lead = await make_lead(session, rep2.user, owner=rep2.user)
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(**small_box),
        headers=rep2.headers,
    )
    assert _criteria(r)["initiative"] == (False, "segment_unknown")
    # An owner with two territories: ambiguous, so unknown.
    await make_territory(session, rep2.user, "smb")
    await make_territory(session, rep2.user, "smb")
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(**small_box),
        headers=rep2.headers,
    )
    assert _criteria(r)["initiative"] == (False, "segment_unknown")
    # Enterprise: a small box does not qualify.
    enterprise = await make_account(session, await make_territory(session, rep.user, "enterprise"))
    lead = await make_lead(session, rep.user, owner=rep.user, account=enterprise)
    r = await client.post(
        f"/api/v1/leads/{lead.id}/qualification",
        json=qualification_body(**small_box),
        headers=rep.headers,
    )
    assert _criteria(r)["initiative"] == (False, "small_box_not_commercial")
    # An opportunity uses its account's territory.
    opp = await create_opportunity(client, world.actors.peer_rep, world.other_contact)
    r = await client.post(
        f"/api/v1/opportunities/{opp['id']}/qualification",
        json=qualification_body(**small_box),
        headers=world.actors.peer_rep.headers,
    )
    assert _criteria(r)["initiative"] == (False, "small_box_not_commercial")


async def test_every_evaluation_is_stored_and_the_latest_counts(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    url = f"/api/v1/leads/{lead.id}/qualification"
    r = await client.get(url, headers=rep.headers)
    assert r.status_code == 404 and "not been qualified" in r.json()["detail"]
    first = await client.post(
        url, json=qualification_body(authority={"involvement": "none"}), headers=rep.headers
    )
    second = await client.post(url, json=qualification_body(), headers=rep.headers)
    r = await client.get(url, headers=rep.headers)
    assert r.status_code == 200
    latest = r.json()
    assert latest["id"] == second.json()["id"] != first.json()["id"]
    assert (
        latest["qualified"] is True
        and latest["lead_id"] == str(lead.id)
        and latest["opportunity_id"] is None
    )
    assert latest["evaluated_by"] == str(rep.id)
    assert latest["inputs"]["fit"] == {
        "current_tools": ["Jenkins", "Bitbucket"],
        "entry_use_case": "ci",
        "potential_seats": 250,
    }
    stored = (
        await session.execute(
            Qualification.__table__.select().where(Qualification.lead_id == lead.id)
        )
    ).all()
    assert len(stored) == 2


async def test_an_opportunity_without_its_own_uses_its_leads_latest(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    from tests.opportunities_factories import make_contact

    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    contact = await make_contact(session, world.account, lead=lead)
    opp = await create_opportunity(client, rep, contact)
    assert opp["lead_id"] == str(lead.id)
    url = f"/api/v1/opportunities/{opp['id']}/qualification"
    r = await client.get(url, headers=rep.headers)
    assert r.status_code == 404
    lead_q = await client.post(
        f"/api/v1/leads/{lead.id}/qualification", json=qualification_body(), headers=rep.headers
    )
    r = await client.get(url, headers=rep.headers)
    assert r.status_code == 200 and r.json()["id"] == lead_q.json()["id"]
    own = await client.post(
        url, json=qualification_body(fit={"entry_use_case": "cd"}), headers=rep.headers
    )
    r = await client.get(url, headers=rep.headers)
    assert r.json()["id"] == own.json()["id"] and r.json()["opportunity_id"] == opp["id"]


async def test_body_is_checked(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    url = f"/api/v1/leads/{lead.id}/qualification"
    body = qualification_body()
    del body["timing"]
    r = await client.post(url, json=body, headers=rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "timing",
        "code": "required",
        "message": "Field required",
    }
    r = await client.post(
        url,
        json=qualification_body(
            timing={"meeting_on": TODAY.isoformat(), "next_step_at": "2030-01-01T10:00:00"}
        ),
        headers=rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timing.next_step_at"
    r = await client.post(
        url, json=qualification_body(authority={"involvement": "boss"}), headers=rep.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_choice"
    r = await client.post(
        url,
        json=qualification_body(fit={"entry_use_case": "ci", "potential_seats": 5, "x": 1}),
        headers=rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "fit.x",
        "code": "unknown_field",
        "message": "Extra inputs are not permitted",
    }


async def test_visibility_and_roles(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    lead = await make_lead(session, rep.user, owner=rep.user, account=world.account)
    url = f"/api/v1/leads/{lead.id}/qualification"
    r = await client.post(url, json=qualification_body(), headers=world.actors.peer_rep.headers)
    assert r.status_code == 404
    r = await client.post(url, json=qualification_body(), headers=world.actors.integration.headers)
    assert r.status_code == 403
    r = await client.post(url, json=qualification_body(), headers=world.actors.manager.headers)
    assert r.status_code == 201 and r.json()["evaluated_by"] == str(world.actors.manager.id)
    r = await client.get(
        "/api/v1/opportunities/00000000-0000-4000-8000-000000000000/qualification",
        headers=rep.headers,
    )
    assert r.status_code == 404
