"""/webhooks (admin): subscriptions, and their delivery attempts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi import Request
from fastapi import Response

from app.core.http import IfMatch
from app.core.http import set_created
from app.core.http import set_etag
from app.core.idempotency import Idempotent
from app.core.idempotency import shown_once
from app.core.routes import Resource
from app.core.security import AdminPrincipal
from app.core.session import Session
from app.webhooks import service
from app.webhooks.schemas import Delivery
from app.webhooks.schemas import DeliveryPage
from app.webhooks.schemas import Webhook
from app.webhooks.schemas import WebhookCreate
from app.webhooks.schemas import WebhookCreated
from app.webhooks.schemas import WebhookPage
from app.webhooks.schemas import WebhookUpdate

router = APIRouter(tags=["webhooks"])
webhooks = Resource(router, "/webhooks", Webhook, AdminPrincipal, name="webhook")


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


webhooks.list(service.list_page, WebhookPage)


webhooks.read(service.get)


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


webhooks.delete(service.delete)


webhooks.children(
    "/deliveries",
    service.deliveries_page,
    DeliveryPage,
    name="list_deliveries",
    operation_id="webhooks-deliveries-list",
    description="Delivery attempts, newest first.",
)


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
