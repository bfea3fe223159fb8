"""SQL for users and tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, fetch_page, next_cursor, paginate
from app.core.repository import Repository
from app.core.security import Principal
from app.core.visibility import Viewer, subtree_ids, user_visible
from app.models import ApiToken, User

# Built once: every API request runs it, and building a select costs more than running it.
_PRINCIPAL = (
    select(User.id, User.email, User.name, User.role, User.manager_id, User.source, ApiToken.id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > func.now()),
        User.active.is_(True),
    )
)


async def load_principal(session: AsyncSession, token_hash: bytes) -> Principal | None:
    """The active user behind a live token, in one query (on the session's connection: the
    ORM session's execution layer would cost more than the query here)."""
    connection = await session.connection()
    row = (await connection.execute(_PRINCIPAL, {"token_hash": token_hash})).first()
    if row is None:
        return None
    return Principal(*row)


async def get_visible(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id, user_visible(principal)))


async def get_for_update(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id).with_for_update())


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def email_taken(
    session: AsyncSession, email: str, except_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    stmt = select(User.id).where(func.lower(User.email) == email.lower())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return await session.scalar(stmt)


async def source_taken(session: AsyncSession, source: str) -> uuid.UUID | None:
    return await session.scalar(select(User.id).where(User.source == source))


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return user


async def in_subtree(session: AsyncSession, root_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether `user_id` is `root_id` or below it (used to refuse manager cycles)."""
    found = await session.scalar(
        select(func.count()).where(subtree_ids(root_id).subquery().c.id == user_id)
    )
    return bool(found)


USER_SORTS = {"created_at": User.created_at, "email": User.email, "name": User.name}


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[User], str | None]:
    descending = sort.startswith("-")
    column = USER_SORTS[sort.lstrip("-")]
    keys = [SortKey(column, descending), SortKey(User.id, descending)]
    stmt: Select[Any] = select(User).where(user_visible(principal))
    if filters.get("role"):
        stmt = stmt.where(User.role == filters["role"])
    if filters.get("active") is not None:
        stmt = stmt.where(User.active.is_(filters["active"]))
    if filters.get("manager_id"):
        stmt = stmt.where(User.manager_id == filters["manager_id"])
    if filters.get("updated_after"):
        stmt = stmt.where(User.updated_at > filters["updated_after"])
    cursor_filters = {**filters, "sort": sort}
    stmt = paginate(stmt, keys, page, "users", cursor_filters)
    rows = list((await session.scalars(stmt)).all())
    cursor = next_cursor(
        rows, page, "users", cursor_filters, lambda u: [getattr(u, column.key), u.id]
    )
    return rows, cursor


async def add_token(session: AsyncSession, token: ApiToken) -> ApiToken:
    session.add(token)
    await session.flush()
    await session.refresh(token)
    return token


async def list_tokens(
    session: AsyncSession, user_id: uuid.UUID, page: PageParams
) -> tuple[list[ApiToken], str | None]:
    keys = [SortKey(ApiToken.created_at), SortKey(ApiToken.id)]
    filters = {"user_id": user_id}
    stmt = select(ApiToken).where(ApiToken.user_id == user_id)
    return await fetch_page(session, stmt, keys, page, "tokens", filters)


async def get_token(session: AsyncSession, token_id: uuid.UUID) -> ApiToken | None:
    return await session.get(ApiToken, token_id)


async def revoke_tokens(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], at: datetime | None = None
) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id.in_(user_ids), ApiToken.revoked_at.is_(None))
        .values(revoked_at=at or func.now())
    )


async def revoke_token(session: AsyncSession, token: ApiToken) -> None:
    if token.revoked_at is None:
        await session.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=func.now())
        )


class UserRepository(Repository[User]):
    model = User
    endpoint = "users"

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return user_visible(viewer)
