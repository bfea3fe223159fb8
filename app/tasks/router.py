"""/tasks: a rep's to-do list, personal or about a lead, contact, account or opportunity."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.core.enums import Expansion
from app.core.expand import expand_param
from app.core.http import IfMatch, created, page_of, tagged
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.security import HumanPrincipal
from app.core.session import Session
from app.tasks import service
from app.tasks.schemas import TASK_SORTS, Task, TaskCreate, TaskFilters, TaskPage, TaskUpdate

router = APIRouter(tags=["tasks"])

TASK_EXPANSIONS = expand_param(Expansion.OWNER)

WHO = (
    "A task is visible to, and changed by, its owner, its creator, the owner's managers and "
    "whoever can see its subject. Integrations: 403."
)


@router.post(
    "/tasks",
    operation_id="tasks-create",
    status_code=201,
    response_model=Task,
    dependencies=[Idempotent],
    summary="Create a task",
    description="A task about a subject you can see (422 `not_found` on `subject_id` "
    "otherwise), or a personal one (no subject). `owner_id` defaults to you and may name any "
    "active human user. Created `done`, it gets `completed_at`. " + WHO,
)
async def create_task(
    body: TaskCreate, principal: HumanPrincipal, session: Session, response: Response
) -> Task:
    task = await service.create(session, principal, body)
    return created(response, Task, task, f"/api/v1/tasks/{task.id}")


@router.get(
    "/tasks",
    operation_id="tasks-list",
    response_model=TaskPage,
    summary="List tasks",
    description="Your tasks by default (`owner_id` names another owner). Filters: `status`, "
    "`priority`, `due_before` (exclusive), `due_after` (inclusive), `overdue` (`true`: open "
    "and due in the past), `subject_type`, `subject_id`, `updated_after`. Sort: `due_at` "
    "(default, tasks without a due date last), `-due_at`, `-created_at`. `expand=owner` adds "
    "the owner's summary. " + WHO,
)
async def list_tasks(
    *,
    principal: HumanPrincipal,
    session: Session,
    filters: Annotated[TaskFilters, Depends()],
    sort: str = TASK_SORTS.param,
    page: Page,
    expand: Any = TASK_EXPANSIONS,
) -> TaskPage:
    rows, cursor = await service.list_page(session, principal, page, filters, sort, expand or ())
    return page_of(TaskPage, rows, cursor)


@router.get(
    "/tasks/{task_id}",
    operation_id="tasks-get",
    response_model=Task,
    summary="Read a task",
    description="`expand=owner` adds the owner's summary. " + WHO,
)
async def get_task(
    task_id: uuid.UUID,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    expand: Any = TASK_EXPANSIONS,
) -> Task:
    return tagged(response, Task, await service.get(session, principal, task_id, expand or ()))


@router.patch(
    "/tasks/{task_id}",
    operation_id="tasks-update",
    response_model=Task,
    summary="Change a task",
    description="JSON Merge Patch. `status: done` sets `completed_at`; reopening clears it. "
    "Honours `If-Match`. " + WHO,
)
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Task:
    task = await service.update(session, principal, task_id, body, if_match)
    return tagged(response, Task, task)


@router.delete(
    "/tasks/{task_id}",
    operation_id="tasks-delete",
    status_code=204,
    summary="Delete a task",
    description="Honours `If-Match`. " + WHO,
)
async def delete_task(
    task_id: uuid.UUID, principal: HumanPrincipal, session: Session, if_match: IfMatch = None
) -> Response:
    await service.delete(session, principal, task_id, if_match)
    return Response(status_code=204)
