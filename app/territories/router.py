"""/territories (with team, plans, analysis and diagram) and /plans; includes the accounts,
units and activities routers so that the app mounts one territories router."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.core.config import Settings
from app.core.enums import Segment, Vertical
from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.schemas import Moment
from app.core.security import CurrentPrincipal
from app.core.session import Session
from app.territories import analysis, service
from app.territories.accounts_router import router as accounts_router
from app.territories.activities_router import router as activities_router
from app.territories.schemas import (
    Analysis,
    Plan,
    PlanCreate,
    PlanPage,
    PlanUpdate,
    Team,
    TeamMember,
    TeamReplace,
    Territory,
    TerritoryCreate,
    TerritoryPage,
    TerritoryUpdate,
)

router = APIRouter(tags=["territories"])

SVG = "image/svg+xml"
DIAGRAM_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


class SVGResponse(Response):
    media_type = SVG


@router.post(
    "/territories",
    operation_id="territories-create",
    status_code=201,
    response_model=Territory,
    dependencies=[Idempotent],
    description="Admins, or a manager for an owner in their subtree (themselves included).",
)
async def create_territory(
    body: TerritoryCreate, principal: CurrentPrincipal, session: Session, response: Response
) -> Territory:
    territory = await service.create_territory(session, principal, body)
    set_created(response, f"/api/v1/territories/{territory.id}", territory.version)
    return Territory.model_validate(territory)


@router.get(
    "/territories",
    operation_id="territories-list",
    response_model=TerritoryPage,
    description="Territories the caller can see: reps those they own or are on the team of, "
    "managers their subtree's, admins all. Sort: `created_at` (default), `name`, `updated_at`; "
    "`-` for descending.",
)
async def list_territories(
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    owner_id: uuid.UUID | None = None,
    segment: Segment | None = None,
    updated_after: Moment | None = None,
    sort: Annotated[
        Literal["created_at", "-created_at", "name", "-name", "updated_at", "-updated_at"],
        Query(),
    ] = "created_at",
) -> TerritoryPage:
    filters = {"owner_id": owner_id, "segment": segment, "updated_after": updated_after}
    rows, cursor = await service.list_territories(session, principal, page, filters, sort)
    return TerritoryPage(items=[Territory.model_validate(t) for t in rows], next_cursor=cursor)


@router.get("/territories/{territory_id}", operation_id="territories-get", response_model=Territory)
async def get_territory(
    territory_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Territory:
    territory = await service.get_territory(session, principal, territory_id)
    set_etag(response, territory.version)
    return Territory.model_validate(territory)


@router.patch(
    "/territories/{territory_id}",
    operation_id="territories-update",
    response_model=Territory,
    description="The owner (not `owner_id` or `segment`: 403), the owner's managers, admins.",
)
async def update_territory(
    territory_id: uuid.UUID,
    body: TerritoryUpdate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Territory:
    territory = await service.update_territory(session, principal, territory_id, body, if_match)
    set_etag(response, territory.version)
    return Territory.model_validate(territory)


@router.delete(
    "/territories/{territory_id}",
    operation_id="territories-delete",
    status_code=204,
    description="The owner's managers and admins; 409 while the territory has accounts (or "
    "engagement activities). Its team and plans go with it.",
)
async def delete_territory(
    territory_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    if_match: IfMatch = None,
) -> Response:
    await service.delete_territory(session, principal, territory_id, if_match)
    return Response(status_code=204)


# --- team --------------------------------------------------------------------------------


def _team(territory_id: uuid.UUID, version: int, members: list[dict[str, object]]) -> Team:
    return Team(
        territory_id=territory_id,
        members=[TeamMember.model_validate(m) for m in members],
        version=version,
    )


@router.get(
    "/territories/{territory_id}/team", operation_id="territories-team-get", response_model=Team
)
async def get_team(
    territory_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Team:
    territory, members = await service.get_team(session, principal, territory_id)
    set_etag(response, territory.team_version)
    return _team(territory.id, territory.team_version, members)


@router.put(
    "/territories/{territory_id}/team",
    operation_id="territories-team-replace",
    response_model=Team,
    description="Replaces the extended team (owner, team members, the owner's managers, "
    "admins). The team has its own `version`/`ETag`. Members with a `user_id` see the territory.",
)
async def replace_team(
    territory_id: uuid.UUID,
    body: TeamReplace,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Team:
    territory, members = await service.replace_team(
        session, principal, territory_id, body, if_match
    )
    set_etag(response, territory.team_version)
    return _team(territory.id, territory.team_version, members)


# --- analysis and diagram ----------------------------------------------------------------


@router.get(
    "/territories/{territory_id}/analysis",
    operation_id="territories-analysis",
    response_model=Analysis,
    description="Adoption by account over leaf units (a unit with children counts only "
    "through its children), statuses, totals, the top three verticals, routes to market per "
    "vertical, the net-new/customer mix, and conversions: units whose adoption changed to green "
    "from another recorded adoption since local midnight (`ENGAGE_TIMEZONE`) 30, 90 or 365 "
    "days ago (a unit first mapped as green is not a conversion). Accounts are ordered by name.",
)
async def territory_analysis(
    territory_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: Session
) -> Response:
    settings: Settings = request.app.state.settings
    # Already an `Analysis` serialised (validated when it was computed): sent as it is.
    body = await analysis.territory_analysis(session, principal, territory_id, settings.tz)
    return Response(body, media_type="application/json")


@router.get(
    "/territories/{territory_id}/diagram",
    operation_id="territories-diagram",
    response_class=SVGResponse,
    responses={
        200: {
            "description": "The territory diagram as a standalone SVG document: accounts grouped "
            "by vertical, each leaf unit a cell coloured green/yellow/red/grey, counts, a legend, "
            "and the accounts that need a point of entry marked. Sent with "
            "`X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'; "
            "style-src 'unsafe-inline'`.",
            "content": {SVG: {"schema": {"type": "string"}}},
            "headers": {
                name: {"schema": {"type": "string", "enum": [value]}}
                for name, value in DIAGRAM_HEADERS.items()
            },
        }
    },
    description="At most 500 accounts are drawn; more -> 422 asking for a `vertical` filter.",
)
async def territory_diagram(
    territory_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    vertical: Vertical | None = None,
) -> SVGResponse:
    svg = await analysis.territory_diagram(session, principal, territory_id, vertical)
    return SVGResponse(svg, headers=DIAGRAM_HEADERS)


# --- strategic plans ---------------------------------------------------------------------


@router.post(
    "/territories/{territory_id}/plans",
    operation_id="plans-create",
    status_code=201,
    response_model=Plan,
    dependencies=[Idempotent],
    description="A strategic plan for one vertical of the territory (one per vertical: 409 "
    "`duplicate` with `existing_id`). Owner, team members, the owner's managers, admins.",
)
async def create_plan(
    territory_id: uuid.UUID,
    body: PlanCreate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
) -> Plan:
    plan = await service.create_plan(session, principal, territory_id, body)
    set_created(response, f"/api/v1/plans/{plan.id}", plan.version)
    return Plan.model_validate(plan)


@router.get(
    "/territories/{territory_id}/plans",
    operation_id="plans-list",
    response_model=PlanPage,
    description="Ordered by vertical.",
)
async def list_plans(
    territory_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    vertical: Vertical | None = None,
    updated_after: Moment | None = None,
) -> PlanPage:
    filters = {"vertical": vertical, "updated_after": updated_after}
    rows, cursor = await service.list_plans(session, principal, territory_id, page, filters)
    return PlanPage(items=[Plan.model_validate(p) for p in rows], next_cursor=cursor)


@router.get("/plans/{plan_id}", operation_id="plans-get", response_model=Plan)
async def get_plan(
    plan_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Plan:
    plan = await service.get_plan(session, principal, plan_id)
    set_etag(response, plan.version)
    return Plan.model_validate(plan)


@router.patch("/plans/{plan_id}", operation_id="plans-update", response_model=Plan)
async def update_plan(
    plan_id: uuid.UUID,
    body: PlanUpdate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Plan:
    plan = await service.update_plan(session, principal, plan_id, body, if_match)
    set_etag(response, plan.version)
    return Plan.model_validate(plan)


@router.delete("/plans/{plan_id}", operation_id="plans-delete", status_code=204)
async def delete_plan(
    plan_id: uuid.UUID, principal: CurrentPrincipal, session: Session, if_match: IfMatch = None
) -> Response:
    await service.delete_plan(session, principal, plan_id, if_match)
    return Response(status_code=204)


router.include_router(accounts_router)
router.include_router(activities_router)
