"""/territories (with team, plans, analysis and diagram) and /plans."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi import Header
from fastapi import Request
from fastapi import Response

from app.core.config import Settings
from app.core.enums import DiagramMedia
from app.core.enums import Vertical
from app.core.http import IfMatch
from app.core.http import negotiate
from app.core.http import set_etag
from app.core.idempotency import Idempotent
from app.core.routes import Resource
from app.core.security import CurrentPrincipal
from app.core.security import HumanPrincipal
from app.core.security import ManagerPrincipal
from app.core.session import Session
from app.territories import service
from app.territories.analysis import service as analysis
from app.territories.analysis.schemas import Analysis
from app.territories.schemas import TERRITORY_SORTS
from app.territories.schemas import Plan
from app.territories.schemas import PlanCreate
from app.territories.schemas import PlanFilters
from app.territories.schemas import PlanPage
from app.territories.schemas import PlanUpdate
from app.territories.schemas import Team
from app.territories.schemas import TeamMember
from app.territories.schemas import TeamReplace
from app.territories.schemas import Territory
from app.territories.schemas import TerritoryCreate
from app.territories.schemas import TerritoryFilters
from app.territories.schemas import TerritoryPage
from app.territories.schemas import TerritoryTransfer
from app.territories.schemas import TerritoryUpdate
from app.territories.schemas import TransferMoved
from app.territories.schemas import TransferResult

router = APIRouter(tags=["territories"])
territories = Resource(
    router, "/territories", Territory, CurrentPrincipal, name="territory", plural="territories"
)
plans = Resource(
    router, "/plans", Plan, HumanPrincipal, name="plan", parent="/territories/{territory_id}"
)

SVG = DiagramMedia.SVG.value
PNG = DiagramMedia.PNG.value
DIAGRAM_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


class SVGResponse(Response):
    media_type = SVG


territories.create(
    service.create_territory,
    TerritoryCreate,
    principal=ManagerPrincipal,
    description="Admins, or a manager for an owner in their subtree (themselves included).",
)


territories.list(
    service.list_territories,
    TerritoryPage,
    filters=TerritoryFilters,
    sorts=TERRITORY_SORTS,
    description="Territories the caller can see: reps those they own or are on the team of, "
    "managers their subtree's, admins all. Sort: `created_at` (default), `name`, `updated_at`; "
    "`-` for descending.",
)


territories.read(service.get_territory)


territories.update(
    service.update_territory,
    TerritoryUpdate,
    principal=HumanPrincipal,
    description="The owner (not `owner_id` or `segment`: 403), the owner's managers, admins.",
)


@router.post(
    "/territories/{territory_id}/transfer",
    operation_id="territories-transfer",
    response_model=TransferResult,
    dependencies=[Idempotent],
    description="Gives the territory a new owner; the open opportunities and open leads of its "
    "accounts that the old owner held move too (each opportunity's history records `owner_id` "
    "with `reason`), all or nothing. Admins, and managers of both the old and the new owner: "
    "reps and integrations 403; a manager who does not manage the current owner 403; a new "
    "owner outside the caller's subtree 422 `not_found` on `owner_id` (as on create); the "
    "current owner again 422 `same_owner`. Honours `If-Match` (the territory's version). "
    "Emits `territory.transferred` and `opportunity.updated` / `lead.updated` with "
    "`changed: [owner_id]` for each moved record.",
)
async def transfer_territory(
    territory_id: uuid.UUID,
    body: TerritoryTransfer,
    principal: ManagerPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> TransferResult:
    territory, opportunities, leads = await service.transfer_territory(
        session, principal, territory_id, body, if_match
    )
    set_etag(response, territory.version)
    return TransferResult(
        territory=Territory.model_validate(territory),
        moved=TransferMoved(opportunities=opportunities, leads=leads),
    )


territories.delete(
    service.delete_territory,
    principal=ManagerPrincipal,
    description="The owner's managers and admins; 409 while the territory has accounts (or "
    "engagement activities). Its team and plans go with it.",
)


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
    principal: HumanPrincipal,
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
            "description": "The territory diagram as a standalone SVG document, or with "
            "`Accept: image/png` the same drawing as a PNG image: accounts grouped by vertical, "
            "each leaf unit a cell coloured green/yellow/red/grey and labelled with its name when "
            "it fits, account names wrapped, counts, a legend, and the accounts that need a point "
            "of entry marked. Sent with `X-Content-Type-Options: nosniff`, "
            "`Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'` and "
            "`Vary: Accept`.",
            "content": {
                SVG: {"schema": {"type": "string"}},
                PNG: {"schema": {"type": "string", "format": "binary"}},
            },
            "headers": {
                name: {"schema": {"type": "string", "enum": [value]}}
                for name, value in DIAGRAM_HEADERS.items()
            },
        }
    },
    description="At most 500 accounts are drawn; more -> 422 asking for a `vertical` filter. "
    "The `Accept` header chooses the format: SVG unless it prefers `image/png` (an `Accept` "
    "naming neither gets the SVG).",
)
async def territory_diagram(
    territory_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    vertical: Vertical | None = None,
    accept: Annotated[
        str | None,
        Header(max_length=1000, description="`image/png` for the PNG; SVG otherwise."),
    ] = None,
) -> Response:
    media = DiagramMedia(negotiate(accept, [SVG, PNG]))
    body = await analysis.territory_diagram(session, principal, territory_id, vertical, media)
    return Response(body, media_type=media.value, headers={**DIAGRAM_HEADERS, "Vary": "Accept"})


# --- strategic plans ---------------------------------------------------------------------


plans.create(
    service.create_plan,
    PlanCreate,
    description="A strategic plan for one vertical of the territory (one per vertical: 409 "
    "`duplicate` with `existing_id`). Owner, team members, the owner's managers, admins.",
)


plans.list(
    service.list_plans,
    PlanPage,
    filters=PlanFilters,
    principal=CurrentPrincipal,
    description="Ordered by vertical.",
)


plans.read(service.get_plan, principal=CurrentPrincipal)


plans.update(service.update_plan, PlanUpdate)


plans.delete(service.delete_plan)
