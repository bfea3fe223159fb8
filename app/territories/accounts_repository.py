"""SQL for accounts, their unit trees and the adoption history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.errors import Duplicate
from app.core.events import emit_many
from app.core.pagination import PageParams, SortKey, fetch_page, next_cursor, paginate
from app.core.security import Principal
from app.core.visibility import account_visible
from app.models import Account, AdoptionChange, Unit

DUPLICATE_DOMAIN = "An account with this domain exists."


# --- accounts ----------------------------------------------------------------------------


async def account_with_domain(
    session: AsyncSession, domain: str, except_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    stmt = select(Account.id).where(Account.domain == domain)
    if except_id is not None:
        stmt = stmt.where(Account.id != except_id)
    return await session.scalar(stmt)


async def _flush_account(session: AsyncSession, account: Account, adding: bool) -> None:
    """Flush in a savepoint so that a concurrent twin's domain becomes 409, not a 500."""
    try:
        async with session.begin_nested():
            if adding:
                session.add(account)
            await session.flush()
    except IntegrityError as exc:
        existing = (
            await account_with_domain(session, account.domain, account.id if not adding else None)
            if account.domain
            else None
        )
        raise Duplicate(DUPLICATE_DOMAIN, existing) from exc


async def add_account(session: AsyncSession, account: Account) -> Account:
    await _flush_account(session, account, adding=True)
    await session.refresh(account)
    return account


async def flush_account(session: AsyncSession, account: Account) -> None:
    await _flush_account(session, account, adding=False)


async def get_account(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Account | None:
    stmt = select(Account).where(Account.id == account_id, account_visible(principal, Account.id))
    if for_update:
        stmt = stmt.with_for_update(of=Account)
    return await session.scalar(stmt)


ACCOUNT_SORTS: dict[str, Any] = {
    "created_at": Account.created_at,
    "name": Account.name,
    "updated_at": Account.updated_at,
}


async def list_accounts(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: Mapping[str, Any],
    sort: str,
) -> tuple[list[Account], str | None]:
    descending = sort.startswith("-")
    column = ACCOUNT_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Account.id, descending)]
    stmt = select(Account).where(account_visible(principal, Account.id))
    for name in ("territory_id", "vertical", "account_type"):
        if filters.get(name):
            stmt = stmt.where(getattr(Account, name) == filters[name])
    if filters.get("domain"):
        stmt = stmt.where(Account.domain == filters["domain"])
    if filters.get("updated_after"):
        stmt = stmt.where(Account.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "accounts", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "accounts", cursor_filters, lambda a: [getattr(a, column.key), a.id]
    )
    return rows, cursor


async def accounts_in_territory(
    session: AsyncSession, territory_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `account_ids` are accounts of `territory_id`."""
    if not account_ids:
        return set()
    found = await session.scalars(
        select(Account.id).where(Account.territory_id == territory_id, Account.id.in_(account_ids))
    )
    return set(found)


# --- units -------------------------------------------------------------------------------


async def get_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> Unit | None:
    return await session.scalar(
        select(Unit).where(Unit.id == unit_id, account_visible(principal, Unit.account_id))
    )


async def lock_account_of_unit(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID
) -> Unit | None:
    """The unit, locked together with its account so that tree changes of one account are
    serialised (two concurrent moves cannot close a cycle)."""
    row = (
        await session.execute(
            select(Unit, Account.id)
            .join(Account, Account.id == Unit.account_id)
            .where(Unit.id == unit_id, account_visible(principal, Account.id))
            .with_for_update(of=(Unit, Account))
        )
    ).first()
    return None if row is None else row[0]


async def unit_account(session: AsyncSession, unit_id: uuid.UUID) -> uuid.UUID | None:
    """The account of any unit, visible or not (the caller already sees the account it
    compares against, so only "same account or not" is revealed)."""
    return await session.scalar(select(Unit.account_id).where(Unit.id == unit_id))


async def is_ancestor_or_self(
    session: AsyncSession, unit_id: uuid.UUID, of_unit_id: uuid.UUID
) -> bool:
    """Whether `unit_id` is `of_unit_id` or one of its ancestors (recursive CTE up the tree)."""
    chain = (
        select(Unit.id, Unit.parent_id)
        .where(Unit.id == of_unit_id)
        .cte("ancestors", recursive=True)
    )
    parent = aliased(Unit)
    chain = chain.union(select(parent.id, parent.parent_id).where(parent.id == chain.c.parent_id))
    found = await session.scalar(
        select(func.count()).select_from(chain).where(chain.c.id == unit_id)
    )
    return bool(found)


async def add_unit(session: AsyncSession, unit: Unit) -> Unit:
    session.add(unit)
    await session.flush()
    await session.refresh(unit)
    return unit


UNIT_SORTS: dict[str, Any] = {"created_at": Unit.created_at, "name": Unit.name}


async def list_units(
    session: AsyncSession,
    account_id: uuid.UUID,
    page: PageParams,
    filters: Mapping[str, Any],
    sort: str,
) -> tuple[list[Unit], str | None]:
    descending = sort.startswith("-")
    column = UNIT_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Unit.id, descending)]
    stmt = select(Unit).where(Unit.account_id == account_id)
    if filters.get("adoption"):
        stmt = stmt.where(Unit.adoption == filters["adoption"])
    if filters.get("parent_id"):
        stmt = stmt.where(Unit.parent_id == filters["parent_id"])
    if filters.get("updated_after"):
        stmt = stmt.where(Unit.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "account_id": account_id, "sort": sort}
    stmt = paginate(stmt, keys, page, "units", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "units", cursor_filters, lambda u: [getattr(u, column.key), u.id]
    )
    return rows, cursor


# --- adoption history --------------------------------------------------------------------


async def record_adoption(
    session: AsyncSession,
    unit_ids: Sequence[uuid.UUID],
    old: str | None,
    new: str,
    actor_id: uuid.UUID | None,
    opportunity_id: uuid.UUID | None = None,
) -> None:
    """Append one history row per unit; the clock (not the transaction start) orders them."""
    if not unit_ids:
        return
    await session.execute(
        insert(AdoptionChange).values(
            [
                {
                    "unit_id": unit_id,
                    "old": old,
                    "new": new,
                    "actor_id": actor_id,
                    "opportunity_id": opportunity_id,
                    "at": func.clock_timestamp(),
                }
                for unit_id in unit_ids
            ]
        )
    )
    if old is not None:
        await emit_many(
            session, "unit.adoption_changed", "unit", [(u, None) for u in unit_ids], actor_id
        )


async def change_adoption(
    session: AsyncSession,
    unit_ids: Sequence[uuid.UUID],
    new: str,
    *,
    from_adoptions: Sequence[str],
    actor_id: uuid.UUID | None,
    opportunity_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Set `new` on those of `unit_ids` whose adoption is in `from_adoptions`, recording each
    change with its actor and opportunity, in two statements. Returns the changed units.

    For the opportunity flow: linked red units turn yellow at technical evaluation, linked red
    or yellow units turn green when it is won.
    """
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
        .values(
            adoption=new,
            version=Unit.version + 1,
            updated_at=func.now(),
        )
        .returning(Unit.id, old_units.c.adoption)
        .cte("changed")
    )
    rows = (
        await session.execute(
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
            .returning(AdoptionChange.unit_id)
        )
    ).scalars()
    changed_ids = list(rows)
    await emit_many(
        session, "unit.adoption_changed", "unit", [(u, None) for u in changed_ids], actor_id
    )
    return changed_ids


async def adoption_history(
    session: AsyncSession, unit_id: uuid.UUID, page: PageParams
) -> tuple[list[AdoptionChange], str | None]:
    keys = [SortKey(AdoptionChange.at), SortKey(AdoptionChange.id)]
    filters = {"unit_id": unit_id}
    stmt = select(AdoptionChange).where(AdoptionChange.unit_id == unit_id)
    return await fetch_page(session, stmt, keys, page, "adoption-history", filters)
