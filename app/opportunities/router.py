"""/opportunities (with /stage, /history, /command-plan) and /stages."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from app.core.enums import ForecastCategory, OpportunityType, StageSlug
from app.core.http import IfMatch, etag, json_document, json_page, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.schemas import Moment
from app.core.security import CurrentPrincipal, HumanPrincipal, Principal, require_roles
from app.core.session import AppSettings, Session
from app.core.text_search import SearchText
from app.models import CommandPlan as CommandPlanRow
from app.models import Stage as StageRow
from app.opportunities import command_plans, service, stage_moves, stage_table
from app.opportunities.schemas import (
    CommandPlan,
    CommandPlanRevision,
    CommandPlanRevisionPage,
    CommandPlanUpdate,
    HistoryEntry,
    HistoryPage,
    Opportunity,
    OpportunityCreate,
    OpportunityPage,
    OpportunityUpdate,
    Review,
    ReviewCreate,
    ReviewPage,
    Stage,
    StageChange,
    StagePage,
    StageUpdate,
)

router = APIRouter(tags=["opportunities"])
plans_router = APIRouter(tags=["command-plans"])
stages_router = APIRouter(tags=["stages"])

ReviewerPrincipal = Annotated[Principal, Depends(require_roles("manager", "admin"))]
AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]


OpportunitySort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "close_date",
    "-close_date",
    "amount",
    "-amount",
    "name",
    "-name",
]


@router.post(
    "/opportunities",
    operation_id="opportunities-create",
    status_code=201,
    response_model=Opportunity,
    dependencies=[Idempotent],
    description="Creates an opportunity for a contact's account at `pending_acceptance` with an "
    "empty command plan. `stage` in the body is read-only (422). `expansion` and `renewal` "
    "need a `customer` account; `renewal_*` fields belong to renewals only.",
)
async def create_opportunity(
    body: OpportunityCreate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    settings: AppSettings,
) -> Opportunity:
    opportunity = await service.create(session, principal, body)
    set_created(response, f"/api/v1/opportunities/{opportunity.id}", opportunity.version)
    return service.present(opportunity, settings.currency)


@router.get(
    "/opportunities",
    operation_id="opportunities-list",
    response_model=OpportunityPage,
    description="Visible opportunities. Sort: `created_at` (default), `updated_at`, "
    "`close_date` (no date last), `amount` (no amount first), `name`; `-` for descending. "
    "`q` finds opportunities by the words of their name or their account's name.",
)
async def list_opportunities(
    principal: HumanPrincipal,
    session: Session,
    page: Page,
    settings: AppSettings,
    owner_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    stage: StageSlug | None = None,
    type: OpportunityType | None = None,
    forecast_category: ForecastCategory | None = None,
    close_date_from: date | None = None,
    close_date_to: date | None = None,
    updated_after: Moment | None = None,
    q: SearchText = None,
    sort: Annotated[OpportunitySort, Query()] = "created_at",
) -> Response:
    filters = {
        "q": q,
        "owner_id": owner_id,
        "account_id": account_id,
        "stage": stage,
        "type": type,
        "forecast_category": forecast_category,
        "close_date_from": close_date_from,
        "close_date_to": close_date_to,
        "updated_after": updated_after,
    }
    documents, cursor = await service.list_page(
        session, principal, page, filters, sort, settings.currency
    )
    return json_page(documents, cursor)


@router.get(
    "/opportunities/{opportunity_id}", operation_id="opportunities-get", response_model=Opportunity
)
async def get_opportunity(
    opportunity_id: uuid.UUID,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
) -> Response:
    version, document = await service.get_document(
        session, principal, opportunity_id, settings.currency
    )
    return json_document(document, headers={"ETag": etag(version)})


@router.patch(
    "/opportunities/{opportunity_id}",
    operation_id="opportunities-update",
    response_model=Opportunity,
    description="JSON Merge Patch. `stage` moves only through `/stage` (422 read_only). The "
    "owner (or an admin) may override `forecast_category` on open stages; `owner_id` changes "
    "need a manager of both owners, or an admin. A renewal's `renewal_loss_amount` follows "
    "max(0, renewal_arr - amount) until it is set explicitly.",
)
async def update_opportunity(
    opportunity_id: uuid.UUID,
    body: OpportunityUpdate,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> Opportunity:
    opportunity = await service.update(session, principal, opportunity_id, body, if_match)
    set_etag(response, opportunity.version)
    return service.present(opportunity, settings.currency)


@router.post(
    "/opportunities/{opportunity_id}/stage",
    operation_id="opportunities-change-stage",
    response_model=Opportunity,
    dependencies=[Idempotent],
    description="Moves the stage after the stage-transition validator: 422 "
    "`stage-requirements-unmet` lists `unmet_requirements`; 409 `invalid-transition` for a "
    "move that is never allowed; 403 when a rep reopens. The forecast category resets to the "
    "new stage's default unless `forecast_category` is given.",
)
async def change_stage(
    opportunity_id: uuid.UUID,
    body: StageChange,
    principal: HumanPrincipal,
    session: Session,
    response: Response,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> Opportunity:
    opportunity = await stage_moves.change_stage(
        session, principal, opportunity_id, body, if_match, settings.tz
    )
    set_etag(response, opportunity.version)
    return service.present(opportunity, settings.currency)


@router.get(
    "/opportunities/{opportunity_id}/history",
    operation_id="opportunities-history",
    response_model=HistoryPage,
    description="Every change of stage, amount, close_date, forecast_category, owner_id, "
    "renewal_loss_amount and renewal_forecast_category, oldest first. Creation is recorded "
    "as changes from null.",
)
async def opportunity_history(
    opportunity_id: uuid.UUID, principal: HumanPrincipal, session: Session, page: Page
) -> HistoryPage:
    rows, cursor = await service.history_page(session, principal, opportunity_id, page)
    return HistoryPage(items=[HistoryEntry.model_validate(h) for h in rows], next_cursor=cursor)


# Command plans.


def _plan_out(plan: CommandPlanRow, filled: frozenset[str], response: Response) -> CommandPlan:
    set_etag(response, plan.version)
    return command_plans.present(plan, filled)


@plans_router.get(
    "/opportunities/{opportunity_id}/command-plan",
    operation_id="command-plans-get",
    response_model=CommandPlan,
)
async def get_command_plan(
    opportunity_id: uuid.UUID, principal: HumanPrincipal, session: Session, response: Response
) -> CommandPlan:
    plan, filled = await command_plans.get(session, principal, opportunity_id)
    return _plan_out(plan, filled, response)


@plans_router.patch(
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
    plan, filled = await command_plans.update(session, principal, opportunity_id, body, if_match)
    return _plan_out(plan, filled, response)


@plans_router.get(
    "/opportunities/{opportunity_id}/command-plan/revisions",
    operation_id="command-plans-revisions",
    response_model=CommandPlanRevisionPage,
    description="Who changed which fields of the plan, and when; oldest first.",
)
async def command_plan_revisions(
    opportunity_id: uuid.UUID, principal: HumanPrincipal, session: Session, page: Page
) -> CommandPlanRevisionPage:
    rows, cursor = await command_plans.revisions(session, principal, opportunity_id, page)
    return CommandPlanRevisionPage(
        items=[CommandPlanRevision.model_validate(r) for r in rows], next_cursor=cursor
    )


@plans_router.post(
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
    review = await command_plans.add_review(session, principal, opportunity_id, body)
    set_created(response, f"/api/v1/opportunities/{opportunity_id}/command-plan/reviews")
    return Review.model_validate(review)


@plans_router.get(
    "/opportunities/{opportunity_id}/command-plan/reviews",
    operation_id="command-plans-reviews-list",
    response_model=ReviewPage,
    description="Reviews of the plan, oldest first.",
)
async def list_reviews(
    opportunity_id: uuid.UUID, principal: HumanPrincipal, session: Session, page: Page
) -> ReviewPage:
    rows, cursor = await command_plans.reviews(session, principal, opportunity_id, page)
    return ReviewPage(items=[Review.model_validate(r) for r in rows], next_cursor=cursor)


# Stages.


def _stage_out(row: StageRow) -> Stage:
    return Stage.model_validate(row)


@stages_router.get(
    "/stages",
    operation_id="stages-list",
    response_model=StagePage,
    description="The eleven stages ordered by number, with the requirement codes entering "
    "each needs per opportunity type.",
)
async def list_stages(_: CurrentPrincipal, session: Session, page: Page) -> StagePage:
    rows, cursor = await stage_table.list_page(session, page)
    return StagePage(items=[_stage_out(s) for s in rows], next_cursor=cursor)


@stages_router.get("/stages/{slug}", operation_id="stages-get", response_model=Stage)
async def get_stage(
    slug: StageSlug, _: CurrentPrincipal, session: Session, response: Response
) -> Stage:
    stage = await stage_table.get(session, slug)
    set_etag(response, stage.version)
    return _stage_out(stage)


@stages_router.patch(
    "/stages/{slug}",
    operation_id="stages-update",
    response_model=Stage,
    description="Admins change the probability, default forecast category and requirement "
    "codes (each list replaces the stored one). Opportunities keep their probability and "
    "category until their next stage change.",
)
async def update_stage(
    slug: StageSlug,
    body: StageUpdate,
    _: AdminPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Stage:
    stage = await stage_table.update(session, slug, body, if_match)
    set_etag(response, stage.version)
    return _stage_out(stage)
