"""SQL for contacts: visible when their account is."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, contains_pattern, next_cursor, paginate
from app.core.security import Principal
from app.core.visibility import account_visible
from app.models import Contact


def contact_visible(principal: Principal) -> Any:
    return account_visible(principal, Contact.account_id)


async def get_visible(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID, *, for_update: bool = False
) -> Contact | None:
    stmt = select(Contact).where(Contact.id == contact_id, contact_visible(principal))
    if for_update:
        stmt = stmt.with_for_update(of=Contact)
    return await session.scalar(stmt)


async def add(session: AsyncSession, contact: Contact) -> Contact:
    session.add(contact)
    await session.flush()
    await session.refresh(contact)
    return contact


async def first_with_email(
    session: AsyncSession, account_id: uuid.UUID, email: str
) -> Contact | None:
    """The oldest contact of the account with this email (case-insensitive)."""
    return await session.scalar(
        select(Contact)
        .where(Contact.account_id == account_id, func.lower(Contact.email) == email.lower())
        .order_by(Contact.created_at, Contact.id)
        .limit(1)
    )


CONTACT_SORTS = {"created_at": Contact.created_at, "updated_at": Contact.updated_at}


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Contact], str | None]:
    descending = sort.startswith("-")
    column = CONTACT_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(Contact.id, descending)]
    stmt: Select[Any] = select(Contact).where(contact_visible(principal))
    for name in ("account_id", "lead_id", "persona"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Contact, name) == filters[name])
    if filters.get("email"):
        stmt = stmt.where(func.lower(Contact.email) == filters["email"].lower())
    if filters.get("q"):
        pattern = contains_pattern(filters["q"])
        full_name = func.concat_ws(" ", Contact.first_name, Contact.last_name)
        stmt = stmt.where(
            or_(Contact.email.ilike(pattern, escape="\\"), full_name.ilike(pattern, escape="\\"))
        )
    if filters.get("updated_after"):
        stmt = stmt.where(Contact.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "contacts", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "contacts", cursor_filters, lambda c: [getattr(c, column.key), c.id]
    )
    return rows, cursor
