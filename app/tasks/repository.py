"""SQL for tasks: visible to their owner, their creator, the owner's managers and whoever
sees their subject."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import DateTime
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import true

from app.core.enums import Expansion
from app.core.pagination import SortKey
from app.core.repository import Repository
from app.core.repository import columns
from app.core.visibility import Viewer
from app.core.visibility import is_manager_of
from app.models import Task
from app.subjects.repository import subject_visible
from app.tasks.schemas import TaskFilters

# Tasks without a due date sort last both ways: they stand in for the end or the start of time.
_LAST_ASCENDING = datetime(9999, 12, 31, tzinfo=UTC)
_LAST_DESCENDING = datetime(1, 1, 1, tzinfo=UTC)


def _due(sentinel: datetime) -> ColumnElement[Any]:
    return func.coalesce(Task.due_at, literal(sentinel, DateTime(timezone=True)))


def overdue() -> ColumnElement[bool]:
    return and_(Task.status == "open", Task.due_at < func.now())


def task_visible(viewer: Viewer) -> ColumnElement[bool]:
    """The owner, the creator, the owner's managers, and whoever sees the subject."""
    if viewer.role == "admin":
        return true()
    subject = and_(
        Task.subject_type.is_not(None),
        subject_visible(viewer, Task.subject_type, Task.subject_id),
    )
    return or_(
        Task.owner_id == viewer.id,
        Task.created_by == viewer.id,
        is_manager_of(viewer, Task.owner_id),
        subject,
    )


class TaskRepository(Repository[Task]):
    model = Task
    endpoint = "tasks"
    sort_columns = columns(Task, "due_at", "created_at")
    filter_columns = columns(Task, "owner_id", "status", "priority", "subject_type", "subject_id")
    references = {Expansion.OWNER: Task.owner_id}

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return task_visible(viewer)

    def conditions(self, filters: TaskFilters) -> Iterable[ColumnElement[bool]]:
        if filters.due_before is not None:
            yield Task.due_at < filters.due_before
        if filters.due_after is not None:
            yield Task.due_at >= filters.due_after
        if filters.overdue is True:
            yield overdue()
        elif filters.overdue is False:
            yield ~func.coalesce(overdue(), False)

    def sort_keys(self, sort: str) -> list[SortKey]:
        descending = sort.startswith("-")
        if sort.lstrip("-") == "due_at":
            due = _due(_LAST_DESCENDING if descending else _LAST_ASCENDING)
            return [SortKey(due, descending), SortKey(Task.id, descending)]
        return super().sort_keys(sort)

    def cursor_values(self, entity: Any, keys: Sequence[SortKey]) -> list[Any]:
        if keys[0].column is Task.created_at:
            return [entity.created_at, entity.id]
        # By due date: an undated task stands at the sentinel its order sorts by.
        missing = _LAST_DESCENDING if keys[0].descending else _LAST_ASCENDING
        return [entity.due_at or missing, entity.id]
