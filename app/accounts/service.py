"""Accounts and their units: created and changed by whoever can see the territory (API.md
section 2), accounts unique by domain, units a tree inside one account whose every change of
`adoption` is recorded with its actor and time."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.domains import InvalidDomain
from app.accounts.domains import normalise_domain
from app.accounts.repository import DUPLICATE_DOMAIN
from app.accounts.repository import AccountRepository
from app.accounts.repository import AdoptionChangeRepository
from app.accounts.repository import UnitRepository
from app.accounts.schemas import AccountCreate
from app.accounts.schemas import AccountFilters
from app.accounts.schemas import AccountUpdate
from app.accounts.schemas import AdoptionHistoryFilters
from app.accounts.schemas import UnitCreate
from app.accounts.schemas import UnitFilters
from app.accounts.schemas import UnitUpdate
from app.core import events
from app.core.changes import snapshot
from app.core.enums import CustomFieldObject
from app.core.enums import EventResource
from app.core.enums import Expansion
from app.core.errors import Duplicate
from app.core.errors import NotFound
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.expand import Expanded
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.repository import Finder
from app.core.security import Principal
from app.custom_fields import service as custom_fields
from app.models import Account
from app.models import AdoptionChange
from app.models import Unit
from app.territories.repository import TerritoryRepository

ACCOUNT = CustomFieldObject.ACCOUNT
MISSING_ACCOUNT = "No such account."

# The visible account or unit (locked `for_update`), else 404; `.expanded` adds `?expand=`.
get_account = Finder(AccountRepository, MISSING_ACCOUNT)
get_unit = Finder(UnitRepository, "No such unit.")

# --- accounts ----------------------------------------------------------------------------


async def _check_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> None:
    if not await TerritoryRepository(session).is_visible(principal, territory_id):
        raise not_visible("territory_id")


async def _check_domain_free(
    accounts: AccountRepository, domain: str | None, except_id: uuid.UUID | None = None
) -> None:
    if domain and (existing := await accounts.with_domain(domain, except_id)):
        raise Duplicate(DUPLICATE_DOMAIN, existing)


async def create_account(
    session: AsyncSession,
    principal: Principal,
    data: AccountCreate,
    *,
    custom_required: bool = True,
) -> Account:
    """`custom_required=False`: lead conversion creates the account from the lead alone, so
    required custom fields cannot hold it up (as for records from before they were required)."""
    await _check_territory(session, principal, data.territory_id)
    accounts = AccountRepository(session)
    await _check_domain_free(accounts, data.domain)
    values = data.model_dump()
    await custom_fields.take_for_create(session, ACCOUNT, values, required=custom_required)
    account = await accounts.add(Account(**values))
    await events.emit_created(session, EventResource.ACCOUNT, account, principal.id)
    return account


async def list_accounts(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: AccountFilters,
    sort: str,
    expand: Sequence[Expansion],
    custom: Mapping[str, str] | None = None,
) -> tuple[list[Expanded[Account]], str | None]:
    if filters.domain:
        try:
            filters = dataclasses.replace(filters, domain=normalise_domain(filters.domain))
        except InvalidDomain as exc:
            raise field_error("query.domain", "invalid_domain", f"Not a domain: {exc}.") from exc
    territories = TerritoryRepository(session)
    await territories.check_filter(principal, filters.territory_id, "query.territory_id")
    conditions = await custom_fields.filter_conditions(session, ACCOUNT, custom or {})
    return await AccountRepository(session).list_page_expanded(
        principal, page, filters, sort, expand, conditions=conditions, also_bound=custom
    )


async def update_account(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    patch: AccountUpdate,
    if_match: str | None,
) -> Account:
    account = await get_account.for_change(session, principal, account_id, if_match)
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("territory_id", account.territory_id) != account.territory_id:
        await _check_territory(session, principal, changes["territory_id"])
    accounts = AccountRepository(session)
    if changes.get("domain", account.domain) != account.domain:
        await _check_domain_free(accounts, changes["domain"], account.id)
    await custom_fields.take_for_update(session, ACCOUNT, account.custom_values, changes)
    before = snapshot(account, changes)
    await accounts.apply_patch(account, changes)
    await events.emit_update(
        session, EventResource.ACCOUNT, account.id, account.version, before, changes, principal.id
    )
    return account


# --- units -------------------------------------------------------------------------------


async def _check_parent(units: UnitRepository, account_id: uuid.UUID, parent_id: uuid.UUID) -> None:
    parent_account = await units.account_of(parent_id)
    if parent_account is None:
        raise not_visible("parent_id")
    if parent_account != account_id:
        raise field_error(
            "parent_id", "other_account", "The parent must be a unit of the same account."
        )


async def create_unit(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, data: UnitCreate
) -> Unit:
    await get_account(session, principal, account_id, for_update=True)
    units = UnitRepository(session)
    if data.parent_id is not None:
        await _check_parent(units, account_id, data.parent_id)
    unit = await units.add(Unit(account_id=account_id, **data.model_dump()))
    await AdoptionChangeRepository(session).record([unit.id], None, unit.adoption, principal.id)
    return unit


async def list_units(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: UnitFilters,
    sort: str,
) -> tuple[list[Unit], str | None]:
    await get_account(session, principal, filters.account_id)
    units = UnitRepository(session)
    await units.check_filter(principal, filters.parent_id, "query.parent_id")
    return await units.list_page(principal, page, filters, sort)


async def update_unit(
    session: AsyncSession,
    principal: Principal,
    unit_id: uuid.UUID,
    patch: UnitUpdate,
    if_match: str | None,
) -> Unit:
    units = UnitRepository(session)
    unit = await units.lock_with_account(principal, unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    check_if_match(if_match, unit.version)
    changes = patch.model_dump(exclude_unset=True)
    new_parent = changes.get("parent_id")
    if new_parent is not None and new_parent != unit.parent_id:
        await _check_parent(units, unit.account_id, new_parent)
        if await units.is_ancestor_or_self(unit.id, new_parent):
            raise field_error("parent_id", "cycle", "That unit is this unit or below it: a cycle.")
    old_adoption = unit.adoption
    changed = await units.apply_patch(unit, changes)
    if "adoption" in changed:
        await AdoptionChangeRepository(session).record(
            [unit.id], old_adoption, unit.adoption, principal.id
        )
    return unit


async def adoption_history(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, page: PageParams
) -> tuple[list[AdoptionChange], str | None]:
    await get_unit(session, principal, unit_id)
    filters = AdoptionHistoryFilters(unit_id=unit_id)
    return await AdoptionChangeRepository(session).list_page(principal, page, filters, "at")


async def move_with_opportunity(
    session: AsyncSession,
    opportunity_id: uuid.UUID,
    unit_ids: Sequence[uuid.UUID],
    from_adoptions: Sequence[str],
    to: str,
    actor_id: uuid.UUID,
) -> list[uuid.UUID]:
    """The opportunity's linked units move with it: red ones turn yellow at technical
    evaluation, red or yellow ones turn green when it is won. Each change is recorded with
    the actor and the opportunity; returns the units that changed."""
    return await AdoptionChangeRepository(session).change(
        unit_ids,
        to,
        from_adoptions=from_adoptions,
        actor_id=actor_id,
        opportunity_id=opportunity_id,
    )
