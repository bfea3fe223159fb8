"""The delivery worker: claims due deliveries with FOR UPDATE SKIP LOCKED (two workers never
deliver one event twice), POSTs the signed event, and retries with exponential backoff. A
subscription failing for a day is disabled, and says why."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.events.schemas import EventItem
from app.models import Event
from app.models import Webhook
from app.models import WebhookDelivery
from app.webhooks import repository
from app.webhooks.signing import signature
from app.webhooks.targets import UnsafeUrl
from app.webhooks.targets import parse_target
from app.webhooks.targets import resolve

log = logging.getLogger("engage.webhooks")

BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
DISABLE_AFTER = timedelta(days=1)
TIMEOUT = httpx.Timeout(10.0)


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s, ... capped at an hour, with up to 10% jitter."""
    delay: timedelta = min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)
    jittered: timedelta = delay * (1 + random.random() / 10)
    return jittered


def event_body(event: Event) -> bytes:
    return json.dumps(
        EventItem.model_validate(event).model_dump(mode="json"), separators=(",", ":")
    ).encode()


async def _attempt(
    client: httpx.AsyncClient, webhook: Webhook, event: Event, allow_private: bool
) -> tuple[int | None, str | None]:
    body = event_body(event)
    try:
        target = parse_target(webhook.url, allow_private)
        # Resolved once and checked; the request goes to that address, so a name cannot
        # answer a public address to the check and a private one to the connection.
        address = await asyncio.to_thread(resolve, target, allow_private)
        response = await client.post(
            target.url_for(address),
            content=body,
            headers={
                "Host": target.host_header,
                "Content-Type": "application/json",
                "Engage-Event-Id": str(event.id),
                "Engage-Signature": signature(webhook.secret, int(time.time()), body),
                "User-Agent": "Engage-Webhooks/1",
            },
            extensions={"sni_hostname": target.host},
            follow_redirects=False,
            timeout=TIMEOUT,
        )
    except UnsafeUrl as exc:
        return None, f"refused: {exc}"[:500]
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    except Exception as exc:  # one delivery fails, never the worker
        log.exception("delivery to webhook %s failed unexpectedly", webhook.id)
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"receiver answered {response.status_code}"


def _record(
    delivery: WebhookDelivery, webhook: Webhook, status: int | None, error: str | None
) -> None:
    now = datetime.now(UTC)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status
    delivery.last_error = error
    if error is None:
        delivery.status = "succeeded"
        delivery.delivered_at = now
        webhook.failing_since = None
        return
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    webhook.failing_since = webhook.failing_since or now
    if now - webhook.failing_since >= DISABLE_AFTER:
        delivery.status = "failed"
        webhook.active = False
        webhook.disabled_reason = (
            f"Disabled after failing since {webhook.failing_since.isoformat()}: {error}"
        )[:500]
        webhook.version += 1


async def deliver_due(
    factory: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    allow_private: bool,
    limit: int = 10,
) -> int:
    """Deliver up to `limit` due deliveries; returns how many were attempted."""
    async with factory() as session:
        claimed = await repository.claim_due(session, limit)
        for delivery, webhook, event in claimed:
            status, error = await _attempt(client, webhook, event, allow_private)
            _record(delivery, webhook, status, error)
            if error:
                log.info("delivery %s to %s failed: %s", delivery.id, webhook.url, error)
        await session.commit()
        return len(claimed)


async def run_worker(
    factory: async_sessionmaker[AsyncSession], allow_private: bool, idle_seconds: float = 1.0
) -> None:
    async with httpx.AsyncClient() as client:
        while True:
            try:
                attempted = await deliver_due(factory, client, allow_private)
            except Exception:  # the database away, a bad row: log, wait, go on
                log.exception("delivery round failed; retrying")
                attempted = 0
            if attempted == 0:
                await asyncio.sleep(idle_seconds)
