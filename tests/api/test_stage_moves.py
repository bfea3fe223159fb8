"""POST /opportunities/{id}/stage: the validator of API.md section 7 over real data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AdoptionChange
from app.models import Unit
from tests.factories import Actors
from tests.opportunities_factories import FULL_PLAN
from tests.opportunities_factories import World
from tests.opportunities_factories import at_stage
from tests.opportunities_factories import create_opportunity
from tests.opportunities_factories import in_days
from tests.opportunities_factories import make_unit
from tests.opportunities_factories import make_world
from tests.opportunities_factories import move
from tests.opportunities_factories import patch_plan
from tests.opportunities_factories import qualification_body


@pytest.fixture
async def world(session: AsyncSession, actors: Actors) -> World:
    return await make_world(session, actors)


def codes(r: httpx.Response) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"] == "/problems/stage-requirements-unmet"
    return [(u["stage"], u["code"]) for u in body["unmet_requirements"]]


async def history(
    client: httpx.AsyncClient, world: World, opportunity_id: str
) -> list[dict[str, Any]]:
    r = await client.get(
        f"/api/v1/opportunities/{opportunity_id}/history?limit=200",
        headers=world.actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_full_walk_from_pending_acceptance_to_closed_won(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rep = world.actors.rep
    red = await make_unit(session, world.account, "red", "Payments")
    yellow = await make_unit(session, world.account, "yellow", "Mobile")
    opp = await create_opportunity(
        client, rep, world.contact, unit_ids=[str(red.id), str(yellow.id)]
    )
    oid = opp["id"]
    assert (opp["stage"], opp["stage_number"], opp["probability"], opp["forecast_category"]) == (
        "pending_acceptance",
        0,
        0,
        "omitted",
    )

    # Stage 1 needs a passed qualification, a follow-up within 60 days and an amount.
    r = await move(client, rep, oid, "discovery")
    assert codes(r) == [
        ("discovery", "qualification_passed"),
        ("discovery", "follow_up_scheduled"),
        ("discovery", "amount"),
    ]
    assert r.json()["unmet_requirements"][0]["message"].startswith("Record a qualification")
    r = await client.post(
        f"/api/v1/opportunities/{oid}/qualification", json=qualification_body(), headers=rep.headers
    )
    assert r.status_code == 201
    r = await client.patch(
        f"/api/v1/opportunities/{oid}",
        json={"amount": "120000.00", "next_step_at": in_days(61)},
        headers=rep.headers,
    )
    assert r.status_code == 200
    assert codes(await move(client, rep, oid, "discovery")) == [
        ("discovery", "follow_up_scheduled")
    ]
    await client.patch(
        f"/api/v1/opportunities/{oid}", json={"next_step_at": in_days(20)}, headers=rep.headers
    )
    r = await move(client, rep, oid, "discovery")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["stage"],
        body["stage_number"],
        body["probability"],
        body["forecast_category"],
    ) == ("discovery", 1, 10, "pipeline")
    assert body["sales_accepted_at"] is not None and body["closed_at"] is None
    assert r.headers["etag"] == f'"{body["version"]}"'

    # A jump to proposal lists every requirement of scoping, technical evaluation and proposal.
    r = await move(client, rep, oid, "proposal")
    assert codes(r) == [
        ("scoping", "why_do_anything"),
        ("scoping", "why_now"),
        ("scoping", "identify_pain"),
        ("scoping", "entry_use_case"),
        ("technical_evaluation", "metrics"),
        ("technical_evaluation", "champion"),
        ("technical_evaluation", "economic_buyer"),
        ("technical_evaluation", "decision_criteria"),
        ("technical_evaluation", "partners"),
        ("proposal", "decision_process"),
        ("proposal", "paper_process"),
        ("proposal", "competition"),
        ("proposal", "close_plan"),
        ("proposal", "close_date"),
    ]
    await patch_plan(
        client,
        rep,
        oid,
        {"overview": FULL_PLAN["overview"], "meddppicc": {"identify_pain": "Slow"}},
    )
    await client.patch(
        f"/api/v1/opportunities/{oid}", json={"entry_use_case": "ci"}, headers=rep.headers
    )
    assert (await move(client, rep, oid, "scoping")).status_code == 200

    # Blank text does not fill an element; champion counts with a contact.
    await patch_plan(
        client,
        rep,
        oid,
        {
            "meddppicc": {
                "metrics": "   ",
                "champion": {"contact_id": str(world.champion.id)},
                "partners": "None",
            }
        },
    )
    assert codes(await move(client, rep, oid, "technical_evaluation")) == [
        ("technical_evaluation", "metrics"),
        ("technical_evaluation", "economic_buyer"),
        ("technical_evaluation", "decision_criteria"),
    ]
    await patch_plan(client, rep, oid, {"meddppicc": FULL_PLAN["meddppicc"]})
    r = await move(client, rep, oid, "technical_evaluation")
    assert r.status_code == 200
    # Entering technical evaluation turns the linked red unit yellow.
    adoption = dict(
        (
            await session.execute(
                select(Unit.id, Unit.adoption).where(Unit.id.in_([red.id, yellow.id]))
            )
        ).all()
    )
    assert adoption == {red.id: "yellow", yellow.id: "yellow"}

    assert codes(await move(client, rep, oid, "proposal")) == [
        ("proposal", "close_plan"),
        ("proposal", "close_date"),
    ]
    await patch_plan(
        client, rep, oid, {"close_plan": [{"description": "Sign-off", "due_on": in_days(-3)[:10]}]}
    )
    await client.patch(
        f"/api/v1/opportunities/{oid}", json={"close_date": in_days(30)[:10]}, headers=rep.headers
    )
    r = await move(client, rep, oid, "proposal")
    assert r.status_code == 200 and r.json()["forecast_category"] == "best_case"
    assert codes(await move(client, rep, oid, "negotiating")) == [("negotiating", "proposal_sent")]
    await client.patch(
        f"/api/v1/opportunities/{oid}",
        json={"proposal_sent_on": in_days(0)[:10]},
        headers=rep.headers,
    )
    assert (await move(client, rep, oid, "negotiating")).status_code == 200
    # Awaiting signature: an overdue open close-plan step blocks the entry check.
    assert codes(await move(client, rep, oid, "awaiting_signature")) == [
        ("awaiting_signature", "signature_requested"),
        ("awaiting_signature", "close_plan_current"),
    ]
    await client.patch(
        f"/api/v1/opportunities/{oid}",
        json={"signature_requested_on": in_days(0)[:10]},
        headers=rep.headers,
    )
    plan = await patch_plan(
        client,
        rep,
        oid,
        {"close_plan": [{"description": "Sign-off", "due_on": in_days(-3)[:10], "done": True}]},
    )
    assert plan["close_plan"][0]["done"] is True
    r = await move(client, rep, oid, "awaiting_signature")
    assert (
        r.status_code == 200
        and r.json()["forecast_category"] == "commit"
        and r.json()["probability"] == 90
    )

    r = await move(client, rep, oid, "closed_won")
    assert r.status_code == 200, r.text
    won = r.json()
    assert (won["stage"], won["probability"], won["forecast_category"]) == (
        "closed_won",
        100,
        "closed",
    )
    assert won["closed_at"] is not None and won["net_arr"] == "120000.00"
    units = dict(
        (
            await session.execute(
                select(Unit.id, Unit.adoption)
                .where(Unit.id.in_([red.id, yellow.id]))
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    assert units == {red.id: "green", yellow.id: "green"}
    changes = (
        await session.execute(
            select(
                AdoptionChange.unit_id,
                AdoptionChange.old,
                AdoptionChange.new,
                AdoptionChange.opportunity_id,
                AdoptionChange.actor_id,
            )
            .where(AdoptionChange.unit_id.in_([red.id, yellow.id]))
            .order_by(AdoptionChange.at, AdoptionChange.new.desc())
        )
    ).all()
    assert sorted((c.unit_id, c.old, c.new) for c in changes) == sorted(
        [(red.id, "red", "yellow"), (red.id, "yellow", "green"), (yellow.id, "yellow", "green")]
    )
    assert {str(c.opportunity_id) for c in changes} == {oid} and {c.actor_id for c in changes} == {
        rep.id
    }

    # closed_won is final.
    r = await move(client, world.actors.admin, oid, "negotiating", reason="typo")
    assert r.status_code == 409 and r.json()["type"] == "/problems/invalid-transition"

    stages = [
        (h["old"], h["new"]) for h in await history(client, world, oid) if h["field"] == "stage"
    ]
    assert stages == [
        (None, "pending_acceptance"),
        ("pending_acceptance", "discovery"),
        ("discovery", "scoping"),
        ("scoping", "technical_evaluation"),
        ("technical_evaluation", "proposal"),
        ("proposal", "negotiating"),
        ("negotiating", "awaiting_signature"),
        ("awaiting_signature", "closed_won"),
    ]


async def test_backward_needs_a_reason_and_never_reaches_stage_0(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await at_stage(client, world, "proposal")
    r = await move(client, rep, opp["id"], "scoping")
    assert codes(r) == [("scoping", "reason")]
    r = await move(client, rep, opp["id"], "scoping", reason="   ")
    assert codes(r) == [("scoping", "reason")]
    r = await move(client, rep, opp["id"], "pending_acceptance", reason="start over")
    assert r.status_code == 409 and r.json()["type"] == "/problems/invalid-transition"
    r = await move(client, rep, opp["id"], "proposal")
    assert r.status_code == 409
    r = await move(client, rep, opp["id"], "scoping", reason="Buyer re-scoped to SCM only")
    assert r.status_code == 200 and r.json()["stage"] == "scoping" and r.json()["probability"] == 20
    last = (await history(client, world, opp["id"]))[-2:]
    assert [(h["field"], h["old"], h["new"], h["reason"]) for h in last] == [
        ("stage", "proposal", "scoping", "Buyer re-scoped to SCM only"),
        ("forecast_category", "best_case", "pipeline", None),
    ]


async def test_lost_then_reopen_by_rep_is_403_by_manager_checks_stages(
    client: httpx.AsyncClient, world: World
) -> None:
    rep, manager = world.actors.rep, world.actors.manager
    opp = await at_stage(client, world, "scoping")
    assert codes(await move(client, rep, opp["id"], "lost")) == [("lost", "loss_reason")]
    r = await move(client, rep, opp["id"], "lost", loss_reason="bored")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "loss_reason"
    assert codes(await move(client, rep, opp["id"], "lost", loss_reason="other")) == [
        ("lost", "loss_details")
    ]
    r = await move(
        client, rep, opp["id"], "lost", loss_reason="competitor", loss_details="Went with GitHub"
    )
    assert r.status_code == 200
    lost = r.json()
    assert (
        lost["stage"],
        lost["forecast_category"],
        lost["loss_reason"],
        lost["loss_details"],
    ) == ("lost", "omitted", "competitor", "Went with GitHub")
    assert lost["closed_at"] is not None

    r = await move(client, rep, opp["id"], "scoping", reason="They came back")
    assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    r = await move(client, world.actors.other_manager, opp["id"], "scoping", reason="x")
    assert r.status_code == 404  # not their subtree's, not visible
    r = await move(client, manager, opp["id"], "scoping")
    assert codes(r) == [("scoping", "reason")]
    r = await move(client, manager, opp["id"], "unqualified", reason="x")
    assert r.status_code == 409
    r = await move(client, manager, opp["id"], "scoping", reason="They came back")
    assert r.status_code == 200, r.text
    reopened = r.json()
    assert (reopened["stage"], reopened["loss_reason"], reopened["closed_at"]) == (
        "scoping",
        None,
        None,
    )
    stage_rows = [h for h in await history(client, world, opp["id"]) if h["field"] == "stage"]
    assert [(h["old"], h["new"], h["reason"]) for h in stage_rows[-2:]] == [
        ("scoping", "lost", "competitor: Went with GitHub"),
        ("lost", "scoping", "They came back"),
    ]
    assert stage_rows[-1]["actor_id"] == str(manager.id)


async def test_reopen_checks_stages_one_to_n_including_entry_checks(
    client: httpx.AsyncClient, world: World
) -> None:
    admin, rep = world.actors.admin, world.actors.rep
    opp = await at_stage(client, world, "discovery")
    # Cleared while open: a lost deal's amount is final.
    r = await client.patch(
        f"/api/v1/opportunities/{opp['id']}",
        json={"next_step_at": None, "amount": None},
        headers=rep.headers,
    )
    assert r.status_code == 200, r.text
    assert (await move(client, rep, opp["id"], "lost", loss_reason="timing")).status_code == 200
    r = await move(client, admin, opp["id"], "scoping", reason="Budget found")
    assert codes(r) == [("discovery", "follow_up_scheduled"), ("discovery", "amount")]


async def test_unqualified_only_from_pending_acceptance(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    assert codes(await move(client, rep, opp["id"], "unqualified")) == [("unqualified", "reason")]
    r = await move(client, rep, opp["id"], "unqualified", reason="No budget, no project")
    assert (
        r.status_code == 200
        and r.json()["stage"] == "unqualified"
        and r.json()["sales_accepted_at"] is None
    )
    other = await at_stage(client, world, "discovery")
    r = await move(client, rep, other["id"], "unqualified", reason="x")
    assert r.status_code == 409


async def test_duplicate_needs_another_visible_opportunity(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    first = await create_opportunity(client, rep, world.contact)
    second = await create_opportunity(client, rep, world.contact)
    hidden = await create_opportunity(client, world.actors.peer_rep, world.other_contact)
    assert codes(await move(client, rep, second["id"], "duplicate")) == [
        ("duplicate", "duplicate_of_id")
    ]
    for bad in (hidden["id"], second["id"], "00000000-0000-4000-8000-000000000000"):
        r = await move(client, rep, second["id"], "duplicate", duplicate_of_id=bad)
        assert r.status_code == 422
        assert r.json()["errors"][0] == {
            "field": "duplicate_of_id",
            "code": "not_found",
            "message": "No such record visible to you for duplicate_of_id.",
        }
    r = await move(
        client, rep, second["id"], "lost", duplicate_of_id=first["id"], loss_reason="fit"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_allowed"
    r = await move(client, rep, second["id"], "duplicate", duplicate_of_id=first["id"])
    assert r.status_code == 200
    assert r.json()["duplicate_of_id"] == first["id"] and r.json()["stage"] == "duplicate"


async def test_forecast_category_resets_unless_the_move_sets_one(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await at_stage(client, world, "discovery")
    r = await client.patch(
        f"/api/v1/opportunities/{opp['id']}",
        json={"forecast_category": "best_case"},
        headers=rep.headers,
    )
    assert r.status_code == 200 and r.json()["forecast_category"] == "best_case"
    r = await move(client, rep, opp["id"], "scoping")
    assert r.json()["forecast_category"] == "pipeline"
    r = await move(client, rep, opp["id"], "technical_evaluation", forecast_category="commit")
    assert r.status_code == 200 and r.json()["forecast_category"] == "commit"
    r = await move(client, rep, opp["id"], "proposal", forecast_category="closed")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "forecast_category"
    r = await move(client, world.actors.manager, opp["id"], "proposal", forecast_category="commit")
    assert r.status_code == 403
    r = await move(
        client, rep, opp["id"], "lost", loss_reason="budget", forecast_category="pipeline"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "stage_closed"


async def test_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    r = await client.post(
        f"/api/v1/opportunities/{opp['id']}/stage",
        json={"to": "unqualified", "reason": "no"},
        headers={**rep.headers, "If-Match": '"7"'},
    )
    assert r.status_code == 412 and r.json()["type"] == "/problems/precondition-failed"
    r = await client.get(f"/api/v1/opportunities/{opp['id']}", headers=rep.headers)
    assert r.json()["stage"] == "pending_acceptance" and r.headers["etag"] == '"1"'
    r = await client.post(
        f"/api/v1/opportunities/{opp['id']}/stage",
        json={"to": "unqualified", "reason": "no"},
        headers={**rep.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.headers["etag"] == '"2"'


async def test_renewal_walk_needs_renewal_arr_and_fewer_elements(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(
        client, rep, world.customer_contact, type="renewal", amount="80000", next_step_at=in_days(5)
    )
    assert opp["renewal_loss_amount"] is None and opp["net_arr"] is None
    assert codes(await move(client, rep, opp["id"], "discovery")) == [("discovery", "renewal_arr")]
    r = await client.patch(
        f"/api/v1/opportunities/{opp['id']}", json={"renewal_arr": "100000"}, headers=rep.headers
    )
    assert r.json()["renewal_loss_amount"] == "20000.00" and r.json()["net_arr"] == "-20000.00"
    assert codes(await move(client, rep, opp["id"], "proposal")) == [
        ("proposal", "close_plan"),
        ("proposal", "close_date"),
    ]


async def test_unknown_stage_and_missing_to_are_422(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.actors.rep
    opp = await create_opportunity(client, rep, world.contact)
    r = await move(client, rep, opp["id"], "nowhere")
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "to",
        "code": "invalid_choice",
        "message": r.json()["errors"][0]["message"],
    }
    r = await client.post(f"/api/v1/opportunities/{opp['id']}/stage", json={}, headers=rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"
    r = await move(client, world.actors.integration, opp["id"], "lost", loss_reason="fit")
    assert r.status_code == 403
    r = await move(client, world.actors.peer_rep, opp["id"], "lost", loss_reason="fit")
    assert r.status_code == 404


async def test_history_is_append_only_in_postgresql(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    opp = await create_opportunity(client, world.actors.rep, world.contact, amount="10")
    for statement in (
        "UPDATE opportunity_history SET new = 'x' WHERE opportunity_id = :id",
        "DELETE FROM opportunity_history WHERE opportunity_id = :id",
        "TRUNCATE opportunity_history",
    ):
        savepoint = await session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text(statement), {"id": opp["id"]})
        await savepoint.rollback()
    rows = await history(client, world, opp["id"])
    assert [(h["field"], h["old"], h["new"]) for h in rows] == [
        ("stage", None, "pending_acceptance"),
        ("amount", None, "10.00"),
        ("forecast_category", None, "omitted"),
        ("owner_id", None, str(world.actors.rep.id)),
        ("type", None, "new_business"),
    ]
