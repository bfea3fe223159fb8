"""Tasks (API.md section 11): a to-do list, personal or about a subject. Visible to and changed
by the owner, the creator, the owner's managers and whoever sees the subject."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.enums import Expansion
from app.core.enums import Role
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.expand import Expanded
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.models import Task
from app.subjects.service import check_subject
from app.subjects.service import check_subject_filter
from app.subjects.service import check_user_filter
from app.tasks.repository import TaskRepository
from app.tasks.schemas import TaskCreate
from app.tasks.schemas import TaskFilters
from app.tasks.schemas import TaskUpdate
from app.users.repository import UserRepository

MISSING = "No such task."
get_task = Finder(TaskRepository, MISSING)


async def _check_owner(session: AsyncSession, principal: Principal, owner_id: uuid.UUID) -> None:
    """Any active human user may own a task; one outside the caller's directory is unknown."""
    owner = await UserRepository(session).get_visible(principal, owner_id)
    if owner is None:
        raise not_visible("owner_id")
    if owner.role == Role.INTEGRATION or not owner.active:
        raise field_error(
            "owner_id", "invalid_owner", "A task's owner is an active admin, manager or rep."
        )


def _completion(task_status: str, previous: str | None) -> dict[str, Any]:
    """`completed_at` is set when a task becomes done and cleared when it leaves done."""
    if task_status == "done" and previous != "done":
        return {"completed_at": datetime.now(UTC)}
    if task_status != "done" and previous == "done":
        return {"completed_at": None}
    return {}


async def _emit(session: AsyncSession, kind: EventType, task: Task, actor: uuid.UUID) -> None:
    await events.emit(session, kind, EventResource.TASK, task.id, actor, task.version)


async def create(session: AsyncSession, principal: Principal, data: TaskCreate) -> Task:
    await check_subject(session, principal, data.subject_type, data.subject_id)
    values = data.model_dump()
    values["owner_id"] = values["owner_id"] or principal.id
    if values["owner_id"] != principal.id:
        await _check_owner(session, principal, values["owner_id"])
    values.update(_completion(values["status"], None))
    task = await TaskRepository(session).add(Task(**values, created_by=principal.id))
    await _emit(session, EventType.TASK_CREATED, task, principal.id)
    if task.status == "done":
        await _emit(session, EventType.TASK_COMPLETED, task, principal.id)
    return task


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: TaskFilters,
    sort: str,
    expand: Sequence[Expansion] = (),
) -> tuple[list[Expanded[Task]], str | None]:
    await check_subject_filter(session, principal, filters.subject_type, filters.subject_id)
    await check_user_filter(session, principal, filters.owner_id, "query.owner_id")
    if filters.owner_id is None:
        filters = dataclasses.replace(filters, owner_id=(principal.id,))
    return await TaskRepository(session).list_page_expanded(principal, page, filters, sort, expand)


async def update(
    session: AsyncSession,
    principal: Principal,
    task_id: uuid.UUID,
    patch: TaskUpdate,
    if_match: str | None,
) -> Task:
    task = await get_task.for_change(session, principal, task_id, if_match)
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("owner_id") not in (None, task.owner_id):
        await _check_owner(session, principal, changes["owner_id"])
    previous = task.status
    changes.update(_completion(changes.get("status", previous), previous))
    await TaskRepository(session).apply_patch(task, changes)
    if task.status == "done" and previous != "done":
        await _emit(session, EventType.TASK_COMPLETED, task, principal.id)
    return task


async def delete(
    session: AsyncSession, principal: Principal, task_id: uuid.UUID, if_match: str | None
) -> None:
    task = await get_task.for_change(session, principal, task_id, if_match)
    await TaskRepository(session).delete(task)
