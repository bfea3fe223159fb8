"""Request and response shapes for logged interactions (API.md section 11)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from pydantic import ConfigDict
from pydantic import Field
from pydantic import StringConstraints

from app.core.enums import SubjectType
from app.core.enums import TouchChannel
from app.core.enums import TouchDirection
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Email
from app.core.schemas import Moment
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str500
from app.core.schemas import Text

ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")
]


class InteractionCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "ana.berg@fjordbank.no",
                    "channel": "email",
                    "direction": "inbound",
                    "occurred_at": "2026-12-04T14:03:00Z",
                    "title": "Re: CI pilot",
                    "summary": "Ana asks for the pilot plan before Friday.",
                    "external_id": "msg-18c4f2a9",
                }
            ]
        }
    )

    subject_type: SubjectType | None = Field(
        None, description="What it is about (with `subject_id`), or give `email` instead."
    )
    subject_id: uuid.UUID | None = Field(None, description="A subject you can see.")
    email: Email | None = Field(
        None,
        description="Instead of a subject: the open lead with this email, else the most "
        "recently updated contact with it (422 `not_found` when none). The only way "
        "integrations log.",
    )
    channel: TouchChannel = Field(description="How it happened.")
    direction: TouchDirection = Field(description="`outbound` (we reached out) or `inbound`.")
    occurred_at: Moment | None = Field(None, description="Defaults to now; never in the future.")
    title: Str500 | None = Field(None, description="A subject line or heading (<= 500).")
    summary: Text | None = Field(None, description="What was said.")
    content_ref: Str500 | None = Field(
        None, description="The resource sent; follow-up flags one sent to a lead twice."
    )
    breakup: bool = Field(False, description="The sales breakup email (outbound only).")
    external_id: ExternalId | None = Field(
        None,
        description="The sending system's id; with your `source` it is unique: sending it "
        "again answers 200 with the stored interaction and changes nothing.",
    )
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"source", "created_by"})


class Interaction(ResponseModel):
    id: uuid.UUID = Field(description="The interaction's id.")
    subject_type: SubjectType = Field(description="What it is about.")
    subject_id: uuid.UUID = Field(description="Its subject's id.")
    channel: TouchChannel = Field(description="How it happened.")
    direction: TouchDirection = Field(description="`outbound` or `inbound`.")
    occurred_at: datetime = Field(description="When it happened.")
    title: str | None = Field(description="A subject line or heading.")
    summary: str | None = Field(description="What was said.")
    content_ref: str | None = Field(description="The resource sent.")
    breakup: bool = Field(description="Whether it was the breakup email.")
    external_id: str | None = Field(description="The sending system's id.")
    source: str = Field(description="The integration's `source` slug, or `manual`.")
    created_by: uuid.UUID = Field(description="Who logged it.")
    created_at: datetime = Field(description="When it was logged.")


class InteractionPage(ResponseModel):
    items: list[Interaction] = Field(description="A page of interactions.")
    next_cursor: str | None = Field(description="The next page's cursor; null on the last page.")


@dataclass(frozen=True)
class InteractionFilters(ListFilters):
    subject_type: AnyOf[SubjectType] = None
    subject_id: AnyOf[uuid.UUID] = None
    channel: AnyOf[TouchChannel] = None
    direction: AnyOf[TouchDirection] = None


INTERACTION_SORTS = SortChoices(
    "occurred_at",
    "created_at",
    default="-occurred_at",
    description="`-occurred_at` (default), `occurred_at`, `created_at`, `-created_at`.",
)
