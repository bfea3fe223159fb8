"""Accounts: created and changed by whoever can see their territory, unique by domain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Duplicate, Forbidden, NotFound, field_error, not_visible
from app.core.http import check_if_match
from app.core.pagination import PageParams
from app.core.security import Principal
from app.models import Account
from app.territories import accounts_repository as repository
from app.territories import repository as territories
from app.territories.domains import InvalidDomain, normalise_domain
from app.territories.schemas import AccountCreate, AccountUpdate, dump

HUMANS = ("admin", "manager", "rep")


def _require_human(principal: Principal) -> None:
    if principal.role not in HUMANS:
        raise Forbidden("Integrations do not write accounts.")


async def _check_territory(
    session: AsyncSession, principal: Principal, territory_id: uuid.UUID
) -> None:
    if await territories.get_visible(session, principal, territory_id) is None:
        raise not_visible("territory_id")


async def create_account(
    session: AsyncSession, principal: Principal, data: AccountCreate
) -> Account:
    _require_human(principal)
    await _check_territory(session, principal, data.territory_id)
    if data.domain and (existing := await repository.account_with_domain(session, data.domain)):
        raise Duplicate(repository.DUPLICATE_DOMAIN, existing)
    return await repository.add_account(session, Account(**data.model_dump()))


async def get_account(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> Account:
    account = await repository.get_account(session, principal, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


async def list_accounts(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
) -> tuple[list[Account], str | None]:
    if filters.get("domain"):
        try:
            filters = {**filters, "domain": normalise_domain(filters["domain"])}
        except InvalidDomain as exc:
            raise field_error("query.domain", "invalid_domain", f"Not a domain: {exc}.") from exc
    return await repository.list_accounts(session, principal, page, filters, sort)


async def update_account(
    session: AsyncSession,
    principal: Principal,
    account_id: uuid.UUID,
    patch: AccountUpdate,
    if_match: str | None,
) -> Account:
    _require_human(principal)
    account = await repository.get_account(session, principal, account_id, for_update=True)
    if account is None:
        raise NotFound("No such account.")
    check_if_match(if_match, account.version)
    changes = dump(patch)
    if changes.get("territory_id", account.territory_id) != account.territory_id:
        await _check_territory(session, principal, changes["territory_id"])
    if (
        changes.get("domain")
        and changes["domain"] != account.domain
        and (existing := await repository.account_with_domain(session, changes["domain"]))
    ):
        raise Duplicate(repository.DUPLICATE_DOMAIN, existing)
    changed = {k: v for k, v in changes.items() if getattr(account, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(account, name, value)
        account.version += 1
        account.updated_at = datetime.now(UTC)
        await repository.flush_account(session, account)
    return account
