"""/webhooks (admin): subscriptions, and their delivery attempts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent, shown_once
from app.core.pagination import Page
from app.core.security import AdminPrincipal
from app.core.session import Session
from app.webhooks import service
from app.webhooks.schemas import (
    Delivery,
    DeliveryPage,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookUpdate,
)

router = APIRouter(tags=["webhooks"])


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private)


@router.post(
    "/webhooks",
    operation_id="webhooks-create",
    status_code=201,
    response_model=WebhookCreated,
    dependencies=[Idempotent, shown_once("secret")],
    description="Deliveries POST the event item as JSON with `Engage-Event-Id` and "
    '`Engage-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`; retried '
    "with exponential backoff (at least once); a subscription failing for a day is disabled.",
)
async def create_webhook(
    body: WebhookCreate,
    principal: AdminPrincipal,
    session: Session,
    request: Request,
    response: Response,
) -> WebhookCreated:
    webhook = await service.create(session, principal, body, _allow_private(request))
    set_created(response, f"/api/v1/webhooks/{webhook.id}", webhook.version)
    return WebhookCreated.model_validate(webhook)


@router.get("/webhooks", operation_id="webhooks-list", response_model=WebhookPage)
async def list_webhooks(principal: AdminPrincipal, session: Session, page: Page) -> WebhookPage:
    rows, cursor = await service.list_page(session, page)
    return WebhookPage(items=[Webhook.model_validate(w) for w in rows], next_cursor=cursor)


@router.get("/webhooks/{webhook_id}", operation_id="webhooks-get", response_model=Webhook)
async def get_webhook(
    webhook_id: uuid.UUID, principal: AdminPrincipal, session: Session, response: Response
) -> Webhook:
    webhook = await service.get(session, webhook_id)
    set_etag(response, webhook.version)
    return Webhook.model_validate(webhook)


@router.patch("/webhooks/{webhook_id}", operation_id="webhooks-update", response_model=Webhook)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    principal: AdminPrincipal,
    session: Session,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> Webhook:
    webhook = await service.update(session, webhook_id, body, if_match, _allow_private(request))
    set_etag(response, webhook.version)
    return Webhook.model_validate(webhook)


@router.delete("/webhooks/{webhook_id}", operation_id="webhooks-delete", status_code=204)
async def delete_webhook(
    webhook_id: uuid.UUID, principal: AdminPrincipal, session: Session, if_match: IfMatch = None
) -> Response:
    await service.delete(session, webhook_id, if_match)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    operation_id="webhooks-deliveries-list",
    response_model=DeliveryPage,
    description="Delivery attempts, newest first.",
)
async def list_deliveries(
    webhook_id: uuid.UUID, principal: AdminPrincipal, session: Session, page: Page
) -> DeliveryPage:
    rows, cursor = await service.deliveries_page(session, webhook_id, page)
    return DeliveryPage(items=[Delivery.model_validate(d) for d in rows], next_cursor=cursor)


@router.post(
    "/webhooks/{webhook_id}/ping",
    operation_id="webhooks-ping",
    status_code=202,
    response_model=Delivery,
    dependencies=[Idempotent],
    description="Queues a `webhook.ping` event (`resource_type` `webhook`, `data` `{}`) for this "
    "webhook only, whatever its `event_types`; the delivery worker sends it signed like any "
    "event. Answers the queued delivery; follow it in `/deliveries`. 409 when the webhook is "
    "not active.",
)
async def ping_webhook(
    webhook_id: uuid.UUID, principal: AdminPrincipal, session: Session
) -> Delivery:
    return Delivery.model_validate(await service.ping(session, principal, webhook_id))


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    operation_id="webhooks-deliveries-redeliver",
    status_code=202,
    response_model=Delivery,
    dependencies=[Idempotent],
    description="Sends the delivery's event again (any status), with the same `Engage-Event-Id`, "
    "so a receiver that de-duplicates sees it once. The delivery becomes `pending` and due now; "
    "its `attempts` keep counting. 409 when the webhook is not active.",
)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, principal: AdminPrincipal, session: Session
) -> Delivery:
    return Delivery.model_validate(await service.redeliver(session, webhook_id, delivery_id))
