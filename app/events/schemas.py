"""Event feed shapes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from app.core.events import EVENT_TYPES, RESOURCE_TYPES
from app.core.schemas import ResponseModel


@dataclass(frozen=True)
class EventFilters:
    type: str | None = None
    resource_type: str | None = None


class EventItem(ResponseModel):
    id: int = Field(description="Unique and stable: receivers de-duplicate on it.")
    type: str = Field(json_schema_extra={"x-extensible-enum": list(EVENT_TYPES)})
    occurred_at: datetime
    actor_id: uuid.UUID | None
    resource_type: str = Field(json_schema_extra={"x-extensible-enum": list(RESOURCE_TYPES)})
    resource_id: uuid.UUID
    resource_version: int | None


class EventPage(ResponseModel):
    items: list[EventItem]
    next_cursor: str | None = Field(
        description="Where to resume. Unlike other collections it stays set at the end of the "
        "feed: poll again later with it. Null only before any event has been served."
    )
