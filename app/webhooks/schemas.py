"""Webhook subscription and delivery shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from app.core.events import EVENT_TYPES
from app.core.schemas import RequestModel, ResponseModel

Url = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
EventType = Annotated[
    str,
    StringConstraints(max_length=60, pattern=r"^[a-z_]+\.[a-z_]+$"),
    Field(json_schema_extra={"x-extensible-enum": list(EVENT_TYPES)}),
]


class WebhookCreate(RequestModel):
    url: Url = Field(description="https, resolving to public addresses (checked at delivery).")
    event_types: list[EventType] = Field(min_length=1, max_length=50)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"secret", "disabled_reason"})


class WebhookUpdate(RequestModel):
    url: Url | None = None
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=50)
    active: bool | None = Field(None, description="Re-activating clears `disabled_reason`.")
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"secret", "disabled_reason"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"url", "event_types", "active"})


class Webhook(ResponseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookCreated(Webhook):
    secret: str = Field(description="Shown only in this response: the HMAC key of signatures.")


class WebhookPage(ResponseModel):
    items: list[Webhook]
    next_cursor: str | None


class Delivery(ResponseModel):
    id: uuid.UUID
    event_id: int
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(ResponseModel):
    items: list[Delivery]
    next_cursor: str | None
