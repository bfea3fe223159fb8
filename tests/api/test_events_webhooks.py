"""Outbox events, the event feed, and signed webhook deliveries (API.md section 9)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.core.events import emit
from app.main import create_app
from app.models import Event
from app.models import Lead
from app.models import Webhook
from app.models import WebhookDelivery
from app.webhooks import delivery
from app.webhooks.signing import signature
from app.webhooks.signing import verify
from app.webhooks.targets import UnsafeUrl
from app.webhooks.targets import parse_target
from app.webhooks.targets import resolve
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import Actors
from tests.factories import make_user


class Receiver:
    """A local HTTP receiver answering with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[dict[str, list[Any]]]:
    """Rows committed for real by a test, removed afterwards."""
    made: dict[str, list[Any]] = {"webhooks": [], "events": [], "users": []}
    yield made
    async with AsyncSession(engine) as session:
        await session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.webhook_id.in_(made["webhooks"]))
        )
        await session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(made["events"]))
        )
        await session.execute(delete(Webhook).where(Webhook.id.in_(made["webhooks"])))
        await session.execute(delete(Event).where(Event.id.in_(made["events"])))
        await session.execute(
            text("DELETE FROM api_tokens WHERE user_id = ANY(:u)"), {"u": made["users"]}
        )
        await session.execute(text("DELETE FROM users WHERE id = ANY(:u)"), {"u": made["users"]})
        await session.commit()


async def _committed_admin(engine: AsyncEngine, made: dict[str, list[Any]]) -> Any:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        admin = await make_user(session, "admin")
        await session.commit()
    made["users"].append(admin.id)
    return admin


async def _emit_committed(
    engine: AsyncEngine, made: dict[str, list[Any]], kind: str = "lead.created"
) -> int:
    async with AsyncSession(engine) as session:
        resource = uuid.uuid4()
        await emit(session, kind, "lead", resource, None, 1)
        event_id = await session.scalar(select(Event.id).where(Event.resource_id == resource))
        await session.commit()
    made["events"].append(event_id)
    return int(event_id or 0)


# --- the feed -----------------------------------------------------------------------------


async def test_rolled_back_change_emits_nothing(session: AsyncSession) -> None:
    resource = uuid.uuid4()
    nested = await session.begin_nested()
    await emit(session, "lead.created", "lead", resource, None, 1)
    await nested.rollback()
    assert await session.scalar(select(Event.id).where(Event.resource_id == resource)) is None
    await emit(session, "lead.created", "lead", resource, None, 1)
    assert await session.scalar(select(Event.id).where(Event.resource_id == resource)) is not None


async def test_event_committed_late_still_reaches_the_poller(
    engine: AsyncEngine, committed: dict[str, list[Any]]
) -> None:
    admin = await _committed_admin(engine, committed)
    app = create_app(settings_for_tests(), session_factory=async_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        first = (await client.get("/api/v1/events?limit=200", headers=admin.headers)).json()
        cursor = first["next_cursor"]
        while first["next_cursor"] and first["items"]:
            first = (
                await client.get(f"/api/v1/events?limit=200&cursor={cursor}", headers=admin.headers)
            ).json()
            cursor = first["next_cursor"] or cursor
        # A slow transaction writes its event first but commits last.
        slow = AsyncSession(engine)
        late_resource = uuid.uuid4()
        await emit(slow, "lead.created", "lead", late_resource, None, 1)
        quick = await _emit_committed(engine, committed)
        query = (
            f"/api/v1/events?limit=200&cursor={cursor}" if cursor else "/api/v1/events?limit=200"
        )
        during = (await client.get(query, headers=admin.headers)).json()
        assert quick not in [e["id"] for e in during["items"]], "served past a running transaction"
        await slow.commit()
        late = await slow.scalar(select(Event.id).where(Event.resource_id == late_resource))
        await slow.close()
        committed["events"].append(late)
        # The horizon is cluster-wide: an unrelated older transaction (another database on
        # this server) may hold it back for a moment, so poll as a client would.
        ids: list[int] = []
        for _ in range(100):
            after = (await client.get(query, headers=admin.headers)).json()
            ids = [e["id"] for e in after["items"]]
            if late in ids and quick in ids:
                break
            await asyncio.sleep(0.1)
        assert late in ids and quick in ids and ids.index(late) < ids.index(quick)
        assert after["next_cursor"]


async def test_events_only_about_visible_resources(
    client: httpx.AsyncClient, session: AsyncSession, actors: Actors
) -> None:
    mine = Lead(
        email="mine@x.io", source="manual", owner_id=actors.rep.id, created_by=actors.rep.id
    )
    theirs = Lead(
        email="theirs@x.io",
        source="manual",
        owner_id=actors.peer_rep.id,
        created_by=actors.peer_rep.id,
    )
    session.add_all([mine, theirs])
    await session.flush()
    await emit(session, "lead.created", "lead", mine.id, actors.rep.id, 1)
    await emit(session, "lead.created", "lead", theirs.id, actors.peer_rep.id, 1)
    await session.commit()
    # The feed serves events once older transactions finished; inside the test's own
    # transaction, query with the horizon of a snapshot that already includes them.
    from app.core.security import Principal
    from app.events.repository import event_visible

    principal = Principal(actors.rep.id, "", "", "rep", actors.manager.id, None, uuid.uuid4())
    seen = set(
        (await session.scalars(select(Event.resource_id).where(event_visible(principal)))).all()
    )
    assert mine.id in seen and theirs.id not in seen
    manager = Principal(actors.manager.id, "", "", "manager", None, None, uuid.uuid4())
    seen = set(
        (await session.scalars(select(Event.resource_id).where(event_visible(manager)))).all()
    )
    assert mine.id in seen and theirs.id not in seen
    r = await client.get("/api/v1/events?type=lead.created", headers=actors.rep.headers)
    assert r.status_code == 200


# --- subscriptions ------------------------------------------------------------------------


async def test_webhook_crud_is_admin_only_and_secret_shown_once(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"url": "https://hooks.example.com/engage", "event_types": ["lead.created"]}
    assert (
        await client.post("/api/v1/webhooks", json=body, headers=actors.manager.headers)
    ).status_code == 403
    r = await client.post("/api/v1/webhooks", json=body, headers=actors.admin.headers)
    assert r.status_code == 201 and r.json()["secret"].startswith("whsec_")
    hook = r.json()
    got = (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=actors.admin.headers)).json()
    assert "secret" not in got and got["active"] is True and got["disabled_reason"] is None
    r = await client.patch(
        f"/api/v1/webhooks/{hook['id']}",
        json={"event_types": ["opportunity.closed_won"]},
        headers={**actors.admin.headers, "If-Match": '"0"'},
    )
    assert r.status_code == 412
    r = await client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"secret": "x"}, headers=actors.admin.headers
    )
    assert r.status_code == 422
    listed = (await client.get("/api/v1/webhooks", headers=actors.admin.headers)).json()
    assert hook["id"] in [w["id"] for w in listed["items"]]
    assert (
        await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=actors.admin.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/webhooks/{hook['id']}", headers=actors.admin.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://user:pw@hooks.example.com/",
    ],
)
async def test_unsafe_webhook_urls_refused(
    client: httpx.AsyncClient, actors: Actors, url: str
) -> None:
    r = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "event_types": ["lead.created"]},
        headers=actors.admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "unsafe_url"


def test_ssrf_checked_at_delivery_time_by_resolution() -> None:
    with pytest.raises(UnsafeUrl):
        parse_target("https://localhost/hook", allow_private=False)
    with pytest.raises(UnsafeUrl):
        parse_target("https://169.254.169.254/latest", allow_private=False)
    target = parse_target("http://localhost/hook", allow_private=True)
    assert not resolve(target, allow_private=True).is_global


def test_signature_recipe() -> None:
    body = b'{"id":1}'
    header = signature("whsec_test", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify("whsec_test", header, body, now=1_700_000_100)
    assert not verify("whsec_test", header, body + b" ", now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify("whsec_test", header, body, now=1_700_001_000)


# --- deliveries ---------------------------------------------------------------------------


async def _subscribe(
    engine: AsyncEngine, made: dict[str, list[Any]], url: str, creator: uuid.UUID
) -> Webhook:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        hook = Webhook(
            url=url, event_types=["lead.created"], secret="whsec_test", created_by=creator
        )
        session.add(hook)
        await session.commit()
    made["webhooks"].append(hook.id)
    return hook


async def _deliveries(engine: AsyncEngine, hook: Webhook) -> list[WebhookDelivery]:
    async with AsyncSession(engine) as session:
        return list(
            (
                await session.scalars(
                    select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                )
            ).all()
        )


async def test_signed_delivery_retry_backoff_and_success(
    engine: AsyncEngine, committed: dict[str, list[Any]], receiver: Receiver
) -> None:
    admin = await _committed_admin(engine, committed)
    hook = await _subscribe(engine, committed, receiver.url, admin.id)
    event_id = await _emit_committed(engine, committed)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    receiver.statuses = [500]
    async with httpx.AsyncClient() as client:
        assert await delivery.deliver_due(factory, client, allow_private=True) >= 1
        [pending] = await _deliveries(engine, hook)
        assert (
            pending.status == "pending"
            and pending.attempts == 1
            and pending.last_status_code == 500
        )
        assert pending.next_attempt_at > datetime.now(UTC) + timedelta(seconds=9)
        # Not due yet: nothing is attempted.
        before = len(receiver.requests)
        await delivery.deliver_due(factory, client, allow_private=True)
        assert len(receiver.requests) == before
        async with AsyncSession(engine) as s:
            await s.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == pending.id)
                .values(next_attempt_at=datetime.now(UTC))
            )
            await s.commit()
        await delivery.deliver_due(factory, client, allow_private=True)
    [done] = await _deliveries(engine, hook)
    assert done.status == "succeeded" and done.attempts == 2 and done.delivered_at is not None
    mine = [r for r in receiver.requests if r["headers"]["Engage-Event-Id"] == str(event_id)]
    assert len(mine) == 2
    last = mine[-1]
    assert json.loads(last["body"])["id"] == event_id
    assert verify(
        "whsec_test", last["headers"]["Engage-Signature"], last["body"], now=int(time.time())
    )
    assert delivery.backoff(1) >= timedelta(seconds=10) and delivery.backoff(3) >= timedelta(
        seconds=40
    )
    assert delivery.backoff(30) <= timedelta(hours=1, minutes=6)


async def test_two_workers_racing_deliver_each_event_once(
    engine: AsyncEngine, committed: dict[str, list[Any]], receiver: Receiver
) -> None:
    admin = await _committed_admin(engine, committed)
    hook = await _subscribe(engine, committed, receiver.url, admin.id)
    events = [await _emit_committed(engine, committed) for _ in range(12)]
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with httpx.AsyncClient() as client:
        for _ in range(4):
            await asyncio.gather(
                delivery.deliver_due(factory, client, True, limit=3),
                delivery.deliver_due(factory, client, True, limit=3),
            )
    delivered = [int(r["headers"]["Engage-Event-Id"]) for r in receiver.requests]
    assert sorted(d for d in delivered if d in events) == sorted(events)
    assert all(d.status == "succeeded" for d in await _deliveries(engine, hook))


async def test_subscription_disabled_after_a_day_of_failures(
    engine: AsyncEngine, committed: dict[str, list[Any]], receiver: Receiver
) -> None:
    admin = await _committed_admin(engine, committed)
    hook = await _subscribe(engine, committed, receiver.url, admin.id)
    await _emit_committed(engine, committed)
    async with AsyncSession(engine) as s:
        await s.execute(
            update(Webhook)
            .where(Webhook.id == hook.id)
            .values(failing_since=datetime.now(UTC) - timedelta(hours=25))
        )
        await s.commit()
    receiver.statuses = [503]
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with httpx.AsyncClient() as client:
        await delivery.deliver_due(factory, client, allow_private=True)
    async with AsyncSession(engine) as s:
        refreshed = await s.get(Webhook, hook.id)
    assert refreshed is not None and refreshed.active is False
    assert refreshed.disabled_reason and "503" in refreshed.disabled_reason


async def test_private_receiver_refused_without_the_setting(
    engine: AsyncEngine, committed: dict[str, list[Any]], receiver: Receiver
) -> None:
    admin = await _committed_admin(engine, committed)
    hook = await _subscribe(engine, committed, receiver.url, admin.id)
    await _emit_committed(engine, committed)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with httpx.AsyncClient() as client:
        await delivery.deliver_due(factory, client, allow_private=False)
    [attempt] = await _deliveries(engine, hook)
    assert attempt.last_error and attempt.last_error.startswith("refused")
    assert receiver.requests == []


async def test_event_types_are_known_types_or_star(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.admin.headers
    url = "https://hooks.example.com/engage"
    r = await client.post(
        "/api/v1/webhooks", json={"url": url, "event_types": ["lead.bogus"]}, headers=h
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/problems/validation")
    assert r.json()["errors"][0]["field"] == "event_types.0"
    assert r.json()["errors"][0]["code"] == "invalid_choice"
    r = await client.post(
        "/api/v1/webhooks", json={"url": url, "event_types": ["*", "lead.updated"]}, headers=h
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["event_types"] == ["*", "lead.updated"]
    r = await client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"event_types": ["lead.created", "*x"]}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types.1"


async def test_star_subscription_gets_every_type_and_data_is_delivered(
    session: AsyncSession, actors: Actors
) -> None:
    hook = Webhook(
        url="https://hooks.example.com/all",
        event_types=["*"],
        secret="whsec_test",
        created_by=actors.admin.id,
    )
    session.add(hook)
    await session.flush()
    resource = uuid.uuid4()
    await emit(
        session,
        "opportunity.stage_changed",
        "opportunity",
        resource,
        None,
        2,
        {"from": "discovery", "to": "scoping"},
    )
    event = await session.scalar(select(Event).where(Event.resource_id == resource))
    assert event is not None and event.data == {"from": "discovery", "to": "scoping"}
    queued = await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.webhook_id == hook.id, WebhookDelivery.event_id == event.id
        )
    )
    assert queued is not None
    body = json.loads(delivery.event_body(event))
    assert body["data"] == {"from": "discovery", "to": "scoping"}


# --- where a webhook may point ------------------------------------------------------------

BAD_URLS = [
    "https://example.com:99999/",
    "https://example.com:0/",
    "http://]",
    "https://[::1",
    "https://hooks.example.com/\x00x",
    "https://hooks.example\x00.com/",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://127.1/x",
    "https://0x7f000001/x",
    "https://2130706433/x",
    "https://0177.0.0.1/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::]/x",
    "https://0.0.0.0/x",
    "https://224.0.0.1/x",
    "https://169.254.169.254/latest",
    "https://192.168.1.10/x",
    "https://[fe80::1]/x",
    "https://" + "a" * 250 + ".com/x",
    "ftp://hooks.example.com/x",
]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_bad_webhook_urls_are_422_never_500(
    client: httpx.AsyncClient, actors: Actors, url: str
) -> None:
    body = {"url": url, "event_types": ["lead.created"]}
    r = await client.post("/api/v1/webhooks", json=body, headers=actors.admin.headers)
    assert r.status_code == 422, (url, r.text)
    assert r.json()["errors"][0]["field"] == "url"


def test_a_delivery_connects_to_the_address_it_checked() -> None:
    target = parse_target("https://hooks.example.com:8443/in?x=1", allow_private=False)
    address = ipaddress.ip_address("93.184.215.14")
    assert target.url_for(address) == "https://93.184.215.14:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    assert parse_target("https://[2606:4700::1]/h", False).url_for(
        ipaddress.ip_address("2606:4700::1")
    ) == ("https://[2606:4700::1]:443/h")


async def test_worker_survives_urls_that_turned_bad(
    engine: AsyncEngine, committed: dict[str, list[Any]], receiver: Receiver
) -> None:
    """URLs stored before they were checked (or that stopped resolving) fail their own
    delivery; the round goes on and the good subscription is served."""
    admin = await _committed_admin(engine, committed)
    # Bad whatever the private-address setting (this test's receiver is local).
    stored = [*BAD_URLS[:4], BAD_URLS[-2], BAD_URLS[-1]]
    bad = [await _subscribe(engine, committed, url, admin.id) for url in stored]
    good = await _subscribe(engine, committed, receiver.url, admin.id)
    await _emit_committed(engine, committed)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with httpx.AsyncClient() as client:
        for _ in range(3):
            await delivery.deliver_due(factory, client, allow_private=True, limit=50)
    for hook in bad:
        [attempt] = await _deliveries(engine, hook)
        assert attempt.status == "pending" and attempt.attempts == 1, hook.url
        assert attempt.last_error and attempt.last_error.startswith("refused"), hook.url
    [served] = await _deliveries(engine, good)
    assert served.status == "succeeded"
    assert receiver.requests[-1]["headers"]["Host"] == receiver.url.split("/")[2]
