"""Users, the manager tree and tokens: the rules of API.md section 2."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Duplicate
from app.core.errors import Forbidden
from app.core.errors import NotFound
from app.core.errors import StateConflict
from app.core.errors import field_error
from app.core.errors import found
from app.core.errors import not_visible
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.core.security import new_token
from app.models import ApiToken
from app.models import User
from app.users import repository
from app.users.repository import TokenRepository
from app.users.repository import UserRepository
from app.users.schemas import TokenCreate
from app.users.schemas import TokenFilters
from app.users.schemas import UserCreate
from app.users.schemas import UserFilters
from app.users.schemas import UserUpdate

MANAGING_ROLES = ("manager", "admin")


async def _check_manager(
    users: UserRepository, principal: Principal | None, manager_id: uuid.UUID
) -> None:
    manager = (
        await users.get(manager_id)
        if principal is None
        else await users.get_visible(principal, manager_id)
    )
    if manager is None:
        raise not_visible("manager_id")
    if manager.role not in MANAGING_ROLES:
        raise field_error(
            "manager_id", "not_a_manager", "manager_id must name a manager or an admin."
        )


async def create_user(session: AsyncSession, principal: Principal | None, data: UserCreate) -> User:
    """Create a user; `principal` None is the command line (acts as admin)."""
    users = UserRepository(session)
    if data.role == "integration" and data.source is None:
        raise field_error("source", "required", "Integration users need a `source` slug.")
    if data.role != "integration" and data.source is not None:
        raise field_error("source", "not_allowed", "Only integration users have a `source`.")
    if data.manager_id is not None:
        await _check_manager(users, principal, data.manager_id)
    if (existing := await users.with_email(data.email)) is not None:
        raise Duplicate("A user with this email exists.", existing)
    if data.source and (existing := await users.with_source(data.source)) is not None:
        raise Duplicate("An integration with this source exists.", existing)
    return await users.add(User(**data.model_dump()))


async def user_id_with_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The id of the user with this email (case-insensitive), for the command line."""
    return await UserRepository(session).with_email(email)


async def own_document(session: AsyncSession, principal: Principal) -> tuple[int, str]:
    """The caller's own representation, as (version, response JSON)."""
    return found(await repository.own_document(session, principal.id), "No such user.")


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    user = await UserRepository(session).get_visible(principal, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def list_users(
    session: AsyncSession, principal: Principal, page: PageParams, filters: UserFilters, sort: str
) -> tuple[list[User], str | None]:
    """The directory: admins every user; managers and reps the active human users."""
    if filters.active is not None and not principal.is_admin:
        raise field_error(
            "query.active",
            "admin_only",
            "Only admins filter on `active`: others see active users only.",
        )
    users = UserRepository(session)
    await users.check_filter(principal, filters.manager_id, "query.manager_id")
    return await users.list_page(principal, page, filters, sort)


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    patch: UserUpdate,
    if_match: str | None,
) -> User:
    users = UserRepository(session)
    await get_user(session, principal, user_id)
    changes = patch.model_dump(exclude_unset=True)
    if not principal.is_admin and (principal.id != user_id or set(changes) - {"name"}):
        raise Forbidden("Only admins change users; you may change your own name.")
    # Admins are locked before the user, always in this order, so that two admins
    # demoting each other at once queue and the second sees the first's change.
    admins = await users.lock_active_admins() if {"role", "active"} & set(changes) else []
    user = await users.get_for_update(user_id)
    assert user is not None
    check_if_match(if_match, user.version)
    _keep_an_admin(user, changes, admins)
    if "email" in changes and await users.with_email(changes["email"], user_id):
        raise Duplicate("A user with this email exists.")
    role = changes.get("role", user.role)
    if (role == "integration") != (user.source is not None):
        raise field_error(
            "role", "source_mismatch", "Only users created as integrations have that role."
        )
    if changes.get("manager_id") is not None:
        await _check_manager(users, principal, changes["manager_id"])
        if await users.in_subtree(user_id, changes["manager_id"]):
            raise field_error("manager_id", "cycle", "That manager reports to this user: a cycle.")
    changed = await users.apply_patch(user, changes)
    if changed.get("active") is False:
        await TokenRepository(session).revoke_all_of([user.id])
    return user


def _keep_an_admin(user: User, changes: dict[str, Any], admins: list[uuid.UUID]) -> None:
    """Deactivating or demoting the last active admin would leave no one to administer."""
    leaves = changes.get("active") is False or changes.get("role", "admin") != "admin"
    if user.id in admins and leaves and len(admins) == 1:
        raise StateConflict("This is the last active admin: make another user an admin first.")


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
    record = await TokenRepository(session).add(
        ApiToken(
            user_id=user_id,
            name=data.name,
            token_hash=digest,
            prefix=prefix,
            expires_at=data.expires_at,
        )
    )
    return record, token


async def list_tokens(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, page: PageParams
) -> tuple[list[ApiToken], str | None]:
    await get_user(session, principal, user_id)
    if not _may_manage_tokens(principal, user_id):
        raise Forbidden("Only admins list other users' tokens.")
    filters = TokenFilters(user_id=user_id)
    return await TokenRepository(session).list_page(principal, page, filters, "created_at")


async def revoke_token(session: AsyncSession, principal: Principal, token_id: uuid.UUID) -> None:
    tokens = TokenRepository(session)
    token = await tokens.get(token_id)
    if token is None or not _may_manage_tokens(principal, token.user_id):
        raise NotFound("No such token.")
    await tokens.revoke(token)
