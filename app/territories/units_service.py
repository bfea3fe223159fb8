"""Units (departments, divisions, branches) as a tree inside one account, and their adoption
history: every change of `adoption` is recorded with its actor and time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, NotFound, field_error, not_visible
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.models import AdoptionChange, Unit
from app.territories import accounts_repository as repository
from app.territories.schemas import UnitCreate, UnitUpdate, dump

HUMANS = ("admin", "manager", "rep")


def _require_human(principal: Principal) -> None:
    if principal.role not in HUMANS:
        raise Forbidden("Integrations do not write units.")


async def _check_parent(session: AsyncSession, account_id: uuid.UUID, parent_id: uuid.UUID) -> None:
    parent_account = await repository.unit_account(session, parent_id)
    if parent_account is None:
        raise not_visible("parent_id")
    if parent_account != account_id:
        raise field_error(
            "parent_id", "other_account", "The parent must be a unit of the same account."
        )


async def create_unit(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, data: UnitCreate
) -> Unit:
    _require_human(principal)
    account = await repository.get_account(session, principal, account_id, for_update=True)
    if account is None:
        raise NotFound("No such account.")
    if data.parent_id is not None:
        await _check_parent(session, account_id, data.parent_id)
    unit = await repository.add_unit(session, Unit(account_id=account_id, **data.model_dump()))
    await repository.record_adoption(session, [unit.id], None, unit.adoption, principal.id)
    return unit


async def get_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> Unit:
    unit = await repository.get_unit(session, principal, unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    return unit


async def list_units(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Unit], str | None]:
    if await repository.get_account(session, principal, account_id) is None:
        raise NotFound("No such account.")
    return await repository.list_units(session, account_id, page, filters, sort)


async def update_unit(
    session: AsyncSession,
    principal: Principal,
    unit_id: uuid.UUID,
    patch: UnitUpdate,
    if_match: str | None,
) -> Unit:
    _require_human(principal)
    unit = await repository.lock_account_of_unit(session, principal, unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    check_if_match(if_match, unit.version)
    changes = dump(patch)
    new_parent = changes.get("parent_id")
    if new_parent is not None and new_parent != unit.parent_id:
        await _check_parent(session, unit.account_id, new_parent)
        if await repository.is_ancestor_or_self(session, unit.id, new_parent):
            raise field_error("parent_id", "cycle", "That unit is this unit or below it: a cycle.")
    changed = {k: v for k, v in changes.items() if getattr(unit, k) != v}
    if not changed:
        return unit
    old_adoption = unit.adoption
    for name, value in changed.items():
        setattr(unit, name, value)
    unit.version += 1
    unit.updated_at = datetime.now(UTC)
    await session.flush()
    if "adoption" in changed:
        await repository.record_adoption(
            session, [unit.id], old_adoption, unit.adoption, principal.id
        )
    return unit


async def adoption_history(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, page: PageParams
) -> tuple[list[AdoptionChange], str | None]:
    await get_unit(session, principal, unit_id)
    return await repository.adoption_history(session, unit_id, page)
