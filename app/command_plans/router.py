"""/opportunities/{id}/command-plan: the plan, its revisions and its reviews."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi import Depends
from fastapi import Response

from app.command_plans import service
from app.command_plans.schemas import CommandPlan
from app.command_plans.schemas import CommandPlanRevisionPage
from app.command_plans.schemas import CommandPlanUpdate
from app.command_plans.schemas import Review
from app.command_plans.schemas import ReviewCreate
from app.command_plans.schemas import ReviewPage
from app.core.http import IfMatch
from app.core.http import set_created
from app.core.http import set_etag
from app.core.idempotency import Idempotent
from app.core.routes import Resource
from app.core.security import HumanPrincipal
from app.core.security import Principal
from app.core.security import require_roles
from app.core.session import Session

router = APIRouter(tags=["command-plans"])
# The plan belongs to its opportunity: its paths start at the opportunity.
plans = Resource(router, "/opportunities", CommandPlan, HumanPrincipal, name="opportunity")

ReviewerPrincipal = Annotated[Principal, Depends(require_roles("manager", "admin"))]


def _plan_out(plan: CommandPlan, response: Response) -> CommandPlan:
    set_etag(response, plan.version)
    return plan


@router.get(
    "/opportunities/{opportunity_id}/command-plan",
    operation_id="command-plans-get",
    response_model=CommandPlan,
)
async def get_command_plan(
    opportunity_id: uuid.UUID, principal: HumanPrincipal, session: Session, response: Response
) -> CommandPlan:
    return _plan_out(await service.get(session, principal, opportunity_id), response)


@router.patch(
    "/opportunities/{opportunity_id}/command-plan",
    operation_id="command-plans-update",
    response_model=CommandPlan,
    description="JSON Merge Patch: objects merge, `close_plan` replaces the list (steps without "
    "an `id` get one). Champion and economic buyer contacts must belong to the opportunity's "
    "account. Each change is recorded as a revision.",
)
async def update_command_plan(
    opportunity_id: uuid.UUID,
    body: CommandPlanUpdate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> CommandPlan:
    plan = await service.update(session, principal, opportunity_id, body, if_match)
    return _plan_out(plan, response)


plans.children(
    "/command-plan/revisions",
    service.revisions,
    CommandPlanRevisionPage,
    name="command_plan_revisions",
    operation_id="command-plans-revisions",
    description="Who changed which fields of the plan, and when; oldest first.",
)


@router.post(
    "/opportunities/{opportunity_id}/command-plan/reviews",
    operation_id="command-plans-reviews-create",
    status_code=201,
    response_model=Review,
    dependencies=[Idempotent],
    description="A manager of the owner, or an admin, records a review of the plan.",
)
async def create_review(
    opportunity_id: uuid.UUID,
    body: ReviewCreate,
    principal: ReviewerPrincipal,
    session: Session,
    response: Response,
) -> Review:
    review = await service.add_review(session, principal, opportunity_id, body)
    set_created(response, f"/api/v1/opportunities/{opportunity_id}/command-plan/reviews")
    return Review.model_validate(review)


plans.children(
    "/command-plan/reviews",
    service.reviews,
    ReviewPage,
    name="list_reviews",
    operation_id="command-plans-reviews-list",
    description="Reviews of the plan, oldest first.",
)
