"""Webhook subscriptions (admin): create with a secret shown once, change, delete."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.errors import Conflict
from app.core.errors import NotFound
from app.core.errors import field_error
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.models import Webhook
from app.models import WebhookDelivery
from app.webhooks import repository
from app.webhooks.schemas import WebhookCreate
from app.webhooks.schemas import WebhookUpdate
from app.webhooks.targets import UnsafeUrl
from app.webhooks.targets import check_url


def _check_url(url: str, allow_private: bool) -> None:
    try:
        check_url(url, allow_private)
    except UnsafeUrl as exc:
        raise field_error("url", "unsafe_url", str(exc)) from exc


async def create(
    session: AsyncSession, principal: Principal, data: WebhookCreate, allow_private: bool
) -> Webhook:
    _check_url(data.url, allow_private)
    webhook = Webhook(
        url=data.url,
        event_types=sorted(set(data.event_types)),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=principal.id,
    )
    return await repository.add(session, webhook)


async def _find(session: AsyncSession, webhook_id: uuid.UUID, *, lock: bool = False) -> Webhook:
    webhook = await repository.get(session, webhook_id, lock=lock)
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


async def get(session: AsyncSession, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
    return await _find(session, webhook_id)


async def update(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    patch: WebhookUpdate,
    if_match: str | None,
    allow_private: bool,
) -> Webhook:
    webhook = await _find(session, webhook_id, lock=True)
    check_if_match(if_match, webhook.version)
    changes = patch.model_dump(exclude_unset=True)
    if "url" in changes:
        _check_url(changes["url"], allow_private)
        webhook.url = changes["url"]
    if "event_types" in changes:
        webhook.event_types = sorted(set(changes["event_types"]))
    if "active" in changes:
        webhook.active = changes["active"]
        if webhook.active:
            webhook.disabled_reason = None
            webhook.failing_since = None
    if changes:
        webhook.version += 1
        webhook.updated_at = datetime.now(UTC)
        await session.flush()
    return webhook


async def delete(
    session: AsyncSession, principal: Principal, webhook_id: uuid.UUID, if_match: str | None
) -> None:
    webhook = await _find(session, webhook_id, lock=True)
    check_if_match(if_match, webhook.version)
    await repository.delete(session, webhook)


async def list_page(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[Webhook], str | None]:
    return await repository.list_page(session, page)


async def deliveries_page(
    session: AsyncSession, principal: Principal, webhook_id: uuid.UUID, page: PageParams
) -> tuple[list[WebhookDelivery], str | None]:
    """Delivery attempts of an existing webhook, newest first (404 for an unknown one)."""
    await _find(session, webhook_id)
    return await repository.deliveries_page(session, webhook_id, page)


def _check_active(webhook: Webhook) -> None:
    if not webhook.active:
        raise Conflict("The webhook is not active: PATCH `active: true` first.")


async def ping(
    session: AsyncSession, principal: Principal, webhook_id: uuid.UUID
) -> WebhookDelivery:
    """A `webhook.ping` event queued for this webhook only, whatever its `event_types`."""
    webhook = await _find(session, webhook_id)
    _check_active(webhook)
    delivery_id = await events.emit_to(
        session, webhook.id, EventType.WEBHOOK_PING, EventResource.WEBHOOK, webhook.id, principal.id
    )
    delivery = await repository.get_delivery(session, delivery_id)
    assert delivery is not None
    return delivery


async def redeliver(
    session: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """The delivery's event sent again by the worker, with the same `Engage-Event-Id`."""
    webhook = await _find(session, webhook_id)
    _check_active(webhook)
    delivery = await repository.requeue(session, webhook.id, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery of this webhook.")
    return delivery
