"""/accounts, /accounts/{id}/units, /units/{id} and /units/{id}/adoption-history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.accounts import service
from app.accounts.schemas import ACCOUNT_SORTS
from app.accounts.schemas import UNIT_SORTS
from app.accounts.schemas import Account
from app.accounts.schemas import AccountCreate
from app.accounts.schemas import AccountFilters
from app.accounts.schemas import AccountPage
from app.accounts.schemas import AccountUpdate
from app.accounts.schemas import AdoptionChangePage
from app.accounts.schemas import Unit
from app.accounts.schemas import UnitCreate
from app.accounts.schemas import UnitFilters
from app.accounts.schemas import UnitPage
from app.accounts.schemas import UnitUpdate
from app.core.enums import Expansion
from app.core.expand import expand_param
from app.core.routes import Resource
from app.core.security import CurrentPrincipal
from app.core.security import HumanPrincipal
from app.custom_fields.schemas import CUSTOM_FILTER_HELP
from app.custom_fields.schemas import CustomQuery

# Tagged `territories` first, as since v1: generated SDKs group operations by their first tag.
router = APIRouter(tags=["territories"])
accounts = APIRouter(tags=["accounts"])
account = Resource(accounts, "/accounts", Account, CurrentPrincipal, name="account")

ACCOUNT_EXPANSIONS = expand_param(Expansion.TERRITORY)


account.create(
    service.create_account,
    AccountCreate,
    principal=HumanPrincipal,
    description="In a territory the caller can see (integrations: 403). The domain is "
    "normalised (lower-case, no scheme, `www.`, port or path) and unique: 409 `duplicate` "
    "with `existing_id`.",
)


account.list(
    service.list_accounts,
    AccountPage,
    filters=AccountFilters,
    custom=CustomQuery,
    sorts=ACCOUNT_SORTS,
    expand=ACCOUNT_EXPANSIONS,
    description="Accounts of the territories the caller can see. `domain` matches the "
    "normalised domain (a URL works); `q` matches every word of name and domain, whole or as "
    "a prefix. Sort: `created_at` (default), `name`, `updated_at`; `-` for descending. "
    "`expand=territory` adds each account's territory summary." + CUSTOM_FILTER_HELP,
)


account.read(
    service.get_account.expanded,
    params={"expand": (Any, ACCOUNT_EXPANSIONS)},
    description="An account in a territory you can see; `expand=territory` adds the "
    "territory's summary.",
)


account.update(
    service.update_account,
    AccountUpdate,
    principal=HumanPrincipal,
    description="JSON Merge Patch by whoever can see the account (integrations: 403); a new "
    "`territory_id` must be visible too.",
)


units = APIRouter(tags=["units"])
unit = Resource(units, "/units", Unit, HumanPrincipal, name="unit", parent="/accounts/{account_id}")


unit.create(
    service.create_unit,
    UnitCreate,
    description="A department, division or branch of the account; `parent_id` must be a unit "
    "of the same account (422 `other_account`). The first adoption is recorded in the history.",
)


unit.list(
    service.list_units,
    UnitPage,
    filters=UnitFilters,
    sorts=UNIT_SORTS,
    principal=CurrentPrincipal,
    description="Sort: `created_at` (default), `name`; `-` for descending.",
)


unit.read(service.get_unit, principal=CurrentPrincipal)


unit.update(
    service.update_unit,
    UnitUpdate,
    description="A new `parent_id` must be a unit of the same account that is not this unit or "
    "below it (422 `cycle`). Every change of `adoption` is recorded with its actor and time.",
)


unit.children(
    "/adoption-history",
    service.adoption_history,
    AdoptionChangePage,
    name="adoption_history",
    operation_id="units-adoption-history",
    principal=CurrentPrincipal,
    description="Every recorded adoption of the unit, oldest first.",
)


router.include_router(accounts)
router.include_router(units)
