"""SQL for webhook subscriptions and their deliveries (claimed with FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams
from app.core.pagination import SortKey
from app.core.pagination import fetch_page
from app.core.repository import add_row
from app.models import Event
from app.models import Webhook
from app.models import WebhookDelivery


async def add(session: AsyncSession, webhook: Webhook) -> Webhook:
    return await add_row(session, webhook)


async def get(
    session: AsyncSession, webhook_id: uuid.UUID, *, lock: bool = False
) -> Webhook | None:
    stmt = select(Webhook).where(Webhook.id == webhook_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def delete(session: AsyncSession, webhook: Webhook) -> None:
    await session.delete(webhook)
    await session.flush()


async def list_page(session: AsyncSession, page: PageParams) -> tuple[list[Webhook], str | None]:
    keys = [SortKey(Webhook.created_at), SortKey(Webhook.id)]
    return await fetch_page(session, select(Webhook), keys, page, "webhooks", {})


async def deliveries_page(
    session: AsyncSession, webhook_id: uuid.UUID, page: PageParams
) -> tuple[list[WebhookDelivery], str | None]:
    keys = [SortKey(WebhookDelivery.created_at, True), SortKey(WebhookDelivery.id, True)]
    filters = {"webhook_id": webhook_id}
    return await fetch_page(
        session,
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id),
        keys,
        page,
        "webhook-deliveries",
        filters,
    )


async def claim_due(
    session: AsyncSession, limit: int
) -> list[tuple[WebhookDelivery, Webhook, Event]]:
    """Due deliveries of active subscriptions; rows another worker holds are skipped."""
    stmt: Any = (
        select(WebhookDelivery, Webhook, Event)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= func.now(),
            Webhook.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return [(d, w, e) for d, w, e in (await session.execute(stmt)).all()]


async def requeue(
    session: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    """Make a delivery of this webhook due now again (waits while a worker is sending it)."""
    delivery: WebhookDelivery | None = await session.scalar(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
        .values(status="pending", next_attempt_at=func.now())
        .returning(WebhookDelivery)
        .execution_options(populate_existing=True)
    )
    return delivery


async def get_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)
