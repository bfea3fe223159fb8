"""SQL for territories, their team and strategic plans, and who may change them.

Visibility comes from `app.core.visibility` and is part of every WHERE clause: a territory the
caller may not see is never loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Duplicate
from app.core.pagination import PageParams, SortKey, next_cursor, paginate
from app.core.repository import Repository
from app.core.security import Principal
from app.core.visibility import (
    VIEWER_ID,
    BoundViewer,
    Viewer,
    is_manager_of,
    territory_visible,
    user_visible,
)
from app.models import Account, Activity, Plan, Territory, TerritoryMember, User


@dataclass(frozen=True)
class TerritoryAccess:
    """A visible territory and the caller's standing in it (API.md section 2 table)."""

    territory: Territory
    is_owner: bool
    manages_owner: bool  # admin, or the owner is in the caller's subtree (caller included)
    is_member: bool

    @property
    def may_change(self) -> bool:
        """Territory fields: the owner, the owner's managers, admins."""
        return self.is_owner or self.manages_owner

    @property
    def may_edit_team(self) -> bool:
        """Team and plans: the owner, team members, the owner's managers, admins."""
        return self.is_owner or self.manages_owner or self.is_member


def _member_exists(principal: Principal) -> ColumnElement[bool]:
    return exists().where(
        TerritoryMember.territory_id == Territory.id, TerritoryMember.user_id == principal.id
    )


async def get_access(
    session: AsyncSession,
    principal: Principal,
    territory_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> TerritoryAccess | None:
    """The territory with the caller's standing, in one query; None when not visible."""
    stmt = select(
        Territory,
        is_manager_of(principal, Territory.owner_id).label("manages"),
        _member_exists(principal).label("member"),
    ).where(Territory.id == territory_id, territory_visible(principal, Territory.id))
    if for_update:
        stmt = stmt.with_for_update(of=Territory)
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    territory, manages, member = row
    return TerritoryAccess(
        territory, territory.owner_id == principal.id, bool(manages), bool(member)
    )


@cache
def _visible_by_id(role: str) -> Select[Territory]:
    return select(Territory).where(
        Territory.id == bindparam("territory_id"),
        territory_visible(BoundViewer(role), Territory.id),
    )


async def get_visible(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> Territory | None:
    territory: Territory | None = await session.scalar(
        _visible_by_id(principal.role), {"territory_id": territory_id, VIEWER_ID: principal.id}
    )
    return territory


async def exists_by_id(session: AsyncSession, territory_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Territory.id == territory_id))))


async def owner_candidate(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> User | None:
    """The would-be owner if the caller may name them: admins anyone, managers their subtree."""
    return await session.scalar(
        select(User).where(User.id == user_id, is_manager_of(principal, User.id))
    )


TERRITORY_SORTS: dict[str, Any] = {
    "created_at": Territory.created_at,
    "name": Territory.name,
    "updated_at": Territory.updated_at,
}


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: Mapping[str, Any],
    sort: str,
) -> tuple[list[Territory], str | None]:
    descending = sort.startswith("-")
    column = TERRITORY_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Territory.id, descending)]
    stmt = select(Territory).where(territory_visible(principal, Territory.id))
    if filters.get("owner_id"):
        stmt = stmt.where(Territory.owner_id == filters["owner_id"])
    if filters.get("segment"):
        stmt = stmt.where(Territory.segment == filters["segment"])
    if filters.get("updated_after"):
        stmt = stmt.where(Territory.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "territories", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "territories", cursor_filters, lambda t: [getattr(t, column.key), t.id]
    )
    return rows, cursor


async def add(session: AsyncSession, obj: Any) -> Any:
    session.add(obj)
    await session.flush()
    await session.refresh(obj)
    return obj


async def has_accounts(session: AsyncSession, territory_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Account.territory_id == territory_id))))


async def has_activities(session: AsyncSession, territory_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Activity.territory_id == territory_id))))


async def delete_territory(session: AsyncSession, territory: Territory) -> None:
    await session.delete(territory)
    await session.flush()


# --- team --------------------------------------------------------------------------------


async def team_members(session: AsyncSession, territory_id: uuid.UUID) -> list[dict[str, Any]]:
    """Members in their stored order; a user's current name wins over a typed one."""
    rows = await session.execute(
        select(
            TerritoryMember.user_id,
            func.coalesce(User.name, TerritoryMember.name).label("name"),
            TerritoryMember.role,
        )
        .outerjoin(User, User.id == TerritoryMember.user_id)
        .where(TerritoryMember.territory_id == territory_id)
        .order_by(TerritoryMember.position, TerritoryMember.id)
    )
    return [dict(r._mapping) for r in rows]


async def current_member_ids(session: AsyncSession, territory_id: uuid.UUID) -> set[uuid.UUID]:
    ids = await session.scalars(
        select(TerritoryMember.user_id).where(
            TerritoryMember.territory_id == territory_id, TerritoryMember.user_id.is_not(None)
        )
    )
    return {i for i in ids if i is not None}


async def nameable_users(
    session: AsyncSession, principal: Principal, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    """Of `user_ids`, the users the caller can see."""
    if not user_ids:
        return {}
    users = await session.scalars(
        select(User).where(User.id.in_(user_ids), user_visible(principal))
    )
    return {u.id: u for u in users}


async def users_by_id(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(user_ids)))}


async def replace_team(
    session: AsyncSession, territory_id: uuid.UUID, members: Sequence[Mapping[str, Any]]
) -> None:
    await session.execute(
        delete(TerritoryMember).where(TerritoryMember.territory_id == territory_id)
    )
    session.add_all(
        TerritoryMember(
            territory_id=territory_id,
            user_id=m["user_id"],
            name=m["name"],
            role=m["role"],
            position=i,
        )
        for i, m in enumerate(members)
    )
    await session.flush()


# --- plans -------------------------------------------------------------------------------


async def plan_for_vertical(
    session: AsyncSession,
    territory_id: uuid.UUID,
    vertical: str,
    except_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    stmt = select(Plan.id).where(Plan.territory_id == territory_id, Plan.vertical == vertical)
    if except_id is not None:
        stmt = stmt.where(Plan.id != except_id)
    return await session.scalar(stmt)


async def add_plan(session: AsyncSession, plan: Plan) -> Plan:
    """Insert; a concurrent twin for the same vertical becomes 409 `duplicate`."""
    try:
        async with session.begin_nested():
            session.add(plan)
            await session.flush()
    except IntegrityError as exc:
        existing = await plan_for_vertical(session, plan.territory_id, plan.vertical)
        raise Duplicate("This territory already has a plan for that vertical.", existing) from exc
    await session.refresh(plan)
    return plan


async def flush_plan(session: AsyncSession, plan: Plan) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        existing = await plan_for_vertical(session, plan.territory_id, plan.vertical, plan.id)
        raise Duplicate("This territory already has a plan for that vertical.", existing) from exc


async def get_plan_access(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Plan, TerritoryAccess] | None:
    """A plan of a visible territory, with the caller's standing in that territory."""
    stmt = (
        select(
            Plan,
            Territory,
            is_manager_of(principal, Territory.owner_id).label("manages"),
            _member_exists(principal).label("member"),
        )
        .join(Territory, Territory.id == Plan.territory_id)
        .where(Plan.id == plan_id, territory_visible(principal, Territory.id))
    )
    if for_update:
        stmt = stmt.with_for_update(of=Plan)
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    plan, territory, manages, member = row
    access = TerritoryAccess(
        territory, territory.owner_id == principal.id, bool(manages), bool(member)
    )
    return plan, access


async def list_plans(
    session: AsyncSession,
    territory_id: uuid.UUID,
    page: PageParams,
    filters: Mapping[str, Any],
) -> tuple[list[Plan], str | None]:
    keys = [SortKey(Plan.vertical), SortKey(Plan.id)]
    stmt = select(Plan).where(Plan.territory_id == territory_id)
    if filters.get("vertical"):
        stmt = stmt.where(Plan.vertical == filters["vertical"])
    if filters.get("updated_after"):
        stmt = stmt.where(Plan.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "territory_id": territory_id}
    stmt = paginate(stmt, keys, page, "plans", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    return rows, next_cursor(rows, page, "plans", cursor_filters, lambda p: [p.vertical, p.id])


async def delete_plan(session: AsyncSession, plan: Plan) -> None:
    await session.delete(plan)
    await session.flush()


class TerritoryRepository(Repository[Territory]):
    model = Territory
    endpoint = "territories"

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return territory_visible(viewer, Territory.id)
