"""Request and response shapes for notes (API.md section 11)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict
from pydantic import Field

from app.core.enums import SubjectType
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import LongText
from app.core.schemas import Moment
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel

BODY = "Plain text or Markdown, 1-20,000 characters, stored exactly as sent."


class NoteCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_type": "account",
                    "subject_id": "01934f5e-7a3c-7cc2-9d1e-3b5f2a9c8e10",
                    "body": "Met the platform team: **CI is the pain**; champion is Ana.",
                    "pinned": True,
                }
            ]
        }
    )

    subject_type: SubjectType = Field(description="What the note is about.")
    subject_id: uuid.UUID = Field(description="A lead, contact, account or opportunity you see.")
    body: LongText = Field(description=BODY)
    pinned: bool = Field(False, description="Pinned notes are shown first by clients.")


class NoteUpdate(RequestModel):
    """JSON Merge Patch of a note; its subject and author do not change."""

    body: LongText | None = Field(None, description=BODY)
    pinned: bool | None = Field(None, description="Pinned notes are shown first by clients.")
    read_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"subject_type", "subject_id", "author_id"}
    )
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"body", "pinned"})


class Note(ResponseModel):
    id: uuid.UUID = Field(description="The note's id.")
    subject_type: SubjectType = Field(description="What the note is about.")
    subject_id: uuid.UUID = Field(
        description="The id of the lead, contact, account or opportunity."
    )
    body: str = Field(description=BODY)
    pinned: bool = Field(description="Pinned notes are shown first by clients.")
    author_id: uuid.UUID = Field(description="Who wrote it; only they or an admin change it.")
    created_at: datetime = Field(description="When it was written.")
    updated_at: datetime = Field(description="When it last changed.")
    version: int = Field(description="Its version (the ETag).")


class NotePage(ResponseModel):
    items: list[Note] = Field(description="A page of notes.")
    next_cursor: str | None = Field(description="The next page's cursor; null on the last page.")


@dataclass(frozen=True)
class NoteFilters(ListFilters):
    subject_type: AnyOf[SubjectType] = None
    subject_id: AnyOf[uuid.UUID] = None
    author_id: AnyOf[uuid.UUID] = None
    updated_after: Moment | None = None


NOTE_SORTS = SortChoices(
    "created_at", default="-created_at", description="`-created_at` (default) or `created_at`."
)
