"""/tasks: a rep's to-do list, personal or about a lead, contact, account or opportunity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.core.enums import Expansion
from app.core.expand import expand_param
from app.core.routes import Resource
from app.core.security import HumanPrincipal
from app.tasks import service
from app.tasks.schemas import TASK_SORTS
from app.tasks.schemas import Task
from app.tasks.schemas import TaskCreate
from app.tasks.schemas import TaskFilters
from app.tasks.schemas import TaskPage
from app.tasks.schemas import TaskUpdate

router = APIRouter(tags=["tasks"])
tasks = Resource(router, "/tasks", Task, HumanPrincipal, name="task")

TASK_EXPANSIONS = expand_param(Expansion.OWNER)

WHO = (
    "A task is visible to, and changed by, its owner, its creator, the owner's managers and "
    "whoever can see its subject. Integrations: 403."
)


tasks.create(
    service.create,
    TaskCreate,
    summary="Create a task",
    description="A task about a subject you can see (422 `not_found` on `subject_id` "
    "otherwise), or a personal one (no subject). `owner_id` defaults to you and may name any "
    "active human user. Created `done`, it gets `completed_at`. " + WHO,
)
tasks.list(
    service.list_page,
    TaskPage,
    filters=TaskFilters,
    sorts=TASK_SORTS,
    expand=TASK_EXPANSIONS,
    summary="List tasks",
    description="Your tasks by default (`owner_id` names another owner). Filters: `status`, "
    "`priority`, `due_before` (exclusive), `due_after` (inclusive), `overdue` (`true`: open "
    "and due in the past), `subject_type`, `subject_id`, `updated_after`. Sort: `due_at` "
    "(default, tasks without a due date last), `-due_at`, `-created_at`. `expand=owner` adds "
    "the owner's summary. " + WHO,
)
tasks.read(
    service.get_task.expanded,
    params={"expand": (Any, TASK_EXPANSIONS)},
    summary="Read a task",
    description="`expand=owner` adds the owner's summary. " + WHO,
)
tasks.update(
    service.update,
    TaskUpdate,
    summary="Change a task",
    description="JSON Merge Patch. `status: done` sets `completed_at`; reopening clears it. "
    "Honours `If-Match`. " + WHO,
)
tasks.delete(service.delete, summary="Delete a task", description="Honours `If-Match`. " + WHO)
