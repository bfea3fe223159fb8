"""Request and response shapes for territories, team, accounts, units, plans, the analysis and
engagement activities (API.md sections 3 and 4)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.core.enums import (
    AccountType,
    ActivityStatus,
    ActivityType,
    Adoption,
    AnalysisStatus,
    ItSupport,
    PartnerKind,
    RouteToMarket,
    Segment,
    TeamRole,
    UnitKind,
    Vertical,
)
from app.core.schemas import MoneyOut, Name, RequestModel, ResponseModel, Str100, Str200
from app.territories.domains import InvalidDomain, normalise_domain

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "Must not be blank.")
    return value


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


def _free_text(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError(
            "control_characters", "Control characters other than tab, CR and LF are not allowed."
        )
    return value


# Free text (tab, CR, LF allowed), shorter than the 10,000 of `Text`.
FreeSentence = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    AfterValidator(_free_text),
    AfterValidator(_not_blank),
]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_free_text)]


NEXT_CURSOR = Field(description="Pass as `cursor` for the next page; null at the end.")


# --- territories -------------------------------------------------------------------------


class TerritoryCreate(RequestModel):
    name: Name
    owner_id: uuid.UUID = Field(
        description="A rep or manager; a manager may name only users of their subtree."
    )
    segment: Segment
    region: Str200 | None = None
    description: Description | None = None


class TerritoryUpdate(RequestModel):
    """JSON Merge Patch. The owner may not change `owner_id` or `segment` (403)."""

    name: Name | None = None
    owner_id: uuid.UUID | None = None
    segment: Segment | None = None
    region: Str200 | None = None
    description: Description | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"name", "owner_id", "segment"})


class Territory(ResponseModel):
    id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    segment: Segment
    region: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class TerritoryPage(ResponseModel):
    items: list[Territory]
    next_cursor: str | None = NEXT_CURSOR


class TeamMemberIn(RequestModel):
    user_id: uuid.UUID | None = Field(
        None,
        description="An Engage user; a new one must be visible to you (users already on the "
        "team may stay). Team members see the territory.",
    )
    name: Name | None = Field(None, description="Someone without an Engage account.")
    role: TeamRole

    @model_validator(mode="after")
    def _someone(self) -> TeamMemberIn:
        if self.user_id is None and self.name is None:
            raise PydanticCustomError("required", "Give the member's `user_id` or `name`.")
        return self


class TeamReplace(RequestModel):
    members: list[TeamMemberIn] = Field(max_length=100)


class TeamMember(ResponseModel):
    user_id: uuid.UUID | None
    name: str = Field(description="The user's current name for members with a `user_id`.")
    role: TeamRole


class Team(ResponseModel):
    territory_id: uuid.UUID
    members: list[TeamMember]
    version: int


# --- accounts and units ------------------------------------------------------------------


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
    created_at: datetime
    updated_at: datetime
    version: int


class AccountPage(ResponseModel):
    items: list[Account]
    next_cursor: str | None = NEXT_CURSOR


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


# --- plans -------------------------------------------------------------------------------


class Tactic(RequestModel):
    activity_type: ActivityType
    description: FreeSentence


class TacticOut(ResponseModel):
    activity_type: ActivityType
    description: str


class PlanCreate(RequestModel):
    vertical: Vertical = Field(description="One plan per vertical and territory (409 otherwise).")
    objectives: list[FreeSentence] = Field(default_factory=list, max_length=50)
    tactics: list[Tactic] = Field(default_factory=list, max_length=50)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"territory_id"})


class PlanUpdate(RequestModel):
    """JSON Merge Patch; `objectives` and `tactics` replace."""

    vertical: Vertical | None = None
    objectives: list[FreeSentence] | None = Field(None, max_length=50)
    tactics: list[Tactic] | None = Field(None, max_length=50)
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"territory_id"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"vertical", "objectives", "tactics"})


class Plan(ResponseModel):
    id: uuid.UUID
    territory_id: uuid.UUID
    vertical: Vertical
    objectives: list[str]
    tactics: list[TacticOut]
    created_at: datetime
    updated_at: datetime
    version: int


class PlanPage(ResponseModel):
    items: list[Plan]
    next_cursor: str | None = NEXT_CURSOR


# --- analysis ----------------------------------------------------------------------------

RATIO = "green / (green + yellow + red) over leaf units, 4 places; null when that is 0."


class UnitCounts(ResponseModel):
    green: int
    yellow: int
    red: int
    none: int


class AnalysisAccount(ResponseModel):
    id: uuid.UUID
    name: str
    vertical: Vertical
    account_type: AccountType
    units: UnitCounts = Field(description="Leaf units by adoption.")
    green_ratio: float | None = Field(description=RATIO)
    status: AnalysisStatus


class AnalysisTotals(ResponseModel):
    green: int
    yellow: int
    red: int
    none: int
    green_ratio: float | None = Field(description=RATIO)


class TopVertical(ResponseModel):
    vertical: Vertical
    accounts: int
    devops_headcount: int = Field(description="Sum over the accounts' leaf units.")


class VerticalRoutes(ResponseModel):
    vertical: Vertical
    direct: int
    channel: int
    programs: int


class Mix(ResponseModel):
    net_new: int
    customer: int


class Conversions(ResponseModel):
    last_30_days: int
    last_90_days: int
    last_365_days: int


class Analysis(ResponseModel):
    territory_id: uuid.UUID
    accounts: list[AnalysisAccount]
    totals: AnalysisTotals
    top_verticals: list[TopVertical]
    routes_to_market: list[VerticalRoutes]
    mix: Mix
    conversions: Conversions


# --- engagement activities ---------------------------------------------------------------


class ActivityPartner(RequestModel):
    kind: PartnerKind
    name: Name


class ActivityPartnerPatch(RequestModel):
    kind: PartnerKind | None = None
    name: Name | None = None
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset({"kind", "name"})


class ActivityCreate(RequestModel):
    territory_id: uuid.UUID
    type: ActivityType
    name: Name
    starts_on: date | None = None
    ends_on: date | None = Field(None, description="On or after `starts_on`.")
    vertical: Vertical | None = None
    account_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="Accounts of the activity's territory."
    )
    partner: ActivityPartner | None = Field(
        None, description="Required for `cloud_partner`, `si_partner`, `reseller` and `oem`."
    )
    status: ActivityStatus = ActivityStatus.PLANNED
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"created_by"})


class ActivityUpdate(RequestModel):
    """JSON Merge Patch: `partner` merges, `account_ids` replaces."""

    territory_id: uuid.UUID | None = None
    type: ActivityType | None = None
    name: Name | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    vertical: Vertical | None = None
    account_ids: list[uuid.UUID] | None = Field(None, max_length=500)
    partner: ActivityPartnerPatch | None = None
    status: ActivityStatus | None = None
    read_only_fields: ClassVar[frozenset[str]] = frozenset({"created_by"})
    non_nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"territory_id", "type", "name", "account_ids", "status"}
    )


class Activity(ResponseModel):
    id: uuid.UUID
    territory_id: uuid.UUID
    type: ActivityType
    name: str
    starts_on: date | None
    ends_on: date | None
    vertical: Vertical | None
    account_ids: list[uuid.UUID]
    partner: PartnerOut | None
    status: ActivityStatus
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


class ActivityPage(ResponseModel):
    items: list[Activity]
    next_cursor: str | None = NEXT_CURSOR


class ActivityPerformance(ResponseModel):
    activity_id: uuid.UUID
    leads: int = Field(description="Leads whose `activity_id` is this activity.")
    contacts: int = Field(description="Contacts converted from those leads.")
    opportunities: int = Field(description="Opportunities whose `activity_id` is this activity.")
    sales_accepted: int = Field(description="Of those, the ones that reached stage 1.")
    open_pipeline_arr: MoneyOut = Field(description="Amount of those in stages 1-6.")
    won_arr: MoneyOut = Field(description="Amount of those closed won.")
    currency: str


def dump(model: RequestModel) -> dict[str, Any]:
    """The fields a request actually sent (merge-patch semantics), nested models as dicts."""
    return model.model_dump(exclude_unset=True)
