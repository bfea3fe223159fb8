"""SQL for territories, their extended team and strategic plans, and the caller's standing in a
territory (who may change it).

Visibility comes from `app.core.visibility` and is part of every WHERE clause: a territory the
caller may not see is never loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select

from app.core.repository import Repository
from app.core.repository import columns
from app.core.visibility import VIEWER_ID
from app.core.visibility import BoundViewer
from app.core.visibility import Viewer
from app.core.visibility import is_manager_of
from app.core.visibility import territory_visible
from app.models import Account
from app.models import Activity
from app.models import Plan
from app.models import Territory
from app.models import TerritoryMember
from app.models import User


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


def _standing(viewer: Viewer) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Whether the caller manages the territory's owner, and whether they are on its team."""
    member = exists().where(
        TerritoryMember.territory_id == Territory.id, TerritoryMember.user_id == viewer.id
    )
    return is_manager_of(viewer, Territory.owner_id).label("manages"), member.label("member")


def _access(viewer: Viewer, territory: Territory, manages: Any, member: Any) -> TerritoryAccess:
    return TerritoryAccess(territory, territory.owner_id == viewer.id, bool(manages), bool(member))


@cache
def _visible_by_id(role: str) -> Select[Territory]:
    return select(Territory).where(
        Territory.id == bindparam("territory_id"),
        territory_visible(BoundViewer(role), Territory.id),
    )


class TerritoryRepository(Repository[Territory]):
    model = Territory
    endpoint = "territories"
    sort_columns = columns(Territory, "created_at", "name", "updated_at")
    filter_columns = columns(Territory, "owner_id", "segment")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return territory_visible(viewer, Territory.id)

    async def get_visible(
        self, viewer: Viewer, id: Any, *, for_update: bool = False
    ) -> Territory | None:
        if for_update:
            return await super().get_visible(viewer, id, for_update=True)
        # Built once per role: the statement is on the path of every territory read.
        territory: Territory | None = await self.session.scalar(
            _visible_by_id(viewer.role), {"territory_id": id, VIEWER_ID: viewer.id}
        )
        return territory

    async def get_access(
        self, viewer: Viewer, territory_id: uuid.UUID, *, for_update: bool = False
    ) -> TerritoryAccess | None:
        """The territory with the caller's standing, in one query; None when not visible."""
        stmt = select(Territory, *_standing(viewer)).where(
            Territory.id == territory_id, self.visible(viewer)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Territory).execution_options(populate_existing=True)
        row = (await self.session.execute(stmt)).first()
        return None if row is None else _access(viewer, *row)

    async def exists(self, territory_id: uuid.UUID) -> bool:
        return bool(await self.session.scalar(select(exists().where(Territory.id == territory_id))))

    async def owned_by(self, owner_id: uuid.UUID, limit: int = 2) -> list[uuid.UUID]:
        """Ids of territories `owner_id` owns (at most `limit`, in id order)."""
        rows = await self.session.scalars(
            select(Territory.id)
            .where(Territory.owner_id == owner_id)
            .order_by(Territory.id)
            .limit(limit)
        )
        return list(rows)

    async def has_accounts(self, territory_id: uuid.UUID) -> bool:
        return bool(
            await self.session.scalar(select(exists().where(Account.territory_id == territory_id)))
        )

    async def has_activities(self, territory_id: uuid.UUID) -> bool:
        return bool(
            await self.session.scalar(select(exists().where(Activity.territory_id == territory_id)))
        )


class TeamRepository(Repository[TerritoryMember]):
    """A territory's extended team, replaced as a whole."""

    model = TerritoryMember

    async def members(self, territory_id: uuid.UUID) -> list[dict[str, Any]]:
        """Members in their stored order; a user's current name wins over a typed one."""
        rows = await self.session.execute(
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

    async def user_ids(self, territory_id: uuid.UUID) -> set[uuid.UUID]:
        ids = await self.session.scalars(
            select(TerritoryMember.user_id).where(
                TerritoryMember.territory_id == territory_id, TerritoryMember.user_id.is_not(None)
            )
        )
        return {i for i in ids if i is not None}

    async def replace(self, territory_id: uuid.UUID, members: Sequence[Mapping[str, Any]]) -> None:
        await self.session.execute(
            delete(TerritoryMember).where(TerritoryMember.territory_id == territory_id)
        )
        self.session.add_all(
            TerritoryMember(
                territory_id=territory_id,
                user_id=m["user_id"],
                name=m["name"],
                role=m["role"],
                position=i,
            )
            for i, m in enumerate(members)
        )
        await self.session.flush()


DUPLICATE_PLAN = "This territory already has a plan for that vertical; change it."


class PlanRepository(Repository[Plan]):
    """Strategic plans: one per vertical and territory, visible with their territory."""

    model = Plan
    endpoint = "plans"
    sort_columns = columns(Plan, "vertical")
    filter_columns = columns(Plan, "territory_id", "vertical")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return territory_visible(viewer, Plan.territory_id)

    async def for_vertical(
        self, territory_id: uuid.UUID, vertical: str, except_id: uuid.UUID | None = None
    ) -> uuid.UUID | None:
        stmt = select(Plan.id).where(Plan.territory_id == territory_id, Plan.vertical == vertical)
        if except_id is not None:
            stmt = stmt.where(Plan.id != except_id)
        return await self.session.scalar(stmt)

    def _unique_vertical(self, plan: Plan, *, adding: bool) -> AbstractAsyncContextManager[None]:
        async def existing() -> uuid.UUID | None:
            return await self.for_vertical(
                plan.territory_id, plan.vertical, None if adding else plan.id
            )

        return self.unique(DUPLICATE_PLAN, existing)

    async def add(self, entity: Plan) -> Plan:
        """Insert; a concurrent twin for the same vertical becomes 409 `duplicate`."""
        async with self._unique_vertical(entity, adding=True):
            self.session.add(entity)
        await self.session.refresh(entity)
        return entity

    async def apply_patch(self, entity: Plan, changes: Mapping[str, Any]) -> dict[str, Any]:
        async with self._unique_vertical(entity, adding=False):
            return await super().apply_patch(entity, changes)

    async def get_access(
        self, viewer: Viewer, plan_id: uuid.UUID, *, for_update: bool = False
    ) -> tuple[Plan, TerritoryAccess] | None:
        """A plan of a visible territory, with the caller's standing in that territory."""
        stmt = (
            select(Plan, Territory, *_standing(viewer))
            .join(Territory, Territory.id == Plan.territory_id)
            .where(Plan.id == plan_id, territory_visible(viewer, Territory.id))
        )
        if for_update:
            stmt = stmt.with_for_update(of=Plan).execution_options(populate_existing=True)
        row = (await self.session.execute(stmt)).first()
        if row is None:
            return None
        plan, territory, manages, member = row
        return plan, _access(viewer, territory, manages, member)
