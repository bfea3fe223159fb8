"""Request and response shapes for tasks (API.md section 11)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict
from pydantic import Field

from app.core.enums import SubjectType
from app.core.enums import TaskPriority
from app.core.enums import TaskStatus
from app.core.expand import EXPANDED_OWNER
from app.core.expand import OwnerSummary
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import Moment
from app.core.schemas import Name
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Text

OWNER = "Any active human user; defaults to the caller."
SERVER_SET = frozenset({"completed_at", "created_by"})


class TaskCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_type": "opportunity",
                    "subject_id": "01934f5e-7a3c-7cc2-9d1e-3b5f2a9c8e10",
                    "title": "Send the CI case study to Ana",
                    "due_at": "2026-12-09T09:00:00Z",
                    "priority": "high",
                }
            ]
        }
    )

    subject_type: SubjectType | None = Field(
        None, description="What the task is about; null with `subject_id` for a personal task."
    )
    subject_id: uuid.UUID | None = Field(None, description="A subject you can see.")
    title: Name = Field(description="What to do (1-200 characters).")
    notes: Text | None = Field(None, description="Details.")
    due_at: Moment | None = Field(None, description="When it is due.")
    priority: TaskPriority = Field(TaskPriority.NORMAL, description="`normal` by default.")
    status: TaskStatus = Field(TaskStatus.OPEN, description="`open` by default.")
    owner_id: uuid.UUID | None = Field(None, description=OWNER)
    read_only_fields: ClassVar[frozenset[str]] = SERVER_SET


class TaskUpdate(RequestModel):
    """JSON Merge Patch of a task; `done` sets `completed_at`, leaving `done` clears it."""

    title: Name | None = Field(None, description="What to do (1-200 characters).")
    notes: Text | None = Field(None, description="Details.")
    due_at: Moment | None = Field(None, description="When it is due (null: no due date).")
    priority: TaskPriority | None = Field(None, description="low, normal or high.")
    status: TaskStatus | None = Field(None, description="open, done or cancelled.")
    owner_id: uuid.UUID | None = Field(None, description=OWNER)
    read_only_fields: ClassVar[frozenset[str]] = SERVER_SET | {"subject_type", "subject_id"}
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"title", "priority", "status", "owner_id"}
    )


class Task(ResponseModel):
    id: uuid.UUID = Field(description="The task's id.")
    subject_type: SubjectType | None = Field(description="What it is about; null if personal.")
    subject_id: uuid.UUID | None = Field(description="Its subject's id; null if personal.")
    title: str = Field(description="What to do.")
    notes: str | None = Field(description="Details.")
    due_at: datetime | None = Field(description="When it is due.")
    priority: TaskPriority = Field(description="low, normal or high.")
    status: TaskStatus = Field(description="open, done or cancelled.")
    owner_id: uuid.UUID = Field(description="Who does it.")
    created_by: uuid.UUID = Field(description="Who wrote it down.")
    completed_at: datetime | None = Field(description="Set by the server when it became done.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")
    version: int = Field(description="Its version (the ETag).")
    owner: OwnerSummary | None = EXPANDED_OWNER


class TaskPage(ResponseModel):
    items: list[Task] = Field(description="A page of tasks.")
    next_cursor: str | None = Field(description="The next page's cursor; null on the last page.")


@dataclass(frozen=True)
class TaskFilters(ListFilters):
    owner_id: AnyOf[uuid.UUID] = None
    status: AnyOf[TaskStatus] = None
    priority: AnyOf[TaskPriority] = None
    due_before: Moment | None = None
    due_after: Moment | None = None
    overdue: bool | None = None
    subject_type: AnyOf[SubjectType] = None
    subject_id: AnyOf[uuid.UUID] = None
    updated_after: Moment | None = None


TASK_SORTS = SortChoices(
    "due_at",
    "created_at",
    description="`due_at` (default; tasks without a due date last), `-due_at`, `-created_at`.",
)
