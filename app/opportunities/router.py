"""/opportunities (with /stage and /history)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from typing import Any
from typing import Literal

from fastapi import APIRouter
from fastapi import Query
from fastapi import Response

from app.core.enums import Expansion
from app.core.enums import ForecastCategory
from app.core.enums import OpportunityType
from app.core.enums import StageSlug
from app.core.expand import expand_param
from app.core.http import IfMatch
from app.core.http import etag
from app.core.http import json_document
from app.core.http import json_page
from app.core.http import set_created
from app.core.http import set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.query_lists import AnyOf
from app.core.routes import Resource
from app.core.schemas import Moment
from app.core.security import HumanPrincipal
from app.core.session import AppSettings
from app.core.session import Session
from app.core.text_search import SearchText
from app.custom_fields.schemas import CUSTOM_FILTER_HELP
from app.custom_fields.schemas import CustomQuery
from app.opportunities import service
from app.opportunities import stage_moves
from app.opportunities.schemas import HistoryPage
from app.opportunities.schemas import Opportunity
from app.opportunities.schemas import OpportunityCreate
from app.opportunities.schemas import OpportunityFilters
from app.opportunities.schemas import OpportunityPage
from app.opportunities.schemas import OpportunityUpdate
from app.opportunities.schemas import StageChange

router = APIRouter(tags=["opportunities"])
opportunities = Resource(router, "/opportunities", Opportunity, HumanPrincipal, name="opportunity")

OPPORTUNITY_EXPANSIONS = expand_param(Expansion.OWNER, Expansion.ACCOUNT, Expansion.CONTACT)


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
    "`q` finds opportunities by the words of their name or their account's name. "
    "`expand=owner,account,contact` adds each one's summaries." + CUSTOM_FILTER_HELP,
)
async def list_opportunities(
    principal: HumanPrincipal,
    session: Session,
    page: Page,
    settings: AppSettings,
    custom: CustomQuery,
    owner_id: AnyOf[uuid.UUID] = None,
    account_id: AnyOf[uuid.UUID] = None,
    stage: AnyOf[StageSlug] = None,
    type: AnyOf[OpportunityType] = None,
    forecast_category: AnyOf[ForecastCategory] = None,
    close_date_from: date | None = None,
    close_date_to: date | None = None,
    updated_after: Moment | None = None,
    q: SearchText = None,
    sort: Annotated[OpportunitySort, Query()] = "created_at",
    expand: Any = OPPORTUNITY_EXPANSIONS,
) -> Response:
    filters = OpportunityFilters(
        owner_id=owner_id,
        account_id=account_id,
        stage=stage,
        type=type,
        forecast_category=forecast_category,
        close_date_from=close_date_from,
        close_date_to=close_date_to,
        updated_after=updated_after,
        q=q,
    )
    documents, cursor = await service.list_page(
        session, principal, page, filters, sort, settings.currency, expand or (), custom
    )
    return json_page(documents, cursor)


@router.get(
    "/opportunities/{opportunity_id}",
    operation_id="opportunities-get",
    response_model=Opportunity,
    description="An opportunity you can see; `expand=owner,account,contact` adds their summaries.",
)
async def get_opportunity(
    opportunity_id: uuid.UUID,
    principal: HumanPrincipal,
    session: Session,
    settings: AppSettings,
    expand: Any = OPPORTUNITY_EXPANSIONS,
) -> Response:
    version, document = await service.get_document(
        session, principal, opportunity_id, settings.currency, expand or ()
    )
    return json_document(document, headers={"ETag": etag(version)})


@router.patch(
    "/opportunities/{opportunity_id}",
    operation_id="opportunities-update",
    response_model=Opportunity,
    description="JSON Merge Patch. `stage` moves only through `/stage` (422 read_only). The "
    "owner (or an admin) may override `forecast_category` on open stages; `owner_id` changes "
    "need a manager of both owners, or an admin. A renewal's `renewal_loss_amount` follows "
    "max(0, renewal_arr - amount) until it is set explicitly. Closed is final: while the "
    "stage is closed_won, lost, unqualified or duplicate, a change of amount, close_date, "
    "type, renewal_arr, renewal_loss_amount, forecast_category, renewal_forecast_category, "
    "owner_id, account_id or unit_ids answers 409 `opportunity-closed`; an admin may correct "
    "them by giving `change_reason` (else 422), which the history keeps. A value equal to the "
    "stored one is no change. Reopening is the way back.",
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
    "new stage's default unless `forecast_category` is given. Closing (closed_won, lost, "
    "unqualified, duplicate) sets `close_date` to today in ENGAGE_TIMEZONE unless the body "
    "gives `close_date` (not after today, else 422).",
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


opportunities.children(
    "/history",
    service.history_page,
    HistoryPage,
    name="opportunity_history",
    operation_id="opportunities-history",
    description="Every change of stage, amount, close_date, forecast_category, owner_id, type, "
    "renewal_arr, renewal_loss_amount and renewal_forecast_category, oldest first. Creation "
    "is recorded as changes from null. `reason` is a stage move's reason, or the "
    "`change_reason` of the PATCH that made the change.",
)
