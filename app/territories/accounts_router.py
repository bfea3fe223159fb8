"""/accounts, /accounts/{id}/units, /units/{id} and /units/{id}/adoption-history."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.core.enums import AccountType, Adoption, Vertical
from app.core.http import IfMatch, set_created, set_etag
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.schemas import Moment
from app.core.security import CurrentPrincipal
from app.core.session import Session
from app.territories import accounts_service, units_service
from app.territories.schemas import (
    Account,
    AccountCreate,
    AccountPage,
    AccountUpdate,
    AdoptionChange,
    AdoptionChangePage,
    Unit,
    UnitCreate,
    UnitPage,
    UnitUpdate,
)

router = APIRouter()
accounts = APIRouter(tags=["accounts"])


@accounts.post(
    "/accounts",
    operation_id="accounts-create",
    status_code=201,
    response_model=Account,
    dependencies=[Idempotent],
    description="In a territory the caller can see. The domain is normalised (lower-case, no "
    "scheme, `www.`, port or path) and unique: 409 `duplicate` with `existing_id`.",
)
async def create_account(
    body: AccountCreate, principal: CurrentPrincipal, session: Session, response: Response
) -> Account:
    account = await accounts_service.create_account(session, principal, body)
    set_created(response, f"/api/v1/accounts/{account.id}", account.version)
    return Account.model_validate(account)


@accounts.get(
    "/accounts",
    operation_id="accounts-list",
    response_model=AccountPage,
    description="Accounts of the territories the caller can see. `domain` matches the "
    "normalised domain (a URL works). Sort: `created_at` (default), `name`, `updated_at`; "
    "`-` for descending.",
)
async def list_accounts(
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    territory_id: uuid.UUID | None = None,
    vertical: Vertical | None = None,
    account_type: AccountType | None = None,
    domain: Annotated[str | None, Query(max_length=2000)] = None,
    updated_after: Moment | None = None,
    sort: Annotated[
        Literal["created_at", "-created_at", "name", "-name", "updated_at", "-updated_at"],
        Query(),
    ] = "created_at",
) -> AccountPage:
    filters = {
        "territory_id": territory_id,
        "vertical": vertical,
        "account_type": account_type,
        "domain": domain,
        "updated_after": updated_after,
    }
    rows, cursor = await accounts_service.list_accounts(session, principal, page, filters, sort)
    return AccountPage(items=[Account.model_validate(a) for a in rows], next_cursor=cursor)


@accounts.get("/accounts/{account_id}", operation_id="accounts-get", response_model=Account)
async def get_account(
    account_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Account:
    account = await accounts_service.get_account(session, principal, account_id)
    set_etag(response, account.version)
    return Account.model_validate(account)


@accounts.patch("/accounts/{account_id}", operation_id="accounts-update", response_model=Account)
async def update_account(
    account_id: uuid.UUID,
    body: AccountUpdate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Account:
    account = await accounts_service.update_account(session, principal, account_id, body, if_match)
    set_etag(response, account.version)
    return Account.model_validate(account)


units = APIRouter(tags=["units"])


@units.post(
    "/accounts/{account_id}/units",
    operation_id="units-create",
    status_code=201,
    response_model=Unit,
    dependencies=[Idempotent],
    description="A department, division or branch of the account; `parent_id` must be a unit "
    "of the same account (422 `other_account`). The first adoption is recorded in the history.",
)
async def create_unit(
    account_id: uuid.UUID,
    body: UnitCreate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
) -> Unit:
    unit = await units_service.create_unit(session, principal, account_id, body)
    set_created(response, f"/api/v1/units/{unit.id}", unit.version)
    return Unit.model_validate(unit)


@units.get(
    "/accounts/{account_id}/units",
    operation_id="units-list",
    response_model=UnitPage,
    description="Sort: `created_at` (default), `name`; `-` for descending.",
)
async def list_units(
    account_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    page: Page,
    adoption: Adoption | None = None,
    parent_id: uuid.UUID | None = None,
    updated_after: Moment | None = None,
    sort: Annotated[Literal["created_at", "-created_at", "name", "-name"], Query()] = "created_at",
) -> UnitPage:
    filters = {"adoption": adoption, "parent_id": parent_id, "updated_after": updated_after}
    rows, cursor = await units_service.list_units(
        session, principal, account_id, page, filters, sort
    )
    return UnitPage(items=[Unit.model_validate(u) for u in rows], next_cursor=cursor)


@units.get("/units/{unit_id}", operation_id="units-get", response_model=Unit)
async def get_unit(
    unit_id: uuid.UUID, principal: CurrentPrincipal, session: Session, response: Response
) -> Unit:
    unit = await units_service.get_unit(session, principal, unit_id)
    set_etag(response, unit.version)
    return Unit.model_validate(unit)


@units.patch(
    "/units/{unit_id}",
    operation_id="units-update",
    response_model=Unit,
    description="A new `parent_id` must be a unit of the same account that is not this unit or "
    "below it (422 `cycle`). Every change of `adoption` is recorded with its actor and time.",
)
async def update_unit(
    unit_id: uuid.UUID,
    body: UnitUpdate,
    principal: CurrentPrincipal,
    session: Session,
    response: Response,
    if_match: IfMatch = None,
) -> Unit:
    unit = await units_service.update_unit(session, principal, unit_id, body, if_match)
    set_etag(response, unit.version)
    return Unit.model_validate(unit)


@units.get(
    "/units/{unit_id}/adoption-history",
    operation_id="units-adoption-history",
    response_model=AdoptionChangePage,
    description="Every recorded adoption of the unit, oldest first.",
)
async def adoption_history(
    unit_id: uuid.UUID, principal: CurrentPrincipal, session: Session, page: Page
) -> AdoptionChangePage:
    rows, cursor = await units_service.adoption_history(session, principal, unit_id, page)
    return AdoptionChangePage(
        items=[AdoptionChange.model_validate(c) for c in rows], next_cursor=cursor
    )


router.include_router(accounts)
router.include_router(units)
