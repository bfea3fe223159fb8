"""Touches, the cadence policy and the follow-up report with every `next_action`."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Lead
from tests.factories import Actors
from tests.leads_factories import make_lead
from tests.leads_factories import make_touch

LEADS = "/api/v1/leads"
FOLLOW_UP = "/api/v1/follow-up"
CADENCE = "/api/v1/settings/cadence"


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


async def test_touches_update_the_lead_counters(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    lead = await make_lead(session, actors.rep.user, inbound=True, received_at=ago(days=3))
    url = f"{LEADS}/{lead.id}/touches"
    h = actors.rep.headers
    inbound_at = ago(days=2)
    r = await client.post(
        url,
        json={"channel": "email", "direction": "inbound", "occurred_at": inbound_at.isoformat()},
        headers=h,
    )
    assert r.status_code == 201, r.text
    touch = r.json()
    assert r.headers["location"] == f"{url}/{touch['id']}"
    assert touch["breakup"] is False and touch["content_ref"] is None
    lead_now = (await client.get(f"{LEADS}/{lead.id}", headers=h)).json()
    assert lead_now["touch_count"] == 1 and lead_now["first_response_at"] is None
    assert lead_now["version"] == 2

    replied = ago(days=1)
    r = await client.post(
        url,
        json={
            "channel": "phone",
            "direction": "outbound",
            "occurred_at": replied.isoformat(),
            "summary": "Called back.\nLeft a voicemail.",
            "content_ref": "https://example.com/ci-guide",
        },
        headers=h,
    )
    assert r.status_code == 201
    # A backdated outbound touch moves first_response_at earlier; last_touch_at stays latest.
    r = await client.post(
        url,
        json={
            "channel": "social",
            "direction": "outbound",
            "occurred_at": ago(days=1.5).isoformat(),
        },
        headers=h,
    )
    lead_now = (await client.get(f"{LEADS}/{lead.id}", headers=h)).json()
    assert lead_now["touch_count"] == 3
    assert datetime.fromisoformat(lead_now["last_touch_at"]) == replied
    assert datetime.fromisoformat(lead_now["first_response_at"]) < replied

    listed = (await client.get(url, headers=h)).json()["items"]
    assert [t["channel"] for t in listed] == ["email", "social", "phone"]
    assert (await client.get(f"{url}/{touch['id']}", headers=h)).json() == touch
    r = await client.post(url, json={"channel": "fax", "direction": "outbound"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel"
    r = await client.post(
        url, json={"channel": "email", "direction": "inbound", "breakup": True}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "breakup"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = await client.post(
        url, json={"channel": "email", "direction": "outbound", "occurred_at": future}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "in_future"
    hidden = await make_lead(session, actors.peer_rep.user)
    r = await client.post(
        f"{LEADS}/{hidden.id}/touches",
        json={"channel": "email", "direction": "outbound"},
        headers=h,
    )
    assert r.status_code == 404


async def _outbound(
    session: AsyncSession,
    lead: Lead,
    actors: Actors,
    channels: list[str],
    refs: list[str | None] | None = None,
    days_ago: float = 1,
    **extra: Any,
) -> None:
    for i, channel in enumerate(channels):
        ref = refs[i] if refs else f"asset-{i}"
        await make_touch(
            session,
            lead,
            actors.rep.user,
            ago(days=days_ago, minutes=i),
            channel,
            content_ref=ref,
            **extra,
        )


async def test_every_next_action(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep = actors.rep.user
    varied = ["email", "phone", "social", "email", "phone", "social", "email", "phone"]

    respond = await make_lead(session, rep, inbound=True, received_at=ago(hours=30))
    answered_late = await make_lead(session, rep, inbound=True, received_at=ago(days=3))
    await make_touch(session, answered_late, rep, ago(days=1), "email")
    not_yet_due = await make_lead(session, rep, inbound=True, received_at=ago(hours=2))

    breakup = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, breakup, actors, varied)

    breakup_sent = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, breakup_sent, actors, varied)
    await make_touch(session, breakup_sent, rep, ago(hours=1), "email", breakup=True)

    touch = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, touch, actors, varied[:7])
    await _outbound(session, touch, actors, ["email"], days_ago=31)  # outside the 30 days

    vary = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, vary, actors, ["email"] * 8)
    await make_touch(session, vary, rep, ago(days=2), "phone", direction="inbound")

    new_content = await make_lead(session, rep, received_at=ago(days=40))
    refs: list[str | None] = ["a", "b", "c", "d", "e", "f", "g", "a"]
    await _outbound(session, new_content, actors, varied, refs=refs)
    await make_touch(session, new_content, rep, ago(days=2), "email", direction="inbound")

    none = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, none, actors, varied)
    await make_touch(session, none, rep, ago(days=3), "email", direction="inbound")

    closed = await make_lead(session, rep, status="converted")
    others = await make_lead(session, actors.peer_rep.user)

    r = await client.get(f"{FOLLOW_UP}?limit=200", headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    rows = {row["lead_id"]: row for row in r.json()["items"]}
    assert str(closed.id) not in rows and str(others.id) not in rows

    def action(lead: Lead) -> str:
        return str(rows[str(lead.id)]["next_action"])

    assert action(respond) == "respond" and rows[str(respond.id)]["response_overdue"] is True
    assert rows[str(answered_late.id)]["response_overdue"] is False
    assert action(answered_late) == "touch"
    assert action(not_yet_due) == "touch"
    assert rows[str(not_yet_due.id)]["response_overdue"] is False
    assert action(breakup) == "send_breakup_email"
    assert rows[str(breakup.id)].pop("due_at") is not None
    assert rows[str(breakup.id)] == {
        "lead_id": str(breakup.id),
        "owner_id": str(rep.id),
        "lead": {
            "id": str(breakup.id),
            "first_name": None,
            "last_name": None,
            "email": breakup.email,
            "company": None,
            "status": "new",
        },
        "response_overdue": False,
        "touches_last_30_days": 8,
        "channels_last_30_days": 3,
        "repeated_content": False,
        "stale_days": 1,
        "next_action": "send_breakup_email",
    }
    assert action(breakup_sent) == "none"
    assert action(touch) == "touch"
    assert rows[str(touch.id)]["touches_last_30_days"] == 7
    assert action(vary) == "vary_channel" and rows[str(vary.id)]["channels_last_30_days"] == 1
    assert action(new_content) == "new_content"
    assert rows[str(new_content.id)]["repeated_content"] is True
    assert action(none) == "none"

    r = await client.get(f"{FOLLOW_UP}?next_action=vary_channel", headers=actors.rep.headers)
    assert [row["lead_id"] for row in r.json()["items"]] == [str(vary.id)]

    # The policy is data: with fewer touches per month the "touch" lead is due a breakup.
    r = await client.put(
        CADENCE,
        json={
            "inbound_response_hours": 24,
            "touches_per_month": 7,
            "min_channels": 3,
            "breakup_after_days": 30,
        },
        headers=actors.admin.headers,
    )
    assert r.status_code == 200
    r = await client.get(f"{FOLLOW_UP}?limit=200", headers=actors.rep.headers)
    rows = {row["lead_id"]: row for row in r.json()["items"]}
    assert action(touch) == "send_breakup_email"


async def test_stale_days_and_pages(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    quiet = await make_lead(session, actors.rep.user, received_at=ago(days=10))
    touched = await make_lead(session, actors.rep.user, received_at=ago(days=10))
    await client.post(
        f"{LEADS}/{touched.id}/touches",
        json={"channel": "email", "direction": "outbound", "occurred_at": ago(days=4).isoformat()},
        headers=actors.rep.headers,
    )
    fresh = await make_lead(session, actors.rep.user)
    seen = []
    url = f"{FOLLOW_UP}?limit=1&sort=-stale_days"
    while url:
        r = await client.get(url, headers=actors.rep.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += page["items"]
        cursor = page["next_cursor"]
        url = f"{FOLLOW_UP}?limit=1&sort=-stale_days&cursor={cursor}" if cursor else ""
    assert [(row["lead_id"], row["stale_days"]) for row in seen] == [
        (str(quiet.id), 10),
        (str(touched.id), 4),
        (str(fresh.id), 0),
    ]
    r = await client.get(f"{FOLLOW_UP}?owner_id={actors.peer_rep.id}", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.owner_id"


async def test_cadence_policy_settings(client: httpx.AsyncClient, actors: Actors) -> None:
    r = await client.get(CADENCE, headers=actors.rep.headers)
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    assert r.json() == {
        "inbound_response_hours": 24,
        "touches_per_month": 8,
        "min_channels": 3,
        "breakup_after_days": 30,
        "version": 1,
    }
    policy = {
        "inbound_response_hours": 4,
        "touches_per_month": 10,
        "min_channels": 2,
        "breakup_after_days": 21,
    }
    assert (
        await client.put(CADENCE, json=policy, headers=actors.manager.headers)
    ).status_code == 403
    r = await client.put(CADENCE, json=policy, headers={**actors.admin.headers, "If-Match": '"1"'})
    assert r.status_code == 200 and r.json() == {**policy, "version": 2}
    r = await client.put(CADENCE, json=policy, headers={**actors.admin.headers, "If-Match": '"1"'})
    assert r.status_code == 412
    r = await client.put(CADENCE, json={**policy, "min_channels": 0}, headers=actors.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "min_channels"
    r = await client.put(CADENCE, json={**policy, "version": 3}, headers=actors.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "read_only"
    assert (await client.get(CADENCE, headers=actors.rep.headers)).json()["version"] == 2


def _at(row: dict[str, Any]) -> datetime | None:
    return None if row["due_at"] is None else datetime.fromisoformat(row["due_at"])


async def test_follow_up_rows_say_who_and_when(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    rep = actors.rep.user
    varied = ["email", "phone", "social", "email", "phone", "social", "email", "phone"]
    respond = await make_lead(
        session,
        rep,
        inbound=True,
        received_at=ago(hours=30),
        first_name="Ada",
        last_name="Lovelace",
        company="Analytical",
    )
    touch = await make_lead(session, rep, received_at=ago(days=40))
    touched_at = ago(days=2)
    await make_touch(session, touch, rep, touched_at, "email")
    untouched = await make_lead(session, rep, received_at=ago(days=1))
    vary = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, vary, actors, ["email"] * 8)
    await make_touch(session, vary, rep, touched_at, "phone", direction="inbound")
    breakup = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, breakup, actors, varied)
    # A breakup email ends the cadence until the lead writes back...
    broke_up = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, broke_up, actors, ["email", "phone"], days_ago=5)
    await make_touch(session, broke_up, rep, ago(days=2), "email", breakup=True)
    # ... and a reply after it opens the cadence again.
    replied = await make_lead(session, rep, received_at=ago(days=40))
    await _outbound(session, replied, actors, ["email", "phone"], days_ago=5)
    await make_touch(session, replied, rep, ago(days=2), "email", breakup=True)
    await make_touch(session, replied, rep, ago(days=1), "email", direction="inbound")

    r = await client.get(f"{FOLLOW_UP}?limit=200", headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    rows = {row["lead_id"]: row for row in items}

    assert rows[str(respond.id)]["lead"] == {
        "id": str(respond.id),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": respond.email,
        "company": "Analytical",
        "status": "new",
    }
    assert rows[str(respond.id)]["next_action"] == "respond"
    assert _at(rows[str(respond.id)]) == respond.received_at + timedelta(hours=24)
    # Eight touches a month: one due 30/8 days after the last touch (or arrival).
    interval = timedelta(days=30 / 8)
    assert rows[str(touch.id)]["next_action"] == "touch"
    assert _at(rows[str(touch.id)]) == touched_at + interval
    assert _at(rows[str(untouched.id)]) == untouched.received_at + interval
    assert rows[str(vary.id)]["next_action"] == "vary_channel"
    # Its last touch is the newest outbound one, a day ago (the inbound one is older).
    vary_due = _at(rows[str(vary.id)])
    assert vary_due is not None and vary_due - interval > touched_at
    assert rows[str(breakup.id)]["next_action"] == "send_breakup_email"
    now = _at(rows[str(breakup.id)])
    assert now is not None and abs(now - datetime.now(UTC)) < timedelta(minutes=5)
    assert rows[str(broke_up.id)]["next_action"] == "none"
    assert rows[str(broke_up.id)]["due_at"] is None
    assert rows[str(replied.id)]["next_action"] == "touch"

    # Most urgent first, no due date last; the same order page by page.
    due = [_at(row) for row in items]
    dated = [d for d in due if d is not None]
    assert dated == sorted(dated) and due[len(dated) :] == [None] * (len(due) - len(dated))
    assert items[-1]["lead_id"] == str(broke_up.id)
    seen: list[str] = []
    url = f"{FOLLOW_UP}?limit=2"
    while url:
        page = (await client.get(url, headers=actors.rep.headers)).json()
        seen += [row["lead_id"] for row in page["items"]]
        url = f"{FOLLOW_UP}?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == [row["lead_id"] for row in items]
    backwards = (await client.get(f"{FOLLOW_UP}?sort=-due_at", headers=actors.rep.headers)).json()
    assert backwards["items"][0]["lead_id"] == str(broke_up.id)


async def test_follow_up_expand_owner(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    await make_lead(session, actors.rep.user)
    r = await client.get(f"{FOLLOW_UP}?expand=owner", headers=actors.rep.headers)
    assert r.status_code == 200, r.text
    [row] = r.json()["items"]
    assert row["owner"] == {
        "id": str(actors.rep.id),
        "name": actors.rep.user.name,
        "email": actors.rep.user.email,
    }
    assert (
        "owner" not in (await client.get(FOLLOW_UP, headers=actors.rep.headers)).json()["items"][0]
    )
    r = await client.get(f"{FOLLOW_UP}?expand=account", headers=actors.rep.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.expand"
