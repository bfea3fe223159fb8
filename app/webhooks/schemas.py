"""Webhook subscription and delivery shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from typing import ClassVar
from typing import Literal

from pydantic import AfterValidator
from pydantic import Field
from pydantic import StringConstraints
from pydantic_core import PydanticCustomError

from app.core.events import ALL_TYPES
from app.core.events import EVENT_TYPES
from app.core.schemas import PageOf
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel

Url = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
_SUBSCRIBABLE = frozenset((*EVENT_TYPES, ALL_TYPES))


def _known_type(value: str) -> str:
    if value not in _SUBSCRIBABLE:
        raise PydanticCustomError(
            "enum", "Not a known event type; use one of x-extensible-enum, or * for all."
        )
    return value


SubscribedType = Annotated[
    str,
    StringConstraints(max_length=60),
    AfterValidator(_known_type),
    Field(
        description="A known event type, or `*` for every type (those added later too).",
        json_schema_extra={"x-extensible-enum": [*EVENT_TYPES, ALL_TYPES]},
    ),
]


class WebhookCreate(RequestModel):
    url: Url = Field(description="https, resolving to public addresses (checked at delivery).")
    event_types: list[SubscribedType] = Field(min_length=1, max_length=50)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"secret", "disabled_reason"})


class WebhookUpdate(RequestModel):
    url: Url | None = None
    event_types: list[SubscribedType] | None = Field(None, min_length=1, max_length=50)
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
    secret: str | None = Field(
        description="Shown only in this response: the HMAC key of signatures. Null when this is "
        "an idempotent replay (`Idempotent-Replayed: true`): the stored response never holds it."
    )


class WebhookPage(PageOf[Webhook]):
    pass


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


class DeliveryPage(PageOf[Delivery]):
    pass
