"""Territories, their extended team and strategic plans: who may do what (API.md section 2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import (
    Conflict,
    Duplicate,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
    field_error,
    not_visible,
)
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.models import Plan, Territory
from app.territories import repository
from app.territories.repository import TerritoryAccess
from app.territories.schemas import (
    PlanCreate,
    PlanUpdate,
    TeamReplace,
    TerritoryCreate,
    TerritoryUpdate,
    dump,
)

OWNER_ROLES = ("rep", "manager", "admin")


def _touch(obj: Territory | Plan) -> None:
    obj.version += 1
    obj.updated_at = datetime.now(UTC)


async def _check_owner(session: AsyncSession, principal: Principal, owner_id: uuid.UUID) -> None:
    owner = await repository.owner_candidate(session, principal, owner_id)
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
    found = await repository.get_access(session, principal, territory_id, for_update=for_update)
    if found is None:
        raise NotFound("No such territory.")
    return found


# --- territories -------------------------------------------------------------------------


async def create_territory(
    session: AsyncSession, principal: Principal, data: TerritoryCreate
) -> Territory:
    if principal.role not in ("admin", "manager"):
        raise Forbidden("Only admins and managers create territories.")
    await _check_owner(session, principal, data.owner_id)
    territory: Territory = await repository.add(session, Territory(**data.model_dump()))
    return territory


async def get_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> Territory:
    territory = await repository.get_visible(session, principal, territory_id)
    if territory is None:
        raise NotFound("No such territory.")
    return territory


async def list_territories(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Territory], str | None]:
    return await repository.list_page(session, principal, page, filters, sort)


async def update_territory(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    patch: TerritoryUpdate,
    if_match: str | None,
) -> Territory:
    changes = dump(patch)
    if principal.role == "integration":
        raise Forbidden("Integrations do not change territories.")
    if principal.role == "rep" and {"owner_id", "segment"} & set(changes):
        raise Forbidden("Only the owner's managers and admins change `owner_id` or `segment`.")
    found = await access(session, principal, territory_id, for_update=True)
    if not found.may_change:
        raise Forbidden("Only the owner, the owner's managers and admins change a territory.")
    if not found.manages_owner and {"owner_id", "segment"} & set(changes):
        raise Forbidden("Only the owner's managers and admins change `owner_id` or `segment`.")
    territory = found.territory
    check_if_match(if_match, territory.version)
    if "owner_id" in changes and changes["owner_id"] != territory.owner_id:
        await _check_owner(session, principal, changes["owner_id"])
    changed = {k: v for k, v in changes.items() if getattr(territory, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(territory, name, value)
        _touch(territory)
        await session.flush()
    return territory


async def delete_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID, if_match: str | None
) -> None:
    if principal.role not in ("admin", "manager"):
        raise Forbidden("Only the owner's managers and admins delete territories.")
    found = await access(session, principal, territory_id, for_update=True)
    if not found.manages_owner:
        raise Forbidden("Only the owner's managers and admins delete territories.")
    check_if_match(if_match, found.territory.version)
    if await repository.has_accounts(session, territory_id):
        raise Conflict("The territory still has accounts; move or remove them first.")
    if await repository.has_activities(session, territory_id):
        raise Conflict("The territory still has engagement activities.")
    await repository.delete_territory(session, found.territory)


# --- team --------------------------------------------------------------------------------


async def get_team(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> tuple[Territory, list[dict[str, Any]]]:
    territory = await get_territory(session, principal, territory_id)
    return territory, await repository.team_members(session, territory_id)


async def replace_team(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    data: TeamReplace,
    if_match: str | None,
) -> tuple[Territory, list[dict[str, Any]]]:
    if principal.role == "integration":
        raise Forbidden("Integrations do not change territory teams.")
    found = await access(session, principal, territory_id, for_update=True)
    if not found.may_edit_team:
        raise Forbidden("Only the owner, team members, the owner's managers and admins do this.")
    territory = found.territory
    check_if_match(if_match, territory.team_version)

    members = [m.model_dump() for m in data.members]
    wanted = list(dict.fromkeys(m["user_id"] for m in members if m["user_id"] is not None))
    kept = await repository.current_member_ids(session, territory_id)
    # Someone already on the team may stay even if the caller cannot see them; a new user
    # must be visible to the caller (an id you cannot see does not exist for you).
    nameable = await repository.nameable_users(
        session, principal, [u for u in wanted if u not in kept]
    )
    known = await repository.users_by_id(session, [u for u in wanted if u in kept])
    errors: list[FieldError] = []
    seen: set[tuple[Any, ...]] = set()
    for i, member in enumerate(members):
        user_id = member["user_id"]
        if user_id is not None:
            user = nameable.get(user_id) or known.get(user_id)
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
    if errors:
        raise ValidationFailed("The team has invalid members; see `errors`.", errors=errors)
    await repository.replace_team(session, territory_id, members)
    territory.team_version += 1
    await session.flush()
    return territory, await repository.team_members(session, territory_id)


# --- plans -------------------------------------------------------------------------------


async def create_plan(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID, data: PlanCreate
) -> Plan:
    if principal.role == "integration":
        raise Forbidden("Integrations do not write strategic plans.")
    found = await access(session, principal, territory_id)
    if not found.may_edit_team:
        raise Forbidden("Only the owner, team members, the owner's managers and admins do this.")
    existing = await repository.plan_for_vertical(session, territory_id, data.vertical)
    if existing is not None:
        raise _duplicate_plan(existing)
    values = data.model_dump()
    return await repository.add_plan(session, Plan(territory_id=territory_id, **values))


def _duplicate_plan(existing: uuid.UUID) -> Duplicate:
    return Duplicate("This territory already has a plan for that vertical; change it.", existing)


async def list_plans(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    page: PageParams,
    filters: dict[str, Any],
) -> tuple[list[Plan], str | None]:
    await get_territory(session, principal, territory_id)
    return await repository.list_plans(session, territory_id, page, filters)


async def get_plan(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    found = await repository.get_plan_access(session, principal, plan_id)
    if found is None:
        raise NotFound("No such plan.")
    return found[0]


async def _plan_for_change(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    if principal.role == "integration":
        raise Forbidden("Integrations do not write strategic plans.")
    found = await repository.get_plan_access(session, principal, plan_id, for_update=True)
    if found is None:
        raise NotFound("No such plan.")
    plan, territory_access = found
    if not territory_access.may_edit_team:
        raise Forbidden("Only the owner, team members, the owner's managers and admins do this.")
    return plan


async def update_plan(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    patch: PlanUpdate,
    if_match: str | None,
) -> Plan:
    plan = await _plan_for_change(session, principal, plan_id)
    check_if_match(if_match, plan.version)
    changes = dump(patch)
    if "vertical" in changes and changes["vertical"] != plan.vertical:
        existing = await repository.plan_for_vertical(
            session, plan.territory_id, changes["vertical"], plan.id
        )
        if existing is not None:
            raise _duplicate_plan(existing)
    changed = {k: v for k, v in changes.items() if getattr(plan, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(plan, name, value)
        _touch(plan)
        await repository.flush_plan(session, plan)
    return plan


async def delete_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, if_match: str | None
) -> None:
    plan = await _plan_for_change(session, principal, plan_id)
    check_if_match(if_match, plan.version)
    await repository.delete_plan(session, plan)
