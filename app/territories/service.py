"""Territories, their extended team and strategic plans: who may do what (API.md section 2)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.changes import changed_fields
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.errors import Conflict
from app.core.errors import Duplicate
from app.core.errors import FieldError
from app.core.errors import Forbidden
from app.core.errors import NotFound
from app.core.errors import ValidationFailed
from app.core.errors import field_error
from app.core.errors import found
from app.core.errors import not_visible
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.models import Plan
from app.models import Territory
from app.territories.repository import DUPLICATE_PLAN
from app.territories.repository import PlanRepository
from app.territories.repository import TeamRepository
from app.territories.repository import TerritoryAccess
from app.territories.repository import TerritoryRepository
from app.territories.schemas import PlanCreate
from app.territories.schemas import PlanFilters
from app.territories.schemas import PlanUpdate
from app.territories.schemas import TeamReplace
from app.territories.schemas import TerritoryCreate
from app.territories.schemas import TerritoryFilters
from app.territories.schemas import TerritoryTransfer
from app.territories.schemas import TerritoryUpdate
from app.territories.transfer_repository import TransferRepository
from app.users.repository import UserRepository

OWNER_ROLES = ("rep", "manager", "admin")
TEAM_EDITORS = "Only the owner, team members, the owner's managers and admins do this."


async def _check_owner(session: AsyncSession, principal: Principal, owner_id: uuid.UUID) -> None:
    """The would-be owner must be someone the caller manages (admins: anyone), active, human."""
    owner = await UserRepository(session).get_managed(principal, owner_id)
    if owner is None:
        raise not_visible("owner_id")
    if owner.role not in OWNER_ROLES or not owner.active:
        raise field_error(
            "owner_id", "invalid_owner", "A territory is owned by an active rep, manager or admin."
        )


async def access(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> TerritoryAccess:
    return found(
        await TerritoryRepository(session).get_access(
            principal, territory_id, for_update=for_update
        ),
        "No such territory.",
    )


# --- territories -------------------------------------------------------------------------


async def create_territory(
    session: AsyncSession, principal: Principal, data: TerritoryCreate
) -> Territory:
    await _check_owner(session, principal, data.owner_id)
    return await TerritoryRepository(session).add(Territory(**data.model_dump()))


get_territory = Finder(TerritoryRepository, "No such territory.")


async def list_territories(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: TerritoryFilters,
    sort: str,
) -> tuple[list[Territory], str | None]:
    await UserRepository(session).check_filter(principal, filters.owner_id, "query.owner_id")
    return await TerritoryRepository(session).list_page(principal, page, filters, sort)


async def update_territory(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    patch: TerritoryUpdate,
    if_match: str | None,
) -> Territory:
    changes = patch.model_dump(exclude_unset=True)
    owner_fields = {"owner_id", "segment"} & set(changes)
    if principal.role == "rep" and owner_fields:
        raise Forbidden("Only the owner's managers and admins change `owner_id` or `segment`.")
    found = await access(session, principal, territory_id, for_update=True)
    if not found.may_change:
        raise Forbidden("Only the owner, the owner's managers and admins change a territory.")
    if not found.manages_owner and owner_fields:
        raise Forbidden("Only the owner's managers and admins change `owner_id` or `segment`.")
    territory = found.territory
    check_if_match(if_match, territory.version)
    if changes.get("owner_id", territory.owner_id) != territory.owner_id:
        await _check_owner(session, principal, changes["owner_id"])
    await TerritoryRepository(session).apply_patch(territory, changes)
    return territory


async def transfer_territory(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    body: TerritoryTransfer,
    if_match: str | None,
) -> tuple[Territory, int, int]:
    """The territory gets the new owner, and the open opportunities and open leads of its
    accounts that the old owner held move with it (API.md section 14), in this transaction.
    Returns the territory and how many opportunities and leads moved."""
    found = await access(session, principal, territory_id, for_update=True)
    if not found.manages_owner:
        raise Forbidden("Only the current owner's managers and admins transfer a territory.")
    territory = found.territory
    check_if_match(if_match, territory.version)
    old_owner = territory.owner_id
    if body.owner_id == old_owner:
        raise field_error("owner_id", "same_owner", "The territory already has this owner.")
    await _check_owner(session, principal, body.owner_id)
    changed = changed_fields({"owner_id": old_owner}, {"owner_id": body.owner_id})
    await TerritoryRepository(session).apply_patch(territory, {"owner_id": body.owner_id})
    moves = TransferRepository(session)
    opportunities = (
        await moves.move_opportunities(
            territory.id, old_owner, body.owner_id, principal.id, body.reason
        )
        if body.open_opportunities
        else []
    )
    leads = (
        await moves.move_leads(territory.id, old_owner, body.owner_id) if body.open_leads else []
    )
    await events.emit(
        session,
        EventType.TERRITORY_TRANSFERRED,
        EventResource.TERRITORY,
        territory.id,
        principal.id,
        territory.version,
    )
    for resource, moved in (
        (EventResource.OPPORTUNITY, opportunities),
        (EventResource.LEAD, leads),
    ):
        await events.emit_updated(
            session, resource, [(id, version, changed) for id, version in moved], principal.id
        )
    return territory, len(opportunities), len(leads)


async def delete_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID, if_match: str | None
) -> None:
    found = await access(session, principal, territory_id, for_update=True)
    if not found.manages_owner:
        raise Forbidden("Only the owner's managers and admins delete territories.")
    check_if_match(if_match, found.territory.version)
    territories = TerritoryRepository(session)
    if await territories.has_accounts(territory_id):
        raise Conflict("The territory still has accounts; move or remove them first.")
    if await territories.has_activities(territory_id):
        raise Conflict("The territory still has engagement activities.")
    await territories.delete(found.territory)


# --- team --------------------------------------------------------------------------------


async def get_team(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> tuple[Territory, list[dict[str, Any]]]:
    territory = await get_territory(session, principal, territory_id)
    return territory, await TeamRepository(session).members(territory_id)


def _member_errors(members: list[dict[str, Any]], users: dict[uuid.UUID, Any]) -> list[FieldError]:
    """Each member names a known active person (not an integration), each role once."""
    errors: list[FieldError] = []
    seen: set[tuple[Any, ...]] = set()
    for i, member in enumerate(members):
        user_id = member["user_id"]
        if user_id is not None:
            user = users.get(user_id)
            if user is None:
                errors.append(
                    FieldError(f"members.{i}.user_id", "not_found", "No such user visible to you.")
                )
            elif user.role == "integration" or not user.active:
                errors.append(
                    FieldError(
                        f"members.{i}.user_id",
                        "invalid_member",
                        "Team members are active people, not integrations.",
                    )
                )
        key = (user_id or member["name"], member["role"])
        if key in seen:
            errors.append(
                FieldError(f"members.{i}", "duplicate", "This member already has this role.")
            )
        seen.add(key)
    return errors


async def replace_team(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    data: TeamReplace,
    if_match: str | None,
) -> tuple[Territory, list[dict[str, Any]]]:
    found = await access(session, principal, territory_id, for_update=True)
    if not found.may_edit_team:
        raise Forbidden(TEAM_EDITORS)
    territory = found.territory
    check_if_match(if_match, territory.team_version)

    team = TeamRepository(session)
    members = [m.model_dump() for m in data.members]
    wanted = {m["user_id"] for m in members if m["user_id"] is not None}
    kept = await team.user_ids(territory_id)
    # Someone already on the team may stay even if the caller cannot see them; a new user
    # must be in the caller's directory (any active human user, API.md section 10).
    users = UserRepository(session)
    known = {
        **await users.by_ids(wanted & kept),
        **await users.listed(wanted - kept, principal),
    }
    errors = _member_errors(members, known)
    if errors:
        raise ValidationFailed("The team has invalid members; see `errors`.", errors=errors)
    await team.replace(territory_id, members)
    territory.team_version += 1
    await session.flush()
    return territory, await team.members(territory_id)


# --- plans -------------------------------------------------------------------------------


async def create_plan(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID, data: PlanCreate
) -> Plan:
    found = await access(session, principal, territory_id)
    if not found.may_edit_team:
        raise Forbidden(TEAM_EDITORS)
    plans = PlanRepository(session)
    existing = await plans.for_vertical(territory_id, data.vertical)
    if existing is not None:
        raise Duplicate(DUPLICATE_PLAN, existing)
    return await plans.add(Plan(territory_id=territory_id, **data.model_dump()))


async def list_plans(
    session: AsyncSession, principal: Principal, page: PageParams, filters: PlanFilters
) -> tuple[list[Plan], str | None]:
    await get_territory(session, principal, filters.territory_id)
    return await PlanRepository(session).list_page(principal, page, filters, "vertical")


async def get_plan(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    found = await PlanRepository(session).get_access(principal, plan_id)
    if found is None:
        raise NotFound("No such plan.")
    return found[0]


async def _plan_for_change(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, if_match: str | None
) -> Plan:
    """The plan locked for a change by someone who edits its territory's team, held to the
    request's `If-Match`."""
    found = await PlanRepository(session).get_access(principal, plan_id, for_update=True)
    if found is None:
        raise NotFound("No such plan.")
    plan, territory_access = found
    if not territory_access.may_edit_team:
        raise Forbidden(TEAM_EDITORS)
    check_if_match(if_match, plan.version)
    return plan


async def update_plan(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    patch: PlanUpdate,
    if_match: str | None,
) -> Plan:
    plan = await _plan_for_change(session, principal, plan_id, if_match)
    changes = patch.model_dump(exclude_unset=True)
    plans = PlanRepository(session)
    if changes.get("vertical", plan.vertical) != plan.vertical:
        existing = await plans.for_vertical(plan.territory_id, changes["vertical"], plan.id)
        if existing is not None:
            raise Duplicate(DUPLICATE_PLAN, existing)
    await plans.apply_patch(plan, changes)
    return plan


async def delete_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, if_match: str | None
) -> None:
    plan = await _plan_for_change(session, principal, plan_id, if_match)
    await PlanRepository(session).delete(plan)
