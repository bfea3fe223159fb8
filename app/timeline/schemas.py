"""The timeline of a lead, contact, account or opportunity (API.md section 11)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.enums import TimelineKind
from app.core.schemas import ResponseModel

KINDS = (
    "`note`, `task`, `interaction`, `meeting`, `qualification`, `conversion`, `stage_change`, "
    "`field_change` (opportunity history), `adoption_change`"
)


class TimelineItem(ResponseModel):
    at: datetime = Field(
        description="When it happened: a note's or task's creation, an interaction's "
        "`occurred_at`, a meeting's `scheduled_at`, an evaluation, a conversion, a change."
    )
    kind: str = Field(
        description=f"What it is (extensible; clients tolerate new kinds): {KINDS}.",
        json_schema_extra={"x-extensible-enum": [k.value for k in TimelineKind]},
    )
    id: uuid.UUID = Field(
        description="The item's own id (the note, task, interaction, meeting, qualification, "
        "history or adoption row; for a conversion, the lead)."
    )
    actor_id: uuid.UUID | None = Field(
        description="Who did it (null when not recorded, e.g. a conversion)."
    )
    summary: str = Field(
        description='One readable line, e.g. "Moved from discovery to scoping: champion found".'
    )
    data: dict[str, Any] = Field(description="The item's own fields.")


class TimelinePage(ResponseModel):
    items: list[TimelineItem] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="The next page's cursor; null on the last page.")
