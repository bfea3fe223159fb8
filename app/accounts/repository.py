"""SQL for accounts (visible when their territory is), their unit trees and the adoption
history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import aliased

from app.accounts.schemas import AccountFilters
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.enums import Expansion
from app.core.events import emit_many
from app.core.repository import Repository
from app.core.repository import columns
from app.core.sql import in_array
from app.core.sql import in_texts
from app.core.text_search import matches
from app.core.visibility import Viewer
from app.core.visibility import account_visible
from app.core.visibility import territory_visible
from app.models import Account
from app.models import AdoptionChange
from app.models import Territory
from app.models import Unit

DUPLICATE_DOMAIN = "An account with this domain exists."


@dataclass(frozen=True)
class Route:
    """Where a lead naming an account (or its domain) goes: the account and its territory
    owner."""

    account_id: uuid.UUID
    owner_id: uuid.UUID


class AccountRepository(Repository[Account]):
    model = Account
    endpoint = "accounts"
    sort_columns = columns(Account, "created_at", "name", "updated_at")
    filter_columns = columns(Account, "territory_id", "vertical", "account_type")

    references = {Expansion.TERRITORY: Account.territory_id}

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return territory_visible(viewer, Account.territory_id)

    def conditions(self, filters: AccountFilters) -> Iterable[ColumnElement[bool]]:
        if filters.domain:
            yield Account.domain == filters.domain
        if filters.q:
            yield matches(Account.search_vector, filters.q)

    async def with_domain(
        self, domain: str, except_id: uuid.UUID | None = None
    ) -> uuid.UUID | None:
        stmt = select(Account.id).where(Account.domain == domain)
        if except_id is not None:
            stmt = stmt.where(Account.id != except_id)
        return await self.session.scalar(stmt)

    def _unique_domain(
        self, account: Account, *, adding: bool
    ) -> AbstractAsyncContextManager[None]:
        async def existing() -> uuid.UUID | None:
            if not account.domain:
                return None
            return await self.with_domain(account.domain, None if adding else account.id)

        return self.unique(DUPLICATE_DOMAIN, existing)

    async def add(self, entity: Account) -> Account:
        async with self._unique_domain(entity, adding=True):
            self.session.add(entity)
        await self.session.refresh(entity)
        return entity

    async def apply_patch(self, entity: Account, changes: Mapping[str, Any]) -> dict[str, Any]:
        async with self._unique_domain(entity, adding=False):
            return await super().apply_patch(entity, changes)

    async def in_territory(
        self, territory_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of `account_ids` are accounts of `territory_id`."""
        if not account_ids:
            return set()
        found = await self.session.scalars(
            select(Account.id).where(
                Account.territory_id == territory_id, in_array(Account.id, list(account_ids))
            )
        )
        return set(found)

    async def by_domain(self, domain: str) -> Account | None:
        account: Account | None = await self.session.scalar(
            select(Account).where(Account.domain == domain)
        )
        return account

    async def routes(
        self, domains: Iterable[str], account_ids: Iterable[uuid.UUID]
    ) -> tuple[dict[str, Route], dict[uuid.UUID, Route]]:
        """Accounts (with their territory owner) by domain and by id, in one query."""
        domain_list = list({d for d in domains if d})
        id_list = list(set(account_ids))
        if not domain_list and not id_list:
            return {}, {}
        rows = await self.session.execute(
            select(Account.id, Account.domain, Territory.owner_id)
            .join(Territory, Territory.id == Account.territory_id)
            .where(or_(in_texts(Account.domain, domain_list), in_array(Account.id, id_list)))
        )
        by_domain: dict[str, Route] = {}
        by_id: dict[uuid.UUID, Route] = {}
        for account_id, domain, owner_id in rows:
            route = Route(account_id, owner_id)
            by_id[account_id] = route
            if domain:
                by_domain[domain] = route
        return by_domain, by_id


class UnitRepository(Repository[Unit]):
    model = Unit
    endpoint = "units"
    sort_columns = columns(Unit, "created_at", "name")
    filter_columns = columns(Unit, "account_id", "adoption", "parent_id")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return account_visible(viewer, Unit.account_id)

    async def lock_with_account(self, viewer: Viewer, unit_id: uuid.UUID) -> Unit | None:
        """The unit, locked together with its account so that tree changes of one account are
        serialised (two concurrent moves cannot close a cycle)."""
        row = (
            await self.session.execute(
                select(Unit, Account.id)
                .join(Account, Account.id == Unit.account_id)
                .where(Unit.id == unit_id, territory_visible(viewer, Account.territory_id))
                .with_for_update(of=(Unit, Account))
            )
        ).first()
        return None if row is None else row[0]

    async def account_of(self, unit_id: uuid.UUID) -> uuid.UUID | None:
        """The account of any unit, visible or not (the caller already sees the account it
        compares against, so only "same account or not" is revealed)."""
        return await self.session.scalar(select(Unit.account_id).where(Unit.id == unit_id))

    async def is_ancestor_or_self(self, unit_id: uuid.UUID, of_unit_id: uuid.UUID) -> bool:
        """Whether `unit_id` is `of_unit_id` or one of its ancestors (recursive CTE up the tree)."""
        chain = (
            select(Unit.id, Unit.parent_id)
            .where(Unit.id == of_unit_id)
            .cte("ancestors", recursive=True)
        )
        parent = aliased(Unit)
        chain = chain.union(
            select(parent.id, parent.parent_id).where(parent.id == chain.c.parent_id)
        )
        found = await self.session.scalar(
            select(func.count()).select_from(chain).where(chain.c.id == unit_id)
        )
        return bool(found)


class AdoptionChangeRepository(Repository[AdoptionChange]):
    """The adoption history: appended to, never changed."""

    model = AdoptionChange
    endpoint = "adoption-history"
    sort_columns = columns(AdoptionChange, "at")
    filter_columns = columns(AdoptionChange, "unit_id")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        units = select(Unit.id).where(account_visible(viewer, Unit.account_id))
        return AdoptionChange.unit_id.in_(units)

    async def record(
        self,
        unit_ids: Sequence[uuid.UUID],
        old: str | None,
        new: str,
        actor_id: uuid.UUID | None,
    ) -> None:
        """Append one history row per unit; the clock (not the transaction start) orders them."""
        if not unit_ids:
            return
        await self.session.execute(
            insert(AdoptionChange).values(
                [
                    {
                        "unit_id": unit_id,
                        "old": old,
                        "new": new,
                        "actor_id": actor_id,
                        "at": func.clock_timestamp(),
                    }
                    for unit_id in unit_ids
                ]
            )
        )
        if old is not None:
            await emit_many(
                self.session,
                EventType.UNIT_ADOPTION_CHANGED,
                EventResource.UNIT,
                [(u, None) for u in unit_ids],
                actor_id,
                {"from": old, "to": new, "opportunity_id": None},
            )

    async def change(
        self,
        unit_ids: Sequence[uuid.UUID],
        new: str,
        *,
        from_adoptions: Sequence[str],
        actor_id: uuid.UUID | None,
        opportunity_id: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """Set `new` on those of `unit_ids` whose adoption is in `from_adoptions`, recording
        each change with its actor and opportunity, in two statements. Returns the changed
        units."""
        if not unit_ids:
            return []
        old_units = (
            select(Unit.id, Unit.adoption)
            .where(Unit.id.in_(unit_ids), Unit.adoption.in_(from_adoptions))
            .with_for_update()
            .cte("old_units")
        )
        changed = (
            update(Unit)
            .where(Unit.id == old_units.c.id)
            .values(adoption=new, version=Unit.version + 1, updated_at=func.now())
            .returning(Unit.id, old_units.c.adoption)
            .cte("changed")
        )
        rows = (
            await self.session.execute(
                insert(AdoptionChange)
                .from_select(
                    ["unit_id", "old", "new", "actor_id", "opportunity_id", "at"],
                    select(
                        changed.c.id,
                        changed.c.adoption,
                        literal(new),
                        literal(actor_id, AdoptionChange.actor_id.type),
                        literal(opportunity_id, AdoptionChange.opportunity_id.type),
                        func.clock_timestamp(),
                    ),
                )
                .returning(AdoptionChange.unit_id, AdoptionChange.old)
            )
        ).all()
        await emit_many(
            self.session,
            EventType.UNIT_ADOPTION_CHANGED,
            EventResource.UNIT,
            [(unit_id, None) for unit_id, _ in rows],
            actor_id,
            [
                {
                    "from": old,
                    "to": new,
                    "opportunity_id": str(opportunity_id) if opportunity_id else None,
                }
                for _, old in rows
            ],
        )
        return [unit_id for unit_id, _ in rows]
