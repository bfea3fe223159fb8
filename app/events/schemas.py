"""Event feed shapes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import Any

from pydantic import Field
from pydantic import StringConstraints

from app.core.events import EVENT_TYPES
from app.core.events import RESOURCE_TYPES
from app.core.query_lists import AnyOf
from app.core.schemas import ResponseModel

EventType = Annotated[str, StringConstraints(max_length=60)]
ResourceType = Annotated[str, StringConstraints(max_length=40)]


@dataclass(frozen=True)
class EventFilters:
    type: AnyOf[EventType] = None
    resource_type: AnyOf[ResourceType] = None


class EventItem(ResponseModel):
    id: int = Field(description="Unique and stable: receivers de-duplicate on it.")
    type: str = Field(json_schema_extra={"x-extensible-enum": list(EVENT_TYPES)})
    occurred_at: datetime
    actor_id: uuid.UUID | None
    resource_type: str = Field(json_schema_extra={"x-extensible-enum": list(RESOURCE_TYPES)})
    resource_id: uuid.UUID
    resource_version: int | None
    data: dict[str, Any] = Field(
        description="What changed: `{from, to}` (stage slugs) for `opportunity.stage_changed`, "
        "`opportunity.closed_won` and `opportunity.lost`; `{from, to, opportunity_id}` for "
        "`unit.adoption_changed` (`opportunity_id` null when no deal moved the unit); "
        "`{changed: [field names]}` for `*.updated` (custom fields as `custom.<key>`); `{}` "
        "otherwise, and for events written before `data` existed."
    )


class EventPage(ResponseModel):
    items: list[EventItem]
    next_cursor: str | None = Field(
        description="Where to resume. Unlike other collections it stays set at the end of the "
        "feed: poll again later with it. Null only before any event has been served."
    )
