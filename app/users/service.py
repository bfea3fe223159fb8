"""Users, the manager tree and tokens: the rules of API.md section 2."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Duplicate, Forbidden, NotFound, field_error, not_visible
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal, new_token
from app.models import ApiToken, User
from app.users import repository
from app.users.schemas import TokenCreate, UserCreate, UserUpdate

MANAGING_ROLES = ("manager", "admin")


async def _check_manager(
    session: AsyncSession, principal: Principal | None, manager_id: uuid.UUID
) -> None:
    manager = (
        await repository.get(session, manager_id)
        if principal is None
        else await repository.get_visible(session, principal, manager_id)
    )
    if manager is None:
        raise not_visible("manager_id")
    if manager.role not in MANAGING_ROLES:
        raise field_error(
            "manager_id", "not_a_manager", "manager_id must name a manager or an admin."
        )


async def create_user(session: AsyncSession, principal: Principal | None, data: UserCreate) -> User:
    """Create a user; `principal` None is the command line (acts as admin)."""
    if data.role == "integration" and data.source is None:
        raise field_error("source", "required", "Integration users need a `source` slug.")
    if data.role != "integration" and data.source is not None:
        raise field_error("source", "not_allowed", "Only integration users have a `source`.")
    if data.manager_id is not None:
        await _check_manager(session, principal, data.manager_id)
    if (existing := await repository.email_taken(session, data.email)) is not None:
        raise Duplicate("A user with this email exists.", existing)
    if (
        data.source
        and (existing := await repository.source_taken(session, data.source)) is not None
    ):
        raise Duplicate("An integration with this source exists.", existing)
    return await repository.add(session, User(**data.model_dump()))


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    user = await repository.get_visible(session, principal, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    patch: UserUpdate,
    if_match: str | None,
) -> User:
    await get_user(session, principal, user_id)
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    if not principal.is_admin and (principal.id != user_id or set(changes) - {"name"}):
        raise Forbidden("Only admins change users; you may change your own name.")
    user = await repository.get_for_update(session, user_id)
    assert user is not None
    check_if_match(if_match, user.version)
    if "email" in changes and await repository.email_taken(session, changes["email"], user_id):
        raise Duplicate("A user with this email exists.")
    role = changes.get("role", user.role)
    if (role == "integration") != (user.source is not None):
        raise field_error(
            "role", "source_mismatch", "Only users created as integrations have that role."
        )
    if changes.get("manager_id") is not None:
        await _check_manager(session, principal, changes["manager_id"])
        if await repository.in_subtree(session, user_id, changes["manager_id"]):
            raise field_error("manager_id", "cycle", "That manager reports to this user: a cycle.")
    if changes:
        for name, value in changes.items():
            setattr(user, name, value)
        user.version += 1
        user.updated_at = datetime.now(UTC)
        if changes.get("active") is False:
            await repository.revoke_tokens(session, [user.id])
        await session.flush()
    return user


def _may_manage_tokens(principal: Principal, user_id: uuid.UUID) -> bool:
    return principal.is_admin or principal.id == user_id


async def create_token(
    session: AsyncSession, principal: Principal | None, user_id: uuid.UUID, data: TokenCreate
) -> tuple[ApiToken, str]:
    if principal is not None:
        await get_user(session, principal, user_id)
        if not _may_manage_tokens(principal, user_id):
            raise Forbidden("Only admins create tokens for other users.")
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise field_error("expires_at", "in_past", "expires_at must be in the future.")
    token, digest, prefix = new_token()
    record = await repository.add_token(
        session,
        ApiToken(
            user_id=user_id,
            name=data.name,
            token_hash=digest,
            prefix=prefix,
            expires_at=data.expires_at,
        ),
    )
    return record, token


async def list_tokens(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, page: PageParams
) -> tuple[list[ApiToken], str | None]:
    await get_user(session, principal, user_id)
    if not _may_manage_tokens(principal, user_id):
        raise Forbidden("Only admins list other users' tokens.")
    return await repository.list_tokens(session, user_id, page)


async def revoke_token(session: AsyncSession, principal: Principal, token_id: uuid.UUID) -> None:
    token = await repository.get_token(session, token_id)
    if token is None or not _may_manage_tokens(principal, token.user_id):
        raise NotFound("No such token.")
    await repository.revoke_token(session, token)
