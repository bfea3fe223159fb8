"""Request and response shapes for accounts, their units and the adoption history (API.md
section 3), and the accounts' and units' list filters and sorts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from typing import ClassVar

from fastapi import Query
from pydantic import AfterValidator
from pydantic import Field
from pydantic import StringConstraints
from pydantic_core import PydanticCustomError

from app.accounts.domains import InvalidDomain
from app.accounts.domains import normalise_domain
from app.core.enums import AccountType
from app.core.enums import Adoption
from app.core.enums import ItSupport
from app.core.enums import PartnerKind
from app.core.enums import RouteToMarket
from app.core.enums import UnitKind
from app.core.enums import Vertical
from app.core.expand import EXPANDED_TERRITORY
from app.core.expand import TerritorySummary
from app.core.pagination import ListFilters
from app.core.pagination import SortChoices
from app.core.query_lists import AnyOf
from app.core.schemas import CustomIn
from app.core.schemas import CustomOut
from app.core.schemas import Moment
from app.core.schemas import Name
from app.core.schemas import RequestModel
from app.core.schemas import ResponseModel
from app.core.schemas import Str100
from app.core.text_search import SearchText

ROUTE_ORDER = tuple(RouteToMarket)


def _domain(value: str) -> str:
    try:
        return normalise_domain(value)
    except InvalidDomain as exc:
        raise PydanticCustomError(
            "invalid_domain", "Not a domain: {reason}.", {"reason": str(exc)}
        ) from exc


def _routes(values: list[RouteToMarket]) -> list[RouteToMarket]:
    return [r for r in ROUTE_ORDER if r in values]


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


DomainIn = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_domain),
    Field(
        description="A domain, host or URL; stored lower-case without scheme, `www.`, port or "
        "path (`https://www.Acme.com/x` -> `acme.com`). Unique across accounts (409 `duplicate` "
        "with `existing_id`).",
        examples=["acme.com"],
    ),
]
Routes = Annotated[
    list[RouteToMarket],
    Field(
        max_length=3,
        description="Each at most once; answered in the order direct, channel, programs.",
    ),
    AfterValidator(_routes),
]
Tools = Annotated[list[Str100], Field(max_length=50), AfterValidator(_distinct)]
CloudProviders = Annotated[list[Str100], Field(max_length=20), AfterValidator(_distinct)]

NEXT_CURSOR = Field(description="Pass as `cursor` for the next page; null at the end.")


# --- accounts ----------------------------------------------------------------------------


class Partner(RequestModel):
    kind: PartnerKind
    name: Name


class PartnerOut(ResponseModel):
    kind: PartnerKind
    name: str


class AccountCreate(RequestModel):
    territory_id: uuid.UUID
    name: Name
    domain: DomainIn | None = None
    vertical: Vertical
    account_type: AccountType
    routes_to_market: Routes = Field(default_factory=list)
    cloud_providers: CloudProviders = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list, max_length=50)
    it_support: ItSupport | None = None
    custom: CustomIn | None = None


class AccountUpdate(RequestModel):
    """JSON Merge Patch; arrays replace. Moving to another territory needs it to be visible."""

    territory_id: uuid.UUID | None = None
    name: Name | None = None
    domain: DomainIn | None = None
    vertical: Vertical | None = None
    account_type: AccountType | None = None
    routes_to_market: Routes | None = None
    cloud_providers: CloudProviders | None = None
    partners: list[Partner] | None = Field(None, max_length=50)
    it_support: ItSupport | None = None
    custom: CustomIn | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "territory_id",
            "name",
            "vertical",
            "account_type",
            "routes_to_market",
            "cloud_providers",
            "partners",
        }
    )


class Account(ResponseModel):
    id: uuid.UUID
    territory_id: uuid.UUID
    name: str
    domain: str | None
    vertical: Vertical
    account_type: AccountType
    routes_to_market: list[RouteToMarket]
    cloud_providers: list[str]
    partners: list[PartnerOut]
    it_support: ItSupport | None
    custom: CustomOut
    created_at: datetime
    updated_at: datetime
    version: int
    territory: TerritorySummary | None = EXPANDED_TERRITORY


class AccountPage(ResponseModel):
    items: list[Account]
    next_cursor: str | None = NEXT_CURSOR


@dataclass(frozen=True)
class AccountFilters(ListFilters):
    territory_id: AnyOf[uuid.UUID] = None
    vertical: AnyOf[Vertical] = None
    account_type: AnyOf[AccountType] = None
    domain: Annotated[
        str | None,
        Query(max_length=2000, description="A domain, host or URL; matches the normalised domain."),
    ] = None
    q: SearchText = None
    updated_after: Moment | None = None


ACCOUNT_SORTS = SortChoices("created_at", "name", "updated_at")


# --- units -------------------------------------------------------------------------------

HEADCOUNT = Field(None, ge=0, le=10_000_000, description="People doing DevOps in the unit.")


class UnitCreate(RequestModel):
    parent_id: uuid.UUID | None = Field(None, description="A unit of the same account.")
    kind: UnitKind
    name: Name
    adoption: Adoption = Field(
        Adoption.NONE,
        description="green uses the product, yellow is DevOps-focused and evaluating it, red "
        "does DevOps without it, none does no DevOps. Recorded in the adoption history.",
    )
    devops_headcount: int | None = HEADCOUNT
    current_tools: Tools = Field(default_factory=list)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"account_id"})


class UnitUpdate(RequestModel):
    """JSON Merge Patch. A new `parent_id` must be in the same account and not below the unit."""

    parent_id: uuid.UUID | None = None
    kind: UnitKind | None = None
    name: Name | None = None
    adoption: Adoption | None = None
    devops_headcount: int | None = HEADCOUNT
    current_tools: Tools | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"account_id"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"kind", "name", "adoption", "current_tools"}
    )


class Unit(ResponseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: UnitKind
    name: str
    adoption: Adoption
    devops_headcount: int | None
    current_tools: list[str]
    created_at: datetime
    updated_at: datetime
    version: int


class UnitPage(ResponseModel):
    items: list[Unit]
    next_cursor: str | None = NEXT_CURSOR


@dataclass(frozen=True)
class UnitFilters(ListFilters):
    account_id: uuid.UUID  # the path's account
    adoption: AnyOf[Adoption] = None
    parent_id: AnyOf[uuid.UUID] = None
    updated_after: datetime | None = None


UNIT_SORTS = SortChoices("created_at", "name")


class AdoptionChange(ResponseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    old: Adoption | None = Field(description="null for the unit's first recorded adoption.")
    new: Adoption
    opportunity_id: uuid.UUID | None = Field(
        description="The opportunity whose stage move caused the change, if any."
    )


class AdoptionChangePage(ResponseModel):
    items: list[AdoptionChange]
    next_cursor: str | None = NEXT_CURSOR


@dataclass(frozen=True)
class AdoptionHistoryFilters(ListFilters):
    unit_id: uuid.UUID  # the path's unit
